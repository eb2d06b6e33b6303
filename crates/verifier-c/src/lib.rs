//! # teraproof-verifier-c
//!
//! The C ABI of [`teraproof_verifier`]: a shared library (`libteraproof_verifier_c.so`)
//! and the header `include/teraproof.h`, for marketplaces written in C, Go (cgo),
//! Python (ctypes) or anything else that can call C.
//!
//! Errors cross the boundary as a [`TpStatus`] code plus a message copied into a
//! caller-owned buffer; panics never unwind into C (each entry point catches them and
//! returns [`TpStatus::Internal`]).
//!
//! This crate and `teraproof-gpu` are the only ones with `unsafe`: a C ABI has to read
//! the raw pointers C hands it. Every block states what the caller guarantees (the
//! contract is written in the header) and why that makes the access sound.
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs)]

use std::ffi::{c_char, CStr};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

use teraproof_core::{Element, JobReceipt, Matrix, Receipt};
use teraproof_verifier::sumcheck::commit::{check_data, powers_from_bytes, G1_POWER_BYTES};
use teraproof_verifier::sumcheck::SrsKey;
use teraproof_verifier::{JobVerifier, KeyManifest, Keyring, UnitVerifyingKey, Verifier, VerifyError};

/// Status codes, as `tp_status` in the header.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TpStatus {
    /// success
    Ok = 0,
    /// a NULL pointer, text that is not UTF-8, or (`tp_verify_job`) an A or B that does
    /// not parse or has the wrong dtype
    InvalidArgument = 1,
    /// the key directory, manifest or key bytes are unusable
    BadKey = 2,
    /// not a receipt: bad JSON, fields, hex or length
    MalformedReceipt = 3,
    /// a receipt version this build does not read
    UnsupportedVersion = 4,
    /// a digest that is not a canonical field element
    NonCanonicalInput = 5,
    /// a proof point off its curve or outside the prime-order subgroup
    InvalidProofPoint = 6,
    /// the receipt was made for another key or unit
    WrongKey = 7,
    /// well formed, but the pairing check fails
    ProofRejected = 8,
    /// a caught panic: a bug in teraproof
    Internal = 9,
    /// a valid receipt, but about other matrices than the ones given, or a supplier's
    /// C that is not an int32 matrix (`tp_verify_job`)
    DataMismatch = 10,
    /// a job receipt whose units do not make up its job: a unit missing, repeated,
    /// reordered or foreign, a broken chain, a tile digest or shape that does not fit
    BadJob = 11,
}

impl From<&VerifyError> for TpStatus {
    fn from(e: &VerifyError) -> Self {
        match e {
            VerifyError::MalformedReceipt(_) | VerifyError::BadProofEncoding(_) => TpStatus::MalformedReceipt,
            VerifyError::UnsupportedVersion { .. } => TpStatus::UnsupportedVersion,
            VerifyError::NonCanonicalInput { .. } => TpStatus::NonCanonicalInput,
            VerifyError::InvalidProofPoint { .. } => TpStatus::InvalidProofPoint,
            VerifyError::WrongVerifyingKey { .. }
            | VerifyError::UnknownKey { .. }
            | VerifyError::UnitMismatch { .. }
            | VerifyError::OpsMismatch { .. }
            | VerifyError::JobKeyMismatch(_)
            | VerifyError::InsecureFlagMismatch { .. }
            | VerifyError::WrongInputCount { .. } => TpStatus::WrongKey,
            VerifyError::ProofRejected
            | VerifyError::BatchFailed { .. }
            | VerifyError::UnitsRejected { .. }
            | VerifyError::SumcheckRound { .. }
            | VerifyError::SumcheckFinal
            | VerifyError::OpeningFold { .. }
            | VerifyError::OpeningRejected => TpStatus::ProofRejected,
            VerifyError::JobShapeMismatch(_)
            | VerifyError::MissingUnit { .. }
            | VerifyError::NotThisUnit { .. }
            | VerifyError::RepeatedUnit { .. }
            | VerifyError::ReorderedUnit { .. }
            | VerifyError::ForeignUnit { .. }
            | VerifyError::BrokenChain { .. }
            | VerifyError::ChainNotFromZero { .. }
            | VerifyError::TileDigestMismatch { .. } => TpStatus::BadJob,
            VerifyError::OutputMismatch { .. }
            | VerifyError::InputMismatch { .. }
            | VerifyError::DataShapeMismatch(_)
            | VerifyError::CommitmentMismatch { .. } => TpStatus::DataMismatch,
            VerifyError::BadKey(_) => TpStatus::BadKey,
        }
    }
}

/// The opaque `tp_verifier`: the verifier and its unit id as a C string.
pub struct TpVerifier {
    verifier: Verifier,
    unit: std::ffi::CString,
}

/// A failure on its way to C.
struct Failure(TpStatus, String);

impl From<VerifyError> for Failure {
    fn from(e: VerifyError) -> Self {
        Failure(TpStatus::from(&e), e.to_string())
    }
}

/// Copies `message` into `err` (truncated, NUL-terminated), when `err` is usable.
///
/// # Safety
/// `err` is NULL or points to `err_len` writable bytes.
unsafe fn write_message(err: *mut c_char, err_len: usize, message: &str) {
    if err.is_null() || err_len == 0 {
        return;
    }
    // Cut at a character boundary, so a truncated message is still UTF-8 for callers
    // (Python, Go) that decode it.
    let mut n = message.len().min(err_len - 1);
    while !message.is_char_boundary(n) {
        n -= 1;
    }
    // SAFETY: the caller guarantees `err` points to `err_len` writable bytes, and we
    // write `n + 1 ≤ err_len` of them; `message` is a distinct Rust allocation, so the
    // regions cannot overlap.
    unsafe {
        std::ptr::copy_nonoverlapping(message.as_ptr(), err.cast::<u8>(), n);
        *err.add(n) = 0;
    }
}

/// Runs `body`, turning errors and panics into a status and a message.
///
/// # Safety
/// `err` is NULL or points to `err_len` writable bytes.
unsafe fn guarded(err: *mut c_char, err_len: usize, body: impl FnOnce() -> Result<(), Failure>) -> TpStatus {
    let outcome = catch_unwind(AssertUnwindSafe(body))
        .unwrap_or_else(|_| Err(Failure(TpStatus::Internal, "internal error (panic); please report it".into())));
    match outcome {
        Ok(()) => {
            // SAFETY: forwarded from this function's contract.
            unsafe { write_message(err, err_len, "") };
            TpStatus::Ok
        }
        Err(Failure(status, message)) => {
            // SAFETY: forwarded from this function's contract.
            unsafe { write_message(err, err_len, &message) };
            status
        }
    }
}

