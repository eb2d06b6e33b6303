#!/usr/bin/env bash
# Installs redis-server and openssl (Debian packages) when missing: the fleet's tests start
# their own server on a loopback port. Needs root or sudo; says so plainly otherwise.
set -euo pipefail
# openssl makes the TLS test's certificates.
missing=""
command -v redis-server >/dev/null 2>&1 || missing=" redis-server"
command -v openssl >/dev/null 2>&1 || missing="$missing openssl"
if [ -z "$missing" ]; then
    exit 0
fi
if [ "$(id -u)" -eq 0 ]; then
    sudo=""
elif command -v sudo >/dev/null 2>&1; then
    sudo="sudo"
else
    echo "missing:$missing; this user cannot install packages: install Debian's redis-server and openssl packages" >&2
    exit 1
fi
echo "installing$missing (Debian packages) for the fleet tests"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq >/dev/null
$sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
# The package may start a system server on 6379; the tests never use it.
redis-server --version
