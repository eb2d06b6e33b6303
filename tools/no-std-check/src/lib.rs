//! A `no_std` consumer of teraproof-verifier (see Cargo.toml for why it exists).
#![no_std]

extern crate alloc;

use alloc::string::String;

/// What an embedded marketplace calls: verify a receipt (JSON) against a unit key
/// built from its manifest and verifying-key bytes.
pub fn verify_receipt(manifest_json: &str, vk_bytes: &[u8], receipt_json: &str) -> Result<String, String> {
    use alloc::string::ToString;
    let manifest = teraproof_verifier::KeyManifest::from_json(manifest_json).map_err(|e| e.to_string())?;
    let key = teraproof_verifier::UnitVerifyingKey::from_manifest(&manifest, vk_bytes).map_err(|e| e.to_string())?;
    let verified = teraproof_verifier::Verifier::new(key).verify_json(receipt_json).map_err(|e| e.to_string())?;
    Ok(verified.statement_id)
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    loop {}
}
