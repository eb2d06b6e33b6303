#!/usr/bin/env bash
# The project's test command: installs the JavaScript tools the interop tests run
# (the real snarkjs, pinned in tools/snarkjs/package-lock.json), then runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."

if command -v npm >/dev/null 2>&1; then
    (cd tools/snarkjs && npm ci --no-audit --no-fund --loglevel=error)
else
    echo "npm not found: the snarkjs interop test will skip its snarkjs run"
fi
cargo test --workspace
