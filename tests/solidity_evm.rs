//! The generated Solidity verifier, compiled by the real `solc` (npm's solcjs, installed
//! by `scripts/test.sh` into tools/solc) and run in a real EVM (revm): it accepts an
//! honest proof and rejects a tampered proof, a changed output digest and a public
//! input shifted by r. Gas is printed.

use std::path::{Path, PathBuf};
use std::process::Command;

use rand::{Rng, SeedableRng};
use revm::context::result::ExecutionResult;
use revm::context::TxEnv;
use revm::database::{CacheDB, EmptyDB};
use revm::primitives::{keccak256, Address, Bytes, TxKind};
use revm::{Context, ExecuteCommitEvm, MainBuilder, MainContext};
use teraproof::core::{Matrix, Receipt, UnitSpec};
use teraproof::prover::{setup_dev, CpuMsm, Prover};
use teraproof::verifier::solidity::{self, CONTRACT_NAME, VERIFY_SELECTOR, VERIFY_SIGNATURE};

fn solcjs() -> Option<PathBuf> {
    let bin = Path::new(env!("CARGO_MANIFEST_DIR")).join("tools/solc/node_modules/.bin/solcjs");
    bin.exists().then_some(bin)
}

/// Compiles the contract with solcjs (optimiser on) and returns its creation bytecode.
fn compile(source: &str, solc: &Path) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("Verifier.sol"), source).unwrap();
    let out = Command::new(solc)
        .args(["--bin", "--optimize", "--output-dir", "out", "Verifier.sol"])
        .current_dir(dir.path())
        .output()
        .expect("node runs solcjs");
    assert!(
        out.status.success(),
        "solc failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let bin = std::fs::read_to_string(dir.path().join(format!("out/Verifier_sol_{CONTRACT_NAME}.bin"))).unwrap();
    decode_hex(bin.trim())
}

fn decode_hex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

/// A chain with the verifier deployed at `contract`.
struct Chain {
    evm: revm::MainnetEvm<revm::handler::MainnetContext<CacheDB<EmptyDB>>>,
    caller: Address,
    nonce: u64,
    contract: Address,
}

impl Chain {
    fn deploy(bytecode: Vec<u8>) -> Chain {
        let mut evm = Context::mainnet().with_db(CacheDB::<EmptyDB>::default()).build_mainnet();
        let caller = Address::repeat_byte(0x42);
        let tx = TxEnv::builder()
            .caller(caller)
            .kind(TxKind::Create)
            .data(Bytes::from(bytecode))
            .gas_limit(10_000_000)
            .nonce(0)
            .build()
            .unwrap();
        let contract = match evm.transact_commit(tx).unwrap() {
            ExecutionResult::Success { output, .. } => output.address().copied().expect("a create returns an address"),
            other => panic!("deployment failed: {other:?}"),
        };
        Chain { evm, caller, nonce: 1, contract }
    }

    /// Calls the contract; `Some(returned bool, gas)` or `None` when it reverted/halted.
    fn call(&mut self, data: Vec<u8>) -> Option<(bool, u64)> {
        self.call_with_gas(data, 10_000_000).ok()
    }

    /// Calls the contract with a gas limit: `Ok(returned bool, gas)`, or `Err` with the
    /// revert data as text (empty for a halt, such as running out of gas).
    fn call_with_gas(&mut self, data: Vec<u8>, limit: u64) -> Result<(bool, u64), String> {
        let tx = TxEnv::builder()
            .caller(self.caller)
            .kind(TxKind::Call(self.contract))
            .data(Bytes::from(data))
            .gas_limit(limit)
            .nonce(self.nonce)
            .build()
            .unwrap();
        self.nonce += 1;
        match self.evm.transact_commit(tx).unwrap() {
            ExecutionResult::Success { output, gas, .. } => {
                let out = output.data();
                assert_eq!(out.len(), 32, "verifyProof returns one word");
                assert!(out[..31].iter().all(|&b| b == 0) && out[31] <= 1, "a bool");
                Ok((out[31] == 1, gas.tx_gas_used()))
            }
            ExecutionResult::Revert { output, .. } => Err(String::from_utf8_lossy(&output).into_owned()),
            ExecutionResult::Halt { .. } => Err(String::new()),
        }
    }
}

