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
# The two binaries behind features: the self-hosted server and the Lambda one.
cargo clippy -p switchboard-router --features server,lambda --all-targets -- -D warnings
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

# The same over TLS, each server with its own Maildir: STARTTLS, implicit TLS
# (SMTPS) and STARTTLS with AUTH (functions/router/tests/smtp_tls.rs). Their
# certificate is made here for a day, issued by a throwaway CA that the router
# trusts through SWITCHBOARD_SMTP_CA_FILE. (Not one self-signed certificate:
# rustls refuses a CA certificate as a server's own, and a private CA is what
# a real relay with SWITCHBOARD_SMTP_CA_FILE has.)
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=Switchboard test CA" \
  -keyout "$peers/ca-key.pem" -out "$peers/ca.pem" 2>"$peers/openssl.log"
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost \
  -CA "$peers/ca.pem" -CAkey "$peers/ca-key.pem" \
  -addext subjectAltName=DNS:localhost,IP:127.0.0.1 -addext basicConstraints=critical,CA:FALSE \
  -keyout "$peers/smtp-key.pem" -out "$peers/smtp-cert.pem" 2>>"$peers/openssl.log"
export SWITCHBOARD_TEST_SMTP_CA="$peers/ca.pem"
for kind in starttls smtps auth; do
  mkdir -p "$peers/maildir-$kind/tmp" "$peers/maildir-$kind/new" "$peers/maildir-$kind/cur"
done
starttls_port=$(free_port)
"$root/target/peers-venv/bin/python" -m aiosmtpd -n -l "127.0.0.1:$starttls_port" \
  --tlscert "$peers/smtp-cert.pem" --tlskey "$peers/smtp-key.pem" \
  -c aiosmtpd.handlers.Mailbox "$peers/maildir-starttls" >"$peers/smtp-starttls.log" 2>&1 &
pids+=($!)
smtps_port=$(free_port)
"$root/target/peers-venv/bin/python" -m aiosmtpd -n -l "127.0.0.1:$smtps_port" \
  --smtpscert "$peers/smtp-cert.pem" --smtpskey "$peers/smtp-key.pem" \
  -c aiosmtpd.handlers.Mailbox "$peers/maildir-smtps" >"$peers/smtp-smtps.log" 2>&1 &
pids+=($!)
auth_port=$(free_port)
export SWITCHBOARD_TEST_SMTP_AUTH_USER=switchboard
SWITCHBOARD_TEST_SMTP_AUTH_PASSWORD=$(openssl rand -hex 12)
export SWITCHBOARD_TEST_SMTP_AUTH_PASSWORD
SMTP_AUTH_USER=$SWITCHBOARD_TEST_SMTP_AUTH_USER SMTP_AUTH_PASSWORD=$SWITCHBOARD_TEST_SMTP_AUTH_PASSWORD \
  "$root/target/peers-venv/bin/python" functions/router/tests/peers/smtp_auth_server.py \
  --listen "127.0.0.1:$auth_port" --cert "$peers/smtp-cert.pem" --key "$peers/smtp-key.pem" \
  "$peers/maildir-auth" >"$peers/smtp-auth.log" 2>&1 &
pids+=($!)
wait_port "$starttls_port"
wait_port "$smtps_port"
wait_port "$auth_port"
export SWITCHBOARD_TEST_SMTP_STARTTLS="127.0.0.1:$starttls_port"
export SWITCHBOARD_TEST_SMTP_STARTTLS_MAILDIR="$peers/maildir-starttls"
export SWITCHBOARD_TEST_SMTPS="127.0.0.1:$smtps_port"
export SWITCHBOARD_TEST_SMTPS_MAILDIR="$peers/maildir-smtps"
export SWITCHBOARD_TEST_SMTP_AUTH="127.0.0.1:$auth_port"
export SWITCHBOARD_TEST_SMTP_AUTH_MAILDIR="$peers/maildir-auth"

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
# The tests that run the binaries behind features, as processes: the
# self-hosted server (its "relay down" test starts an aiosmtpd of its own)
# and the Lambda bootstrap under cargo-lambda's emulator.
PEERS_PYTHON="$root/target/peers-venv/bin/python" \
  cargo test -p switchboard-router --features server,lambda --test server --test lambda_emulator \
  -- --include-ignored

# Benchmarks are never timed tests: here they only have to still run, on
# small sizes (BENCHMARKS.md has the real figures and how to get them).
python3 benches/bench.py --quick
python3 benches/bench-serve.py --quick
python3 benches/bench-hugo.py --quick
cargo bench -p switchboard --bench render -- --quick
SWITCHBOARD_BENCH_AWS="$SWITCHBOARD_TEST_AWS" cargo bench -p switchboard-router --bench aws_request -- 5
bash benches/bench-server.sh --quick
"$root/target/peers-venv/bin/python" benches/lambda-init.py --runs 2 \
  "${CARGO_TARGET_DIR:-$root/target}/debug/switchboard-router"

# The visitor's side in a real browser (tests/browser/README.md): axe-core,
# the Nu Html Checker, vobject, screenshots under target/screenshots/, and the
# form end to end against `switchboard serve`. Debian's Chromium, no download.
# The binary `cargo test --workspace` built above for the CLI tests (building
# it again here would recompile its dependencies for another feature set).
test -x "${CARGO_TARGET_DIR:-$root/target}/debug/switchboard"
SWITCHBOARD_BIN="${CARGO_TARGET_DIR:-$root/target}/debug/switchboard" \
  PEERS_PYTHON="$root/target/peers-venv/bin/python" \
  node --test --test-concurrency=1 --test-timeout=120000 tests/browser/*.test.js
