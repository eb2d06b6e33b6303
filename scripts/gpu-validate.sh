#!/usr/bin/env bash
# Everything GPU-related a session must check, in ONE call of at most 9 minutes, on a
# machine with an NVIDIA GPU and the driver (no Rust, no network). It runs from the
# bundle that scripts/device-bundle.sh makes in .device/: this script, the release
# `teraproof` binary and kernels.tar.gz (the kernels compiled to CUBIN ahead, so
# nothing is compiled here). From the repository root:
#
#     OUT=/some/dir .device/gpu-validate.sh
#
# The device tool's call (docs/perf/README.md):
#     run(command=".device/gpu-validate.sh", carry=[".device"], timeout_s=560)
#
# Steps, in this order, each cut off by `timeout -k` at its own cap and at what is
# left of the budget (BUDGET_S, default 530 s):
#   (summary)   nvidia-smi, driver, NVRTC, the kernel cache and what each program loads
#   selftest    `selftest --gpu --only gemm`, `--only msm`, `--only prove`, each its own
#               process (a sticky CUDA error ends a process, not the next section),
#               TERAPROOF_LOG=teraproof_gpu=info                        (cap 120 s)
#   selftest-cuda12  `selftest --gpu --quick --only gemm|msm` on the NVRTC 12.4 CUBINs
#               alone: the images CUDA 12 drivers get, run on this driver (cap  40 s)
#   memcheck    compute-sanitizer memcheck on `selftest --gpu --quick`  (cap  90 s)
#   bench-gemm  ours vs cuBLASLt at 4096³ and 8192³                     (cap  45 s)
#   bench-msm   2^16, 2^20, 2^22 points, G1 and G2, both kernel variants (cap 110 s)
#   bench-prove `teraproof bench --backend cuda` on CU-64 and CU-256    (cap 100 s)
# Output: at most 8 files under $OUT (summary.txt, one log per step, bench.json).
# Every selftest row is flushed as it finishes, so a step cut off still leaves its
# rows. A step's failure is logged and the next step still runs; the exit status is
# the number of failed steps, or 100 when there is no usable GPU (after the report).
set -uo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
BIN="${TERAPROOF_BIN:-$HERE/teraproof}"
OUT="${OUT:-$PWD/gpu-validate-out}"
BUDGET_S="${BUDGET_S:-530}"
mkdir -p "$OUT"
SUMMARY="$OUT/summary.txt"
: >"$SUMMARY"
START=$SECONDS
failed=0

say() { echo "$*" | tee -a "$SUMMARY"; }
left() { echo $((BUDGET_S - (SECONDS - START))); }

# A scratch folder of our own (mode 0700): the kernel cache must be private to its user.
WORK="$(mktemp -d "${TMPDIR:-/tmp}/teraproof-gpu.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
export TERAPROOF_KERNEL_CACHE="$WORK/kernels"
export CUDA_CACHE_PATH="$WORK/cuda-jit-cache" # the driver's JIT cache, for any PTX fallback
export CUDA_CACHE_MAXSIZE=4294967296
mkdir -p "$TERAPROOF_KERNEL_CACHE" "$CUDA_CACHE_PATH"
chmod 700 "$TERAPROOF_KERNEL_CACHE"
CUDA12_CACHE="$WORK/kernels-nvrtc12"
mkdir -p "$CUDA12_CACHE" && chmod 700 "$CUDA12_CACHE"
if [[ ! -f "$HERE/kernels.tar.gz" ]]; then
    KERNELS="no kernels.tar.gz: every program is compiled by NVRTC here (minutes)"
elif ! tar_error="$(tar -xzf "$HERE/kernels.tar.gz" -C "$TERAPROOF_KERNEL_CACHE" 2>&1)"; then
    KERNELS="kernels.tar.gz could not be unpacked ($tar_error): every program is compiled by NVRTC here (minutes)"
else
    KERNELS="$(find "$TERAPROOF_KERNEL_CACHE" -name '*.cubin' | wc -l) CUBINs from kernels.tar.gz"
    cp "$TERAPROOF_KERNEL_CACHE"/*-nvrtc12.*.cubin "$CUDA12_CACHE"/ 2>/dev/null || true
fi

# NVRTC, only needed when no CUBIN fits this GPU: the toolkit's, or a pip wheel's.
find_nvrtc() {
    local dir site candidates=()
    while read -r dir; do candidates+=("$dir"); done < <(ldconfig -p 2>/dev/null | awk '/libnvrtc\.so\.1[23] / {print $NF}' | xargs -r -n1 dirname)
    candidates+=(/usr/local/cuda*/lib64 /usr/local/cuda*/targets/*/lib)
    for site in $(python3 -c 'import site; print(" ".join(site.getsitepackages()))' 2>/dev/null); do
        candidates+=("$site/nvidia/cu13/lib" "$site/nvidia/cuda_nvrtc/lib")
    done
    for dir in "${candidates[@]}"; do
        if compgen -G "$dir/libnvrtc.so.1[23]" >/dev/null; then
            echo "$dir"
            return 0
        fi
    done
    return 1
}
if NVRTC_DIR="$(find_nvrtc)"; then
    export TERAPROOF_NVRTC_LIB_DIR="$NVRTC_DIR"
    export LD_LIBRARY_PATH="$NVRTC_DIR${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    NVRTC="NVRTC in $NVRTC_DIR"
else
    NVRTC="no NVRTC found (toolkit, ldconfig, python site-packages): only the CUBINs can be used"
fi
SANITIZER="$(command -v compute-sanitizer || ls /usr/local/cuda*/bin/compute-sanitizer 2>/dev/null | head -n1)"

