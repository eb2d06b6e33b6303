//! A connection to the fleet's Redis that survives the server going away: every
//! command runs through [`Conn::run`], which reconnects (with back-off, for up to
//! [`Conn::reconnect_for`]) when the connection drops, is refused, or the server is
//! still loading its append-only file after a restart, and then runs the command again.
//! The fleet's commands are safe to repeat, with one exception the worker handles: a
//! read of new entries (XREADGROUP `>`, XAUTOCLAIM) whose reply was lost leaves the
//! entries pending under this worker, so after a reconnect the worker reads its own
//! pending entries first.
//!
//! `redis://[:PASSWORD@]HOST:PORT[/DB]` and `rediss://…` (TLS) are accepted; a TLS
//! server with a certificate from a private authority is trusted with
//! [`ConnectOptions::ca`] (the CLI's `--fleet-ca`, or `TERAPROOF_FLEET_CA`).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use redis::{Client, Connection, ErrorKind, RedisError, RedisResult, ServerErrorKind};

use crate::error::{FleetError, Result};

/// How to reach the fleet's Redis.
#[derive(Debug, Clone)]
pub struct ConnectOptions {
    /// `redis://…` or `rediss://…`
    pub url: String,
    /// a PEM file of the authority that signed a TLS server's certificate (else the
    /// system's roots)
    pub ca: Option<PathBuf>,
    /// how long to keep trying when Redis is unreachable before giving up
    pub reconnect_for: Duration,
    /// how long one reply may take before the connection counts as lost
    pub read_timeout: Duration,
}

impl ConnectOptions {
    /// Options for `url`, the CA from `TERAPROOF_FLEET_CA` when set, retrying for a minute.
    pub fn new(url: &str) -> Self {
        Self {
            url: url.into(),
            ca: std::env::var_os("TERAPROOF_FLEET_CA").map(PathBuf::from),
            reconnect_for: Duration::from_secs(60),
            read_timeout: Duration::from_secs(30),
        }
    }
}

/// The URL with its password hidden, for messages and logs.
pub fn redacted(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else { return url.into() };
    let rest = &url[scheme_end + 3..];
    // The last '@' ends the credentials, even when a password holds a '/' or an '@'.
    match rest.rfind('@') {
        Some(at) => {
            let user = rest[..at].split(':').next().unwrap_or("");
            format!("{}{user}:***@{}", &url[..scheme_end + 3], &rest[at + 1..])
        }
        None => url.into(),
    }
}

/// Whether an error means "the server is not there right now", which reconnecting
/// may cure, rather than an answer to the command.
fn is_transient(e: &RedisError) -> bool {
    e.is_io_error()
        || e.is_connection_dropped()
        || e.is_connection_refusal()
        || e.is_timeout()
        || matches!(e.kind(), ErrorKind::Server(ServerErrorKind::BusyLoading | ServerErrorKind::TryAgain))
}

/// A Redis connection that reconnects.
pub struct Conn {
    client: Client,
    shown: String,
    con: Option<Connection>,
    /// how long to keep trying when Redis is unreachable
    pub reconnect_for: Duration,
    reconnects: u64,
    read_timeout: Duration,
    /// the connection was dropped and not yet made again
    lost: bool,
}

fn client(options: &ConnectOptions) -> Result<Client> {
    let bad = |reason: String| FleetError::BadUrl { url: redacted(&options.url), reason };
    let url = options.url.as_str();
    if !(url.starts_with("redis://") || url.starts_with("rediss://")) {
        return Err(bad("the fleet is a Redis server: redis://HOST:PORT or rediss://HOST:PORT (TLS)".into()));
    }
    match (&options.ca, url.starts_with("rediss://")) {
        (Some(ca), true) => {
            let root_cert =
                std::fs::read(ca).map_err(|e| bad(format!("cannot read the CA file {}: {e}", ca.display())))?;
            Client::build_with_tls(url, redis::TlsCertificates { client_tls: None, root_cert: Some(root_cert) })
                .map_err(|e| bad(e.to_string()))
        }
        _ => Client::open(url).map_err(|e| bad(e.to_string())),
    }
}

