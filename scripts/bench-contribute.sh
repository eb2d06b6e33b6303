#!/usr/bin/env bash
# The ceremony benchmark (issue 17): our `ceremony contribute` against `snarkjs zkey
# contribute` on the same zkey, a CU-64 unit (QAP domain 2^17) on an INSECURE
# development ptau of power 18 (snarkjs' circuit hash needs one power above the
# domain's). Prints each run's wall time; the figures go in docs/perf.
#   scripts/bench-contribute.sh [UNIT] [RUNS]      (BENCH_VERIFY=0: timings only)
set -euo pipefail
cd "$(dirname "$0")/.."
unit=${1:-CU-64}
runs=${2:-3}
work=${BENCH_DIR:-target/bench-contribute}
mkdir -p "$work"
snarkjs=tools/snarkjs/node_modules/.bin/snarkjs
[ -x "$snarkjs" ] || (cd tools/snarkjs && npm ci --silent)
cargo build --release --quiet -p teraproof-cli
cargo build --release --quiet --example 05_dev_ptau
bin=target/release/teraproof
[ -f "$work/dev18.ptau" ] || target/release/examples/05_dev_ptau 18 1 "$work/dev18.ptau"
[ -f "$work/$unit.r1cs" ] || "$bin" ceremony r1cs --unit "$unit" --out "$work/$unit.r1cs"
[ -f "$work/$unit-0.zkey" ] || "$bin" ceremony new --unit "$unit" --ptau "$work/dev18.ptau" --out "$work/$unit-0.zkey"
ms() { date +%s%N; }
for i in $(seq "$runs"); do
    t0=$(ms)
    "$bin" ceremony contribute --in "$work/$unit-0.zkey" --out "$work/$unit-ours.zkey" --name bench > /dev/null
    t1=$(ms)
    "$snarkjs" zkey contribute "$work/$unit-0.zkey" "$work/$unit-snarkjs.zkey" --name=bench -e=bench > /dev/null
    t2=$(ms)
    echo "run $i: teraproof $(( (t1 - t0) / 1000000 )) ms, snarkjs $(( (t2 - t1) / 1000000 )) ms"
done
# Both results are valid contributions: our check of snarkjs's, snarkjs's of ours
# (snarkjs' check takes about ten minutes here; BENCH_VERIFY=0 skips both).
[ "${BENCH_VERIFY:-1}" = 0 ] && exit 0
"$bin" ceremony verify --unit "$unit" --ptau "$work/dev18.ptau" --zkey "$work/$unit-snarkjs.zkey" | tail -1
"$snarkjs" zkey verify "$work/$unit.r1cs" "$work/dev18.ptau" "$work/$unit-ours.zkey" | tail -1
