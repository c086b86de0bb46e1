-- Helpers for the miltertest scripts of tests/milter/ (each script starts with dofile(lib)).
-- One report line per case ("ok   NAME" or "FAIL NAME: why") for run.sh to count; SMTP steps
-- that respect what the milter negotiated away; the headers a message got at end of message.
-- Globals from run.sh (-D, strings): sock (the milter socket), lib (this file).
local T = {}

T.sock = sock

-- T.case(NAME, FN): runs FN(expect); expect(COND, WHY) records a problem. An error in FN (a
-- protocol failure, say) is a problem too, so that one broken case does not stop the others.
function T.case(name, fn)
  local problems = {}
  local function expect(cond, why)
    if not cond then problems[#problems + 1] = why end
    return cond
  end
  local ok, err = pcall(fn, expect)
  if not ok then problems[#problems + 1] = "error: " .. tostring(err) end
  if #problems == 0 then
    mt.echo("ok   " .. name)
  else
    mt.echo("FAIL " .. name .. ": " .. table.concat(problems, "; "))
  end
end

-- The end marker: without it run.sh knows the script died (a Lua error exits without a word).
function T.done()
  mt.echo("# done")
end

function T.connect()
  local conn = mt.connect(T.sock, 50, 0.1)
  if conn == nil then error("cannot connect to " .. T.sock) end
  return conn
end

-- A step's reply as a letter ("c" continue, "y" reply code, "a" accept, "r" reject, "t" tempfail),
-- or "skipped" when the milter negotiated the step away. A step whose reply the milter said it
-- would not send (SMFIP_NR_*) reads as "c": miltertest then waits for nothing.
function T.step(conn, opt, fn, ...)
  if opt and mt.test_option(conn, opt) then return "skipped" end
  local err = fn(conn, ...)
  if err ~= nil then error(tostring(err)) end
  return string.char(mt.getreply(conn))
end

function T.going(r)
  return r == "c" or r == "skipped"
end

-- T.open(IP[, HOST]): a connection that announced client IP ("unspec": no address); returns the
-- connection and the replies so far ({connect=..., helo=...}).
function T.open(ip, host)
  local conn = T.connect()
  local rep = {}
  rep.connect = T.step(conn, SMFIP_NOCONNECT, mt.conninfo, host or "client.test.example", ip)
  if T.going(rep.connect) then
    rep.helo = T.step(conn, SMFIP_NOHELO, mt.helo, "client.test.example")
  end
  return conn, rep
end

-- T.message(CONN, REP, M): one message (M.qid, M.auth = {auth_authen}, M.headers = {{name, value},
-- ...}); adds the replies to REP (mail, rcpt, eom), stopping at the first one that ends it.
function T.message(conn, rep, m)
  m = m or {}
  if m.auth then
    mt.macro(conn, SMFIC_MAIL, "i", m.qid or "QID", "{auth_authen}", m.auth)
  else
    mt.macro(conn, SMFIC_MAIL, "i", m.qid or "QID")
  end
  rep.mail = T.step(conn, SMFIP_NOMAIL, mt.mailfrom, "<sender@test.example>")
  if not T.going(rep.mail) then return rep end
  rep.rcpt = T.step(conn, SMFIP_NORCPT, mt.rcptto, "<rcpt@test.example>")
  if not T.going(rep.rcpt) then return rep end
  for _, h in ipairs(m.headers or { { "From", "sender@test.example" } }) do
    local r = T.step(conn, SMFIP_NOHDRS, mt.header, h[1], h[2])
    if not T.going(r) then rep.header = r return rep end
  end
  T.step(conn, SMFIP_NOEOH, mt.eoh)
  T.step(conn, SMFIP_NOBODY, mt.bodystring, "hello\r\n")
  local err = mt.eom(conn)
  if err ~= nil then error("eom: " .. tostring(err)) end
  rep.eom = string.char(mt.getreply(conn))
  return rep
end

-- Every value of header NAME added or inserted at the last end of message.
function T.added(conn, name)
  local vals = {}
  while true do
    local v = mt.getheader(conn, name, #vals)
    if v == nil then return vals end
    vals[#vals + 1] = v
  end
end

function T.show(v)
  if v == nil then return "(none)" end
  return "[" .. tostring(v) .. "]"
end

-- T.expect_headers(expect, CONN, WANT): exactly one Authentication-Results inserted at index 0,
-- one result header and one score header added. WANT.ar / WANT.xf are exact values, or
-- WANT.ar_prefix / WANT.xf_prefix a prefix; WANT.score exact; WANT.result_header (X-FCrDNS).
function T.expect_headers(expect, conn, want)
  local rh = want.result_header or "X-FCrDNS"
  local sh = want.score_header or "X-FCrDNS-Score"
  local ar, xf, sc = T.added(conn, "Authentication-Results"), T.added(conn, rh), T.added(conn, sh)
  expect(#ar == 1, "Authentication-Results added " .. #ar .. " times, expected once")
  expect(#xf == 1, rh .. " added " .. #xf .. " times, expected once")
  expect(#sc == 1, sh .. " added " .. #sc .. " times, expected once")
  if want.ar then
    expect(ar[1] == want.ar, "Authentication-Results " .. T.show(ar[1]) .. ", expected [" .. want.ar .. "]")
    expect(mt.eom_check(conn, MT_HDRINSERT, "Authentication-Results", want.ar, 0),
           "Authentication-Results not inserted at index 0")
  else
    local v = ar[1] or ""
    expect(v:sub(1, #want.ar_prefix) == want.ar_prefix,
           "Authentication-Results " .. T.show(ar[1]) .. ", expected it to start [" .. want.ar_prefix .. "]")
    expect(mt.eom_check(conn, MT_HDRINSERT, "Authentication-Results", v, 0),
           "Authentication-Results not inserted at index 0")
  end
  if want.xf then
    expect(xf[1] == want.xf, rh .. " " .. T.show(xf[1]) .. ", expected [" .. want.xf .. "]")
  else
    local v = xf[1] or ""
    expect(v:sub(1, #want.xf_prefix) == want.xf_prefix and not v:find("generic=yes", 1, true),
           rh .. " " .. T.show(xf[1]) .. ", expected it to start [" .. want.xf_prefix .. "], not generic")
  end
  expect(mt.eom_check(conn, MT_HDRADD, rh, xf[1] or ""), rh .. " not added with smfi_addheader")
  expect(sc[1] == want.score, sh .. " " .. T.show(sc[1]) .. ", expected [" .. tostring(want.score) .. "]")
  expect(mt.eom_check(conn, MT_HDRADD, sh, sc[1] or ""), sh .. " not added with smfi_addheader")
end

-- No header added, inserted or changed at the last end of message.
function T.expect_no_headers(expect, conn)
  expect(not mt.eom_check(conn, MT_HDRADD), "a header was added")
  expect(not mt.eom_check(conn, MT_HDRINSERT), "a header was inserted")
  expect(not mt.eom_check(conn, MT_HDRCHANGE), "a header was changed or deleted")
end

-- Whether the N-th (1-based) header of that name was deleted, under any of the given spellings
-- (the MTA matches names case-insensitively, so the milter may use either).
function T.deleted(conn, n, ...)
  for _, name in ipairs({ ... }) do
    if mt.eom_check(conn, MT_HDRDELETE, name, n) then return true end
  end
  return false
end

-- T.replies(REP): "connect=c helo=skipped mail=y" for a report.
function T.replies(rep)
  local out = {}
  for _, k in ipairs({ "connect", "helo", "mail", "rcpt", "header", "eom" }) do
    if rep[k] then out[#out + 1] = k .. "=" .. rep[k] end
  end
  return table.concat(out, " ")
end

return T
