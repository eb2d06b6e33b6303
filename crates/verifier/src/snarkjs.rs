//! snarkjs interoperability: `proof.json`, `public.json` and `verification_key.json`
//! in the form snarkjs writes for Groth16 over bn128, and the reverse import.
//!
//! Points are projective triples of decimal strings: G1 `[x, y, "1"]`, G2
//! `[[x.c0, x.c1], [y.c0, y.c1], ["1", "0"]]` (an Fq2 element `c0 + c1·u` is written
//! `[c0, c1]`); the identity is `["0", "1", "0"]` (G2: `[["0","0"],["1","0"],["0","0"]]`).
//! Imports are strict: every coordinate a canonical decimal below q (never reduced),
//! every point on its curve and in the prime-order subgroup.

use ark_bn254::{Bn254, Fq, Fq2, Fr, G1Affine, G2Affine};
use ark_ec::pairing::{Pairing, PairingOutput};
use ark_ec::AffineRepr;
use ark_ff::{One, Zero};
use ark_groth16::{Proof, VerifyingKey};
use serde_json::{json, Value};
use teraproof_core::{field_from_decimal, field_to_decimal};

use crate::error::{Result, VerifyError};
use crate::prelude::*;

fn dec(x: &Fq) -> String {
    field_to_decimal(x)
}

/// A G1 point as snarkjs writes it.
pub fn g1_json(p: &G1Affine) -> Value {
    if p.is_zero() {
        return json!(["0", "1", "0"]);
    }
    json!([dec(&p.x), dec(&p.y), "1"])
}

/// A G2 point as snarkjs writes it.
pub fn g2_json(p: &G2Affine) -> Value {
    if p.is_zero() {
        return json!([["0", "0"], ["1", "0"], ["0", "0"]]);
    }
    json!([[dec(&p.x.c0), dec(&p.x.c1)], [dec(&p.y.c0), dec(&p.y.c1)], ["1", "0"]])
}

/// `proof.json`.
pub fn proof_json(proof: &Proof<Bn254>) -> Value {
    json!({
        "pi_a": g1_json(&proof.a),
        "pi_b": g2_json(&proof.b),
        "pi_c": g1_json(&proof.c),
        "protocol": "groth16",
        "curve": "bn128",
    })
}

/// `public.json`: the public inputs as decimal strings, in circuit order.
pub fn public_json(inputs: &[Fr]) -> Value {
    Value::Array(inputs.iter().map(|x| Value::String(field_to_decimal(x))).collect())
}

/// An element of the pairing's target group as snarkjs writes it (ffjavascript's
/// `Gt.toObject`): Fq12 = Fq6\[w\]/(w² − v) as `[c0, c1]`, each Fq6 = Fq2\[v\]/(v³ − ξ) as
/// `[c0, c1, c2]`, each Fq2 as `[c0, c1]`; arkworks uses the same tower.
pub fn gt_json(x: &PairingOutput<Bn254>) -> Value {
    let fq6 = |c: &ark_bn254::Fq6| json!([fq2_json(&c.c0), fq2_json(&c.c1), fq2_json(&c.c2)]);
    json!([fq6(&x.0.c0), fq6(&x.0.c1)])
}

fn fq2_json(x: &Fq2) -> Value {
    json!([dec(&x.c0), dec(&x.c1)])
}

/// `verification_key.json`, with the fields snarkjs writes, `vk_alphabeta_12 =
/// e(α, β)` included (snarkjs's own verifier recomputes it; other tools read it).
pub fn verification_key_json(vk: &VerifyingKey<Bn254>) -> Value {
    json!({
        "protocol": "groth16",
        "curve": "bn128",
        "nPublic": vk.gamma_abc_g1.len().saturating_sub(1),
        "vk_alpha_1": g1_json(&vk.alpha_g1),
        "vk_beta_2": g2_json(&vk.beta_g2),
        "vk_gamma_2": g2_json(&vk.gamma_g2),
        "vk_delta_2": g2_json(&vk.delta_g2),
        "vk_alphabeta_12": gt_json(&Bn254::pairing(vk.alpha_g1, vk.beta_g2)),
        "IC": vk.gamma_abc_g1.iter().map(g1_json).collect::<Vec<_>>(),
    })
}

