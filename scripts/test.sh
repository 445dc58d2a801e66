#!/usr/bin/env bash
# The whole test suite, peers included: formatting, lints, every unit and
# integration test, and the tests marked #[ignore = "needs …"] with their
# peers (a real SMTP server, ...) started here on loopback ports.
# Safe to run on a fresh machine: it installs what it needs first.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

scripts/install-peers.sh

cargo fmt --all --check
cargo clippy --workspace --all-targets -- -D warnings
cargo clippy -p switchboard-router --features lambda --all-targets -- -D warnings
# The AWS SAM template (deploy/aws/README.md).
"$root/target/peers-venv/bin/cfn-lint" deploy/aws/template.yaml

peers=$(mktemp -d "${TMPDIR:-/tmp}/switchboard-peers.XXXXXX")
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$peers"
}
trap cleanup EXIT

free_port() { "$root/target/peers-venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() {
  for _ in $(seq 1 300); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "peer on port $1 did not start" >&2
  return 1
}

# A real SMTP server that files every message it receives into a Maildir.
smtp_port=$(free_port)
# (aiosmtpd's Mailbox handler needs the Maildir's tmp/new/cur to exist.)
mkdir -p "$peers/maildir/tmp" "$peers/maildir/new" "$peers/maildir/cur"
"$root/target/peers-venv/bin/python" -m aiosmtpd -n -l "127.0.0.1:$smtp_port" \
  -c aiosmtpd.handlers.Mailbox "$peers/maildir" >"$peers/smtp.log" 2>&1 &
pids+=($!)
wait_port "$smtp_port"
export SWITCHBOARD_TEST_SMTP="127.0.0.1:$smtp_port"
export SWITCHBOARD_TEST_MAILDIR="$peers/maildir"

# A local AWS (moto's server: SES v2, DynamoDB, SQS, SSM, SNS in one process)
# for the router's SES backend, the AWS store and the delivery worker.
ses_port=$(free_port)
"$root/target/peers-venv/bin/moto_server" -H 127.0.0.1 -p "$ses_port" >"$peers/ses.log" 2>&1 &
pids+=($!)
wait_port "$ses_port"
export SWITCHBOARD_TEST_SES="http://127.0.0.1:$ses_port"
export SWITCHBOARD_TEST_AWS="http://127.0.0.1:$ses_port"

# cargo-lambda's Lambda Runtime API emulator, without its own function
# processes (--only-lambda-apis): the Lambda binary runs under it as separate
# processes, against moto (functions/router/tests/lambda_emulator.rs).
lambda_port=$(free_port)
"$root/target/peers-venv/bin/cargo-lambda" lambda watch --only-lambda-apis --ignore-changes \
  -A 127.0.0.1 -P "$lambda_port" >"$peers/lambda.log" 2>&1 &
pids+=($!)
wait_port "$lambda_port"
export SWITCHBOARD_TEST_LAMBDA="http://127.0.0.1:$lambda_port"

cargo test --workspace -- --include-ignored
# The Lambda binary and the test that runs it need the `lambda` feature.
cargo test -p switchboard-router --features lambda --test lambda_emulator -- --include-ignored

# Benchmarks are never timed tests: here they only have to still run, on
# small sizes (BENCHMARKS.md has the real figures and how to get them).
python3 benches/bench.py --quick
python3 benches/bench-serve.py --quick
cargo bench -p switchboard --bench render -- --quick
"$root/target/peers-venv/bin/python" benches/lambda-init.py --runs 2 \
  "${CARGO_TARGET_DIR:-$root/target}/debug/switchboard-router"

# The visitor's side in a real browser (tests/browser/README.md): axe-core,
# the Nu Html Checker, vobject, screenshots under target/screenshots/, and the
# form end to end against `switchboard serve`. Debian's Chromium, no download.
cargo build --bin switchboard
SWITCHBOARD_BIN="${CARGO_TARGET_DIR:-$root/target}/debug/switchboard" \
  PEERS_PYTHON="$root/target/peers-venv/bin/python" \
  node --test --test-concurrency=1 --test-timeout=120000 tests/browser/*.test.js
