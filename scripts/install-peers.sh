#!/usr/bin/env bash
# Installs the test suite's peers from the package registries (idempotent):
# a Python virtualenv under target/ with the SMTP server (aiosmtpd) and a
# local SES v2 endpoint (moto[server]).
set -euo pipefail
cd "$(dirname "$0")/.."
venv=target/peers-venv
if [ ! -x "$venv/bin/python" ]; then
  mkdir -p target
  python3 -m venv "$venv"
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check -r scripts/peers-requirements.txt
