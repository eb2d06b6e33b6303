//! The fleet against a real `redis-server` (started here on a free loopback port, with
//! an append-only file in a temporary folder, and stopped at the end), with the faults
//! it claims to survive injected: a worker killed with SIGKILL mid-unit, Redis
//! restarted mid-job, poison tasks, a task delivered twice, a worker with other keys.
//! Every test whose job finishes ends with the same checks (`assert_job_done`): each
//! unit has exactly one receipt in Redis, the job receipt verifies, and nothing of the
//! job was dead-lettered; the two that stop a job check that no job receipt is written.
//!
//! `redis-server` comes from Debian's package (scripts/test.sh installs it when
//! missing); without it these tests fail, saying so.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_teraproof");

/// A redis-server of our own.
struct Redis {
    port: u16,
    dir: PathBuf,
    password: Option<String>,
    /// (cert, key, CA) for a TLS-only server
    tls: Option<[PathBuf; 3]>,
    child: Option<Child>,
}

impl Redis {
    fn start(dir: &Path, password: Option<&str>) -> Self {
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let mut redis =
            Redis { port, dir: dir.join("redis"), password: password.map(String::from), tls: None, child: None };
        std::fs::create_dir_all(&redis.dir).unwrap();
        redis.spawn();
        redis
    }

