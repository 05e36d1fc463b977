#!/usr/bin/env bash
# Installs the contract fuzzer (Schemathesis, from PyPI) into .fuzz-venv/ in the checkout (ignored by
# git). Idempotent and quiet: does nothing when the pinned version is already there.
set -euo pipefail
cd "$(dirname "$0")/../.."
VERSION=4.32.5
VENV=.fuzz-venv
if [ -x "$VENV/bin/st" ] && "$VENV/bin/st" --version 2>/dev/null | grep -q "$VERSION"; then
  exit 0
fi
if ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
  echo "installing python3-venv"
  if [ "$(id -u)" = "0" ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq && $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3 python3-venv >/dev/null
fi
echo "installing schemathesis $VERSION into $VENV"
rm -rf "$VENV"
python3 -m venv "$VENV"
"$VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$VERSION"
