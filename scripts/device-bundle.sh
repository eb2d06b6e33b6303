#!/usr/bin/env bash
# Builds, on this machine (no GPU needed), everything a GPU machine without Rust needs
# into the git-ignored .device/ folder:
#   teraproof         the release binary
#   gpu-validate.sh   the one-call validation script
#   kernels.tar.gz    every kernel program compiled to CUBIN ahead of time, for sm_90
#                     (H100, H200) and sm_80 (A100): by NVRTC 13.0 in both variants
#                     and by NVRTC 12.4 (for CUDA 12 drivers), each in both variants
#                     (default, noinline-mont)
#   kernels-build.txt what `teraproof kernels build` reported (seconds, sizes, registers)
# The CUBINs are built into target/kernel-cache (kept between runs, keyed by the
# sources, so an unchanged kernel is not compiled again) and packed from there.
# Then, on the GPU machine, from the repository root:
#     OUT=/some/dir .device/gpu-validate.sh
# With the device tool: run(command=".device/gpu-validate.sh", carry=[".device"], timeout_s=560).
set -euo pipefail
cd "$(dirname "$0")/.."
ARCHS="${ARCHS:-sm_90,sm_80}"

cargo build --release --quiet -p teraproof-cli
BIN="$PWD/target/release/teraproof"
scripts/cuda-tools.sh >/dev/null
TOOLS="$PWD/.tools/cuda/nvidia"
CACHE="$PWD/target/kernel-cache"
mkdir -p .device
: >.device/kernels-build.txt

MANIFEST="$(mktemp)"
trap 'rm -f "$MANIFEST"' EXIT
# One process loads one NVRTC, and only its own folder may be on the loader's path.
build_with() {
    local lib="$1" variants="$2"
    echo "== NVRTC from $lib" | tee -a .device/kernels-build.txt
    TERAPROOF_NVRTC_LIB_DIR="$lib" LD_LIBRARY_PATH="$lib" \
        "$BIN" kernels build --arch "$ARCHS" --variant "$variants" --out "$CACHE" --manifest "$MANIFEST" |
        tee -a .device/kernels-build.txt
}
build_with "$TOOLS/cu13/lib" default,noinline-mont
build_with "$TOOLS/cuda_nvrtc/lib" default,noinline-mont

# Exactly the images of today's sources (older ones in the cache stay out).
tar -czf .device/kernels.tar.gz -C "$CACHE" -T "$MANIFEST"
echo "kernels.tar.gz: $(wc -l <"$MANIFEST") CUBINs, $(du -h .device/kernels.tar.gz | cut -f1)" | tee -a .device/kernels-build.txt
cp "$BIN" scripts/gpu-validate.sh .device/
ls -la .device
# The device tool carries at most 64 MiB (the working tree included).
bytes=$(du -sb .device | cut -f1)
echo ".device: $((bytes / 1048576)) MiB"
if ((bytes > 56 * 1048576)); then
    echo "device-bundle: .device is over 56 MiB; with the working tree it may not fit the 64 MiB the device tool carries (fewer ARCHS?)" >&2
    exit 1
fi
