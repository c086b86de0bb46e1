-- Reject and tempfail at one RejectAt stage. Daemons: run.sh's "at_<stage>" (OnFail reject,
-- OnPermError tempfail, ExemptHosts 127.0.0.6/32) and "noauth" (ExemptAuthenticated no).
-- Globals (-D): at (connect, helo, mail or rcpt); exempt=yes: also the exempt client 127.0.0.6;
-- auth=exempt|reject: what a client with {auth_authen} set at MAIL gets (RejectAt mail only).
-- The reply's text is checked by run.sh (replies.pl): miltertest only shows that there was one.
local T = dofile(lib)
local AS = "mx.test.example; "
local ORDER = { "connect", "helo", "mail", "rcpt" }

local function session(ip, m)
  local conn, rep = T.open(ip)
  if T.going(rep.connect) and T.going(rep.helo) then T.message(conn, rep, m) end
  return conn, rep
end

-- Every step before AT continues, AT answers with a reply code ('y'), no later step happens.
local function expect_stop_at(expect, rep, stage)
  local seen = false
  for _, k in ipairs(ORDER) do
    if k == stage then
      seen = true
      expect(rep[k] == "y", "reply at " .. k .. " " .. T.show(rep[k]) .. ", expected a reply code (y)")
    elseif not seen then
      expect(rep[k] ~= nil and T.going(rep[k]), "stopped before " .. stage .. ": " .. T.replies(rep))
    else
      expect(rep[k] == nil, "went on after " .. stage .. ": " .. T.replies(rep))
    end
  end
  expect(rep.eom == nil, "reached end of message: " .. T.replies(rep))
end

local function expect_through(expect, rep)
  for _, k in ipairs({ "connect", "helo", "mail", "rcpt", "eom" }) do
    expect(rep[k] ~= nil and T.going(rep[k]), "replies " .. T.replies(rep) .. ": expected every step to continue")
  end
end

T.case("OnFail reject: 127.0.0.3 stopped at " .. at .. ", not before", function(expect)
  local conn, rep = session("127.0.0.3")
  expect_stop_at(expect, rep, at)
  mt.disconnect(conn)
end)

T.case("OnPermError tempfail: 127.0.0.4 stopped at " .. at .. ", not before", function(expect)
  local conn, rep = session("127.0.0.4")
  expect_stop_at(expect, rep, at)
  mt.disconnect(conn)
end)

T.case("OnPass accept (RejectAt " .. at .. "): 127.0.0.2 goes through with headers", function(expect)
  local conn, rep = session("127.0.0.2")
  expect_through(expect, rep)
  if rep.eom then
    T.expect_headers(expect, conn, { ar = AS .. "iprev=pass policy.iprev=127.0.0.2 (good.test.example)",
                                     xf = "pass ip=127.0.0.2 ptr=good.test.example", score = "0" })
  end
  mt.disconnect(conn)
end)

if exempt == "yes" then
  T.case("ExemptHosts 127.0.0.6/32 (RejectAt " .. at .. "): the failing client is not rejected, no headers", function(expect)
    local conn, rep = session("127.0.0.6")
    -- accepted at once ('a': the milter is done with the connection), or let through untouched
    local accepted = false
    for _, k in ipairs({ "connect", "helo", "mail", "rcpt" }) do
      if rep[k] == "a" then accepted = k end
    end
    if accepted then
      expect(rep.eom == nil, "went on after accept at " .. accepted .. ": " .. T.replies(rep))
    else
      expect_through(expect, rep)
      if rep.eom then T.expect_no_headers(expect, conn) end
    end
    mt.disconnect(conn)
  end)
end

if auth == "exempt" then
  T.case("ExemptAuthenticated yes: 127.0.0.3 with {auth_authen} at MAIL not rejected, headers added", function(expect)
    local conn, rep = session("127.0.0.3", { auth = "user", qid = "AUTH" })
    expect_through(expect, rep)
    if rep.eom then
      T.expect_headers(expect, conn, { ar_prefix = AS .. "iprev=fail policy.iprev=127.0.0.3 (",
                                       xf_prefix = "fail ip=127.0.0.3", score = "3" })
    end
    mt.disconnect(conn)
  end)
elseif auth == "reject" then
  T.case("ExemptAuthenticated no: 127.0.0.3 with {auth_authen} at MAIL rejected at mail", function(expect)
    local conn, rep = session("127.0.0.3", { auth = "user", qid = "NOAUTH" })
    expect_stop_at(expect, rep, "mail")
    mt.disconnect(conn)
  end)
end

T.done()
