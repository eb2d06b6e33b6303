#!/usr/bin/env bash
# Builds the verifier's fuzz target (fuzz/fuzz_targets/receipt.rs) with libFuzzer and
# runs it for a fixed number of executions: `scripts/fuzz.sh [RUNS] [extra libFuzzer args]`.
#
# cargo-fuzz needs a nightly toolchain for its sanitizers; coverage-guided fuzzing itself
# needs only the stable sanitizer-coverage flags below, which are the ones cargo-fuzz
# passes (without AddressSanitizer: the verifier has no unsafe code to check). The
# corpus grows in target/fuzz/corpus (git-ignored); crashes land in target/fuzz/artifacts.
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS="${1:-100000}"
shift || true

export RUSTFLAGS="--cfg fuzzing -Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 \
-Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table \
-Cllvm-args=-sanitizer-coverage-trace-compares -Cdebug-assertions -Coverflow-checks"
TARGET_DIR="$PWD/target/fuzz/build"
# An explicit --target keeps RUSTFLAGS off build scripts and proc macros (as cargo-fuzz does).
HOST="$(rustc -vV | sed -n 's/^host: //p')"
cargo build --quiet --release --manifest-path fuzz/Cargo.toml --target-dir "$TARGET_DIR" --target "$HOST" --bin receipt

CORPUS="$PWD/target/fuzz/corpus"
ARTIFACTS="$PWD/target/fuzz/artifacts/"
mkdir -p "$CORPUS" "$ARTIFACTS"
# Seeds: the honest receipt under each mode byte ('0' parse, '5' flip proof, '6' digest, '7' batch).
for mode in 0 5 6 7; do
    { printf "$mode"; cat fuzz/fixture/receipt.json; } > "$CORPUS/seed-mode-$mode"
done
# ('0' and '4' with the sumcheck path's receipt: its parser, and its proof bytes flipped.)
for mode in 0 4; do
    { printf "$mode"; cat crates/verifier/tests/fixtures/sumcheck/receipt.json; } > "$CORPUS/seed-sumcheck-mode-$mode"
done

"$TARGET_DIR/$HOST/release/receipt" "$CORPUS" -runs="$RUNS" -artifact_prefix="$ARTIFACTS" -print_final_stats=1 "$@"