/// Borrows a NUL-terminated UTF-8 string from C.
///
/// # Safety
/// `ptr` is NULL or points to a NUL-terminated string that outlives `'a`.
unsafe fn text<'a>(ptr: *const c_char, what: &str) -> Result<&'a str, Failure> {
    if ptr.is_null() {
        return Err(Failure(TpStatus::InvalidArgument, format!("{what} is NULL")));
    }
    // SAFETY: non-NULL, and the caller guarantees NUL termination and lifetime.
    let c = unsafe { CStr::from_ptr(ptr) };
    c.to_str().map_err(|_| Failure(TpStatus::InvalidArgument, format!("{what} is not UTF-8")))
}

/// Sets `*out` to NULL, so that a caller who frees it after a failure frees nothing.
///
/// # Safety
/// `out` is NULL or points to a writable `tp_verifier *`.
unsafe fn clear(out: *mut *mut TpVerifier) {
    if !out.is_null() {
        // SAFETY: non-NULL and, by the caller's contract, writable.
        unsafe { *out = std::ptr::null_mut() };
    }
}

/// Hands a verifier to C through `out`.
///
/// # Safety
/// `out` is NULL or points to a writable `tp_verifier *`.
unsafe fn publish(out: *mut *mut TpVerifier, key: UnitVerifyingKey) -> Result<(), Failure> {
    if out.is_null() {
        return Err(Failure(TpStatus::InvalidArgument, "out is NULL".into()));
    }
    let unit = std::ffi::CString::new(key.unit().to_string()).expect("unit ids contain no NUL");
    let boxed = Box::new(TpVerifier { verifier: Verifier::new(key), unit });
    // SAFETY: `out` is non-NULL and, by the caller's contract, writable.
    unsafe { *out = Box::into_raw(boxed) };
    Ok(())
}

/// Borrows the verifier behind a handle C passed in.
///
/// # Safety
/// `verifier` is NULL or a live pointer from this library, not freed while `'a` lasts.
unsafe fn live<'a>(verifier: *const TpVerifier) -> Result<&'a TpVerifier, Failure> {
    // SAFETY: by the contract, a non-NULL pointer is a live `TpVerifier` we allocated;
    // callers only read through it (verification takes `&self`).
    unsafe { verifier.as_ref() }.ok_or_else(|| Failure(TpStatus::InvalidArgument, "verifier is NULL".into()))
}

/// `tp_version`: the crate version as a static C string.
#[no_mangle]
pub extern "C" fn tp_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}

/// `tp_verifier_load`: see the header.
///
/// # Safety
/// `key_dir` is a NUL-terminated string; `out` points to a writable pointer; `err` is
/// NULL or points to `err_len` writable bytes.
#[no_mangle]
pub unsafe extern "C" fn tp_verifier_load(
    key_dir: *const c_char,
    out: *mut *mut TpVerifier,
    err: *mut c_char,
    err_len: usize,
) -> TpStatus {
    // SAFETY: the header's contract is this function's contract, forwarded.
    unsafe {
        guarded(err, err_len, || {
            clear(out);
            let dir = text(key_dir, "key_dir")?;
            let key = UnitVerifyingKey::load(Path::new(dir))?;
            publish(out, key)
        })
    }
}

/// `tp_verifier_from_parts`: see the header.
///
/// # Safety
/// `manifest_json` is a NUL-terminated string; `vk_bytes` points to `vk_len` readable
/// bytes; `out` points to a writable pointer; `err` is NULL or `err_len` writable bytes.
#[no_mangle]
pub unsafe extern "C" fn tp_verifier_from_parts(
    manifest_json: *const c_char,
    vk_bytes: *const u8,
    vk_len: usize,
    out: *mut *mut TpVerifier,
    err: *mut c_char,
    err_len: usize,
) -> TpStatus {
    // SAFETY: the header's contract is this function's contract, forwarded.
    unsafe {
        guarded(err, err_len, || {
            clear(out);
            let key = key_from_parts(manifest_json, vk_bytes, vk_len)?;
            publish(out, key)
        })
    }
}

/// A verifying key from keys.json text and verifying_key.bin bytes handed in by C.
///
/// # Safety
/// `manifest_json` is NULL or a NUL-terminated string; `vk_bytes` is NULL or points to
/// `vk_len` readable bytes that stay unchanged during the call.
unsafe fn key_from_parts(
    manifest_json: *const c_char,
    vk_bytes: *const u8,
    vk_len: usize,
) -> Result<UnitVerifyingKey, Failure> {
    // SAFETY: forwarded from this function's contract.
    let manifest = KeyManifest::from_json(unsafe { text(manifest_json, "manifest_json") }?)?;
    if vk_bytes.is_null() {
        return Err(Failure(TpStatus::InvalidArgument, "vk_bytes is NULL".into()));
    }
    // No object can be larger than isize::MAX bytes; such a length is a caller bug.
    if isize::try_from(vk_len).is_err() {
        return Err(Failure(TpStatus::InvalidArgument, format!("vk_len {vk_len} is larger than any object")));
    }
    // SAFETY: non-NULL, and the caller guarantees `vk_len` readable bytes that stay
    // valid and unchanged during this call.
    let bytes = unsafe { std::slice::from_raw_parts(vk_bytes, vk_len) };
    Ok(UnitVerifyingKey::from_manifest(&manifest, bytes)?)
}

/// `tp_verifier_unit`: see the header. NULL for a NULL verifier.
///
/// # Safety
/// `verifier` is NULL or a pointer from `tp_verifier_load`/`tp_verifier_from_parts`
/// not yet freed.
#[no_mangle]
pub unsafe extern "C" fn tp_verifier_unit(verifier: *const TpVerifier) -> *const c_char {
    // SAFETY: by the contract, a non-NULL pointer is a live `TpVerifier` we allocated.
    match unsafe { verifier.as_ref() } {
        Some(v) => v.unit.as_ptr(),
        None => std::ptr::null(),
    }
}

/// `tp_verifier_insecure`: see the header.
///
/// # Safety
/// `verifier` is NULL or a live pointer from this library.
#[no_mangle]
pub unsafe extern "C" fn tp_verifier_insecure(verifier: *const TpVerifier) -> std::ffi::c_int {
    // SAFETY: by the contract, NULL or a live `TpVerifier` we allocated; only read.
    match unsafe { verifier.as_ref() } {
        Some(v) => std::ffi::c_int::from(v.verifier.key().insecure_dev_setup()),
        None => -1,
    }
}

