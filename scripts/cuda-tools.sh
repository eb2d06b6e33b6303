#!/usr/bin/env bash
# Installs the CUDA tools that the GPU crate's static checks need on a machine without
# a GPU or a CUDA toolkit: NVRTC 13 (libnvrtc.so.13, from the `nvidia-cuda-nvrtc` wheel),
# NVRTC 12.4 (libnvrtc.so.12, `nvidia-cuda-nvrtc-cu12`) and ptxas (`nvidia-cuda-nvcc`),
# pinned, into the git-ignored `.tools/cuda`.
#
# Idempotent: when the pinned versions are already there it installs nothing.
#
# stdout carries only `export` lines, so either of these sets up a shell:
#     eval "$(scripts/cuda-tools.sh)"
#     scripts/cuda-tools.sh && source .tools/cuda/env.sh
# Progress goes to stderr. `cargo test -p teraproof-gpu` also finds `.tools/cuda` on its
# own when the variables are unset.
set -euo pipefail
cd "$(dirname "$0")/.."

# NVRTC and ptxas of CUDA 13.0 (what the GPU machines run), and NVRTC 12.4: the kernels
# must also build for drivers of CUDA 12.4 and newer, which cannot load NVRTC 13's output.
PINNED=(nvidia-cuda-nvrtc==13.0.88 nvidia-cuda-nvcc==13.0.88 nvidia-cuda-nvrtc-cu12==12.4.127)
TARGET_DIR="$PWD/.tools/cuda"
ENV_FILE="$TARGET_DIR/env.sh"

log() { echo "cuda-tools: $*" >&2; }

# A wheel is installed when pip's metadata folder for exactly this version is there.
is_installed() {
    local name="${1%%==*}" version="${1##*==}"
    [[ -d "$TARGET_DIR/${name//-/_}-${version}.dist-info" ]]
}

missing=()
for pinned in "${PINNED[@]}"; do
    is_installed "$pinned" || missing+=("$pinned")
done

if ((${#missing[@]} == 0)); then
    log "${PINNED[*]} already in ${TARGET_DIR#"$PWD"/}"
else
    PYTHON="${PYTHON:-$(command -v python3 || command -v python || true)}"
    if [[ -z "$PYTHON" ]]; then
        log "python3 not found: cannot install the CUDA tool wheels" && exit 1
    fi
    if ! "$PYTHON" -m pip --version >/dev/null 2>&1; then
        log "$PYTHON has no pip (on Debian: apt-get install python3-pip)" && exit 1
    fi
    log "installing ${missing[*]} into ${TARGET_DIR#"$PWD"/}"
    mkdir -p "$TARGET_DIR"
    # The wheels share the `nvidia/` namespace folder and `pip --target` refuses to merge
    # into an existing folder without --upgrade, so install the whole pinned set at once.
    PIP_ROOT_USER_ACTION=ignore "$PYTHON" -m pip install --quiet --disable-pip-version-check --no-cache-dir --no-deps --upgrade \
        --target "$TARGET_DIR" "${PINNED[@]}" >&2
fi

NVRTC_LIB_DIR="$TARGET_DIR/nvidia/cu13/lib"
NVRTC12_LIB_DIR="$TARGET_DIR/nvidia/cuda_nvrtc/lib"
PTXAS="$TARGET_DIR/nvidia/cu13/bin/ptxas"
[[ -f "$NVRTC_LIB_DIR/libnvrtc.so.13" ]] || { log "libnvrtc.so.13 missing in $NVRTC_LIB_DIR"; exit 1; }
[[ -f "$NVRTC12_LIB_DIR/libnvrtc.so.12" ]] || { log "libnvrtc.so.12 missing in $NVRTC12_LIB_DIR"; exit 1; }
[[ -x "$PTXAS" ]] || { log "ptxas missing at $PTXAS"; exit 1; }

# libnvrtc loads libnvrtc-builtins at compile time, so its folder goes on LD_LIBRARY_PATH.
cat >"$ENV_FILE" <<EOF
export TERAPROOF_NVRTC_LIB_DIR="$NVRTC_LIB_DIR"
export TERAPROOF_NVRTC12_LIB_DIR="$NVRTC12_LIB_DIR"
export TERAPROOF_PTXAS="$PTXAS"
export LD_LIBRARY_PATH="$NVRTC_LIB_DIR\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}"
EOF
log "wrote ${ENV_FILE#"$PWD"/}"
cat "$ENV_FILE"
