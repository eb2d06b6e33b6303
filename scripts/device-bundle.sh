#!/usr/bin/env bash
# Builds what a GPU machine without Rust needs into .device/ (git-ignored; add
# `/.device/` to .git/info/exclude): the release `teraproof` binary and the validation
# script. Then, on the GPU machine, from the repository root:
#     OUT=/some/dir .device/gpu-validate.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet -p teraproof-cli
mkdir -p .device
cp target/release/teraproof scripts/gpu-validate.sh .device/
ls -la .device