fn bad(what: &str, reason: impl core::fmt::Display) -> VerifyError {
    VerifyError::MalformedReceipt(format!("snarkjs {what}: {reason}"))
}

fn coord(v: &Value, what: &str) -> Result<Fq> {
    let s = v.as_str().ok_or_else(|| bad(what, "coordinates must be decimal strings"))?;
    field_from_decimal::<Fq>(s).map_err(|e| bad(what, e))
}

fn triple<'a>(v: &'a Value, what: &str) -> Result<&'a [Value]> {
    match v.as_array() {
        Some(a) if a.len() == 3 => Ok(a),
        _ => Err(bad(what, "a point is a list of three coordinates")),
    }
}

fn g1_from(v: &Value, what: &'static str) -> Result<G1Affine> {
    let t = triple(v, what)?;
    let (x, y, z) = (coord(&t[0], what)?, coord(&t[1], what)?, coord(&t[2], what)?);
    if z.is_zero() {
        return if x.is_zero() && y.is_one() {
            Ok(G1Affine::identity())
        } else {
            Err(bad(what, "the identity is written [\"0\", \"1\", \"0\"]"))
        };
    }
    if !z.is_one() {
        return Err(bad(what, "only normalised points (z = 1) are accepted"));
    }
    let p = G1Affine::new_unchecked(x, y);
    if !p.is_on_curve() {
        return Err(VerifyError::InvalidProofPoint { point: what, reason: "not on the curve" });
    }
    Ok(p)
}

fn fq2(v: &Value, what: &str) -> Result<Fq2> {
    match v.as_array() {
        Some(a) if a.len() == 2 => Ok(Fq2::new(coord(&a[0], what)?, coord(&a[1], what)?)),
        _ => Err(bad(what, "an Fq2 element is a list [c0, c1]")),
    }
}

fn g2_from(v: &Value, what: &'static str) -> Result<G2Affine> {
    let t = triple(v, what)?;
    let (x, y, z) = (fq2(&t[0], what)?, fq2(&t[1], what)?, fq2(&t[2], what)?);
    if z.is_zero() {
        return if x.is_zero() && y.is_one() {
            Ok(G2Affine::identity())
        } else {
            Err(bad(what, "the identity is written [[\"0\",\"0\"],[\"1\",\"0\"],[\"0\",\"0\"]]"))
        };
    }
    if !z.is_one() {
        return Err(bad(what, "only normalised points (z = 1) are accepted"));
    }
    let p = G2Affine::new_unchecked(x, y);
    if !p.is_on_curve() {
        return Err(VerifyError::InvalidProofPoint { point: what, reason: "not on the curve" });
    }
    if !p.is_in_correct_subgroup_assuming_on_curve() {
        return Err(VerifyError::InvalidProofPoint { point: what, reason: "not in the prime-order subgroup" });
    }
    Ok(p)
}

/// Parses a snarkjs file, refusing repeated keys (which readers resolve differently).
fn parse(text: &str, what: &str) -> Result<Value> {
    let value = serde_json::from_str(text).map_err(|e| bad(what, e))?;
    teraproof_core::json::check_unique_keys(text).map_err(|e| bad(what, e))?;
    Ok(value)
}

fn check_header(v: &Value, what: &str) -> Result<()> {
    if v.get("protocol").and_then(Value::as_str) != Some("groth16") {
        return Err(bad(what, "protocol is not \"groth16\""));
    }
    if v.get("curve").and_then(Value::as_str) != Some("bn128") {
        return Err(bad(what, "curve is not \"bn128\""));
    }
    Ok(())
}

