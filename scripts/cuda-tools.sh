#!/usr/bin/env bash
# Installs the CUDA tools that the GPU crate's static checks need on a machine without
# a GPU or a CUDA toolkit: NVRTC (libnvrtc.so.13, from the `nvidia-cuda-nvrtc` wheel) and
# ptxas (from the `nvidia-cuda-nvcc` wheel), pinned, into the git-ignored `.tools/cuda`.
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

CUDA_TOOLS_VERSION="13.0.88"
PACKAGES=(nvidia-cuda-nvrtc nvidia-cuda-nvcc)
TARGET_DIR="$PWD/.tools/cuda"
ENV_FILE="$TARGET_DIR/env.sh"

log() { echo "cuda-tools: $*" >&2; }

# A wheel is installed when pip's metadata folder for exactly this version is there.
is_installed() {
    local dist_name="${1//-/_}"
    [[ -d "$TARGET_DIR/${dist_name}-${CUDA_TOOLS_VERSION}.dist-info" ]]
}

missing=()
for package in "${PACKAGES[@]}"; do
    is_installed "$package" || missing+=("$package")
done

if ((${#missing[@]} == 0)); then
    log "NVRTC and ptxas ${CUDA_TOOLS_VERSION} already in ${TARGET_DIR#"$PWD"/}"
else
    PYTHON="${PYTHON:-$(command -v python3 || command -v python || true)}"
    if [[ -z "$PYTHON" ]]; then
        log "python3 not found: cannot install the CUDA tool wheels" && exit 1
    fi
    if ! "$PYTHON" -m pip --version >/dev/null 2>&1; then
        log "$PYTHON has no pip (on Debian: apt-get install python3-pip)" && exit 1
    fi
    log "installing ${missing[*]} ${CUDA_TOOLS_VERSION} into ${TARGET_DIR#"$PWD"/}"
    mkdir -p "$TARGET_DIR"
    # Both wheels share the `nvidia/` namespace folder and `pip --target` refuses to merge
    # into an existing folder without --upgrade, so install the whole pinned set at once.
    pinned=()
    for package in "${PACKAGES[@]}"; do pinned+=("${package}==${CUDA_TOOLS_VERSION}"); done
    PIP_ROOT_USER_ACTION=ignore "$PYTHON" -m pip install --quiet --disable-pip-version-check --no-cache-dir --no-deps --upgrade \
        --target "$TARGET_DIR" "${pinned[@]}" >&2
fi

NVRTC_LIB_DIR="$TARGET_DIR/nvidia/cu13/lib"
PTXAS="$TARGET_DIR/nvidia/cu13/bin/ptxas"
[[ -f "$NVRTC_LIB_DIR/libnvrtc.so.13" ]] || { log "libnvrtc.so.13 missing in $NVRTC_LIB_DIR"; exit 1; }
[[ -x "$PTXAS" ]] || { log "ptxas missing at $PTXAS"; exit 1; }

# libnvrtc loads libnvrtc-builtins at compile time, so its folder goes on LD_LIBRARY_PATH.
cat >"$ENV_FILE" <<EOF
export TERAPROOF_NVRTC_LIB_DIR="$NVRTC_LIB_DIR"
export TERAPROOF_PTXAS="$PTXAS"
export LD_LIBRARY_PATH="$NVRTC_LIB_DIR\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}"
EOF
log "wrote ${ENV_FILE#"$PWD"/}"
cat "$ENV_FILE"
