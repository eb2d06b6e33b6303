//! Files in and out: capped reads, atomic writes, and the guard that keeps outputs off
//! the inputs and the keys (DESIGN §6). `-` stands for stdin or stdout where one file
//! is read or written.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use teraproof_core::Matrix;

/// The most a unit receipt file may hold (a receipt is about 1 KB).
pub(crate) const RECEIPT_CAP: u64 = 64 << 10;
/// The most a job receipt file may hold (about a million unit receipts).
pub(crate) const JOB_RECEIPT_CAP: u64 = 1 << 30;
/// The most a matrix JSON file may hold (larger matrices go in .npy files, whose
/// reading is bounded by their data).
pub(crate) const MATRIX_JSON_CAP: u64 = 1 << 30;

/// "64 KiB", "1 GiB".
fn human_bytes(n: u64) -> String {
    match n {
        n if n >= 1 << 30 && n % (1 << 30) == 0 => format!("{} GiB", n >> 30),
        n if n >= 1 << 20 && n % (1 << 20) == 0 => format!("{} MiB", n >> 20),
        n if n >= 1 << 10 && n % (1 << 10) == 0 => format!("{} KiB", n >> 10),
        n => format!("{n} bytes"),
    }
}

/// Why a capped read stopped.
#[derive(Debug)]
pub(crate) enum ReadError {
    /// the file could not be opened or read
    Io(std::io::Error),
    /// the file holds more than the cap for its kind
    TooLarge { cap: u64, what: &'static str },
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::Io(e) => write!(f, "{e}"),
            ReadError::TooLarge { cap, what } => {
                write!(f, "it holds more than {}, the most a {what} may; not read further", human_bytes(*cap))
            }
        }
    }
}

/// Reads at most `cap` bytes of `path` (a `what`), refusing a file that holds more:
/// `verify /dev/zero` stops at the cap instead of reading until memory runs out.
pub(crate) fn read_capped(path: &Path, cap: u64, what: &'static str) -> std::result::Result<Vec<u8>, ReadError> {
    use std::io::Read;
    let mut bytes = Vec::new();
    open(path).map_err(ReadError::Io)?.take(cap + 1).read_to_end(&mut bytes).map_err(ReadError::Io)?;
    if bytes.len() as u64 > cap {
        return Err(ReadError::TooLarge { cap, what });
    }
    Ok(bytes)
}

/// Whether `path` is `-`, which stands for stdin where a file is read and stdout where
/// one is written.
pub(crate) fn is_std(path: &Path) -> bool {
    path.as_os_str() == "-"
}

/// `path` opened for reading, or stdin for `-`.
fn open(path: &Path) -> std::io::Result<Box<dyn std::io::Read>> {
    if is_std(path) {
        return Ok(Box::new(std::io::stdin().lock()));
    }
    Ok(Box::new(std::fs::File::open(path)?))
}

/// Refuses `-` for more than one of `inputs`: stdin holds one file.
pub(crate) fn stdin_at_most_once(inputs: &[&Path]) -> Result<()> {
    if inputs.iter().filter(|p| is_std(p)).count() > 1 {
        bail!("`-` (stdin) can stand for only one of the files read");
    }
    Ok(())
}

/// How an output is named in a summary line: its path, or `stdout` for `-`.
pub(crate) fn output_name(path: &Path) -> String {
    if is_std(path) {
        "stdout".into()
    } else {
        path.display().to_string()
    }
}

/// Prints a command's summary line on stdout, or on stderr when stdout carries one of
/// its outputs (`--out -`), so that what a pipe receives is the file alone.
pub(crate) fn say(outputs: &[&Path], line: impl std::fmt::Display) {
    if outputs.iter().any(|p| is_std(p)) {
        eprintln!("{line}");
    } else {
        println!("{line}");
    }
}

/// A receipt file as text, capped.
pub(crate) fn read(path: &Path) -> Result<String> {
    let bytes = read_capped(path, RECEIPT_CAP, "receipt")
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
    String::from_utf8(bytes).map_err(|_| anyhow::anyhow!("{} is not UTF-8 text", path.display()))
}

/// Writes `text` to `path` atomically (see [`write_bytes`]), ending a JSON file with a
/// newline as text files should.
pub(crate) fn write(path: &Path, text: &str) -> Result<()> {
    if (is_std(path) || path.extension().is_some_and(|e| e == "json")) && !text.ends_with('\n') {
        return write_bytes(path, format!("{text}\n").as_bytes());
    }
    write_bytes(path, text.as_bytes())
}

/// Writes `bytes` to a temporary file beside `path` and renames it into place: a failed
/// write (a full disk) leaves no half-made file, and a symbolic or hard link at `path`
/// is replaced, never written through, so the file it pointed to is untouched. The
/// folder is made when missing.
pub(crate) fn write_bytes(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    if is_std(path) {
        let mut out = std::io::stdout().lock();
        return out.write_all(bytes).and_then(|()| out.flush()).context("cannot write to stdout");
    }
    let parent = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).with_context(|| format!("cannot create {}", parent.display()))?;
    let failed = |e: std::io::Error| anyhow::anyhow!("cannot write {}: {e}", path.display());
    // A fresh file of a random name, created exclusively: nothing already there (a
    // link planted at a guessable name) is ever written through.
    let mut tmp = tempfile::Builder::new().prefix(".teraproof-").suffix(".tmp").tempfile_in(parent).map_err(failed)?;
    tmp.write_all(bytes).map_err(failed)?;
    // The file replaced keeps its permissions (a receipt kept 0600 stays 0600).
    if let Some(old) = std::fs::metadata(path).ok().filter(|m| m.is_file()) {
        let _ = tmp.as_file().set_permissions(old.permissions());
    }
    // On disk before the rename, so that a crash leaves the old file or the new one.
    tmp.as_file().sync_all().map_err(failed)?;
    tmp.persist(path).map_err(|e| failed(e.error))?;
    Ok(())
}