/// Imports a snarkjs `proof.json`.
pub fn proof_from_json(text: &str) -> Result<Proof<Bn254>> {
    teraproof_core::json::expect_object(text, "a proof").map_err(|e| bad("proof", e))?;
    let v = parse(text, "proof")?;
    check_header(&v, "proof")?;
    let field = |k: &str| v.get(k).ok_or_else(|| bad("proof", format!("missing {k}")));
    let proof: Proof<Bn254> =
        Proof { a: g1_from(field("pi_a")?, "A")?, b: g2_from(field("pi_b")?, "B")?, c: g1_from(field("pi_c")?, "C")? };
    // As in `decode_proof`: an honest proof's points are the identity with negligible
    // probability, and refusing them keeps the two import paths' verdicts the same.
    for (point, identity) in [("A", proof.a.is_zero()), ("B", proof.b.is_zero()), ("C", proof.c.is_zero())] {
        if identity {
            return Err(VerifyError::InvalidProofPoint { point, reason: "the identity" });
        }
    }
    Ok(proof)
}

/// Imports a snarkjs `public.json` of a unit statement: exactly the three digests
/// `dA, dB, dC`, as canonical decimals below r (never reduced).
pub fn public_from_json(text: &str) -> Result<Vec<Fr>> {
    let v = parse(text, "public inputs")?;
    let list = v.as_array().ok_or_else(|| bad("public inputs", "expected a list of decimal strings"))?;
    let names = ["da", "db", "dc"];
    if list.len() != names.len() {
        return Err(VerifyError::WrongInputCount { expected: names.len(), found: list.len() });
    }
    list.iter()
        .enumerate()
        .map(|(i, x)| {
            let s = x.as_str().ok_or_else(|| bad("public inputs", "expected decimal strings"))?;
            teraproof_core::fr_from_decimal(s).map_err(|e| VerifyError::NonCanonicalInput {
                field: names.get(i).copied().unwrap_or("input"),
                reason: e.to_string(),
            })
        })
        .collect()
}