/// `tp_verify_receipt`: see the header.
///
/// # Safety
/// `verifier` is a live pointer from this library; `receipt_json` is a NUL-terminated
/// string; `err` is NULL or points to `err_len` writable bytes.
#[no_mangle]
pub unsafe extern "C" fn tp_verify_receipt(
    verifier: *const TpVerifier,
    receipt_json: *const c_char,
    err: *mut c_char,
    err_len: usize,
) -> TpStatus {
    // SAFETY: the header's contract is this function's contract, forwarded.
    unsafe {
        guarded(err, err_len, || {
            let v = live(verifier)?;
            v.verifier.verify_json(text(receipt_json, "receipt_json")?)?;
            Ok(())
        })
    }
}

/// `tp_verify_statement`: see the header.
///
/// # Safety
/// `verifier` is a live pointer from this library; `receipt_json` is a NUL-terminated
/// string; `out` is NULL or points to `out_len` writable bytes; `err` is NULL or points
/// to `err_len` writable bytes; `out` and `err` do not overlap (both are written).
#[no_mangle]
pub unsafe extern "C" fn tp_verify_statement(
    verifier: *const TpVerifier,
    receipt_json: *const c_char,
    out: *mut c_char,
    out_len: usize,
    err: *mut c_char,
    err_len: usize,
) -> TpStatus {
    // SAFETY: the header's contract is this function's contract, forwarded.
    unsafe {
        guarded(err, err_len, || {
            // Whatever happens, `out` holds a terminated string: empty unless it succeeds.
            // SAFETY: `out` is NULL or `out_len` writable bytes, by the contract.
            write_message(out, out_len, "");
            let v = live(verifier)?;
            let verified = v.verifier.verify_json(text(receipt_json, "receipt_json")?)?;
            let statement = verified.statement_id;
            if out.is_null() || out_len <= statement.len() {
                return Err(Failure(
                    TpStatus::InvalidArgument,
                    format!("the receipt is valid, but its statement needs {} bytes of out", statement.len() + 1),
                ));
            }
            // SAFETY: as above; `out_len > statement.len()`, so nothing is cut.
            write_message(out, out_len, &statement);
            Ok(())
        })
    }
}

/// Parses a matrix the caller passed as JSON; a bad one is the caller's argument error.
fn matrix_argument<T: Element>(json: &str, what: &str) -> Result<Matrix<T>, Failure> {
    Matrix::<T>::from_json(json).map_err(|e| Failure(TpStatus::InvalidArgument, format!("{what}: {e}")))
}

/// `tp_verify_job`: see the header.
///
/// # Safety
/// `verifier` is a live pointer from this library; `receipt_json`, `a_json` and
/// `b_json` are NUL-terminated strings; `c_json` is NULL or a NUL-terminated string;
/// `err` is NULL or points to `err_len` writable bytes.
#[no_mangle]
pub unsafe extern "C" fn tp_verify_job(
    verifier: *const TpVerifier,
    receipt_json: *const c_char,
    a_json: *const c_char,
    b_json: *const c_char,
    c_json: *const c_char,
    err: *mut c_char,
    err_len: usize,
) -> TpStatus {
    // SAFETY: the header's contract is this function's contract, forwarded.
    unsafe {
        guarded(err, err_len, || {
            let v = live(verifier)?;
            let receipt = Receipt::from_json(text(receipt_json, "receipt_json")?).map_err(VerifyError::from)?;
            // A and B are the caller's own: one that does not parse is its argument error.
            let a = matrix_argument::<i8>(text(a_json, "a_json")?, "a_json")?;
            let b = matrix_argument::<i8>(text(b_json, "b_json")?, "b_json")?;
            // The proof first: a forged receipt is reported as such whatever C is.
            v.verifier.verify(&receipt)?;
            v.verifier.check_inputs(&receipt, Some(&a), Some(&b))?;
            // NULL means the output was not delivered. C comes from the supplier: one that
            // is not an int32 matrix is the supplier's fault, a data mismatch.
            if !c_json.is_null() {
                let c = Matrix::<i32>::from_json(text(c_json, "c_json")?).map_err(|e| {
                    Failure(
                        TpStatus::DataMismatch,
                        format!("c_json: the supplier's output is not an int32 matrix: {e}"),
                    )
                })?;
                v.verifier.check_output(&receipt, &c)?;
            }
            Ok(())
        })
    }
}

/// The opaque `tp_job_verifier`: a unit's two keys, for job receipts.
pub struct TpJobVerifier {
    verifier: JobVerifier,
}

/// `tp_job_verifier_load`: see the header.
///
/// # Safety
/// `key_dir` is a NUL-terminated string; `out` points to a writable pointer; `err` is
/// NULL or points to `err_len` writable bytes.
#[no_mangle]
pub unsafe extern "C" fn tp_job_verifier_load(
    key_dir: *const c_char,
    out: *mut *mut TpJobVerifier,
    err: *mut c_char,
    err_len: usize,
) -> TpStatus {
    // SAFETY: the header's contract is this function's contract, forwarded.
    unsafe {
        guarded(err, err_len, || {
            if out.is_null() {
                return Err(Failure(TpStatus::InvalidArgument, "out is NULL".into()));
            }
            // SAFETY: `out` is non-NULL and, by the caller's contract, writable.
            *out = std::ptr::null_mut();
            let dir = text(key_dir, "key_dir")?;
            let verifier = JobVerifier::load(Path::new(dir))?;
            // SAFETY: as above; the box is freed by `tp_job_verifier_free`.
            *out = Box::into_raw(Box::new(TpJobVerifier { verifier }));
            Ok(())
        })
    }
}

/// `tp_verify_gemm_job`: see the header.
///
/// # Safety
/// `verifier` is a live pointer from `tp_job_verifier_load`; `job_json` is a
/// NUL-terminated string; `a_json`, `b_json`, `c_json` are each NULL or a
/// NUL-terminated string; `err` is NULL or points to `err_len` writable bytes.
#[no_mangle]
pub unsafe extern "C" fn tp_verify_gemm_job(
    verifier: *const TpJobVerifier,
    job_json: *const c_char,
    a_json: *const c_char,
    b_json: *const c_char,
    c_json: *const c_char,
    err: *mut c_char,
    err_len: usize,
) -> TpStatus {
    // SAFETY: the header's contract is this function's contract, forwarded.
    unsafe {
        guarded(err, err_len, || {
            // SAFETY: by the contract a non-NULL pointer is a live `TpJobVerifier`.
            let v = verifier.as_ref().ok_or_else(|| Failure(TpStatus::InvalidArgument, "verifier is NULL".into()))?;
            let job = JobReceipt::from_json(text(job_json, "job_json")?).map_err(VerifyError::from)?;
            let optional = |ptr: *const c_char, what: &str| -> Result<Option<&str>, Failure> {
                // SAFETY: NULL or a NUL-terminated string, by the contract.
                if ptr.is_null() {
                    Ok(None)
                } else {
                    text(ptr, what).map(Some)
                }
            };
            // The job first: a forged job is rejected as such before data is compared.
            v.verifier.verify_gemm_job(&job)?;
            let a = optional(a_json, "a_json")?.map(|t| matrix_argument::<i8>(t, "a_json")).transpose()?;
            let b = optional(b_json, "b_json")?.map(|t| matrix_argument::<i8>(t, "b_json")).transpose()?;
            let c = optional(c_json, "c_json")?.map(|t| matrix_argument::<i32>(t, "c_json")).transpose()?;
            v.verifier.check_job_data(&job, a.as_ref(), b.as_ref(), c.as_ref())?;
            Ok(())
        })
    }
}

