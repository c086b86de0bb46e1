-- SIGHUP: new connections follow the new file, a connection opened before keeps its snapshot, a
-- broken file leaves the last good configuration in place. Daemon: run.sh's "hup" (-c FILE).
-- Globals (-D): reload_good, reload_bad: shell commands that rewrite the file, send SIGHUP and
-- wait for the daemon's log to say it reloaded (or refused to).
local T = dofile(lib)
local PASS = { ar = "mx.test.example; iprev=pass policy.iprev=127.0.0.2 (good.test.example)",
               xf = "pass ip=127.0.0.2 ptr=good.test.example", score = "0" }

local function with_header(name)
  local w = {}
  for k, v in pairs(PASS) do w[k] = v end
  w.result_header = name
  return w
end

local function sh(cmd)
  local ok = os.execute(cmd)
  if not ok then error("command failed: " .. cmd) end
end

local function message(expect, conn, rep, header, absent)
  T.message(conn, rep, { qid = "HUP" })
  expect(rep.eom ~= nil and T.going(rep.eom), "replies " .. T.replies(rep))
  if rep.eom then
    T.expect_headers(expect, conn, with_header(header))
    expect(#T.added(conn, absent) == 0, absent .. " added as well")
  end
end

local before, before_rep
T.case("SIGHUP with ResultHeader X-Other: a new connection gets X-Other", function(expect)
  before, before_rep = T.open("127.0.0.2")    -- negotiated: it holds the old snapshot
  sh(reload_good)
  local conn, rep = T.open("127.0.0.2")
  message(expect, conn, rep, "X-Other", "X-FCrDNS")
  mt.disconnect(conn)
end)

T.case("SIGHUP: the connection opened before the reload keeps X-FCrDNS", function(expect)
  if before == nil then error("no connection from before the reload") end
  message(expect, before, before_rep, "X-FCrDNS", "X-Other")
  mt.disconnect(before)
end)

T.case("SIGHUP with a broken file: the last good configuration stays (X-Other)", function(expect)
  sh(reload_bad)
  local conn, rep = T.open("127.0.0.2")
  message(expect, conn, rep, "X-Other", "X-FCrDNS")
  mt.disconnect(conn)
end)

T.done()
