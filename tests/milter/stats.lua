-- Known traffic for the StatsFile check (run.sh compares the counters): 127.0.0.5 twice (pass,
-- the second from the cache), 127.0.0.7 once (fail: its PTR name has no A), one connection without
-- an address; one message each. Daemon: run.sh's "stats". No other daemon asks for these two
-- addresses, so unbound hands out full TTLs (5 s) and the second check must hit the cache.
local T = dofile(lib)

local function one(expect, ip, host, headers)
  local conn, rep = T.open(ip, host)
  T.message(conn, rep, { qid = "STATS" })
  expect(rep.eom ~= nil and T.going(rep.eom), "replies " .. T.replies(rep))
  if rep.eom then
    if headers then
      expect(#T.added(conn, "X-FCrDNS") == 1, "no X-FCrDNS")
    else
      T.expect_no_headers(expect, conn)
    end
  end
  mt.disconnect(conn)
end

T.case("stats traffic: 127.0.0.5 twice, 127.0.0.7, one without address", function(expect)
  one(expect, "127.0.0.5", nil, true)
  one(expect, "127.0.0.5", nil, true)
  one(expect, "127.0.0.7", nil, true)
  one(expect, "unspec", "localhost", false)
end)

T.done()
