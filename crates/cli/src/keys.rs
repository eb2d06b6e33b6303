//! `teraproof keys split`: a key folder cut into what a verifier needs and what a
//! prover needs.
//!
//! A marketplace's verifier should never hold (or ship) the proving key: it is large
//! and of no use to it. The verifier bundle is `keys.json` and `verifying_key.bin` (and
//! the accumulating unit's, in `accumulate/`); the prover bundle is the whole folder.
//! Every file is checked before it is copied (the manifest and verifying key as the
//! verifier loads them, the proving key against the manifest's SHA-256 while it is
//! copied), and each bundle is loaded back after writing.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use clap::Subcommand;
use sha2::{Digest, Sha256};
use teraproof_verifier::key::{read_manifest, MANIFEST_FILE, PROVING_KEY_FILE, VERIFYING_KEY_FILE};
use teraproof_verifier::{UnitVerifyingKey, ACCUMULATE_KEYS_DIR};

use crate::{read_capped, write_bytes};

#[derive(Subcommand)]
pub enum KeysCommand {
    /// Split a key folder into a verifier bundle (no proving key) and a prover bundle.
    Split {
        /// the key folder from `teraproof setup`
        keys: PathBuf,
        /// where to write the verifier bundle: keys.json and verifying_key.bin (and
        /// accumulate/ likewise)
        #[arg(long)]
        verifier_out: Option<PathBuf>,
        /// where to write the prover bundle: the whole folder, its proving key checked
        #[arg(long)]
        prover_out: Option<PathBuf>,
        /// replace keys already in the output folders
        #[arg(long)]
        force: bool,
    },
}

pub fn run(command: KeysCommand) -> Result<()> {
    match command {
        KeysCommand::Split { keys, verifier_out, prover_out, force } => {
            split(&keys, verifier_out.as_deref(), prover_out.as_deref(), force)
        }
    }
}

/// The folders of a key folder: itself and, when present, its accumulating unit's.
fn unit_folders(keys: &Path) -> Vec<(PathBuf, PathBuf)> {
    let mut folders = vec![(keys.to_path_buf(), PathBuf::new())];
    let acc = keys.join(ACCUMULATE_KEYS_DIR);
    if acc.join(MANIFEST_FILE).is_file() {
        folders.push((acc, PathBuf::from(ACCUMULATE_KEYS_DIR)));
    }
    folders
}