    /// A server that speaks only TLS, with a certificate for 127.0.0.1 signed by a CA
    /// made here (`ca.pem` in `dir`).
    fn start_tls(dir: &Path) -> Self {
        let openssl = |args: &[&str]| {
            let o = Command::new("openssl")
                .args(args)
                .current_dir(dir)
                .output()
                .expect("openssl runs (scripts/install-redis.sh installs it)");
            assert!(o.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&o.stderr));
        };
        openssl(&[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "2",
            "-subj",
            "/CN=teraproof test CA",
        ]);
        openssl(&[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
            "-subj",
            "/CN=127.0.0.1",
        ]);
        std::fs::write(dir.join("san.ext"), "subjectAltName=IP:127.0.0.1\n").unwrap();
        openssl(&[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "server.pem",
            "-days",
            "2",
            "-extfile",
            "san.ext",
        ]);
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let tls = [dir.join("server.pem"), dir.join("server.key"), dir.join("ca.pem")];
        let mut redis = Redis { port, dir: dir.join("redis"), password: None, tls: Some(tls), child: None };
        std::fs::create_dir_all(&redis.dir).unwrap();
        redis.spawn();
        redis
    }

    fn spawn(&mut self) {
        let mut cmd = Command::new("redis-server");
        cmd.args(["--port", &self.port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "yes"])
            .args(["--appendfsync", "always", "--daemonize", "no", "--logfile", "redis.log"])
            .arg("--dir")
            .arg(&self.dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if let Some(p) = &self.password {
            cmd.args(["--requirepass", p]);
        }
        if let Some([cert, key, ca]) = &self.tls {
            // TLS only: the plain port is closed.
            cmd.args(["--tls-port", &self.port.to_string(), "--port", "0", "--tls-auth-clients", "no"])
                .arg("--tls-cert-file")
                .arg(cert)
                .arg("--tls-key-file")
                .arg(key)
                .arg("--tls-ca-cert-file")
                .arg(ca);
        }
        let child = cmd.spawn().unwrap_or_else(|e| {
            panic!("cannot start redis-server ({e}): install it with scripts/install-redis.sh (scripts/test.sh does)")
        });
        self.child = Some(child);
        let start = Instant::now();
        if self.tls.is_some() {
            // The test does not speak TLS itself: wait for the port to listen.
            while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
                assert!(
                    start.elapsed() < Duration::from_secs(20),
                    "redis-server did not come up on port {}",
                    self.port
                );
                std::thread::sleep(Duration::from_millis(50));
            }
            return;
        }
        while self.connection().is_err() {
            assert!(start.elapsed() < Duration::from_secs(20), "redis-server did not come up on port {}", self.port);
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn url(&self) -> String {
        if self.tls.is_some() {
            return format!("rediss://127.0.0.1:{}", self.port);
        }
        match &self.password {
            Some(p) => format!("redis://:{p}@127.0.0.1:{}", self.port),
            None => format!("redis://127.0.0.1:{}", self.port),
        }
    }

    fn connection(&self) -> redis::RedisResult<redis::Connection> {
        let mut con = redis::Client::open(self.url())?.get_connection_with_timeout(Duration::from_secs(2))?;
        redis::cmd("PING").query::<String>(&mut con)?;
        Ok(con)
    }

    /// Entries of `stream` delivered and not yet acknowledged (of `consumer`, when
    /// given); 0 before the stream and its group exist.
    fn pending(&self, stream: &str, consumer: Option<&str>) -> usize {
        let mut cmd = redis::cmd("XPENDING");
        cmd.arg(stream).arg("provers").arg("-").arg("+").arg(10);
        if let Some(c) = consumer {
            cmd.arg(c);
        }
        let rows: redis::RedisResult<Vec<redis::Value>> = cmd.query(&mut self.connection().unwrap());
        rows.map(|r| r.len()).unwrap_or(0)
    }

    fn query<T: redis::FromRedisValue>(&self, cmd: &redis::Cmd) -> T {
        cmd.query(&mut self.connection().unwrap()).unwrap()
    }

    /// Stops the server as an operator would (SIGTERM: it finishes its append-only
    /// file) and starts it again on the same port and folder.
    fn restart(&mut self, down_for: Duration) {
        let mut child = self.child.take().unwrap();
        signal(child.id(), "TERM");
        child.wait().unwrap();
        std::thread::sleep(down_for);
        self.spawn();
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn signal(pid: u32, name: &str) {
    assert!(Command::new("kill").arg(format!("-{name}")).arg(pid.to_string()).status().unwrap().success());
}

/// A worker process; stopped with SIGTERM (and waited for) unless killed first.
struct WorkerProc {
    child: Option<Child>,
    log: PathBuf,
}

impl WorkerProc {
    fn start(redis: &Redis, dir: &Path, keys: &str, name: &str, extra: &[&str]) -> Self {
        let log = dir.join(format!("{name}.log"));
        let child = Command::new(BIN)
            .args(["worker", "--fleet", &redis.url(), "--keys", keys, "--backend", "cpu", "--name", name])
            .args(extra)
            .current_dir(dir)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        WorkerProc { child: Some(child), log }
    }

    /// SIGTERM, then what it said on stopping.
    fn stop(mut self) -> String {
        let mut child = self.child.take().unwrap();
        signal(child.id(), "TERM");
        let status = child.wait().unwrap();
        let log = std::fs::read_to_string(&self.log).unwrap();
        assert!(status.success(), "worker exited with {status}: {log}");
        log
    }

    fn kill9(&mut self) {
        let mut child = self.child.take().unwrap();
        child.kill().unwrap();
        child.wait().unwrap();
    }
}

impl Drop for WorkerProc {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// The units a stopped worker reports having proven (and repeated deliveries).
fn worker_counts(log: &str) -> (u64, u64) {
    let line = log.lines().find(|l| l.contains(" stopped: ")).unwrap_or_else(|| panic!("no summary in {log}"));
    let num = |after: &str| -> u64 {
        let at = line.find(after).unwrap();
        line[..at].trim_end().rsplit(' ').next().unwrap().parse().unwrap()
    };
    (num(" units proven"), num(" repeated deliveries"))
}

fn run(args: &[&str], dir: &Path) -> Output {
    Command::new(BIN).args(args).current_dir(dir).output().unwrap()
}

/// A folder with dev keys for CU-4 (seed `seed`, in `keys-SEED`) and an 8×12 A and a
/// 12×8 B: a job of 2×3×2 = 12 units (4 compute units, 8 accumulating ones).
fn job_folder(dir: &Path, seeds: &[u64]) {
    for seed in seeds {
        let o =
            run(&["setup", "--unit", "CU-4", "--dev-seed", &seed.to_string(), "--out", &format!("keys-{seed}")], dir);
        assert!(o.status.success(), "{o:?}");
    }
    for (name, rows, cols, mul) in [("A.json", 8, 12, 37), ("B.json", 12, 8, 91)] {
        let data: Vec<i64> = (0..rows * cols).map(|x: i64| (x * mul + 11) % 256 - 128).collect();
        let m = serde_json::json!({ "dtype": "i8", "rows": rows, "cols": cols, "data": data });
        std::fs::write(dir.join(name), m.to_string()).unwrap();
    }
}

const UNITS: usize = 12;

/// `job prove` of the test job into job.json, with `extra` arguments.
fn prove_args<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["job", "prove", "--keys", "keys-1", "--a", "A.json", "--b", "B.json", "--out", "job.json"];
    args.extend(["--backend", "cpu"]);
    args.extend_from_slice(extra);
    args
}

fn coordinator(redis: &Redis, dir: &Path, out: &str) -> Child {
    Command::new(BIN)
        .args(["job", "prove", "--keys", "keys-1", "--a", "A.json", "--b", "B.json", "--out", out])
        .args(["--backend", "cpu", "--fleet", &redis.url()])
        .current_dir(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// The checks every test ends with: the coordinator succeeded, each unit of the job has
/// exactly one receipt in Redis, the job receipt verifies, nothing of it was
/// dead-lettered. Returns the job's statement id.
fn assert_job_done(redis: &Redis, dir: &Path, coordinator: Child, out: &str) -> String {
    let o = coordinator.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(o.status.success(), "coordinator failed: {stdout}\n{}", String::from_utf8_lossy(&o.stderr));
    let statement = stdout.lines().find_map(|l| l.strip_prefix("statement   ")).unwrap().trim().to_string();
    let id =
        stdout.lines().find_map(|l| l.strip_prefix("fleet job   ")).unwrap().split(' ').next().unwrap().to_string();
    let receipts: Vec<String> = redis.query(redis::cmd("HKEYS").arg(format!("tp:job:{id}:receipts")));
    let mut units: Vec<usize> = receipts.iter().map(|k| k.parse().unwrap()).collect();
    units.sort();
    assert_eq!(units, (0..UNITS).collect::<Vec<_>>(), "one receipt per unit");
    let v = run(&["job", "verify", "--keys", "keys-1", out], dir);
    assert_eq!(v.status.code(), Some(0), "{v:?}");
    assert!(String::from_utf8_lossy(&v.stdout).contains(&format!("{UNITS} units, statement {statement}")));
    let dead: Vec<redis::Value> = redis.query(redis::cmd("XRANGE").arg("tp:dead").arg("-").arg("+"));
    let dead_text = format!("{dead:?}");
    assert!(!dead_text.contains(&id), "a unit of the job was dead-lettered: {dead_text}");
    id
}

fn wait_for(what: &str, limit: Duration, mut ready: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ready() {
        assert!(start.elapsed() < limit, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn two_workers_prove_a_job_behind_a_password_and_a_rerun_reuses_the_receipts() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    job_folder(d, &[1]);
    let redis = Redis::start(d, Some("s3cret"));
    // A wrong password is a clear error that does not print the password.
    let wrong = format!("redis://:nope@127.0.0.1:{}", redis.port);
    let o = run(&["fleet", "status", "--fleet", &wrong], d);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1));
    assert!(!err.contains("nope") && err.contains("redis://:***@"), "{err}");

    let w1 = WorkerProc::start(&redis, d, "keys-1", "w1", &[]);
    let w2 = WorkerProc::start(&redis, d, "keys-1", "w2", &[]);
    let id = assert_job_done(&redis, d, coordinator(&redis, d, "job.json"), "job.json");
    let status = run(&["fleet", "status", "--fleet", &redis.url()], d);
    let status = String::from_utf8_lossy(&status.stdout).into_owned();
    assert!(status.contains("workers      2 alive") && status.contains("dead letters 0"), "{status}");
    // Run again: every receipt is found in Redis and none is proven again.
    let again = coordinator(&redis, d, "job2.json");
    let o = again.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(o.status.success() && stdout.contains("0 proven by the fleet, 12 already there"), "{stdout}");
    assert!(stdout.contains(&id));
    let (u1, _) = worker_counts(&w1.stop());
    let (u2, _) = worker_counts(&w2.stop());
    assert_eq!(u1 + u2, UNITS as u64);
    // A stopped worker takes its heartbeat with it.
    let beats: Vec<String> = redis.query(redis::cmd("KEYS").arg("tp:worker:*"));
    assert!(beats.is_empty(), "{beats:?}");
}

#[test]
fn a_worker_killed_mid_unit_has_its_unit_reclaimed_and_finished_by_another() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    job_folder(d, &[1]);
    let redis = Redis::start(d, None);
    // The victim is slow (every unit takes 20 s), so it is surely mid-unit when killed.
    let mut victim = WorkerProc::start(&redis, d, "keys-1", "victim", &["--lease-secs", "1", "--min-unit-ms", "20000"]);
    let job = coordinator(&redis, d, "job.json");
    let stream = format!("tp:tasks:{}", vk_id(d));
    let pending_of_victim = || redis.pending(&stream, Some("victim"));
    wait_for("the victim to take a task", Duration::from_secs(60), || pending_of_victim() == 1);
    victim.kill9();
    assert_eq!(pending_of_victim(), 1, "the killed worker's task is still pending");
    let helper = WorkerProc::start(&redis, d, "keys-1", "helper", &["--lease-secs", "1"]);
    assert_job_done(&redis, d, job, "job.json");
    assert_eq!(pending_of_victim(), 0, "the killed worker's task was reclaimed");
    let (units, _) = worker_counts(&helper.stop());
    assert_eq!(units, UNITS as u64, "the helper proved every unit, the reclaimed one included");
}

/// The compute unit's verifying-key id of `keys-1`.
fn vk_id(d: &Path) -> String {
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("keys-1/keys.json")).unwrap()).unwrap();
    manifest["vk_id"].as_str().unwrap().to_string()
}

#[test]
fn redis_restarted_mid_job_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    job_folder(d, &[1]);
    let mut redis = Redis::start(d, None);
    let w1 = WorkerProc::start(&redis, d, "keys-1", "w1", &["--min-unit-ms", "400"]);
    let w2 = WorkerProc::start(&redis, d, "keys-1", "w2", &["--min-unit-ms", "400"]);
    let job = coordinator(&redis, d, "job.json");
    let stored = |redis: &Redis| -> usize {
        let keys: Vec<String> = redis.query(redis::cmd("KEYS").arg("tp:job:*:receipts"));
        keys.first().map(|k| redis.query::<usize>(redis::cmd("HLEN").arg(k))).unwrap_or(0)
    };
    wait_for("some receipts", Duration::from_secs(60), || stored(&redis) >= 3);
    redis.restart(Duration::from_secs(2));
    assert!(stored(&redis) >= 3, "the receipts survived the restart");
    assert_job_done(&redis, d, job, "job.json");
    let (u1, _) = worker_counts(&w1.stop());
    let (u2, _) = worker_counts(&w2.stop());
    assert!(u1 + u2 >= UNITS as u64);
}

/// A stream entry's fields as bytes.
type Fields = Vec<(&'static [u8], Vec<u8>)>;

#[test]
fn poison_tasks_are_dead_lettered_and_the_job_still_finishes() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    job_folder(d, &[1]);
    let redis = Redis::start(d, None);
    let vk = vk_id(d);
    let stream = format!("tp:tasks:{vk}");
    let id = "ab".repeat(32);
    let mut con = redis.connection().unwrap();
    redis::cmd("XGROUP")
        .arg("CREATE")
        .arg(&stream)
        .arg("provers")
        .arg("0")
        .arg("MKSTREAM")
        .query::<()>(&mut con)
        .unwrap();
    let xadd = |fields: &[(&[u8], &[u8])], con: &mut redis::Connection| {
        let mut cmd = redis::cmd("XADD");
        cmd.arg(&stream).arg("*");
        for (k, v) in fields {
            cmd.arg(*k).arg(*v);
        }
        cmd.query::<String>(con).unwrap();
    };
    let task = |unit: &str| -> Vec<(&'static [u8], Vec<u8>)> {
        vec![
            (b"v", b"1".to_vec()),
            (b"job", id.as_bytes().to_vec()),
            (b"unit", unit.as_bytes().to_vec()),
            (b"key", vk.as_bytes().to_vec()),
        ]
    };
    let poisons: Vec<(Fields, &str)> = vec![
        (vec![(b"garbage", b"x".to_vec())], "unknown field"),
        (vec![(&[0xff, 0xfe], b"x".to_vec())], "unknown field"),
        (
            vec![
                (b"v", b"9".to_vec()),
                (b"job", id.as_bytes().to_vec()),
                (b"unit", b"0".to_vec()),
                (b"key", vk.as_bytes().to_vec()),
            ],
            "version",
        ),
        (task("0"), "inputs (tp:job:"),
        (task("1"), "bytes, shorter than"),
        (task("2"), "for a Accumulate unit of tile 4"),
        (task("3"), "not TPU1"),
        (
            vec![
                (b"v", b"1".to_vec()),
                (b"job", id.as_bytes().to_vec()),
                (b"unit", b"4".to_vec()),
                (b"key", "cd".repeat(32).into_bytes()),
            ],
            "but its stream is key",
        ),
    ];
    // Inputs for units 1–3 of the fake job: too short, an accumulating unit's (on the
    // compute unit's stream), a wrong tag.
    let mut acc = b"TPU1\x01".to_vec();
    for x in [4u32, 0, 0, 1] {
        acc.extend_from_slice(&x.to_le_bytes());
    }
    acc.extend(std::iter::repeat_n(0u8, 6 * 16));
    for (unit, bytes) in [(1, b"TPU1".to_vec()), (2, acc), (3, [b"XXXX".as_slice(), &[0; 17 + 32]].concat())] {
        redis::cmd("SET").arg(format!("tp:job:{id}:in:{unit}")).arg(bytes).query::<()>(&mut con).unwrap();
    }
    for (fields, _) in &poisons {
        let f: Vec<(&[u8], &[u8])> = fields.iter().map(|(k, v)| (*k, v.as_slice())).collect();
        xadd(&f, &mut con);
    }
    let w1 = WorkerProc::start(&redis, d, "keys-1", "w1", &[]);
    let w2 = WorkerProc::start(&redis, d, "keys-1", "w2", &[]);
    assert_job_done(&redis, d, coordinator(&redis, d, "job.json"), "job.json");
    let dead: Vec<(String, Vec<(String, String)>)> = redis.query(redis::cmd("XRANGE").arg("tp:dead").arg("-").arg("+"));
    let reasons: Vec<String> =
        dead.iter().map(|(_, f)| f.iter().find(|(k, _)| k == "reason").unwrap().1.clone()).collect();
    assert_eq!(reasons.len(), poisons.len(), "{reasons:#?}");
    for (_, why) in &poisons {
        assert!(reasons.iter().any(|r| r.contains(why)), "no dead letter says {why:?}: {reasons:#?}");
    }
    // Nothing poison is left pending, and both workers lived through it.
    let pending: Vec<redis::Value> =
        redis.query(redis::cmd("XPENDING").arg(&stream).arg("provers").arg("-").arg("+").arg(10));
    assert!(pending.is_empty(), "{pending:?}");
    let status = String::from_utf8_lossy(&run(&["fleet", "status", "--fleet", &redis.url()], d).stdout).into_owned();
    assert!(status.contains(&format!("dead letters {}", poisons.len())), "{status}");
    let (u1, _) = worker_counts(&w1.stop());
    let (u2, _) = worker_counts(&w2.stop());
    assert_eq!(u1 + u2, UNITS as u64);
}

#[test]
fn a_task_delivered_twice_leaves_one_receipt() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    job_folder(d, &[1]);
    let redis = Redis::start(d, None);
    let stream = format!("tp:tasks:{}", vk_id(d));
    // The coordinator enqueues with no worker yet; then every compute-unit task is
    // added a second time, as a second delivery of the same task.
    let job = coordinator(&redis, d, "job.json");
    wait_for("the tasks", Duration::from_secs(60), || redis.query::<usize>(redis::cmd("XLEN").arg(&stream)) == 4);
    let entries: Vec<(String, Vec<(String, String)>)> =
        redis.query(redis::cmd("XRANGE").arg(&stream).arg("-").arg("+"));
    for (_, fields) in &entries {
        let mut cmd = redis::cmd("XADD");
        cmd.arg(&stream).arg("*");
        for (k, v) in fields {
            cmd.arg(k).arg(v);
        }
        redis.query::<String>(&cmd);
    }
    let w1 = WorkerProc::start(&redis, d, "keys-1", "w1", &[]);
    let w2 = WorkerProc::start(&redis, d, "keys-1", "w2", &[]);
    assert_job_done(&redis, d, job, "job.json");
    // The workers may still be on the last repeated tasks; wait for the streams to empty.
    wait_for("the repeats", Duration::from_secs(60), || redis.query::<usize>(redis::cmd("XLEN").arg(&stream)) == 0);
    let (u1, r1) = worker_counts(&w1.stop());
    let (u2, r2) = worker_counts(&w2.stop());
    assert_eq!(u1 + u2, UNITS as u64, "each unit stored once");
    assert!(r1 + r2 >= 1, "the repeats were recognised as repeats");
}