/// Adds `k` (big endian, 32 bytes) to word `index` of the calldata's eleven words.
fn add_to_word(data: &mut [u8], index: usize, k: &[u8; 32]) {
    let word = &mut data[4 + 32 * index..4 + 32 * (index + 1)];
    let mut carry = 0u16;
    for i in (0..32).rev() {
        let s = word[i] as u16 + k[i] as u16 + carry;
        word[i] = s as u8;
        carry = s >> 8;
    }
    assert_eq!(carry, 0, "the test's sums stay below 2^256");
}

fn receipt_for(unit: UnitSpec, prover: &Prover, seed: u64) -> Receipt {
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(seed);
    let a = Matrix::from_fn(unit.m(), unit.k(), |_, _| rng.gen::<i8>()).unwrap();
    let b = Matrix::from_fn(unit.k(), unit.n(), |_, _| rng.gen::<i8>()).unwrap();
    prover.prove(&a, &b, &mut rng).unwrap().receipt
}

#[test]
fn selector_is_keccak_of_the_signature() {
    assert_eq!(keccak256(VERIFY_SIGNATURE.as_bytes())[..4], VERIFY_SELECTOR);
}

#[test]
fn generated_contract_verifies_in_the_evm() {
    let unit: UnitSpec = "mm-i8-3x5x7".parse().unwrap();
    let keys = setup_dev(unit, 11).unwrap();
    let vk = keys.verifying_key().unwrap();
    let source = solidity::verifier_contract(&vk);
    assert!(source.contains(vk.id()) && source.contains("INSECURE"), "the contract names its key and warns");

    let Some(solc) = solcjs() else {
        assert!(std::env::var_os("CI").is_none(), "CI must run solc (scripts/test.sh installs it)");
        println!("SKIPPED the EVM run: tools/solc/node_modules is absent (scripts/test.sh installs solc with npm)");
        return;
    };
    let mut chain = Chain::deploy(compile(&source, &solc));
    let prover = Prover::new(keys, Box::new(CpuMsm)).unwrap();
    let receipt = receipt_for(unit, &prover, 1);
    let honest = solidity::calldata(&receipt).unwrap();

    let (ok, gas) = chain.call(honest.clone()).expect("an honest call does not revert");
    assert!(ok, "the contract rejected an honest proof");
    println!("verifyProof gas (whole transaction, honest proof): {gas}");

    // Too little gas never turns a valid proof into `false`: at every limit from the
    // honest call's gas down, the call passes, reverts or halts; the pairing's own
    // shortfall reverts with a reason (EIP-150 forwards only 63/64 of what is left).
    let mut reasons = 0;
    for limit in (60_000..gas + 1_000_000).rev().step_by(7_919) {
        match chain.call_with_gas(honest.clone(), limit) {
            Ok((ok, _)) => assert!(ok, "a valid proof answered false with a gas limit of {limit}"),
            Err(reason) => reasons += usize::from(reason.contains("too little gas")),
        }
    }
    assert!(reasons > 0, "no tight limit reverted with the contract's reason");

    // Another receipt's proof with this receipt's inputs.
    let other = solidity::calldata(&receipt_for(unit, &prover, 2)).unwrap();
    let mut swapped = honest.clone();
    swapped[4..4 + 8 * 32].copy_from_slice(&other[4..4 + 8 * 32]);
    assert_eq!(chain.call(swapped).map(|r| r.0), Some(false), "accepted another statement's proof");

    // A changed output digest dC (word 10).
    let mut one = [0u8; 32];
    one[31] = 1;
    let mut changed_dc = honest.clone();
    add_to_word(&mut changed_dc, 10, &one);
    assert_eq!(chain.call(changed_dc).map(|r| r.0), Some(false), "accepted a changed dC");

    // dA + r: the same residue, but not canonical; ecMul alone would accept it.
    let r = decode_hex("30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001");
    let mut shifted = honest.clone();
    add_to_word(&mut shifted, 8, &r.try_into().unwrap());
    assert_eq!(chain.call(shifted).map(|r| r.0), Some(false), "accepted dA + r");

    // A's y + q (not canonical) and A moved off the curve (y + 1).
    let q = decode_hex("30644e72e131a029b85045b68181585d97816a916871ca8d3c208c16d87cfd47");
    let mut a_shifted = honest.clone();
    add_to_word(&mut a_shifted, 1, &q.try_into().unwrap());
    assert_eq!(chain.call(a_shifted).map(|r| r.0), Some(false), "accepted A.y + q");
    let mut off_curve = honest.clone();
    add_to_word(&mut off_curve, 1, &one);
    assert_eq!(chain.call(off_curve).map(|r| r.0), Some(false), "accepted A off the curve");

    // Proof points written as the identity (0, 0): refused, as the Rust verifier does.
    for (words, point) in [(0..2, "A"), (2..6, "B"), (6..8, "C")] {
        let mut identity = honest.clone();
        identity[4 + 32 * words.start..4 + 32 * words.end].fill(0);
        let (ok, used) = chain.call(identity).expect("an identity point does not revert");
        assert!(!ok, "accepted {point} = identity");
        // Refused by the contract's own check, before any precompile runs (the pairing
        // alone would cost 181 000 gas and also answer false).
        assert!(used < gas / 2, "{point} = identity reached the precompiles ({used} gas)");
    }

    // B off its curve makes the pairing precompile fail, and a failing precompile eats
    // all the gas it is given: the contract's cap keeps that to its allowance.
    let mut b_off_curve = honest.clone();
    add_to_word(&mut b_off_curve, 2, &one);
    let (ok, burnt) = chain.call(b_off_curve).expect("a failed precompile does not revert the call");
    assert!(!ok, "accepted B off the curve");
    println!("verifyProof gas (B off the curve): {burnt}");
    // Without the cap the call would burn most of its 10 000 000 gas limit.
    assert!(burnt < gas + 1_000_000, "a failed pairing burnt {burnt} gas (honest call: {gas})");

    // The honest call still passes after all that (no state was touched).
    assert_eq!(chain.call(honest.clone()).map(|r| r.0), Some(true));

    // snarkjs's own calldata for the same proof is word for word ours.
    let Some(snarkjs) = snarkjs_bin() else {
        assert!(std::env::var_os("CI").is_none(), "CI must run the real snarkjs (scripts/test.sh installs it)");
        println!("SKIPPED the snarkjs calldata comparison: tools/snarkjs/node_modules is absent");
        return;
    };
    let words = snarkjs_calldata_words(&receipt, &snarkjs);
    assert_eq!(words.len(), 11, "snarkjs printed {} numbers", words.len());
    let mut theirs = VERIFY_SELECTOR.to_vec();
    words.iter().for_each(|w| theirs.extend_from_slice(w));
    assert_eq!(theirs, honest, "snarkjs's calldata differs from ours");
}