/// `tp_job_verifier_free`: see the header.
///
/// # Safety
/// `verifier` is NULL or a pointer from `tp_job_verifier_load` not yet freed.
#[no_mangle]
pub unsafe extern "C" fn tp_job_verifier_free(verifier: *mut TpJobVerifier) {
    if !verifier.is_null() {
        // SAFETY: the pointer came from `Box::into_raw` in `tp_job_verifier_load` and,
        // by the contract, is freed once.
        drop(unsafe { Box::from_raw(verifier) });
    }
}

/// Writes `value` as 0 or 1 into `*flag`, when `flag` is not NULL.
///
/// # Safety
/// `flag` is NULL or points to a writable `int`.
unsafe fn set_flag(flag: *mut std::ffi::c_int, value: bool) {
    if !flag.is_null() {
        // SAFETY: non-NULL and, by the caller's contract, a writable int.
        unsafe { *flag = std::ffi::c_int::from(value) };
    }
}

/// The SRS key of `srs_json`, and when `srs_id` is not NULL, checked to be that id.
///
/// # Safety
/// `srs_json` is a NUL-terminated string; `srs_id` is NULL or one.
unsafe fn pinned_srs_key(srs_json: *const c_char, srs_id: *const c_char) -> Result<SrsKey, Failure> {
    // SAFETY: forwarded from this function's contract.
    let key = SrsKey::from_manifest_json(unsafe { text(srs_json, "srs_json") }?)?;
    if !srs_id.is_null() {
        // SAFETY: non-NULL, so a NUL-terminated string by the contract.
        let pinned = unsafe { text(srs_id, "srs_id") }?;
        if !pinned.eq_ignore_ascii_case(&key.id()) {
            return Err(Failure(TpStatus::WrongKey, format!("srs_json is SRS {}, not the pinned srs_id", key.id())));
        }
    }
    Ok(key)
}

/// `tp_verify_sumcheck`: see the header.
///
/// # Safety
/// `srs_json` and `receipt_json` are NUL-terminated strings, `srs_id` NULL or one;
/// `insecure` is NULL or points to a writable `int`; `err` is NULL or points to `err_len`
/// writable bytes.
#[no_mangle]
pub unsafe extern "C" fn tp_verify_sumcheck(
    srs_json: *const c_char,
    srs_id: *const c_char,
    receipt_json: *const c_char,
    insecure: *mut std::ffi::c_int,
    err: *mut c_char,
    err_len: usize,
) -> TpStatus {
    // SAFETY: the header's contract is this function's contract, forwarded.
    unsafe {
        guarded(err, err_len, || {
            // SAFETY: `insecure` is NULL or a writable int, by the contract.
            set_flag(insecure, false);
            let key = pinned_srs_key(srs_json, srs_id)?;
            key.verify_json(text(receipt_json, "receipt_json")?)?;
            // SAFETY: as above.
            set_flag(insecure, key.insecure);
            Ok(())
        })
    }
}

/// `tp_verify_sumcheck_data`: see the header.
///
/// # Safety
/// `srs_json` and `receipt_json` are NUL-terminated strings, `srs_id` NULL or one; `srs_g1` points to
/// `srs_g1_len` readable bytes (or is NULL with length 0); `a_json`, `b_json`, `c_json`
/// are NULL or NUL-terminated strings; `insecure` is NULL or a writable `int`; `err` is
/// NULL or points to `err_len` writable bytes.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn tp_verify_sumcheck_data(
    srs_json: *const c_char,
    srs_id: *const c_char,
    srs_g1: *const u8,
    srs_g1_len: usize,
    receipt_json: *const c_char,
    a_json: *const c_char,
    b_json: *const c_char,
    c_json: *const c_char,
    insecure: *mut std::ffi::c_int,
    err: *mut c_char,
    err_len: usize,
) -> TpStatus {
    // SAFETY: the header's contract is this function's contract, forwarded.
    unsafe {
        guarded(err, err_len, || {
            // SAFETY: `insecure` is NULL or a writable int, by the contract.
            set_flag(insecure, false);
            let key = pinned_srs_key(srs_json, srs_id)?;
            let (_, statement) = key.verify_json(text(receipt_json, "receipt_json")?)?;
            let optional = |ptr: *const c_char, what: &str| -> Result<Option<&str>, Failure> {
                // SAFETY: NULL or a NUL-terminated string, by the contract.
                if ptr.is_null() {
                    Ok(None)
                } else {
                    text(ptr, what).map(Some)
                }
            };
            let a = optional(a_json, "a_json")?.map(|t| matrix_argument::<i8>(t, "a_json")).transpose()?;
            let b = optional(b_json, "b_json")?.map(|t| matrix_argument::<i8>(t, "b_json")).transpose()?;
            let c = optional(c_json, "c_json")?.map(|t| matrix_argument::<i32>(t, "c_json")).transpose()?;
            if a.is_none() && b.is_none() && c.is_none() {
                return Err(Failure(TpStatus::InvalidArgument, "give at least one of a_json, b_json, c_json".into()));
            }
            let g1: &[u8] = if srs_g1_len == 0 {
                &[]
            } else if srs_g1.is_null() {
                return Err(Failure(TpStatus::InvalidArgument, "srs_g1 is NULL".into()));
            } else {
                // SAFETY: non-NULL, and the caller guarantees `srs_g1_len` readable bytes
                // that stay alive and unchanged for this call.
                std::slice::from_raw_parts(srs_g1, srs_g1_len)
            };
            let need = statement.dims().max_len();
            let prefix = &g1[..g1.len().min(need.saturating_mul(G1_POWER_BYTES))];
            let powers = powers_from_bytes(&key, prefix, need)?;
            check_data(&statement, &powers, a.as_ref(), b.as_ref(), c.as_ref())?;
            // SAFETY: as above.
            set_flag(insecure, key.insecure);
            Ok(())
        })
    }
}

/// The opaque `tp_keyring`: verifying keys by id (see [`Keyring`]).
pub struct TpKeyring {
    ring: Keyring,
}