impl Conn {
    /// Connects, trying for up to `options.reconnect_for`.
    pub fn open(options: &ConnectOptions) -> Result<Self> {
        // rustls needs one process-wide crypto provider for rediss://; a second
        // install (another Conn) is refused harmlessly.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut conn = Self {
            client: client(options)?,
            shown: redacted(&options.url),
            con: None,
            reconnect_for: options.reconnect_for,
            reconnects: 0,
            read_timeout: options.read_timeout,
            lost: false,
        };
        conn.run("PING", |c| redis::cmd("PING").query::<String>(c))?;
        Ok(conn)
    }

    /// The server, password hidden.
    pub fn url(&self) -> &str {
        &self.shown
    }

    /// How many times the connection was made again after being lost.
    pub fn reconnects(&self) -> u64 {
        self.reconnects
    }

    /// Creates the consumer group of the task stream `stream` (from the stream's
    /// start, so that tasks added before any worker came are delivered); an existing
    /// group is kept.
    pub fn ensure_group(&mut self, stream: &str) -> Result<()> {
        let created = self.run("XGROUP CREATE", |c| {
            redis::cmd("XGROUP")
                .arg("CREATE")
                .arg(stream)
                .arg(crate::names::GROUP)
                .arg("0")
                .arg("MKSTREAM")
                .query::<redis::Value>(c)
        });
        match created {
            Err(FleetError::Redis { reason, .. }) if reason.contains("BUSYGROUP") => Ok(()),
            other => other.map(|_| ()),
        }
    }

    /// Runs `f` on the connection, reconnecting and running it again while Redis is
    /// unreachable, for up to [`Conn::reconnect_for`]; `what` names the command in
    /// the error.
    pub fn run<T>(&mut self, what: &str, mut f: impl FnMut(&mut Connection) -> RedisResult<T>) -> Result<T> {
        let start = Instant::now();
        let mut pause = Duration::from_millis(50);
        let mut warned = false;
        loop {
            let attempt = match self.con.as_mut() {
                Some(con) => f(con),
                None => match self.client.get_connection_with_timeout(Duration::from_secs(5)) {
                    Ok(mut con) => {
                        let _ = con.set_read_timeout(Some(self.read_timeout));
                        let r = f(&mut con);
                        self.con = Some(con);
                        // A connection made again after any loss, seen by this call or an
                        // earlier one, counts: callers re-check what a loss may have cost.
                        if warned || self.lost {
                            self.lost = false;
                            self.reconnects += 1;
                            tracing::info!(url = %self.shown, "reconnected to the fleet's Redis");
                        }
                        r
                    }
                    Err(e) => Err(e),
                },
            };
            match attempt {
                Ok(v) => return Ok(v),
                Err(e) if is_transient(&e) && start.elapsed() < self.reconnect_for => {
                    if !warned {
                        tracing::warn!(url = %self.shown, error = %e, "the fleet's Redis is unreachable; retrying");
                        warned = true;
                    }
                    self.con = None;
                    self.lost = true;
                    std::thread::sleep(pause);
                    pause = (pause * 2).min(Duration::from_secs(1));
                }
                Err(e) if is_transient(&e) => {
                    self.con = None;
                    self.lost = true;
                    return Err(FleetError::Unreachable { url: self.shown.clone(), reason: format!("{what}: {e}") });
                }
                Err(e) => return Err(FleetError::Redis { url: self.shown.clone(), reason: format!("{what}: {e}") }),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_appear_in_messages() {
        assert_eq!(redacted("redis://:s3cret@host:6379"), "redis://:***@host:6379");
        assert_eq!(redacted("rediss://user:s3cret@host:6379/2"), "rediss://user:***@host:6379/2");
        assert_eq!(redacted("redis://host:6379"), "redis://host:6379");
        assert_eq!(redacted("redis://:a/b@c@host:6379"), "redis://:***@host:6379");
        let e = Conn::open(&ConnectOptions::new("http://:s3cret@host")).err().unwrap().to_string();
        assert!(e.contains("redis://HOST:PORT") && !e.contains("s3cret"), "{e}");
    }

    #[test]
    fn an_unreachable_server_is_an_error_after_the_window() {
        // Port 1 on loopback: nothing listens there.
        let mut options = ConnectOptions::new("redis://:pw@127.0.0.1:1");
        options.reconnect_for = Duration::from_millis(200);
        let e = Conn::open(&options).err().unwrap().to_string();
        assert!(e.contains("127.0.0.1:1") && !e.contains("pw@"), "{e}");
    }
}
