-- DryRun with OnFail reject: the failing client goes on and gets its headers (run.sh checks the log
-- says it would have been rejected); configured scores: ScoreFail 2.5, ScorePass 0.5,
-- ScoreGeneric 1.25. Daemon: run.sh's "dryrun".
local T = dofile(lib)
local AS = "mx.test.example; "

local function through(expect, ip, qid)
  local conn, rep = T.open(ip)
  T.message(conn, rep, { qid = qid })
  for _, k in ipairs({ "connect", "helo", "mail", "rcpt", "eom" }) do
    expect(rep[k] ~= nil and T.going(rep[k]), "replies " .. T.replies(rep) .. ": expected every step to continue")
  end
  return conn, rep
end

T.case("DryRun yes, OnFail reject: 127.0.0.3 not rejected, headers with ScoreFail 2.5", function(expect)
  local conn, rep = through(expect, "127.0.0.3", "DRYRUN")
  if rep.eom then
    T.expect_headers(expect, conn, { ar_prefix = AS .. "iprev=fail policy.iprev=127.0.0.3 (",
                                     xf_prefix = "fail ip=127.0.0.3", score = "2.5" })
  end
  mt.disconnect(conn)
end)

T.case("generic: 127.0.0.30, score ScorePass 0.5 + ScoreGeneric 1.25 = 1.75", function(expect)
  local conn, rep = through(expect, "127.0.0.30", "GENERIC")
  if rep.eom then
    T.expect_headers(expect, conn, {
      ar = AS .. "iprev=pass policy.iprev=127.0.0.30 (dsl-127-0-0-30.pool.test.example)",
      xf = "pass ip=127.0.0.30 ptr=dsl-127-0-0-30.pool.test.example generic=yes",
      score = "1.75" })
  end
  mt.disconnect(conn)
end)

T.done()
