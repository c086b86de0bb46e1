-- A resolver that never answers. Daemons: deadns.sh's "dead" (the default policy: accept only) and
-- "deadrej" (OnTempError reject). Globals (-D): refusing: "yes" when the policy can refuse;
-- bound_s: the most seconds a whole session may take (CheckTimeout + 1 s + margin).
local T = dofile(lib)

T.case("negotiation: the RejectAt step (MAIL) needs a reply only when the policy can refuse", function(expect)
  local conn = T.connect()
  local nr = mt.test_option(conn, SMFIP_NR_MAIL)
  if refusing == "yes" then
    expect(not nr, "MAIL negotiated without a reply, though the verdict is given there")
  else
    expect(nr, "MAIL negotiated with a reply, though an accept-only policy gives none there")
    expect(mt.test_option(conn, SMFIP_NOHELO) and mt.test_option(conn, SMFIP_NORCPT),
           "HELO or RCPT asked for, though nothing is decided there")
  end
  mt.disconnect(conn)
end)

if refusing ~= "yes" then
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
end

T.done()
