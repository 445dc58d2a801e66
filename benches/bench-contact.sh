#!/usr/bin/env bash
# Load benchmark for /api/contact on `switchboard serve` with the durable
# outbox: wrk (Debian's package) posts the site's own form from 32
# connections for 20 s, each request with a fresh idempotency key; then the
# accepted submissions on disk are counted, and the CPU time the serve
# process used during the run is printed with the load average (the machine
# may be shared: CPU time is the steadier figure). Loopback only, bounded in time.
#
#   bash benches/bench-contact.sh [SECONDS] [CONNECTIONS]
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
. benches/lib.sh
seconds=${1:-20}
connections=${2:-32}
for tool in wrk curl; do
  command -v "$tool" >/dev/null || { echo "$tool not found: run scripts/install-peers.sh (installs Debian's $tool)" >&2; exit 1; }
done
cargo build --release --quiet --bin switchboard

work=$(mktemp -d "${TMPDIR:-/tmp}/switchboard-bench-contact.XXXXXX")
serve_pid=
cleanup() { [ -n "$serve_pid" ] && kill "$serve_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
cp -r content static "$work/"
# Thousands of messages from one client: measure throughput, not the limits.
printf '\n[form.limits]\nper_client_per_hour = 100000000\noverall_per_hour = 100000000\n' >>"$work/content/site.toml"
(cd "$work" && exec "$root/target/release/switchboard" serve --port 0 >"$work/serve.log" 2>&1) &
serve_pid=$!
for _ in $(seq 1 100); do grep -q '^Serving http' "$work/serve.log" 2>/dev/null && break; sleep 0.1; done
origin=$(grep -o 'http://127.0.0.1:[0-9]*' "$work/serve.log" | head -1)
token=$(curl -s "$origin/contact/" | grep -o 'name="sb_form_token" value="[^"]*"' | head -1 | sed 's/.*value="//;s/"$//')
# The page's build-time time token (what a visitor without JavaScript sends).
time_token=$(curl -s "$origin/contact/" | grep -o 'name="sb_time_token" value="[^"]*"' | head -1 | sed 's/.*value="//;s/"$//')
[ -n "$token" ] || { echo "no form token on $origin/contact/" >&2; exit 1; }

cat >"$work/post.lua" <<LUA
-- The site's own form, a fresh idempotency key per request (per wrk thread).
local counter = 0
$(wrk_lua_threads)
function request()
  counter = counter + 1
  local body = "name=Load+Test&email=load%40example.org&topic=security&message=Hello+from+wrk&website="
    .. "&sb_form_token=$token&sb_time_token=$time_token&sb_idempotency_key=wrk-" .. thread_id .. "-" .. counter
  return wrk.format("POST", "/api/contact", {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Accept"] = "application/json",
    ["Origin"] = "$origin",
  }, body)
end
LUA

# utime + stime of the serve process, in clock ticks (Linux /proc).
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$serve_pid/stat" 2>/dev/null || echo 0; }
before=$(cpu_ticks)
wrk -t2 -c"$connections" -d"${seconds}s" -s "$work/post.lua" --latency "$origin/api/contact"
after=$(cpu_ticks)
load=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo "?")
sleep 2
sent=$(find "$work/.switchboard/outbox/sent" -type f | wc -l)
stuck=$(find "$work/.switchboard/outbox/pending" "$work/.switchboard/outbox/failed" -type f 2>/dev/null | wc -l)
echo "accepted and delivered on disk: $sent ($(awk -v n="$sent" -v s="$seconds" 'BEGIN { printf "%.0f", n / s }')/s); pending or failed: $stuck"
echo "serve CPU during the run: $(awk -v a="$before" -v b="$after" -v t="$(getconf CLK_TCK)" -v s="$seconds" -v n="$sent" \
  'BEGIN { c = (b - a) / t; printf "%.1f s (%.0f%% of one core, %.2f ms per delivered submission)", c, 100 * c / s, n ? 1000 * c / n : 0 }'); load average $load"