#[test]
fn a_worker_with_other_keys_takes_none_of_the_tasks() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    job_folder(d, &[1, 2]);
    let redis = Redis::start(d, None);
    let stranger = WorkerProc::start(&redis, d, "keys-2", "stranger", &[]);
    let job = coordinator(&redis, d, "job.json");
    std::thread::sleep(Duration::from_millis(1500));
    let right = WorkerProc::start(&redis, d, "keys-1", "right", &[]);
    assert_job_done(&redis, d, job, "job.json");
    let (units, _) = worker_counts(&stranger.stop());
    assert_eq!(units, 0);
    assert_eq!(worker_counts(&right.stop()).0, UNITS as u64);
}

#[test]
fn a_tls_fleet_with_a_private_ca() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    job_folder(d, &[1]);
    let redis = Redis::start_tls(d);
    let url = redis.url();
    // Without the CA the server's certificate is not trusted: a clear error.
    let o = run(&["fleet", "status", "--fleet", &url], d);
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    let ca = d.join("ca.pem");
    let ca = ca.to_str().unwrap();
    let worker = Command::new(BIN)
        .args(["worker", "--fleet", &url, "--fleet-ca", ca, "--keys", "keys-1", "--backend", "cpu", "--name", "tls"])
        .current_dir(d)
        .stderr(std::fs::File::create(d.join("tls.log")).unwrap())
        .spawn()
        .unwrap();
    let worker = WorkerProc { child: Some(worker), log: d.join("tls.log") };
    let o = run(&prove_args(&["--fleet", &url, "--fleet-ca", ca]), d);
    assert!(o.status.success(), "{o:?}");
    let v = run(&["job", "verify", "--keys", "keys-1", "job.json"], d);
    assert_eq!(v.status.code(), Some(0), "{v:?}");
    let status = run(&["fleet", "status", "--fleet", &url, "--fleet-ca", ca], d);
    assert!(String::from_utf8_lossy(&status.stdout).contains("workers      1 alive"), "{status:?}");
    assert_eq!(worker_counts(&worker.stop()).0, UNITS as u64);
}

