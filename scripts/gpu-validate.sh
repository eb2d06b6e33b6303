#!/usr/bin/env bash
# Runs on a machine with an NVIDIA GPU and the CUDA toolkit (no Rust needed), with the
# binary from scripts/device-bundle.sh next to this script. Everything GPU-related that
# a session must check, in one go; logs go to $OUT (default ./gpu-validate-out):
#   1. the device (nvidia-smi) and NVRTC;
#   2. `teraproof selftest --gpu` (every kernel against its CPU reference), logging the
#      NVRTC compile time; the PTX it leaves in the kernel cache serves later steps;
#   3. compute-sanitizer (memcheck, racecheck, synccheck) on `selftest --gpu --quick`
#      (MSM cases of at most 1000 points and the smallest unit end to end: every kernel
#      and edge input, sanitizer-sized);
#   4. `teraproof bench gemm` (ours, cuBLASLt, CPU), `bench msm` (G1, G2), and
#      `teraproof bench` on the GPU backend.
# A step's failure is logged and the next step still runs; the exit status is the
# number of failed steps. Each step is cut off after STEP_TIMEOUT seconds (default
# 300), so one slow step cannot eat a whole device call.
#
# Usage: gpu-validate.sh [all|check|sanitize|bench]   (default: all)
#   check: 1 and 2; sanitize: 3; bench: 4. Where one device call is limited to ten
#   minutes, run `check`, `sanitize` and `bench` as three calls in a row (the kernel
#   cache left by `check` spares the later calls NVRTC's compile, while the machine
#   stays warm).
set -uo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
BIN="$HERE/teraproof"
OUT="${OUT:-$PWD/gpu-validate-out}"
GROUP="${1:-all}"
STEP_TIMEOUT="${STEP_TIMEOUT:-300}"
case "$GROUP" in
    all | check | sanitize | bench) ;;
    *)
        echo "usage: $0 [all|check|sanitize|bench]" >&2
        exit 64
        ;;
esac
mkdir -p "$OUT"
failed=0

# NVRTC ships with the toolkit; its folder must be on the loader's path.
for dir in $(ldconfig -p 2>/dev/null | awk '/libnvrtc\.so\.13/ {print $NF}' | xargs -r -n1 dirname) /usr/local/cuda*/lib64 /usr/local/cuda*/targets/*/lib; do
    if [[ -e "$dir/libnvrtc.so.13" ]]; then
        export LD_LIBRARY_PATH="$dir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
        break
    fi
done
SANITIZER="$(command -v compute-sanitizer || ls /usr/local/cuda*/bin/compute-sanitizer 2>/dev/null | head -n1)"

step() {
    local name="$1"
    shift
    echo "== $name: $*" | tee -a "$OUT/summary.txt"
    local start=$SECONDS
    if timeout "$STEP_TIMEOUT" "$@" > "$OUT/$name.log" 2>&1; then
        echo "   ok ($((SECONDS - start)) s)" | tee -a "$OUT/summary.txt"
    else
        echo "   FAILED with status $? ($((SECONDS - start)) s); tail of $name.log:" | tee -a "$OUT/summary.txt"
        tail -n 30 "$OUT/$name.log" | tee -a "$OUT/summary.txt"
        failed=$((failed + 1))
    fi
}

wants() { [[ "$GROUP" == all || "$GROUP" == "$1" ]]; }

step device sh -c 'date -u; nvidia-smi; echo "LD_LIBRARY_PATH=$LD_LIBRARY_PATH"; ls -l "'"$BIN"'"'
if wants check; then
    step selftest env TERAPROOF_LOG=teraproof_gpu=info "$BIN" selftest --gpu
    step kernel-cache sh -c 'if [ "${TERAPROOF_KERNEL_CACHE:-}" = off ]; then echo "kernel cache off"; else ls -l "${TERAPROOF_KERNEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/teraproof/kernels}"; fi'
fi
if wants sanitize && [[ -n "$SANITIZER" ]]; then
    for tool in memcheck racecheck synccheck; do
        step "sanitizer-$tool" "$SANITIZER" --tool "$tool" --error-exitcode 99 "$BIN" selftest --gpu --quick
    done
elif wants sanitize; then
    echo "== compute-sanitizer not found: skipped" | tee -a "$OUT/summary.txt"
    failed=$((failed + 1))
fi
if wants bench; then
    step bench-gemm "$BIN" bench gemm --units CU-64,CU-256,CU-1024,CU-4096,CU-8192 --repeats 20
    step bench-msm "$BIN" bench msm --log-sizes 10,12,14,16,18,20,22,24 --repeats 10
    step bench-prove "$BIN" bench --units CU-16,CU-64,CU-128 --repeats 3 --backend auto --json "$OUT/bench.json"
fi
echo "failed steps: $failed" | tee -a "$OUT/summary.txt"
exit "$failed"
