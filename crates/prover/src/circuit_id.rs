//! Circuit ids on load: is a key folder made for the circuit this build proves?
//!
//! A key's `keys.json` names the constraint system it was made for by its circuit id
//! (`teraproof_circuits::r1cs`); [`check_manifest`] recomputes this build's id for the
//! unit and refuses a key whose id differs, such as one made for a withdrawn circuit
//! whose format string was edited. Computing an id synthesises the circuit (about 1 s
//! for CU-64 and 4 s for CU-128 on 2 cores), so ids are remembered in the process and
//! on disk, in `circuit-ids/` under the cache folder (`TERAPROOF_CACHE`, else
//! `$XDG_CACHE_HOME/teraproof`, else `~/.cache/teraproof`). A disk entry is keyed by the
//! running program's path, size and modification time, so a rebuilt program (whose
//! circuit may have changed) does not read an id an earlier build wrote (unless the
//! rebuild keeps all three, as a build with pinned mtimes can: then remove the cache).
//! Circuits under 50 000 constraints are never cached on disk. The id is a label
//! against honest mistakes (an old key folder): anyone who can edit keys.json can edit
//! it too; what binds a key is the vk id a relying party pins.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Mutex;

use sha2::{Digest, Sha256};
use teraproof_core::{UnitKind, UnitSpec};
use teraproof_verifier::KeyManifest;

use crate::error::{ProverError, Result};

/// Circuits from this many constraints (about 0.5 s to synthesise) keep their id on disk.
const DISK_CACHE_FROM_CONSTRAINTS: usize = 50_000;

/// Ids computed in this process, by unit id.
static MEMO: Mutex<BTreeMap<String, String>> = Mutex::new(BTreeMap::new());

/// This build's circuit id for the unit `kind` of `spec`.
pub fn expected(kind: UnitKind, spec: &UnitSpec) -> Result<String> {
    let unit = kind.unit_id(spec);
    if let Some(id) = MEMO.lock().unwrap_or_else(|e| e.into_inner()).get(&unit) {
        return Ok(id.clone());
    }
    // Small circuits synthesise in milliseconds: only large ones use the disk cache.
    let file = if crate::constraints_of(kind, spec)? >= DISK_CACHE_FROM_CONSTRAINTS { disk_entry(&unit) } else { None };
    let cached = file
        .as_ref()
        .and_then(|f| std::fs::read_to_string(f).ok())
        .map(|t| t.trim().to_string())
        .filter(|t| t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit()));
    let id = match cached {
        Some(id) => id,
        None => {
            let id = teraproof_circuits::circuit_id(kind, spec)?;
            if let Some(f) = &file {
                // Best effort: a cache that cannot be written only costs time.
                if let Some(dir) = f.parent() {
                    let _ = std::fs::create_dir_all(dir);
                }
                let tmp = f.with_extension(format!("tmp{}", std::process::id()));
                if std::fs::write(&tmp, &id).is_ok() {
                    let _ = std::fs::rename(&tmp, f);
                }
            }
            id
        }
    };
    MEMO.lock().unwrap_or_else(|e| e.into_inner()).insert(unit, id.clone());
    Ok(id)
}

/// Refuses a manifest whose circuit id is not this build's for its unit.
pub fn check_manifest(manifest: &KeyManifest) -> Result<()> {
    let (kind, spec) =
        UnitKind::parse_unit_id(&manifest.unit).map_err(|e| ProverError::KeyFile(format!("keys.json: {e}")))?;
    let want = expected(kind, &spec)?;
    if manifest.circuit_id != want {
        return Err(ProverError::KeyFile(format!(
            "keys.json says these keys are for circuit {}, but this build's circuit for {} is {want}: keys for \
             another (perhaps withdrawn) circuit; make new keys with `teraproof setup`",
            manifest.circuit_id, manifest.unit
        )));
    }
    Ok(())
}

/// Where the disk cache keeps `unit`'s id for the running program, if anywhere.
fn disk_entry(unit: &str) -> Option<PathBuf> {
    let root = std::env::var_os("TERAPROOF_CACHE")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("XDG_CACHE_HOME").filter(|v| !v.is_empty()).map(|d| PathBuf::from(d).join("teraproof"))
        })
        .or_else(|| {
            std::env::var_os("HOME").filter(|v| !v.is_empty()).map(|h| PathBuf::from(h).join(".cache/teraproof"))
        })?;
    let exe = std::env::current_exe().ok()?;
    let meta = std::fs::metadata(&exe).ok()?;
    let modified = meta.modified().ok()?.duration_since(std::time::UNIX_EPOCH).ok()?;
    let mut h = Sha256::new();
    h.update(exe.as_os_str().as_encoded_bytes());
    h.update(meta.len().to_le_bytes());
    h.update(modified.as_nanos().to_le_bytes());
    let build = teraproof_core::receipt::encode_hex(&h.finalize()[..12]);
    Some(root.join("circuit-ids").join(build).join(unit))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manifest_of_another_circuit_is_refused() {
        let spec: UnitSpec = "mm-i8-2x2x2".parse().unwrap();
        let keys = crate::setup_dev(spec, 1).unwrap();
        let mut manifest = keys.manifest().clone();
        assert_eq!(manifest.circuit_id, teraproof_circuits::circuit_id(UnitKind::Product, &spec).unwrap());
        check_manifest(&manifest).unwrap();
        // The accumulating unit of the same shape is another circuit.
        manifest.circuit_id = expected(UnitKind::Accumulate, &spec).unwrap();
        let e = check_manifest(&manifest).unwrap_err().to_string();
        assert!(e.contains("another (perhaps withdrawn) circuit"), "{e}");
    }
}