/// Borrows the keyring behind a handle C passed in.
///
/// # Safety
/// `ring` is NULL or a live pointer from `tp_keyring_new`, not freed while `'a` lasts,
/// and (for `&mut`) not used by another thread meanwhile.
unsafe fn live_ring<'a>(ring: *mut TpKeyring) -> Result<&'a mut TpKeyring, Failure> {
    // SAFETY: by the contract, a non-NULL pointer is a live `TpKeyring` we allocated,
    // used by this call alone.
    unsafe { ring.as_mut() }.ok_or_else(|| Failure(TpStatus::InvalidArgument, "ring is NULL".into()))
}

/// `tp_keyring_new`: see the header.
#[no_mangle]
pub extern "C" fn tp_keyring_new() -> *mut TpKeyring {
    Box::into_raw(Box::new(TpKeyring { ring: Keyring::new() }))
}

/// `tp_keyring_add_dir`: see the header.
///
/// # Safety
/// `ring` is a live pointer from `tp_keyring_new` that no other thread uses during the
/// call; `key_dir` is a NUL-terminated string; `err` is NULL or `err_len` writable bytes.
#[no_mangle]
pub unsafe extern "C" fn tp_keyring_add_dir(
    ring: *mut TpKeyring,
    key_dir: *const c_char,
    err: *mut c_char,
    err_len: usize,
) -> TpStatus {
    // SAFETY: the header's contract is this function's contract, forwarded.
    unsafe {
        guarded(err, err_len, || {
            let ring = live_ring(ring)?;
            let key = UnitVerifyingKey::load(Path::new(text(key_dir, "key_dir")?))?;
            ring.ring.add(key)?;
            Ok(())
        })
    }
}

/// `tp_keyring_add_parts`: see the header.
///
/// # Safety
/// `ring` as for [`tp_keyring_add_dir`]; `manifest_json` is a NUL-terminated string;
/// `vk_bytes` points to `vk_len` readable bytes; `err` is NULL or `err_len` writable bytes.
#[no_mangle]
pub unsafe extern "C" fn tp_keyring_add_parts(
    ring: *mut TpKeyring,
    manifest_json: *const c_char,
    vk_bytes: *const u8,
    vk_len: usize,
    err: *mut c_char,
    err_len: usize,
) -> TpStatus {
    // SAFETY: the header's contract is this function's contract, forwarded.
    unsafe {
        guarded(err, err_len, || {
            let ring = live_ring(ring)?;
            let key = key_from_parts(manifest_json, vk_bytes, vk_len)?;
            ring.ring.add(key)?;
            Ok(())
        })
    }
}

/// `tp_keyring_len`: see the header. 0 for NULL.
///
/// # Safety
/// `ring` is NULL or a live pointer from `tp_keyring_new` that no thread is adding to.
#[no_mangle]
pub unsafe extern "C" fn tp_keyring_len(ring: *const TpKeyring) -> usize {
    // SAFETY: by the contract, NULL or a live `TpKeyring` we allocated; only read.
    unsafe { ring.as_ref() }.map_or(0, |r| r.ring.len())
}

/// `tp_keyring_verify`: see the header.
///
/// # Safety
/// `ring` is a live pointer from `tp_keyring_new` (other threads may verify with it at
/// the same time, none may add); `receipt_json` is a NUL-terminated string; `insecure`
/// is a writable int; `err` is NULL or `err_len` writable bytes.
#[no_mangle]
pub unsafe extern "C" fn tp_keyring_verify(
    ring: *const TpKeyring,
    receipt_json: *const c_char,
    insecure: *mut std::ffi::c_int,
    err: *mut c_char,
    err_len: usize,
) -> TpStatus {
    // SAFETY: the header's contract is this function's contract, forwarded.
    unsafe {
        guarded(err, err_len, || {
            if insecure.is_null() {
                // A keyring may hold keys of several setups; the caller must see which
                // kind verified each receipt.
                return Err(Failure(TpStatus::InvalidArgument, "insecure is NULL (a keyring reports it)".into()));
            }
            set_flag(insecure, false);
            // SAFETY: by the contract, NULL or a live `TpKeyring`; verifying only reads.
            let ring = ring.as_ref().ok_or_else(|| Failure(TpStatus::InvalidArgument, "ring is NULL".into()))?;
            let verified = ring.ring.verify_json(text(receipt_json, "receipt_json")?)?;
            set_flag(insecure, verified.insecure_dev_setup);
            Ok(())
        })
    }
}

/// `tp_keyring_free`: see the header.
///
/// # Safety
/// `ring` is NULL or a pointer from `tp_keyring_new` not yet freed; it is not used again.
#[no_mangle]
pub unsafe extern "C" fn tp_keyring_free(ring: *mut TpKeyring) {
    if !ring.is_null() {
        // SAFETY: the pointer came from `Box::into_raw` in `tp_keyring_new` and, by the
        // contract, is freed once.
        drop(unsafe { Box::from_raw(ring) });
    }
}

