#!/usr/bin/env bash
# Installs the test suite's peers from the package registries (idempotent):
# a Python virtualenv under target/ with the SMTP server (aiosmtpd), a local
# AWS (moto[server]) and cargo-lambda's Lambda Runtime API emulator (its
# wheel ships the binary; the ziglang it pulls in is only for cross builds).
set -euo pipefail
cd "$(dirname "$0")/.."
venv=target/peers-venv
if [ ! -x "$venv/bin/python" ]; then
  mkdir -p target
  python3 -m venv "$venv"
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check -r scripts/peers-requirements.txt

# The browser suite (tests/browser): Debian's Chromium (never a browser that a
# test tool downloads), a Java runtime for the Nu Html Checker, and the npm
# packages pinned in package-lock.json (--ignore-scripts: vnu-jar's
# postinstall would fetch a JDK from outside the package registries).
apt_missing=()
command -v chromium >/dev/null || apt_missing+=(chromium fonts-dejavu-core fonts-liberation)
# A Japanese font, so screenshots show the example's 渡辺 健二 and not boxes.
fc-list :lang=ja 2>/dev/null | grep -q . || apt_missing+=(fonts-ipafont-gothic)
command -v java >/dev/null || apt_missing+=(default-jre-headless)
command -v npm >/dev/null || apt_missing+=(nodejs npm)
# The /api/contact load benchmark (benches/bench-contact.sh).
command -v wrk >/dev/null || apt_missing+=(wrk)
command -v curl >/dev/null || apt_missing+=(curl)
# The side-by-side build benchmark (benches/bench-hugo.py): Debian's Hugo.
command -v hugo >/dev/null || apt_missing+=(hugo)
# The throwaway certificate of the TLS SMTP peers (scripts/test.sh).
command -v openssl >/dev/null || apt_missing+=(openssl)
if [ "${#apt_missing[@]}" -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${apt_missing[@]}"
fi
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
fi
