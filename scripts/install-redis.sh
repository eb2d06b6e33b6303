#!/usr/bin/env bash
# Installs redis-server (Debian's package) when it is missing: the fleet's tests start
# their own server on a loopback port. Needs root or sudo; says so plainly otherwise.
set -euo pipefail
if command -v redis-server >/dev/null 2>&1; then
    exit 0
fi
if [ "$(id -u)" -eq 0 ]; then
    sudo=""
elif command -v sudo >/dev/null 2>&1; then
    sudo="sudo"
else
    echo "redis-server is missing and this user cannot install packages: install Debian's redis-server package" >&2
    exit 1
fi
echo "installing redis-server (Debian package) for the fleet tests"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq >/dev/null
$sudo apt-get install -y -qq --no-install-recommends redis-server >/dev/null
# The package may start a system server on 6379; the tests never use it.
redis-server --version