#[test]
fn receipts_in_redis_that_do_not_verify_are_deleted_and_proven_again() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    job_folder(d, &[1]);
    let redis = Redis::start(d, None);
    // A first run, so that the job's id and a genuine receipt are known.
    let w = WorkerProc::start(&redis, d, "keys-1", "w1", &[]);
    let id = assert_job_done(&redis, d, coordinator(&redis, d, "job.json"), "job.json");
    let receipts = format!("tp:job:{id}:receipts");
    let genuine: String = redis.query(redis::cmd("HGET").arg(&receipts).arg(0));
    // A hostile or broken worker's leftovers: garbage, an oversized value, another
    // unit's genuine receipt, a receipt with its proof changed, and an empty value.
    let mut forged: serde_json::Value = serde_json::from_str(&genuine).unwrap();
    let proof = forged["proof"].as_str().unwrap().to_string();
    let flipped = if proof.ends_with('0') { "1" } else { "0" };
    forged["proof"] = serde_json::Value::String(format!("{}{flipped}", &proof[..proof.len() - 1]));
    for (unit, value) in [
        (0, "not json".to_string()),
        (1, "x".repeat(100_000)),
        (2, genuine.clone()),
        (3, forged.to_string()),
        (4, String::new()),
    ] {
        redis.query::<()>(redis::cmd("HSET").arg(&receipts).arg(unit).arg(value));
    }
    let o = coordinator(&redis, d, "job2.json").wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(o.status.success(), "{o:?}");
    assert!(
        stdout.contains("5 proven by the fleet, 7 already there") && stdout.contains("5 receipts rejected"),
        "{stdout}"
    );
    let v = run(&["job", "verify", "--keys", "keys-1", "job2.json"], d);
    assert_eq!(v.status.code(), Some(0), "{v:?}");
    assert_eq!(worker_counts(&w.stop()).0, UNITS as u64 + 5);
}

