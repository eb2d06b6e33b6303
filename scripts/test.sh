#!/usr/bin/env bash
# The project's test command: installs the JavaScript tools the interop tests run
# (the real snarkjs and solc, pinned by the package-lock.json files under tools/) and
# redis-server for the fleet's, then runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."

if command -v npm >/dev/null 2>&1; then
    for tool in tools/snarkjs tools/solc; do
        (cd "$tool" && npm ci --no-audit --no-fund --loglevel=error)
    done
else
    echo "npm not found: the snarkjs and EVM tests will skip their snarkjs and solc runs"
fi
# NVRTC and ptxas (pinned PyPI wheels, into .tools/cuda) for the kernels' static checks.
if cuda_env=$(scripts/cuda-tools.sh); then
    eval "$cuda_env"
else
    echo "could not install the CUDA tool wheels: the kernel compile checks will skip"
fi

# redis-server for the fleet's tests (they start their own on a loopback port).
scripts/install-redis.sh

cargo test --workspace
