-- A resolver that never answers, the default (accept-only) policy: a whole message goes through,
-- and the headers at end of message say temperror. Daemon: deadns.sh's "dead".
-- Globals (-D): bound_s: the most seconds the whole session may take (CheckTimeout + 1 s + margin).
local T = dofile(lib)

T.case("accept-only, resolver dead: accepted, headers with temperror, within the bound", function(expect)
  local t0 = os.time()
  local conn, rep = T.open("127.0.0.5")
  expect(T.going(rep.connect) and T.going(rep.helo), "replies " .. T.replies(rep))
  T.message(conn, rep, { qid = "DEAD" })
  local took = os.time() - t0
  expect(T.going(rep.mail) and T.going(rep.rcpt), "replies " .. T.replies(rep))
  expect(rep.eom ~= nil and T.going(rep.eom), "replies " .. T.replies(rep))
  if rep.eom then
    T.expect_headers(expect, conn, { ar_prefix = "mx.test.example; iprev=temperror policy.iprev=127.0.0.5 (",
                                     xf_prefix = "temperror ip=127.0.0.5", score = "0" })
  end
  expect(took <= tonumber(bound_s), "the session took " .. took .. " s, more than " .. bound_s)
  mt.disconnect(conn)
end)

T.done()
