#!/usr/bin/env bash
# Load benchmark for `switchboard-server` (the self-hosted router): wrk
# posts valid submissions (each with its own idempotency key and visitor
# address) to the release binary with the durable outbox, delivering over
# SMTP to a local aiosmtpd that files into a Maildir. After the run and once
# the outbox has drained, it checks that every accepted submission (a 200)
# is a record in outbox/sent and a distinct reference at the relay, with no
# errors, and prints accepted/s and the server's RSS at rest and under load.
# Loopback only, bounded in time.
#
#   bash benches/bench-server.sh [--quick] [SECONDS] [CONNECTIONS]
#   (default 20 s, 32 connections; --quick: 3 s, 4 connections)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
. benches/lib.sh
seconds=20 connections=32
if [ "${1:-}" = "--quick" ]; then seconds=3 connections=4; shift; fi
seconds=${1:-$seconds}
connections=${2:-$connections}
python=${PEERS_PYTHON:-$root/target/peers-venv/bin/python}
for tool in wrk curl "$python"; do
  command -v "$tool" >/dev/null || { echo "$tool not found: run scripts/install-peers.sh" >&2; exit 1; }
done
cargo build --release --quiet -p switchboard-router --features server --bin switchboard-server --example sign_tokens
bin="${CARGO_TARGET_DIR:-$root/target}/release"

