//! Digest test vectors computed outside Rust, with circomlibjs's Poseidon under node
//! (tools/vectors/gen.js). A mismatch means our digest no longer follows DESIGN §3.

use serde::Deserialize;
use teraproof_core::{digest_matrix, freivalds_challenge, AnyMatrix, MatrixDigest};

#[derive(Deserialize)]
struct Vectors {
    matrices: Vec<MatrixVector>,
    challenges: Vec<ChallengeVector>,
}

#[derive(Deserialize)]
struct MatrixVector {
    name: String,
    matrix: serde_json::Value,
    digest: String,
}

#[derive(Deserialize)]
struct ChallengeVector {
    da: String,
    db: String,
    dc: String,
    x: String,
}

fn vectors() -> Vectors {
    serde_json::from_str(include_str!("vectors/digests.json")).expect("vector file parses")
}

#[test]
fn matrix_digests_match_circomlibjs() {
    let v = vectors();
    assert!(v.matrices.len() >= 3);
    let (mut saw_i8_partial, mut saw_i32_partial) = (false, false);
    for mv in &v.matrices {
        let matrix = AnyMatrix::from_json(&mv.matrix.to_string()).unwrap();
        let expected: MatrixDigest = mv.digest.parse().unwrap();
        let got = match &matrix {
            AnyMatrix::I8(m) => {
                saw_i8_partial |= !m.data().len().is_multiple_of(31);
                digest_matrix(m)
            }
            AnyMatrix::I32(m) => {
                saw_i32_partial |= !m.data().len().is_multiple_of(7);
                digest_matrix(m)
            }
        };
        assert_eq!(got, expected, "vector {}", mv.name);
    }
    assert!(saw_i8_partial && saw_i32_partial, "vectors cover short last groups");
}

#[test]
fn freivalds_challenges_match_circomlibjs() {
    let v = vectors();
    assert!(!v.challenges.is_empty());
    for c in &v.challenges {
        let x = freivalds_challenge(&c.da.parse().unwrap(), &c.db.parse().unwrap(), &c.dc.parse().unwrap());
        assert_eq!(teraproof_core::fr_to_decimal(&x), c.x);
    }
}