#[test]
fn sigterm_finishes_the_current_unit_before_the_worker_exits() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    job_folder(d, &[1]);
    let redis = Redis::start(d, None);
    let slow = WorkerProc::start(&redis, d, "keys-1", "slow", &["--min-unit-ms", "3000"]);
    let job = coordinator(&redis, d, "job.json");
    let stream = format!("tp:tasks:{}", vk_id(d));
    let pending = || redis.pending(&stream, None);
    wait_for("the slow worker to take a task", Duration::from_secs(60), || pending() == 1);
    let log = slow.stop();
    assert_eq!(worker_counts(&log).0, 1, "the unit in hand was finished: {log}");
    assert_eq!(pending(), 0, "and acknowledged");
    let rest = WorkerProc::start(&redis, d, "keys-1", "rest", &[]);
    assert_job_done(&redis, d, job, "job.json");
    assert_eq!(worker_counts(&rest.stop()).0, UNITS as u64 - 1);
}

#[test]
fn a_task_that_outlives_its_deliveries_is_dead_lettered_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    job_folder(d, &[1]);
    let redis = Redis::start(d, None);
    let vk = vk_id(d);
    let stream = format!("tp:tasks:{vk}");
    // A well-formed task of a job no coordinator waits for: a CU-4 compute unit.
    let job = "cd".repeat(32);
    let mut inputs = b"TPU1\x00".to_vec();
    for x in [4u32, 0, 0, 0] {
        inputs.extend_from_slice(&x.to_le_bytes());
    }
    inputs.extend((0..32).map(|x| x as u8));
    let mut con = redis.connection().unwrap();
    redis::cmd("SET").arg(format!("tp:job:{job}:in:0")).arg(inputs).query::<()>(&mut con).unwrap();
    redis::cmd("XGROUP")
        .arg("CREATE")
        .arg(&stream)
        .arg("provers")
        .arg("0")
        .arg("MKSTREAM")
        .query::<()>(&mut con)
        .unwrap();
    redis::cmd("XADD")
        .arg(&stream)
        .arg("*")
        .arg("v")
        .arg("1")
        .arg("job")
        .arg(&job)
        .arg("unit")
        .arg(0)
        .arg("key")
        .arg(&vk)
        .query::<String>(&mut con)
        .unwrap();
    // Its first worker dies on it; the second delivery is one more than allowed.
    let args = ["--lease-secs", "1", "--max-deliveries", "1", "--min-unit-ms", "20000"];
    let mut victim = WorkerProc::start(&redis, d, "keys-1", "victim", &args);
    let pending = || redis.pending(&stream, None);
    wait_for("the victim to take the task", Duration::from_secs(60), || pending() == 1);
    victim.kill9();
    let next = WorkerProc::start(&redis, d, "keys-1", "next", &["--lease-secs", "1", "--max-deliveries", "1"]);
    wait_for("the dead letter", Duration::from_secs(60), || {
        redis.query::<usize>(redis::cmd("XLEN").arg("tp:dead")) == 1
    });
    let dead: Vec<(String, Vec<(String, String)>)> = redis.query(redis::cmd("XRANGE").arg("tp:dead").arg("-").arg("+"));
    let field = |k: &str| dead[0].1.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap();
    assert!(field("reason").contains("delivered 2 times without a result"), "{dead:?}");
    assert_eq!((field("job"), field("unit"), field("deliveries")), (job.clone(), "0".into(), "2".into()));
    assert_eq!(pending(), 0);
    let receipts: usize = redis.query(redis::cmd("HLEN").arg(format!("tp:job:{job}:receipts")));
    assert_eq!(receipts, 0, "no receipt for a dead-lettered task");
    assert_eq!(worker_counts(&next.stop()), (0, 0));
}