/// Makes the folders outputs go in (as writing them would), so that they can be checked.
pub(crate) fn make_output_folders(outputs: &[&Path]) -> Result<()> {
    for path in outputs.iter().filter(|p| !is_std(p)) {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).with_context(|| format!("cannot create {}", parent.display()))?;
        }
    }
    Ok(())
}

/// A matrix file: `.npy` (recognised by its magic bytes, read as a stream) or matrix
/// JSON.
pub(crate) fn read_matrix<T: teraproof_core::npy::NpyElement>(path: &Path) -> Result<Matrix<T>> {
    use std::io::Read;
    let file = open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut reader = std::io::BufReader::with_capacity(1 << 20, file);
    let mut magic = Vec::with_capacity(6);
    (&mut reader).take(6).read_to_end(&mut magic).with_context(|| format!("cannot read {}", path.display()))?;
    let invalid = || format!("{} is not a valid {} matrix", path.display(), T::DTYPE);
    if magic == teraproof_core::npy::NPY_MAGIC {
        return Matrix::<T>::from_npy(std::io::Cursor::new(magic).chain(reader)).with_context(invalid);
    }
    let mut bytes = magic;
    (&mut reader)
        .take(MATRIX_JSON_CAP + 1)
        .read_to_end(&mut bytes)
        .with_context(|| format!("cannot read {}", path.display()))?;
    if bytes.len() as u64 > MATRIX_JSON_CAP {
        bail!(
            "cannot read {}: {}; save large matrices as .npy",
            path.display(),
            ReadError::TooLarge { cap: MATRIX_JSON_CAP, what: "matrix JSON file" }
        );
    }
    let text =
        String::from_utf8(bytes).map_err(|_| anyhow::anyhow!("{} is neither .npy nor JSON text", path.display()))?;
    Matrix::<T>::from_json(&text).with_context(invalid)
}

/// Writes a matrix as `.npy` when the file name ends in `.npy`, else as matrix JSON.
pub(crate) fn write_matrix<T: teraproof_core::npy::NpyElement>(path: &Path, matrix: &Matrix<T>) -> Result<()> {
    if path.extension().is_some_and(|e| e == "npy") {
        let mut bytes = Vec::new();
        matrix.write_npy(&mut bytes)?;
        write_bytes(path, &bytes)
    } else {
        write(path, &matrix.to_json())
    }
}

/// Refuses, before any work, outputs that would overwrite each other, an input or
/// anything in the key directory, and outputs whose folder does not exist.
pub(crate) fn check_outputs(outputs: &[&Path], inputs: &[&Path], keys: Option<&Path>) -> Result<()> {
    stdin_at_most_once(inputs)?;
    // A path as it will be written: its folder resolved, its file name kept.
    let resolved = |path: &Path| -> Result<PathBuf> {
        let name = path.file_name().with_context(|| format!("{} is not a file path", path.display()))?;
        let folder = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        let folder = folder
            .canonicalize()
            .with_context(|| format!("cannot write {}: no folder {}", path.display(), folder.display()))?;
        Ok(folder.join(name))
    };
    let keys = keys.and_then(|k| k.canonicalize().ok());
    let inputs: Vec<PathBuf> = inputs.iter().filter_map(|p| p.canonicalize().ok()).collect();
    // The inputs and the key files by what they are on disk, so that a hard link or a
    // symbolic link to one of them is recognised whatever its name.
    let mut protected: Vec<(u64, u64)> = inputs.iter().filter_map(|p| file_id(p)).collect();
    if let Some(k) = &keys {
        if let Ok(entries) = std::fs::read_dir(k) {
            protected.extend(entries.flatten().filter_map(|e| file_id(&e.path())));
        }
        protected.extend(file_id(&k.join(teraproof_verifier::ACCUMULATE_KEYS_DIR)));
        if let Ok(entries) = std::fs::read_dir(k.join(teraproof_verifier::ACCUMULATE_KEYS_DIR)) {
            protected.extend(entries.flatten().filter_map(|e| file_id(&e.path())));
        }
    }
    if outputs.iter().filter(|p| is_std(p)).count() > 1 {
        bail!("`-` (stdout) can stand for only one of the files written");
    }
    let mut seen = Vec::new();
    for output in outputs.iter().filter(|p| !is_std(p)) {
        let target = resolved(output)?;
        if target.is_dir() {
            bail!("cannot write {}: it is a folder", output.display());
        }
        if let Ok(meta) = std::fs::metadata(&target) {
            if !meta.is_file() {
                bail!("cannot write {}: it is not a regular file (a device, a pipe)", output.display());
            }
        }
        if seen.contains(&target) {
            bail!("two outputs would both be written to {}", output.display());
        }
        let inside_keys = |p: &Path| keys.as_ref().is_some_and(|k| p.starts_with(k));
        if inside_keys(&target) || target.canonicalize().is_ok_and(|t| inside_keys(&t)) {
            bail!("refusing to write {} inside the key directory", output.display());
        }
        let linked = file_id(&target).is_some_and(|id| protected.contains(&id));
        if inputs.contains(&target) || linked {
            bail!("refusing to overwrite the input {} with an output (or a link to one)", output.display());
        }
        seen.push(target);
    }
    Ok(())
}

/// (device, inode) of what `path` resolves to, where the platform has them.
fn file_id(path: &Path) -> Option<(u64, u64)> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}
