-- One message from 127.0.0.2 (pass) with its exact headers: that a daemon works at all.
-- Daemons: run.sh's "user" (after dropping privileges), "bg" (in the background).
-- Globals (-D): what (a label for the report line).
local T = dofile(lib)

T.case(what .. ": 127.0.0.2 gets its pass headers", function(expect)
  local conn, rep = T.open("127.0.0.2")
  T.message(conn, rep, { qid = "SESSION" })
  for _, k in ipairs({ "connect", "helo", "mail", "rcpt", "eom" }) do
    expect(rep[k] ~= nil and T.going(rep[k]), "replies " .. T.replies(rep) .. ": expected every step to continue")
  end
  if rep.eom then
    T.expect_headers(expect, conn, {
      ar = "mx.test.example; iprev=pass policy.iprev=127.0.0.2 (good.test.example)",
      xf = "pass ip=127.0.0.2 ptr=good.test.example", score = "0" })
  end
  mt.disconnect(conn)
end)

T.done()
