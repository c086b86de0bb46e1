# Flattens the JSON objects of `fcrdns-milter -t ... -j` into lines run.sh can grep: a fresh Debian
# has awk but no jq. For top-level object N (1, 2, ...) and each of its keys:
#   N<TAB>key<TAB>T:value     T = s string (JSON escapes kept), n number, b boolean, z null,
#                             o object, a array (value = element count)
#   N<TAB>key[]<TAB>T:value   one line per scalar element of an array
# Anything that is not JSON prints "N<TAB>!error<TAB>reason" and stops.

function ch() { return substr(S, P, 1) }

function ws() { while (P <= L && index(" \t\r\n", substr(S, P, 1)) > 0) P++ }

function fail(msg) {
	if (!ERR) printf "%d\t!error\t%s at offset %d\n", N, msg, P
	ERR = 1
	P = L + 1
}

function str(   start, c) {
	P++
	start = P
	while (P <= L) {
		c = substr(S, P, 1)
		if (c == "\\") P += 2
		else if (c == "\"") { V = substr(S, start, P - start); P++; return }
		else P++
	}
	fail("unterminated string")
}

function value(depth, key,   c, rest) {
	ws()
	c = ch()
	if (c == "\"") { str(); T = "s"; return }
	if (c == "{") { obj(depth + 1); T = "o"; V = ""; return }
	if (c == "[") { arr(depth + 1, key); T = "a"; return }
	rest = substr(S, P, 32)
	if (match(rest, /^-?[0-9][0-9.eE+-]*/)) { V = substr(rest, 1, RLENGTH); P += RLENGTH; T = "n"; return }
	if (substr(rest, 1, 4) == "true") { P += 4; T = "b"; V = "true"; return }
	if (substr(rest, 1, 5) == "false") { P += 5; T = "b"; V = "false"; return }
	if (substr(rest, 1, 4) == "null") { P += 4; T = "z"; V = ""; return }
	fail("bad value")
}

function obj(depth,   k, c) {
	P++
	ws()
	if (ch() == "}") { P++; return }
	while (!ERR) {
		ws()
		if (ch() != "\"") { fail("expected a key"); return }
		str()
		k = V
		ws()
		if (ch() != ":") { fail("expected ':'"); return }
		P++
		value(depth, k)
		if (depth == 1 && !ERR) printf "%d\t%s\t%s:%s\n", N, k, T, V
		ws()
		c = ch()
		if (c == ",") { P++; continue }
		if (c == "}") { P++; return }
		fail("expected ',' or '}'")
	}
}

function arr(depth, key,   n, c) {
	P++
	n = 0
	ws()
	if (ch() == "]") { P++; V = 0; return }
	while (!ERR) {
		value(depth, key)
		n++
		if (depth == 2 && !ERR && T != "o" && T != "a") printf "%d\t%s[]\t%s:%s\n", N, key, T, V
		ws()
		c = ch()
		if (c == ",") { P++; continue }
		if (c == "]") { P++; V = n; return }
		fail("expected ',' or ']'")
	}
}

{ S = S $0 "\n" }

END {
	L = length(S)
	P = 1
	N = 0
	while (!ERR) {
		ws()
		if (P > L) break
		if (ch() != "{") { N++; fail("expected an object"); break }
		N++
		obj(1)
	}
}