/// `tp_verifier_free`: see the header.
///
/// # Safety
/// `verifier` is NULL or a pointer from this library not yet freed; it is not used again.
#[no_mangle]
pub unsafe extern "C" fn tp_verifier_free(verifier: *mut TpVerifier) {
    if !verifier.is_null() {
        // SAFETY: the pointer came from `Box::into_raw` in `publish` and, by the
        // contract, is freed once; dropping cannot panic (plain data and a CString).
        drop(unsafe { Box::from_raw(verifier) });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_insecure_mark_of_a_verifiers_key_is_reported() {
        let unit: teraproof_core::UnitSpec = "mm-i8-2x2x2".parse().unwrap();
        let dir = tempfile::tempdir().unwrap();
        teraproof_prover::setup_dev(unit, 3).unwrap().save(dir.path()).unwrap();
        let key_dir = std::ffi::CString::new(dir.path().to_str().unwrap()).unwrap();
        let mut verifier: *mut TpVerifier = std::ptr::null_mut();
        // SAFETY: a live CString and a live out pointer; the verifier is freed once.
        unsafe {
            assert_eq!(tp_verifier_load(key_dir.as_ptr(), &mut verifier, std::ptr::null_mut(), 0), TpStatus::Ok);
            assert_eq!(tp_verifier_insecure(verifier), 1);
            assert_eq!(tp_verifier_insecure(std::ptr::null()), -1);
            tp_verifier_free(verifier);
        }
    }

    /// A receipt of each of two units, verified through one keyring; a receipt naming a
    /// key the keyring lacks, a key added twice, and a relabelled key.
    #[test]
    fn a_keyring_verifies_each_receipt_with_its_own_key() {
        use rand::{Rng, SeedableRng};
        let dir = tempfile::tempdir().unwrap();
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(9);
        let mut receipts = Vec::new();
        let mut dirs = Vec::new();
        for (i, unit) in ["mm-i8-2x2x2", "mm-i8-2x3x1"].iter().enumerate() {
            let spec: teraproof_core::UnitSpec = unit.parse().unwrap();
            let mut keys = teraproof_prover::setup_dev(spec, 4).unwrap();
            let path = dir.path().join(format!("k{i}"));
            keys.save(&path).unwrap();
            let prover = teraproof_prover::Prover::new(keys, Box::new(teraproof_prover::CpuMsm)).unwrap();
            let a = Matrix::from_fn(spec.m(), spec.k(), |_, _| rng.gen::<i8>()).unwrap();
            let b = Matrix::from_fn(spec.k(), spec.n(), |_, _| rng.gen::<i8>()).unwrap();
            receipts.push(std::ffi::CString::new(prover.prove(&a, &b, &mut rng).unwrap().receipt.to_json()).unwrap());
            dirs.push(std::ffi::CString::new(path.to_str().unwrap()).unwrap());
        }
        let mut err = [0 as c_char; 256];
        let message = |err: &[c_char]| {
            // SAFETY: the library NUL-terminates what it writes into `err`.
            unsafe { CStr::from_ptr(err.as_ptr()) }.to_str().unwrap().to_string()
        };
        let mut insecure: std::ffi::c_int = -1;
        // SAFETY: the ring is used by this thread alone and freed once; every other
        // pointer is NULL or a live local of the stated size.
        unsafe {
            let ring = tp_keyring_new();
            assert_eq!(tp_keyring_add_dir(ring, dirs[0].as_ptr(), err.as_mut_ptr(), 256), TpStatus::Ok);
            // Only the first unit's key: the second receipt names a key not held.
            assert_eq!(
                tp_keyring_verify(ring, receipts[1].as_ptr(), &mut insecure, err.as_mut_ptr(), 256),
                TpStatus::WrongKey
            );
            assert!(message(&err).contains("not in the keyring"), "{}", message(&err));
            let manifest = std::fs::read_to_string(dir.path().join("k1/keys.json")).unwrap();
            let vk = std::fs::read(dir.path().join("k1/verifying_key.bin")).unwrap();
            let manifest = std::ffi::CString::new(manifest).unwrap();
            assert_eq!(
                tp_keyring_add_parts(ring, manifest.as_ptr(), vk.as_ptr(), vk.len(), err.as_mut_ptr(), 256),
                TpStatus::Ok
            );
            // Adding a key again is no change.
            assert_eq!(tp_keyring_add_dir(ring, dirs[1].as_ptr(), err.as_mut_ptr(), 256), TpStatus::Ok);
            assert_eq!(tp_keyring_len(ring), 2);
            for receipt in &receipts {
                insecure = -1;
                assert_eq!(
                    tp_keyring_verify(ring, receipt.as_ptr(), &mut insecure, err.as_mut_ptr(), 256),
                    TpStatus::Ok,
                    "{}",
                    message(&err)
                );
                assert_eq!(insecure, 1, "dev keys are marked insecure");
            }
            // A tampered receipt is refused by its key as a single verifier would.
            let mut tampered: serde_json::Value = serde_json::from_str(receipts[0].to_str().unwrap()).unwrap();
            tampered["ops"] = serde_json::json!(1);
            let tampered = std::ffi::CString::new(tampered.to_string()).unwrap();
            assert_eq!(
                tp_keyring_verify(ring, tampered.as_ptr(), &mut insecure, err.as_mut_ptr(), 256),
                TpStatus::WrongKey
            );
            assert_eq!(insecure, 0, "cleared on failure");
            // The insecure mark must be asked for.
            assert_eq!(
                tp_keyring_verify(ring, receipts[0].as_ptr(), std::ptr::null_mut(), err.as_mut_ptr(), 256),
                TpStatus::InvalidArgument
            );
            // The same verifying key under another unit's manifest: an edited manifest.
            let relabelled = manifest.to_str().unwrap().replace("mm-i8-2x3x1", "mm-i8-2x3x2");
            let relabelled = std::ffi::CString::new(relabelled).unwrap();
            assert_eq!(
                tp_keyring_add_parts(ring, relabelled.as_ptr(), vk.as_ptr(), vk.len(), err.as_mut_ptr(), 256),
                TpStatus::BadKey
            );
            assert!(message(&err).contains("disagree"), "{}", message(&err));
            assert_eq!(
                tp_keyring_add_dir(std::ptr::null_mut(), dirs[0].as_ptr(), err.as_mut_ptr(), 256),
                TpStatus::InvalidArgument
            );
            assert_eq!(tp_keyring_len(std::ptr::null()), 0);
            tp_keyring_free(ring);
            tp_keyring_free(std::ptr::null_mut());
        }
    }

    #[test]
    fn null_arguments_are_errors_not_crashes() {
        let mut err = [0 as c_char; 64];
        let mut out: *mut TpVerifier = std::ptr::null_mut();
        // SAFETY: every pointer is NULL or points into a live local of the stated size.
        unsafe {
            assert_eq!(tp_verifier_load(std::ptr::null(), &mut out, err.as_mut_ptr(), 64), TpStatus::InvalidArgument);
            assert!(CStr::from_ptr(err.as_ptr()).to_str().unwrap().contains("key_dir is NULL"));
            assert_eq!(
                tp_verify_receipt(std::ptr::null(), c"{}".as_ptr(), err.as_mut_ptr(), 64),
                TpStatus::InvalidArgument
            );
            assert!(tp_verifier_unit(std::ptr::null()).is_null());
            tp_verifier_free(std::ptr::null_mut());
            let dir = c"/nonexistent/teraproof-keys";
            assert_eq!(tp_verifier_load(dir.as_ptr(), &mut out, std::ptr::null_mut(), 0), TpStatus::BadKey);
            assert!(out.is_null());
        }
    }

    #[test]
    fn messages_are_truncated_and_terminated() {
        let mut buf = [1 as c_char; 8];
        // SAFETY: `buf` holds 8 writable bytes.
        unsafe { write_message(buf.as_mut_ptr(), 8, "a long message") };
        // SAFETY: write_message terminated it within the 8 bytes.
        assert_eq!(unsafe { CStr::from_ptr(buf.as_ptr()) }.to_str().unwrap(), "a long ");
        // A cut never splits a character: "é" is two bytes, so 7 bytes hold "ab" and two
        // of them (one byte is left unused), or "abc" and two.
        // SAFETY: as above.
        unsafe { write_message(buf.as_mut_ptr(), 8, "abééé") };
        // SAFETY: as above.
        assert_eq!(unsafe { CStr::from_ptr(buf.as_ptr()) }.to_str().unwrap(), "abéé");
        // SAFETY: as above.
        unsafe { write_message(buf.as_mut_ptr(), 8, "abcééé") };
        // SAFETY: as above.
        assert_eq!(unsafe { CStr::from_ptr(buf.as_ptr()) }.to_str().unwrap(), "abcéé");
    }

    #[test]
    fn a_job_check_accepts_the_job_and_refuses_other_or_malformed_matrices() {
        use rand::{Rng, SeedableRng};
        use std::ffi::CString;
        let unit: teraproof_core::UnitSpec = "mm-i8-2x3x2".parse().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let mut keys = teraproof_prover::setup_dev(unit, 3).unwrap();
        keys.save(dir.path()).unwrap();
        let prover = teraproof_prover::Prover::new(keys, Box::new(teraproof_prover::CpuMsm)).unwrap();
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(4);
        let a = Matrix::from_fn(2, 3, |_, _| rng.gen::<i8>()).unwrap();
        let b = Matrix::from_fn(3, 2, |_, _| rng.gen::<i8>()).unwrap();
        let proved = prover.prove(&a, &b, &mut rng).unwrap();
        let receipt = CString::new(proved.receipt.to_json()).unwrap();
        let json = |text: String| CString::new(text).unwrap();
        let (a_json, b_json, c_json) = (json(a.to_json()), json(b.to_json()), json(proved.c.to_json()));
        let mut other_a = a.clone();
        *other_a.get_mut(1, 2).unwrap() ^= 4;
        let other_a = json(other_a.to_json());

        let key_dir = CString::new(dir.path().to_str().unwrap()).unwrap();
        let mut verifier: *mut TpVerifier = std::ptr::null_mut();
        let mut err = [0 as c_char; 512];
        // SAFETY: every pointer is NULL, a live CString, or a live local of the stated size.
        unsafe {
            assert_eq!(tp_verifier_load(key_dir.as_ptr(), &mut verifier, err.as_mut_ptr(), 512), TpStatus::Ok);
            let job = |a: &CString, b: &CString, c: Option<&CString>, err: &mut [c_char; 512]| {
                let c = c.map_or(std::ptr::null(), |c| c.as_ptr());
                tp_verify_job(verifier, receipt.as_ptr(), a.as_ptr(), b.as_ptr(), c, err.as_mut_ptr(), 512)
            };
            assert_eq!(job(&a_json, &b_json, Some(&c_json), &mut err), TpStatus::Ok);
            assert_eq!(job(&a_json, &b_json, None, &mut err), TpStatus::Ok);
            assert_eq!(job(&other_a, &b_json, Some(&c_json), &mut err), TpStatus::DataMismatch);
            assert!(CStr::from_ptr(err.as_ptr()).to_str().unwrap().contains("A's digest"));
            assert_eq!(job(&a_json, &a_json, None, &mut err), TpStatus::DataMismatch);
            assert_eq!(job(&json("[1, 2]".into()), &b_json, None, &mut err), TpStatus::InvalidArgument);
            assert!(CStr::from_ptr(err.as_ptr()).to_str().unwrap().starts_with("a_json: "));
            // C of dtype i8, or no matrix at all, is not an output: the supplier's fault.
            assert_eq!(job(&a_json, &b_json, Some(&a_json), &mut err), TpStatus::DataMismatch);
            assert!(CStr::from_ptr(err.as_ptr()).to_str().unwrap().starts_with("c_json: "));
            assert_eq!(job(&a_json, &b_json, Some(&json("nonsense".into())), &mut err), TpStatus::DataMismatch);
            // With a forged receipt the proof is reported first, whatever C is.
            let mut forged = proved.receipt.clone();
            forged.dc = teraproof_core::digest_matrix(&Matrix::<i32>::zeros(2, 2).unwrap());
            let forged_json = CString::new(forged.to_json()).unwrap();
            let bad_c = json("nonsense".into());
            let status = tp_verify_job(
                verifier,
                forged_json.as_ptr(),
                a_json.as_ptr(),
                b_json.as_ptr(),
                bad_c.as_ptr(),
                err.as_mut_ptr(),
                512,
            );
            assert_eq!(status, TpStatus::ProofRejected);

            // The statement of a valid receipt, and nothing for a short buffer or a forgery.
            let mut out = [1 as c_char; 512];
            let statement = |receipt: &CString, out: &mut [c_char], err: &mut [c_char; 512]| {
                tp_verify_statement(verifier, receipt.as_ptr(), out.as_mut_ptr(), out.len(), err.as_mut_ptr(), 512)
            };
            assert_eq!(statement(&receipt, &mut out, &mut err), TpStatus::Ok);
            let id = proved.receipt.statement_id();
            assert_eq!(CStr::from_ptr(out.as_ptr()).to_str().unwrap(), id);
            let mut short = vec![1 as c_char; id.len()];
            assert_eq!(statement(&receipt, &mut short, &mut err), TpStatus::InvalidArgument);
            assert_eq!(CStr::from_ptr(short.as_ptr()).to_bytes(), b"");
            assert!(CStr::from_ptr(err.as_ptr()).to_str().unwrap().contains(&format!("{} bytes", id.len() + 1)));
            let mut forged = proved.receipt.clone();
            forged.dc = teraproof_core::digest_matrix(&Matrix::<i32>::zeros(2, 2).unwrap());
            let forged = CString::new(forged.to_json()).unwrap();
            assert_eq!(statement(&forged, &mut out, &mut err), TpStatus::ProofRejected);
            assert_eq!(CStr::from_ptr(out.as_ptr()).to_bytes(), b"");
            tp_verifier_free(verifier);
        }
    }

    #[test]
    fn a_sumcheck_receipt_verifies_and_tampering_is_refused_by_status() {
        use std::ffi::CString;
        let spec: teraproof_core::UnitSpec = "mm-i8-3x5x7".parse().unwrap();
        let srs = teraproof_prover::sumcheck::Srs::dev(5, 64).unwrap();
        let prover = teraproof_prover::sumcheck::SumcheckProver::new(srs, Box::new(teraproof_prover::CpuMsm));
        let a = Matrix::from_fn(3, 5, |i, j| (i * 5 + j) as i8 - 7).unwrap();
        let b = Matrix::from_fn(5, 7, |i, j| (i * 7 + j) as i8 - 17).unwrap();
        let c = teraproof_core::matmul_cpu(&a, &b).unwrap();
        let receipt = prover.prove(&spec, &a, &b, &c).unwrap().receipt;
        let srs_json = CString::new(prover.srs().key.to_manifest_json()).unwrap();
        let pin = CString::new(prover.srs().key.id()).unwrap();
        let other_pin = CString::new("00".repeat(32)).unwrap();
        let mut err = [0 as c_char; 256];
        let mut insecure: std::ffi::c_int = -1;
        let check = |receipt: &str, insecure: &mut std::ffi::c_int, err: &mut [c_char; 256]| {
            let receipt = CString::new(receipt).unwrap();
            // SAFETY: live CStrings, a live int and a 256-byte buffer.
            unsafe {
                tp_verify_sumcheck(srs_json.as_ptr(), pin.as_ptr(), receipt.as_ptr(), insecure, err.as_mut_ptr(), 256)
            }
        };
        assert_eq!(check(&receipt.to_json(), &mut insecure, &mut err), TpStatus::Ok);
        assert_eq!(insecure, 1, "a dev SRS is reported insecure");
        let mut value: serde_json::Value = serde_json::from_str(&receipt.to_json()).unwrap();
        let proof = value["proof"].as_str().unwrap().to_string();
        // The claim's first byte changed: round 0 no longer sums to it.
        let first = if proof.starts_with('0') { '1' } else { '0' };
        let bumped = format!("{first}{}", &proof[1..]);
        value["proof"] = bumped.into();
        assert_eq!(check(&value.to_string(), &mut insecure, &mut err), TpStatus::ProofRejected);
        assert_eq!(insecure, 0);
        value["proof"] = proof[..proof.len() - 2].to_string().into();
        assert_eq!(check(&value.to_string(), &mut insecure, &mut err), TpStatus::MalformedReceipt);
        value["proof"] = proof.into();
        value["srs"] = "00".repeat(32).into();
        assert_eq!(check(&value.to_string(), &mut insecure, &mut err), TpStatus::WrongKey);
        assert_eq!(check("not json", &mut insecure, &mut err), TpStatus::MalformedReceipt);
        // SAFETY: NULL pointers are refused before any read.
        let status = unsafe {
            tp_verify_sumcheck(
                std::ptr::null(),
                std::ptr::null(),
                c"{}".as_ptr(),
                std::ptr::null_mut(),
                err.as_mut_ptr(),
                256,
            )
        };
        assert_eq!(status, TpStatus::InvalidArgument);
        // The buyer's data against the receipt's commitments.
        let g1: Vec<u8> = prover
            .srs()
            .powers
            .iter()
            .flat_map(|p| {
                let mut bytes = Vec::new();
                ark_serialize::CanonicalSerialize::serialize_uncompressed(p, &mut bytes).unwrap();
                bytes
            })
            .collect();
        let honest = CString::new(receipt.to_json()).unwrap();
        let (a_json, b_json, c_json) = (
            CString::new(a.to_json()).unwrap(),
            CString::new(b.to_json()).unwrap(),
            CString::new(c.to_json()).unwrap(),
        );
        let mut c2 = c.clone();
        *c2.get_mut(2, 6).unwrap() += 1;
        let c2_json = CString::new(c2.to_json()).unwrap();
        let data = |c: &CString, g1: &[u8], insecure: &mut std::ffi::c_int, err: &mut [c_char; 256]| {
            // SAFETY: live CStrings, a live slice of g1.len() bytes, a live int, a 256-byte buffer.
            unsafe {
                tp_verify_sumcheck_data(
                    srs_json.as_ptr(),
                    pin.as_ptr(),
                    g1.as_ptr(),
                    g1.len(),
                    honest.as_ptr(),
                    a_json.as_ptr(),
                    b_json.as_ptr(),
                    c.as_ptr(),
                    insecure,
                    err.as_mut_ptr(),
                    256,
                )
            }
        };
        assert_eq!(data(&c_json, &g1, &mut insecure, &mut err), TpStatus::Ok);
        assert_eq!(insecure, 1);
        assert_eq!(data(&c2_json, &g1, &mut insecure, &mut err), TpStatus::DataMismatch);
        // SAFETY: `err` was terminated by the call.
        assert!(unsafe { CStr::from_ptr(err.as_ptr()) }.to_str().unwrap().contains("commitment to C"));
        // Powers 1 and 2 swapped: refused as a bad key, never a pass.
        let mut permuted = g1.clone();
        let (p1, p2) = (g1[64..128].to_vec(), g1[128..192].to_vec());
        permuted[64..128].copy_from_slice(&p2);
        permuted[128..192].copy_from_slice(&p1);
        assert_eq!(data(&c_json, &permuted, &mut insecure, &mut err), TpStatus::BadKey);
        assert_eq!(data(&c_json, &g1[..100], &mut insecure, &mut err), TpStatus::BadKey);
        // Pinned to another SRS: refused as a wrong key; unpinned (NULL): checked as is.
        let honest_text = CString::new(receipt.to_json()).unwrap();
        // SAFETY: live CStrings, a live int and a 256-byte buffer.
        let status = unsafe {
            tp_verify_sumcheck(
                srs_json.as_ptr(),
                other_pin.as_ptr(),
                honest_text.as_ptr(),
                &mut insecure,
                err.as_mut_ptr(),
                256,
            )
        };
        assert_eq!(status, TpStatus::WrongKey);
        // SAFETY: as above.
        let status = unsafe {
            tp_verify_sumcheck(
                srs_json.as_ptr(),
                std::ptr::null(),
                honest_text.as_ptr(),
                &mut insecure,
                err.as_mut_ptr(),
                256,
            )
        };
        assert_eq!(status, TpStatus::Ok);
        let bad_key = CString::new("{}").unwrap();
        // SAFETY: live CStrings and buffer.
        let status = unsafe {
            tp_verify_sumcheck(
                bad_key.as_ptr(),
                std::ptr::null(),
                c"{}".as_ptr(),
                std::ptr::null_mut(),
                err.as_mut_ptr(),
                256,
            )
        };
        assert_eq!(status, TpStatus::BadKey);
    }

    #[test]
    fn a_job_check_refuses_null_and_malformed_arguments() {
        let mut err = [0 as c_char; 256];
        let message = |err: &[c_char]| {
            // SAFETY: every call below terminated `err` within its 256 bytes.
            unsafe { CStr::from_ptr(err.as_ptr()) }.to_str().unwrap().to_owned()
        };
        // SAFETY: every pointer is NULL, a C string literal, or a live local of the stated size.
        unsafe {
            let status = tp_verify_job(
                std::ptr::null(),
                c"{}".as_ptr(),
                c"{}".as_ptr(),
                c"{}".as_ptr(),
                std::ptr::null(),
                err.as_mut_ptr(),
                256,
            );
            assert_eq!(status, TpStatus::InvalidArgument);
            assert!(message(&err).contains("verifier is NULL"));
        }
    }
}