work=$(mktemp -d "${TMPDIR:-/tmp}/switchboard-bench-server.XXXXXX")
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
free_port() { "$python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_for() { for _ in $(seq 1 300); do eval "$1" && return 0; sleep 0.1; done; echo "timed out: $1" >&2; return 1; }

# The relay.
mkdir -p "$work/maildir/tmp" "$work/maildir/new" "$work/maildir/cur"
smtp_port=$(free_port)
"$python" -m aiosmtpd -n -l "127.0.0.1:$smtp_port" -c aiosmtpd.handlers.Mailbox "$work/maildir" >"$work/smtp.log" 2>&1 &
pids+=($!)
wait_for "(exec 3<>/dev/tcp/127.0.0.1/$smtp_port) 2>/dev/null"

# The fixture manifest, limits lifted: one client sends everything.
"$python" - "$root/functions/router/tests/fixtures/manifest.json" "$work/routing.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
m["form"]["limits"] = {"per_client_per_hour": 100000000, "overall_per_hour": 100000000,
                       "acknowledgement_window_minutes": 60}
json.dump(m, open(sys.argv[2], "w"))
PY
secret=bench-form-secret-0123456789
hash=$("$python" -c 'import json,sys; print(json.load(open(sys.argv[1]))["content_hash"])' "$work/routing.json")
{ read -r form_token; read -r time_token; } < <("$bin/examples/sign_tokens" "$secret" "$hash")

port=$(free_port)
SWITCHBOARD_LISTEN="127.0.0.1:$port" SWITCHBOARD_FORM_SECRET="$secret" \
  SWITCHBOARD_MANIFEST="$work/routing.json" SWITCHBOARD_OUTBOX_DIR="$work/outbox" \
  SWITCHBOARD_MAIL=smtp SWITCHBOARD_SMTP_URL="smtp://127.0.0.1:$smtp_port" \
  SWITCHBOARD_SENDER="Example Org <forms@example.org>" SWITCHBOARD_RETRY_SECONDS=1 \
  "$bin/switchboard-server" 2>"$work/server.log" &
server_pid=$!
pids+=($server_pid)
wait_for "curl -sf http://127.0.0.1:$port/healthz >/dev/null"
rss() { awk -v k="$1:" '$1 == k { printf "%.1f MiB", $2 / 1024 }' "/proc/$server_pid/status"; }
rss_rest=$(rss VmRSS)

cat >"$work/post.lua" <<LUA
-- A valid submission per request, with its own idempotency key and address.
counter, accepted, other = 0, 0, 0  -- globals: done() reads them with thread:get
$(wrk_lua_threads)
function request()
  counter = counter + 1
  local id = thread_id .. "-" .. counter
  local body = "name=Load+Test&email=load-" .. id .. "%40example.org&topic=sales&message=Hello+from+wrk+" .. id
    .. "&website=&sb_form_token=$form_token&sb_time_token=$time_token&sb_idempotency_key=wrk-" .. id
  return wrk.format("POST", "/api/contact", {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Accept"] = "application/json",
  }, body)
end
function response(status, headers, body)
  if status == 200 then accepted = accepted + 1 else other = other + 1 end
end
function done(summary, latency, requests)
  local a, o = 0, 0
  for _, t in ipairs(threads) do a = a + t:get("accepted"); o = o + t:get("other") end
  io.write(string.format("ACCEPTED %d\nOTHER %d\n", a, o))
end
LUA

# RSS under load: sampled every 0.2 s while wrk runs; the peak is kept.
( peak=0; while kill -0 "$server_pid" 2>/dev/null; do
    v=$(awk '$1 == "VmRSS:" { print $2 }' "/proc/$server_pid/status" 2>/dev/null || echo 0)
    [ "${v:-0}" -gt "$peak" ] && peak=$v && echo "$peak" >"$work/rss-peak"
    sleep 0.2; done ) &
pids+=($!)
wrk -t2 -c"$connections" -d"${seconds}s" -s "$work/post.lua" --latency "http://127.0.0.1:$port/api/contact" | tee "$work/wrk.txt"
accepted=$(awk '$1 == "ACCEPTED" { print $2 }' "$work/wrk.txt")
other=$(awk '$1 == "OTHER" { print $2 }' "$work/wrk.txt")
socket_errors=$(grep -c 'Socket errors' "$work/wrk.txt" || true)

wait_for "curl -sf http://127.0.0.1:$port/healthz | grep -q '\"pending\":0'"
sent=$(find "$work/outbox/sent" -name '*.json' | wc -l)
failed=$(find "$work/outbox/failed" -name '*.json' | wc -l)
relay=$("$python" - "$work/maildir" <<'PY'
import email, os, sys
refs, ids, total = set(), set(), 0
for sub in ("new", "cur"):
    d = os.path.join(sys.argv[1], sub)
    for name in os.listdir(d):
        m = email.message_from_binary_file(open(os.path.join(d, name), "rb"))
        total += 1
        refs.add(m["X-Switchboard-Reference"].strip())
        ids.add(m["Message-ID"])
print(len(refs), len(ids), total)
PY
)
read -r relay_refs relay_ids relay_total <<<"$relay"
rss_peak=$(awk '{ printf "%.1f MiB", $1 / 1024 }' "$work/rss-peak")

echo "accepted: $accepted ($(awk -v n="$accepted" -v s="$seconds" 'BEGIN { printf "%.0f", n / s }')/s over $connections connections, ${seconds} s); other answers: $other; socket errors: $socket_errors"
echo "outbox/sent: $sent, failed: $failed; at the relay: $relay_refs references, $relay_ids distinct messages, $relay_total files"
echo "server RSS: at rest $rss_rest, peak under load $rss_peak, after the run $(rss VmRSS)"
if [ "$accepted" -gt 0 ] && [ "$other" = 0 ] && [ "$socket_errors" = 0 ] && [ "$failed" = 0 ] \
   && [ "$sent" -ge "$accepted" ] && [ "$((sent - accepted))" -le "$connections" ] \
   && [ "$relay_refs" = "$sent" ] && [ "$relay_total" = "$relay_ids" ]; then
  # wrk stops with up to one request per connection in flight: those are
  # kept and delivered, their answers go to nobody (sent - accepted of them).
  echo "OK: every accepted submission delivered exactly once ($((sent - accepted)) more were in flight when wrk stopped)"
else
  echo "MISMATCH (see above)" >&2
  exit 1
fi