# Runs `selftest --gpu` one section per process; the status is the number that failed.
selftest_sections() {
    local failures=0 section
    for section in "$@"; do
        "$BIN" selftest --gpu $SELFTEST_FLAGS --only "$section" || failures=$((failures + 1))
    done
    return "$failures"
}

# step NAME CAP_SECONDS COMMAND...: runs with a time limit of min(cap, budget left).
step() {
    local name="$1" cap="$2"
    shift 2
    local limit
    limit=$(left)
    ((limit > cap)) && limit=$cap
    if ((limit < 5)); then
        say "== $name: skipped, the budget is spent"
        failed=$((failed + 1))
        return
    fi
    say "== $name (at most ${limit} s): ${LABEL:-$*}"
    local start=$SECONDS status=0
    timeout -k 5 "$limit" "$@" >"$OUT/$name.log" 2>&1 || status=$?
    if ((status == 0)); then
        say "   ok ($((SECONDS - start)) s)"
    else
        ((status == 124 || status == 137)) && say "   CUT OFF at ${limit} s"
        say "   FAILED with status $status ($((SECONDS - start)) s); tail of $name.log:"
        tail -n 25 "$OUT/$name.log" | tee -a "$SUMMARY"
        failed=$((failed + 1))
    fi
}

device_report() {
    date -u
    echo "binary: $(ls -l "$BIN" 2>&1)"
    echo "kernels: $KERNELS"
    echo "$NVRTC"
    echo "compute-sanitizer: ${SANITIZER:-not found}"
    echo "LD_LIBRARY_PATH=${LD_LIBRARY_PATH:-}"
    if command -v nvidia-smi >/dev/null 2>&1; then
        nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm,power.limit --format=csv || true
        nvidia-smi || true
    else
        echo "nvidia-smi: not found"
    fi
    # The kernel cache, and (exit status 2 without a usable GPU) what each program loads.
    "$BIN" kernels list --device
}

say "gpu-validate: budget ${BUDGET_S} s; $KERNELS; $NVRTC"
if [[ ! -x "$BIN" ]]; then
    say "no teraproof binary at $BIN (run scripts/device-bundle.sh first)"
    exit 64
fi
if ! command -v timeout >/dev/null 2>&1; then
    say "no \`timeout\` (coreutils) on this machine: cannot bound the steps"
    exit 65
fi
# The report goes into summary.txt itself (the device tool brings back 8 files at most).
device_report >>"$SUMMARY" 2>&1
gpu_status=$?
tail -n 12 "$SUMMARY"
if ((gpu_status != 0)); then
    say "no GPU: teraproof sees no usable device (status $gpu_status); nothing else to run"
    exit 100
fi

export BIN
SECTIONS="$(declare -f selftest_sections)"
LABEL="selftest --gpu --only gemm, then msm, then prove (three processes)" \
    step selftest 120 env TERAPROOF_LOG=teraproof_gpu=info SELFTEST_FLAGS= bash -c "$SECTIONS; selftest_sections gemm msm prove"
if compgen -G "$CUDA12_CACHE/*.cubin" >/dev/null; then
    LABEL="selftest --gpu --quick --only gemm, then msm, with only the NVRTC 12.4 CUBINs" \
        step selftest-cuda12 40 env TERAPROOF_KERNEL_CACHE="$CUDA12_CACHE" SELFTEST_FLAGS=--quick \
        bash -c "$SECTIONS; selftest_sections gemm msm"
else
    say "== selftest-cuda12: no NVRTC 12 CUBINs in the bundle, skipped"
fi
if [[ -n "$SANITIZER" ]]; then
    step memcheck 90 "$SANITIZER" --tool memcheck --error-exitcode 99 "$BIN" selftest --gpu --quick
else
    say "== memcheck: compute-sanitizer not found, skipped"
    failed=$((failed + 1))
fi
step bench-gemm 45 "$BIN" bench gemm --units CU-4096,CU-8192 --repeats 10 --cpu-max 0
step bench-msm 110 "$BIN" bench msm --log-sizes 16,20,22 --repeats 5 --cpu-max-log 0 --variants default,noinline-mont
step bench-prove 100 "$BIN" bench --units CU-64,CU-256 --repeats 3 --backend cuda --json "$OUT/bench.json"

say "failed steps: $failed; $((SECONDS - START)) s in all"
exit "$failed"
