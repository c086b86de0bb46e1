-- The result headers per result, forged ones removed, two messages on one connection, no client
-- address. Daemon: run.sh's "base" (AuthservID mx.test.example, all actions accept, default scores).
-- Expected values come from tests/dns/*.zone and SPEC.md "Headers".
local T = dofile(lib)
local AS = "mx.test.example; "

local function all_going(expect, rep)
  for _, k in ipairs({ "connect", "helo", "mail", "rcpt", "eom" }) do
    expect(rep[k] ~= nil and T.going(rep[k]), "replies " .. T.replies(rep) .. ": expected every step to continue")
  end
end

-- headers_case(NAME, IP, WANT): one message from IP; WANT as for T.expect_headers.
local function headers_case(name, ip, want)
  T.case(name, function(expect)
    local conn, rep = T.open(ip)
    T.message(conn, rep, { qid = "H" .. ip })
    all_going(expect, rep)
    if rep.eom then T.expect_headers(expect, conn, want) end
    mt.disconnect(conn)
  end)
end

headers_case("pass: 127.0.0.2 (PTR good.test.example, A 127.0.0.2)", "127.0.0.2", {
  ar = AS .. "iprev=pass policy.iprev=127.0.0.2 (good.test.example)",
  xf = "pass ip=127.0.0.2 ptr=good.test.example",
  score = "0" })
headers_case("fail: 127.0.0.3 (PTR mismatch.test.example, A 127.0.0.99), ScoreFail 3", "127.0.0.3", {
  ar_prefix = AS .. "iprev=fail policy.iprev=127.0.0.3 (",
  xf_prefix = "fail ip=127.0.0.3",
  score = "3" })
headers_case("permerror: 127.0.0.4 (no PTR, NXDOMAIN), ScorePermError 2", "127.0.0.4", {
  ar_prefix = AS .. "iprev=permerror policy.iprev=127.0.0.4 (",
  xf = "permerror ip=127.0.0.4",
  score = "2" })
headers_case("temperror: 127.0.0.14 (PTR CNAME loop, unbound SERVFAIL), ScoreTempError 0", "127.0.0.14", {
  ar_prefix = AS .. "iprev=temperror policy.iprev=127.0.0.14 (",
  xf = "temperror ip=127.0.0.14",
  score = "0" })
headers_case("pass IPv6: 2001:db8::1 quoted in policy.iprev", "2001:db8::1", {
  ar = AS .. 'iprev=pass policy.iprev="2001:db8::1" (good.test.example)',
  xf = "pass ip=2001:db8::1 ptr=good.test.example",
  score = "0" })
headers_case("fail IPv6: 2001:db8::2 (AAAA 2001:db8::99)", "2001:db8::2", {
  ar_prefix = AS .. 'iprev=fail policy.iprev="2001:db8::2" (',
  xf_prefix = "fail ip=2001:db8::2",
  score = "3" })
headers_case("pass IPv4-mapped: ::ffff:127.0.0.2 is checked and shown as 127.0.0.2", "::ffff:127.0.0.2", {
  ar = AS .. "iprev=pass policy.iprev=127.0.0.2 (good.test.example)",
  xf = "pass ip=127.0.0.2 ptr=good.test.example",
  score = "0" })
headers_case("generic: 127.0.0.30 dsl-127-0-0-30.pool, score ScorePass 0 + ScoreGeneric 1", "127.0.0.30", {
  ar = AS .. "iprev=pass policy.iprev=127.0.0.30 (dsl-127-0-0-30.pool.test.example)",
  xf = "pass ip=127.0.0.30 ptr=dsl-127-0-0-30.pool.test.example generic=yes",
  score = "1" })

-- 2001:db8::37's PTR name is 255 octets of 0x80 bytes (tests/dns/db8.ip6.zone): written whole
-- as \x80 escapes, "X-FCrDNS: fail ip=2001:db8::37 ptr=..." would be 1,000 bytes on one line.
T.case("hostile 255-octet PTR name: X-FCrDNS shortened to 998 bytes at a whole escape, marked ...", function(expect)
  local conn, rep = T.open("2001:db8::37")
  T.message(conn, rep, { qid = "LONGPTR" })
  all_going(expect, rep)
  local pre = "fail ip=2001:db8::37 ptr=\\x80\\x80"
  T.expect_headers(expect, conn, {
    ar_prefix = AS .. 'iprev=fail policy.iprev="2001:db8::37" (', xf_prefix = pre, score = "3" })
  local xf = T.added(conn, "X-FCrDNS")[1] or ""
  local line = #("X-FCrDNS: " .. xf)
  expect(line <= 998, "X-FCrDNS line of " .. line .. " bytes")
  local e = "\\x80"
  local whole = e:rep(63) .. "." .. e:rep(63) .. "." .. e:rep(63) .. "." .. e:rep(48) .. ".test.example"
  local name = xf:match("ptr=(.*)%.%.%.$")
  expect(name ~= nil, "no ptr= ending in ... in [" .. xf .. "]")
  -- a prefix of the whole name that ends at a whole escape or character
  expect(name == nil or (whole:sub(1, #name) == name and not name:find("\\x?8?$")),
         "not the name cut at a whole escape: [" .. xf .. "]")
  mt.disconnect(conn)
end)

-- Forged copies of our headers (any case, our authserv-id with a comment before it or a version
-- after it) are deleted by their index among the headers of that name; another authserv-id stays.
T.case("forged X-FCrDNS, X-FCrDNS-Score, Authentication-Results of mx.test.example removed", function(expect)
  local conn, rep = T.open("127.0.0.2")
  T.message(conn, rep, { qid = "FORGED", headers = {
    { "Authentication-Results", "other.example; iprev=pass policy.iprev=127.0.0.2" },  -- AR 1: stays
    { "X-FCrDNS", "pass ip=127.0.0.2 ptr=forged.example" },                         -- XF 1
    { "authentication-results", "MX.Test.Example; iprev=pass policy.iprev=127.0.0.2" }, -- AR 2
    { "x-fcrdns-score", "-100" },                                                   -- score 1
    { "X-FCRDNS", "pass" },                                                         -- XF 2
    { "Authentication-Results", "(forged) mx.test.example; spf=pass smtp.mailfrom=test.example" }, -- AR 3
    { "Authentication-Results", "mx.test.example.other; iprev=pass" },              -- AR 4: stays
    { "Authentication-Results", "mx.test.example 1; none" },                        -- AR 5
    { "From", "sender@test.example" },
  } })
  all_going(expect, rep)
  local AR = { "Authentication-Results", "authentication-results" }
  expect(T.deleted(conn, 1, "X-FCrDNS", "X-FCRDNS"), "X-FCrDNS 1 not deleted")
  expect(T.deleted(conn, 2, "X-FCrDNS", "X-FCRDNS"), "X-FCrDNS 2 not deleted")
  expect(T.deleted(conn, 1, "X-FCrDNS-Score", "x-fcrdns-score"), "X-FCrDNS-Score 1 not deleted")
  expect(T.deleted(conn, 2, table.unpack(AR)), "Authentication-Results 2 (MX.Test.Example) not deleted")
  expect(T.deleted(conn, 3, table.unpack(AR)), "Authentication-Results 3 ((comment) mx.test.example) not deleted")
  expect(T.deleted(conn, 5, table.unpack(AR)), "Authentication-Results 5 (mx.test.example 1; none) not deleted")
  expect(not T.deleted(conn, 1, table.unpack(AR)), "Authentication-Results 1 (other.example) deleted")
  expect(not T.deleted(conn, 4, table.unpack(AR)), "Authentication-Results 4 (mx.test.example.other) deleted")
  expect(not T.deleted(conn, 3, "X-FCrDNS", "X-FCRDNS"), "a third X-FCrDNS deleted (there were two)")
  expect(not mt.eom_check(conn, MT_HDRCHANGE, "From"), "From changed")
  T.expect_headers(expect, conn, {
    ar = AS .. "iprev=pass policy.iprev=127.0.0.2 (good.test.example)",
    xf = "pass ip=127.0.0.2 ptr=good.test.example",
    score = "0" })
  mt.disconnect(conn)
end)

-- The authserv-id by the grammar of RFC 8601 (token or quoted-string after CFWS; comments nest and
-- hold quoted-pairs): each of these is ours and goes; the unbalanced ones have no authserv-id.
T.case("forged Authentication-Results in every RFC 8601 form removed, malformed ones kept", function(expect)
  local forms = {
    { "(a\\)) mx.test.example; iprev=pass", true },        -- escaped ')' in a comment
    { "(\\() mx.test.example; iprev=pass", true },        -- escaped '(' in a comment
    { '"mx.test.example"; iprev=pass', true },              -- quoted-string
    { '"mx.test.e\\xample" 1; iprev=pass', true },        -- quoted-pair inside it, a version
    { "(a (b) \\\\)\r\n\t(c)MX.TEST.EXAMPLE; iprev=pass", true },  -- nested, folded
    { "(a\\) mx.test.example; iprev=pass", false },      -- unbalanced: the comment never ends
    { '"mx.test.example; iprev=pass', false },             -- unbalanced quote
    { '"mx.test.example.evil"; iprev=pass', false },       -- another id
  }
  local headers = {}
  for i, f in ipairs(forms) do headers[i] = { "Authentication-Results", f[1] } end
  headers[#headers + 1] = { "From", "sender@test.example" }
  local conn, rep = T.open("127.0.0.2")
  T.message(conn, rep, { qid = "FORMS", headers = headers })
  all_going(expect, rep)
  for i, f in ipairs(forms) do
    local gone = T.deleted(conn, i, "Authentication-Results")
    if f[2] then
      expect(gone, "Authentication-Results " .. i .. " [" .. f[1] .. "] not deleted")
    else
      expect(not gone, "Authentication-Results " .. i .. " [" .. f[1] .. "] deleted")
    end
  end
  T.expect_headers(expect, conn, {
    ar = AS .. "iprev=pass policy.iprev=127.0.0.2 (good.test.example)",
    xf = "pass ip=127.0.0.2 ptr=good.test.example",
    score = "0" })
  mt.disconnect(conn)
end)

T.case("two messages on one connection: one set of headers each", function(expect)
  local conn, rep = T.open("127.0.0.3")
  local want = { ar_prefix = AS .. "iprev=fail policy.iprev=127.0.0.3 (", xf_prefix = "fail ip=127.0.0.3", score = "3" }
  T.message(conn, rep, { qid = "MSG1" })
  all_going(expect, rep)
  T.expect_headers(expect, conn, want)
  local rep2 = { connect = "c", helo = "c" }
  T.message(conn, rep2, { qid = "MSG2" })
  all_going(expect, rep2)
  T.expect_headers(expect, conn, want)
  mt.disconnect(conn)
end)

T.case("no client address (unknown family): accepted, no headers", function(expect)
  local conn, rep = T.open("unspec", "localhost")
  expect(rep.connect == "c" or rep.connect == "a", "connect reply " .. rep.connect)
  if rep.connect == "c" then
    T.message(conn, rep, { qid = "NOADDR" })
    all_going(expect, rep)
    if rep.eom then T.expect_no_headers(expect, conn) end
  end
  mt.disconnect(conn)
end)

T.done()