/// Imports a snarkjs `verification_key.json`: every point on its curve and in its
/// subgroup, none the identity, and `γ ≠ δ` (the degenerate keys
/// [`crate::UnitVerifyingKey::new`] refuses, with its reasons).
pub fn verification_key_from_json(text: &str) -> Result<VerifyingKey<Bn254>> {
    teraproof_core::json::expect_object(text, "a verification key").map_err(|e| bad("verification key", e))?;
    let v = parse(text, "verification key")?;
    check_header(&v, "verification key")?;
    let field = |k: &str| v.get(k).ok_or_else(|| bad("verification key", format!("missing {k}")));
    let ic = field("IC")?.as_array().ok_or_else(|| bad("verification key", "IC is not a list"))?;
    if let Some(n) = v.get("nPublic") {
        let count = n.as_u64().and_then(|n| usize::try_from(n).ok()).and_then(|n| n.checked_add(1));
        if count != Some(ic.len()) {
            return Err(bad("verification key", format!("nPublic is {n} but IC has {} points", ic.len())));
        }
    }
    let key_point = |e: VerifyError| match e {
        VerifyError::InvalidProofPoint { reason, .. } => VerifyError::BadKey(format!("a key point is {reason}")),
        other => other,
    };
    let vk = VerifyingKey {
        alpha_g1: g1_from(field("vk_alpha_1")?, "alpha").map_err(key_point)?,
        beta_g2: g2_from(field("vk_beta_2")?, "beta").map_err(key_point)?,
        gamma_g2: g2_from(field("vk_gamma_2")?, "gamma").map_err(key_point)?,
        delta_g2: g2_from(field("vk_delta_2")?, "delta").map_err(key_point)?,
        gamma_abc_g1: ic.iter().map(|p| g1_from(p, "IC").map_err(key_point)).collect::<Result<_>>()?,
    };
    crate::key::refuse_degenerate(&vk)?;
    // Tools that read `vk_alphabeta_12` instead of recomputing it must see e(α, β).
    if let Some(written) = v.get("vk_alphabeta_12") {
        if written != &gt_json(&Bn254::pairing(vk.alpha_g1, vk.beta_g2)) {
            return Err(VerifyError::BadKey(
                "snarkjs verification key: vk_alphabeta_12 is not e(vk_alpha_1, vk_beta_2)".into(),
            ));
        }
    }
    Ok(vk)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key_json(n_public: &str) -> String {
        format!(r#"{{"protocol":"groth16","curve":"bn128","nPublic":{n_public},"IC":[]}}"#)
    }

    #[test]
    fn npublic_that_disagrees_with_ic_or_is_not_a_count_is_refused_without_panicking() {
        for n in ["18446744073709551615", "0", "3", "-1", "\"0\"", "1.5", "null"] {
            let err = verification_key_from_json(&key_json(n)).unwrap_err();
            assert!(matches!(&err, VerifyError::MalformedReceipt(m) if m.contains("nPublic")), "{n}: {err}");
        }
        // Agreeing with the (empty) IC list, the count passes and the points are read next.
        let err = verification_key_from_json(&key_json("18446744073709551615").replace("\"IC\":[]", "\"IC\":[1]"))
            .unwrap_err();
        assert!(matches!(&err, VerifyError::MalformedReceipt(m) if m.contains("nPublic")), "{err}");
    }

    #[test]
    fn the_target_group_is_written_as_ffjavascript_writes_it() {
        // e(G1, G2) of the standard generators, as printed by ffjavascript 0.3.1 (the
        // version tools/snarkjs pins) with
        // `utils.stringifyBigInts(curve.Gt.toObject(await curve.pairing(curve.G1.g, curve.G2.g)))`
        // on `buildBn128()`: the same value in the same layout, so arkworks' pairing and
        // ffjavascript's agree and `vk_alphabeta_12` is what snarkjs would write.
        let expected: Value = serde_json::from_str(concat!(
            r#"[[["17264119758069723980713015158403419364912226240334615592005620718956030922389","#,
            r#""1300711225518851207585954685848229181392358478699795190245709208408267917898"],"#,
            r#"["8894217292938489450175280157304813535227569267786222825147475294561798790624","#,
            r#""1829859855596098509359522796979920150769875799037311140071969971193843357227"],"#,
            r#"["4968700049505451466697923764727215585075098085662966862137174841375779106779","#,
            r#""12814315002058128940449527172080950701976819591738376253772993495204862218736"]],"#,
            r#"[["4233474252585134102088637248223601499779641130562251948384759786370563844606","#,
            r#""9420544134055737381096389798327244442442230840902787283326002357297404128074"],"#,
            r#"["13457906610892676317612909831857663099224588803620954529514857102808143524905","#,
            r#""5122435115068592725432309312491733755581898052459744089947319066829791570839"],"#,
            r#"["8891987925005301465158626530377582234132838601606565363865129986128301774627","#,
            r#""440796048150724096437130979851431985500142692666486515369083499585648077975"]]]"#,
        ))
        .unwrap();
        let gt = Bn254::pairing(G1Affine::generator(), G2Affine::generator());
        assert_eq!(gt_json(&gt), expected);
        // Any other element is written differently.
        assert_ne!(gt_json(&(gt + gt)), expected);
    }

    #[test]
    fn public_inputs_must_be_exactly_the_three_digests() {
        let three = r#"["1","2","3"]"#;
        assert_eq!(public_from_json(three).unwrap(), vec![Fr::from(1u64), Fr::from(2u64), Fr::from(3u64)]);
        for (text, found) in [(r#"["1","2"]"#, 2), (r#"["1","2","3","4"]"#, 4), ("[]", 0)] {
            assert_eq!(public_from_json(text).unwrap_err(), VerifyError::WrongInputCount { expected: 3, found });
        }
    }
}