fn snarkjs_bin() -> Option<PathBuf> {
    let bin = Path::new(env!("CARGO_MANIFEST_DIR")).join("tools/snarkjs/node_modules/.bin/snarkjs");
    bin.exists().then_some(bin)
}

/// The numbers `snarkjs zkey export soliditycalldata public.json proof.json` prints,
/// as 32-byte words in order.
fn snarkjs_calldata_words(receipt: &Receipt, snarkjs: &Path) -> Vec<[u8; 32]> {
    use teraproof::verifier::{decode_proof, snarkjs as sj};
    let dir = tempfile::tempdir().unwrap();
    let proof = decode_proof(&receipt.proof_bytes().unwrap()).unwrap();
    std::fs::write(dir.path().join("proof.json"), sj::proof_json(&proof).to_string()).unwrap();
    let inputs = [receipt.da.0, receipt.db.0, receipt.dc.0];
    std::fs::write(dir.path().join("public.json"), sj::public_json(&inputs).to_string()).unwrap();
    let out = Command::new(snarkjs)
        .args(["zkey", "export", "soliditycalldata", "public.json", "proof.json"])
        .current_dir(dir.path())
        .output()
        .expect("node runs snarkjs");
    assert!(out.status.success(), "snarkjs failed: {}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    text.split('"')
        .filter_map(|t| t.strip_prefix("0x"))
        .map(|hex| {
            let bytes = decode_hex(&format!("{hex:0>64}"));
            bytes.try_into().expect("a 32-byte word")
        })
        .collect()
}