#[test]
fn a_unit_of_the_job_dead_lettered_stops_the_coordinator_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    job_folder(d, &[1]);
    let redis = Redis::start(d, None);
    let stream = format!("tp:tasks:{}", vk_id(d));
    let job = coordinator(&redis, d, "job.json");
    wait_for("the tasks", Duration::from_secs(60), || redis.query::<usize>(redis::cmd("XLEN").arg(&stream)) == 4);
    // Damage the inputs of the job's first unit, as a faulty server or operator might.
    let keys: Vec<String> = redis.query(redis::cmd("KEYS").arg("tp:job:*:in:0"));
    assert_eq!(keys.len(), 1, "{keys:?}");
    redis.query::<()>(redis::cmd("SET").arg(&keys[0]).arg("TPU1 damaged"));
    let w = WorkerProc::start(&redis, d, "keys-1", "w1", &[]);
    let o = job.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("unit (0, 0, 0) of the job was dead-lettered") && stderr.contains("header"), "{stderr}");
    assert!(!d.join("job.json").exists(), "no job receipt is written");
    drop(w);
}

#[test]
fn a_coordinator_with_no_workers_gives_up_when_told_to() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    job_folder(d, &[1]);
    let redis = Redis::start(d, None);
    let o = run(&prove_args(&["--fleet", &redis.url(), "--give-up-after", "2"]), d);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("no unit finished for 2 s (0 workers alive") && stderr.contains("0 of 12 units"),
        "{stderr}"
    );
}