fn split(keys: &Path, verifier_out: Option<&Path>, prover_out: Option<&Path>, force: bool) -> Result<()> {
    if verifier_out.is_none() && prover_out.is_none() {
        bail!("give --verifier-out, --prover-out or both");
    }
    if keys.join(teraproof_prover::sumcheck::srs::SRS_KEY_FILE).exists() {
        bail!(
            "{} holds a sumcheck SRS, which has no secret part: srs.json alone verifies receipts, and \
             srs-g1.bin is needed to check a buyer's matrices; copy what you need",
            keys.display()
        );
    }
    if !keys.join(MANIFEST_FILE).is_file() {
        bail!("{} is not a key folder (no {MANIFEST_FILE})", keys.display());
    }
    let source = keys.canonicalize().with_context(|| format!("cannot read {}", keys.display()))?;
    let outs: Vec<&Path> = verifier_out.into_iter().chain(prover_out).collect();
    for (i, out) in outs.iter().enumerate() {
        if out.join(MANIFEST_FILE).exists() && !force {
            bail!("{} already holds keys; pass --force to replace them", out.display());
        }
        std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
        let resolved = out.canonicalize().with_context(|| format!("cannot create {}", out.display()))?;
        if resolved.starts_with(&source) || source.starts_with(&resolved) {
            bail!("{} is the key folder or inside it (or holds it); split into other folders", out.display());
        }
        if outs[..i]
            .iter()
            .any(|o| o.canonicalize().is_ok_and(|o| o.starts_with(&resolved) || resolved.starts_with(&o)))
        {
            bail!("--verifier-out and --prover-out are the same folder, or one is inside the other");
        }
    }
    // A verifier bundle whose source has no accumulating unit keeps none from before.
    if let Some(v) = verifier_out {
        if unit_folders(keys).len() == 1 {
            let stale = v.join(ACCUMULATE_KEYS_DIR);
            if stale.join(MANIFEST_FILE).is_file() {
                std::fs::remove_dir_all(&stale).with_context(|| format!("cannot remove {}", stale.display()))?;
            }
        }
    }
    for (folder, sub) in unit_folders(keys) {
        // Checked as a verifier loads it: manifest format and marks, vk bytes and id.
        let key = UnitVerifyingKey::load(&folder)
            .with_context(|| format!("cannot load the verifying key in {}", folder.display()))?;
        crate::check_circuit(&folder)?;
        let manifest_bytes =
            read_capped(&folder.join(MANIFEST_FILE), teraproof_verifier::key::MAX_KEY_FILE_BYTES, "keys.json")
                .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", folder.join(MANIFEST_FILE).display()))?;
        let vk_bytes =
            read_capped(&folder.join(VERIFYING_KEY_FILE), teraproof_verifier::key::MAX_KEY_FILE_BYTES, "verifying key")
                .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", folder.join(VERIFYING_KEY_FILE).display()))?;
        for out in &outs {
            let dir = out.join(&sub);
            // A stale proving key from an earlier bundle must not stay in a verifier's.
            if Some(*out) == verifier_out {
                remove_if_present(&dir.join(PROVING_KEY_FILE))?;
            }
            write_bytes(&dir.join(VERIFYING_KEY_FILE), &vk_bytes)?;
        }
        if let Some(out) = prover_out {
            let manifest = read_manifest(&folder)?;
            let want = manifest
                .proving_key_sha256
                .with_context(|| format!("{} has no proving_key_sha256", folder.join(MANIFEST_FILE).display()))?;
            copy_checked(&folder.join(PROVING_KEY_FILE), &out.join(&sub).join(PROVING_KEY_FILE), &want)?;
        }
        // The manifest last: a folder is a bundle once its keys.json is there.
        for out in &outs {
            write_bytes(&out.join(&sub).join(MANIFEST_FILE), &manifest_bytes)?;
        }
        if let Some(out) = verifier_out {
            let back = UnitVerifyingKey::load(&out.join(&sub))?;
            anyhow::ensure!(back.id() == key.id(), "the verifier bundle does not load back as the same key");
            println!("verifier {} ({}, vk id {})", out.join(&sub).display(), key.unit_id(), key.id());
        }
        if let Some(out) = prover_out {
            println!("prover   {} ({}, proving key checked)", out.join(&sub).display(), key.unit_id());
        }
    }
    Ok(())
}

fn remove_if_present(path: &Path) -> Result<()> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e).with_context(|| format!("cannot remove {}", path.display())),
    }
}

/// Copies `from` to `to` through SHA-256 (in one pass, never the whole key in memory),
/// into a temporary file renamed into place only when the hash is `want`.
fn copy_checked(from: &Path, to: &Path, want: &str) -> Result<()> {
    let parent = to.parent().context("an output file has a folder")?;
    std::fs::create_dir_all(parent).with_context(|| format!("cannot create {}", parent.display()))?;
    let mut input = std::fs::File::open(from).with_context(|| format!("cannot read {}", from.display()))?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".teraproof-")
        .suffix(".tmp")
        .tempfile_in(parent)
        .with_context(|| format!("cannot write in {}", parent.display()))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = input.read(&mut buf).with_context(|| format!("cannot read {}", from.display()))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        tmp.write_all(&buf[..n]).with_context(|| format!("cannot write {}", to.display()))?;
    }
    let got = teraproof_core::receipt::encode_hex(&hasher.finalize());
    if got != want {
        bail!("{} is corrupt: its SHA-256 is {got}, keys.json says {want}; nothing copied", from.display());
    }
    tmp.as_file().sync_all().with_context(|| format!("cannot write {}", to.display()))?;
    tmp.persist(to).map_err(|e| anyhow::anyhow!("cannot write {}: {}", to.display(), e.error))?;
    Ok(())
}
