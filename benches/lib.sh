# Shared by the wrk load benchmarks (bench-contact.sh, bench-server.sh): source it.

# Lua for a wrk script's head: each wrk thread numbered (`thread_id`, from 1,
# for idempotency keys no other thread sends) and kept in `threads` (for done()).
wrk_lua_threads() {
  cat <<'LUA'
local threads = {}
function setup(thread)
  thread:set("thread_id", #threads + 1)
  table.insert(threads, thread)
end
LUA
}
