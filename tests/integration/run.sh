#!/bin/sh
# Integration tests: `fcrdns-milter -t ADDRESS -j` against real DNS servers (NSD authoritative on :5353,
# unbound recursive on :5354, ldns-testns with faulty answers on :5355), then config.sh's cases.
#   usage: sh tests/integration/run.sh PATH/TO/fcrdns-milter      (as root: in a private network namespace)
# Expected results are worked out from the zone data in dns/ and SPEC.md, not from the program.
# Prints one line per case and, last, "N passed, M failed"; exits 1 when a case failed.
# FCR_ITEST_KEEP=1 keeps the scratch directory (configs, server logs) for a look afterwards.
set -u
PATH=$PATH:/usr/sbin:/sbin

HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../lib/common.sh
. "$HERE/../lib/common.sh"
common_bin_arg "$@"

# shellcheck source=../lib/dns.sh
. "$HERE/../lib/dns.sh"
dns_isolate "$HERE/run.sh" "$BIN"
dns_require nsd unbound ldns-testns dig timeout awk

common_scratch fcrdns-itest "${FCR_ITEST_KEEP:-}" dns_stop
# shellcheck source=lib.sh
. "$HERE/lib.sh"

# ---- servers (tests/lib/dns.sh) ----

# subst TEMPLATE [NAMESERVERS DNSTIMEOUT DNSRETRIES CHECKTIMEOUT]: the template with @PLACEHOLDERS@ filled.
subst() {
	dns_subst "$1" NAMESERVERS="${2:-}" DNSTIMEOUT="${3:-}" DNSRETRIES="${4:-}" CHECKTIMEOUT="${5:-}"
}

start_servers() {
	dns_start "$W" all || fail_run "servers: not answering within 10 s:$DNS_BAD" dns_server_logs 20
}

# ---- DNS cases ----

code_of() {
	case $1 in
	pass) echo 0 ;;
	fail) echo 1 ;;
	permerror) echo 2 ;;
	temperror) echo 3 ;;
	*) echo 255 ;;
	esac
}

# jval N KEY: "T:value" of KEY in JSON object N of $W/flat (see json.awk), empty when absent.
jval() {
	awk -F '\t' -v n="$1" -v k="$2" '$1 == n && $2 == k { print $3; exit }' "$W/flat"
}

# jlist N KEY: the array KEY of object N as "a,b,c" (string quotes dropped).
jlist() {
	awk -F '\t' -v n="$1" -v k="$2[]" '$1 == n && $2 == k { sub(/^[a-z]:/, "", $3); printf "%s%s", s, $3; s = "," }' "$W/flat"
}

# shown T:VALUE: the value as a message shows it.
shown() {
	case $1 in
	'') echo "(absent)" ;;
	z:) echo null ;;
	*) echo "${1#?:}" ;;
	esac
}

# same_value EXPECTED T:VALUE: EXPECTED is null, true, false, a number, or a string.
same_value() {
	case $1 in
	null) [ "$2" = "z:" ] ;;
	true | false) [ "$2" = "b:$1" ] ;;
	*)
		if printf '%s\n' "$1" | grep -qE '^-?[0-9]+(\.[0-9]+)?$'; then
			case $2 in n:*) awk -v a="$1" -v b="${2#n:}" 'BEGIN { exit !(a + 0 == b + 0) }' ;; *) false ;; esac
		else
			[ "$2" = "s:$1" ]
		fi
		;;
	esac
}

# check_object N: the JSON contract of SPEC.md "Command line" for object N (keys, types, names).
check_object() {
	for _k in ip result ptr_names confirmed_name generic score action headers elapsed_ms; do
		[ -n "$(jval "$1" "$_k")" ] || problem "no \"$_k\" in the JSON"
	done
	case $(jval "$1" generic) in b:* | '') ;; *) problem "\"generic\" is not a JSON boolean" ;; esac
	case $(jval "$1" score) in n:* | '') ;; *) problem "\"score\" is not a JSON number" ;; esac
	case $(jval "$1" elapsed_ms) in n:* | '') ;; *) problem "\"elapsed_ms\" is not a JSON number" ;; esac
	case $(jval "$1" ptr_names) in a:* | '') ;; *) problem "\"ptr_names\" is not an array" ;; esac
	_cn=$(jval "$1" confirmed_name)
	case $(jval "$1" result):$_cn in
	s:pass:s:?*) jlist "$1" ptr_names | tr ',' '\n' | grep -qxF -- "${_cn#s:}" ||
		problem "confirmed_name ${_cn#s:} is not one of ptr_names" ;;
	s:pass:*) problem "pass without a confirmed_name" ;;
	*:z: | *:) ;;
	*) problem "confirmed_name $(shown "$_cn") without pass" ;;
	esac
	if jlist "$1" ptr_names | tr ',' '\n' | grep -q -e '[A-Z]' -e '\.$'; then
		problem "ptr_names [$(jlist "$1" ptr_names)] not lower-case without trailing dot"
	fi
}

case_failed() {
	fail_case "$1"
	echo "    -- $BIN -c $CONF${2:+ }$2"
	echo "    -- stdout"
	show "$W/out"
	echo "    -- stderr"
	show "$W/err"
	# shellcheck disable=SC2119 # the default number of lines
	dns_server_logs
}

# verdict TEXT FAIL_TEXT ARGS: the case line, TEXT when no problem was found, else FAIL_TEXT with the
# details (case_failed).
verdict() {
	if [ -z "$_problems" ]; then
		pass_case "$1"
	else
		case_failed "$2" "$3"
	fi
}

# t ADDRESS RESULT WHAT [CHECK]...: one `-t ADDRESS -j` run with $CONF and $OPTS (extra options).
# CHECKs: key=value (JSON value: null, true, false, numbers compared as numbers, or a string),
# ptr_names=a,b (the array in order), ms<=N (wall time of the run), raw=TEXT (stdout contains TEXT).
t() {
	_addr=$1 _want=$2 _what=$3
	shift 3
	_problems=""
	# shellcheck disable=SC2086 # OPTS holds several words on purpose
	runprog "$W/out" "$W/err" /dev/null -c "$CONF" $OPTS -t "$_addr" -j
	awk -f "$HERE/json.awk" "$W/out" >"$W/flat"
	_res=$(jval 1 result)
	_crash=$(crash_reason "$W/err")
	if [ -n "$_crash" ]; then
		problem "expected $_want, $_crash"
	elif grep -q '!error' "$W/flat"; then
		problem "expected $_want (exit $(code_of "$_want")), got exit $RC and stdout that is not JSON" \
			"($(awk -F '\t' '$2 == "!error" { print $3; exit }' "$W/flat"))"
	elif [ "$(cut -f 1 "$W/flat" | sort -u | grep -c .)" -ne 1 ]; then
		problem "expected $_want (exit $(code_of "$_want")), got exit $RC and not one JSON object on stdout"
	fi
	# when the run itself went wrong, the details below would only repeat it
	if [ -n "$_problems" ]; then
		case_failed "$_addr${OPTS:+ [$OPTS]}: $_problems -- $_what" "${OPTS:+$OPTS }-t $_addr -j"
		return
	fi
	if [ "$_res" != "s:$_want" ]; then
		problem "expected $_want, got $(shown "$_res") (exit $RC)"
	elif [ "$RC" -ne "$(code_of "$_want")" ]; then
		problem "expected exit $(code_of "$_want") for $_want, got exit $RC"
	fi
	check_object 1
	case " $* " in *" ip="*) ;; *) set -- "$@" "ip=$_addr" ;; esac
	for _c in "$@"; do
		case $_c in
		"ms<="*)
			[ "$MS" -le "${_c#ms<=}" ] || problem "took $MS ms, more than ${_c#ms<=} ms" ;;
		raw=*)
			grep -qF -- "${_c#raw=}" "$W/out" || problem "stdout lacks '${_c#raw=}'" ;;
		ptr_names=*)
			_got=$(jlist 1 ptr_names)
			[ "$_got" = "${_c#*=}" ] || problem "ptr_names [$_got], expected [${_c#*=}]" ;;
		*=*)
			_got=$(jval 1 "${_c%%=*}")
			same_value "${_c#*=}" "$_got" || problem "${_c%%=*} $(shown "$_got"), expected ${_c#*=}" ;;
		esac
	done
	raw_problems
	verdict "$_addr $_want${OPTS:+ [$OPTS]} -- $_what" "$_addr${OPTS:+ [$OPTS]}: $_problems -- $_what" \
		"${OPTS:+$OPTS }-t $_addr -j"
}

# ---- batch runs ----

# batch WHAT EXPECTED_EXIT INPUT "ADDR RESULT"... -- ARGS...: a run with several addresses and -j;
# stdout must hold one JSON object per address with a result, in the given order.
batch() {
	_what=$1 _wantrc=$2 _in=$3
	shift 3
	_exp=""
	while [ "$1" != -- ]; do
		_exp="$_exp$1
"
		shift
	done
	shift
	_problems=""
	runprog "$W/out" "$W/err" "$_in" -c "$CONF" "$@"
	_crash=$(crash_reason "$W/err")
	[ -z "$_crash" ] || problem "$_crash"
	# only lines that are JSON objects; a report of a skipped line may come in any form
	grep '^[[:space:]]*{' "$W/out" | awk -f "$HERE/json.awk" >"$W/flat"
	grep -q '!error' "$W/flat" && problem "a line of stdout is not JSON"
	_got=$(awk -F '\t' '$2 == "ip" { ip[$1] = $3 } $2 == "result" { r[$1] = $3; if ($1 > n) n = $1 }
		END { for (i = 1; i <= n; i++) if (i in r) printf "%s %s\n", substr(ip[i], 3), substr(r[i], 3) }' "$W/flat")
	if [ "$_got" != "$(printf '%s' "$_exp")" ]; then
		problem "expected [$(printf '%s' "$_exp" | tr '\n' ',')], got [$(printf '%s' "$_got" | tr '\n' ',')]"
	fi
	[ "$RC" -eq "$_wantrc" ] || problem "expected exit $_wantrc, got exit $RC"
	_n=$(cut -f 1 "$W/flat" | sort -u | grep -c .)
	_i=1
	while [ "$_i" -le "$_n" ]; do
		[ -n "$(jval "$_i" result)" ] && check_object "$_i"
		_i=$((_i + 1))
	done
	raw_problems
	verdict "batch exit $_wantrc -- $_what" "batch: $_problems -- $_what" "$*"
}

# plain_batch WHAT EXPECTED_EXIT "ADDR RESULT"...: several addresses without -j: one summary line each,
# in order, naming its address and its result (and no other result word).
plain_batch() {
	_what=$1 _wantrc=$2
	shift 2
	_addrs=""
	for _e in "$@"; do _addrs="$_addrs ${_e% *}"; done
	_problems=""
	# shellcheck disable=SC2086 # one argument per address
	runprog "$W/out" "$W/err" /dev/null -c "$CONF" -t $_addrs
	_crash=$(crash_reason "$W/err")
	[ -z "$_crash" ] || problem "$_crash"
	[ "$RC" -eq "$_wantrc" ] || problem "expected exit $_wantrc, got exit $RC"
	[ "$(grep -c . "$W/out")" -eq $# ] || problem "expected $# non-empty lines on stdout, got $(grep -c . "$W/out")"
	_i=1
	for _e in "$@"; do
		_line=$(grep . "$W/out" | sed -n "${_i}p")
		_words=$(printf '%s\n' "$_line" | tr -c 'a-z0-9.:' '\n')
		printf '%s\n' "$_words" | grep -qxF -- "${_e% *}" || problem "line $_i does not name ${_e% *}"
		for _r in pass fail permerror temperror; do
			if [ "$_r" = "${_e#* }" ]; then
				printf '%s\n' "$_words" | grep -qx "$_r" || problem "line $_i lacks '$_r'"
			else
				printf '%s\n' "$_words" | grep -qx "$_r" && problem "line $_i says '$_r'"
			fi
		done
		_i=$((_i + 1))
	done
	has_raw_bytes "$W/out" && problem "raw non-printable bytes in stdout"
	verdict "batch exit $_wantrc -- $_what" "batch: $_problems -- $_what" "-t$_addrs"
}

# ---- the run ----

start_servers
echo "# servers up: NSD :5353, unbound :5354, ldns-testns :5355 ($W)"

subst "$HERE/fcrdns-milter.conf.in" 127.0.0.1:5354 2 1 5 >"$W/unbound-ns.conf"
subst "$HERE/fcrdns-milter.conf.in" 127.0.0.1:5355 1 0 2 >"$W/testns-ns.conf"

echo "# through unbound (Nameservers 127.0.0.1:5354)"
CONF=$W/unbound-ns.conf
DNS_LOGS="nsd.log nsd.out unbound.log unbound.out"
OPTS=""
t 127.0.0.2 pass "PTR and A agree" confirmed_name=good.test.example ptr_names=good.test.example \
	generic=false score=0 action=accept raw=iprev=pass
t 127.0.0.3 fail "the name's A is another address" confirmed_name=null ptr_names=mismatch.test.example \
	generic=false score=3
t 127.0.0.4 permerror "no PTR: NXDOMAIN" confirmed_name=null ptr_names= score=2
t 127.0.0.8 permerror "no PTR: NODATA (the reverse name has only a TXT)" confirmed_name=null ptr_names=
t 127.0.0.6 fail "PTR to a name that does not exist" confirmed_name=null ptr_names=doesnotexist.test.example
t 127.0.0.7 fail "PTR to a name without A (NODATA)" confirmed_name=null ptr_names=nodata.test.example
t 127.0.0.5 pass "two PTRs, the second confirms" confirmed_name=multi2.test.example \
	ptr_names=multi1.test.example,multi2.test.example
t 127.0.0.10 pass "RFC 2317: PTR reached through a CNAME" confirmed_name=cname10.test.example \
	ptr_names=cname10.test.example
t 127.0.0.40 pass "PTR behind a chain of 8 CNAMEs (the limit)" confirmed_name=chain8.test.example
t 127.0.0.41 permerror "PTR behind a chain of 9 CNAMEs (over the limit)" confirmed_name=null
t 127.0.0.9 pass "the name is a CNAME: the PTR name confirms, not the target" \
	confirmed_name=alias.test.example ptr_names=alias.test.example
t 127.0.0.11 pass "three A records, the third matches" confirmed_name=many.test.example
t 2001:db8::1 pass "IPv6, AAAA agrees" confirmed_name=good.test.example 'raw=policy.iprev=\"2001:db8::1\"'
t 2001:db8::2 fail "IPv6, AAAA is another address" confirmed_name=null ptr_names=mismatch6.test.example
t 2001:db8::3 permerror "IPv6, no PTR" confirmed_name=null ptr_names=
t ::ffff:127.0.0.2 pass "IPv4-mapped IPv6 is checked as IPv4" ip=127.0.0.2 confirmed_name=good.test.example
t 127.0.0.12 fail "all-numeric PTR name 12.0.0.127 (its A would match) is not looked up" confirmed_name=null
t 127.0.0.13 fail "12 PTRs, only the 12th confirms, MaxPTRNames 10" confirmed_name=null
OPTS="-o MaxPTRNames=12"
t 127.0.0.13 pass "12 PTRs, only the 12th confirms, MaxPTRNames 12" confirmed_name=ptr12.test.example
OPTS=""
t 127.0.0.16 fail "PTR name with '_' (its A would match)" confirmed_name=null
t 127.0.0.17 fail "PTR name with a space (its A would match)" confirmed_name=null
t 127.0.0.36 fail "PTR name with a BEL byte (its A would match); no raw byte printed" confirmed_name=null
t 127.0.0.14 temperror "PTR CNAME loop: unbound answers SERVFAIL" confirmed_name=null
t 127.0.0.15 temperror "forward CNAME loop: unbound answers SERVFAIL, no other name" confirmed_name=null
t 127.0.0.30 pass "generic: dsl-127-0-0-30.pool" confirmed_name=dsl-127-0-0-30.pool.test.example \
	generic=true score=1
t 127.0.0.31 pass "not generic: mail.test.example" confirmed_name=mail.test.example generic=false score=0
t 127.0.0.32 pass "not generic: an 'mx' label outweighs 'dsl-pool'" confirmed_name=mx.dsl-pool.test.example \
	generic=false
t 127.0.0.33 pass "generic: the address reversed, c-33-0-0-127" confirmed_name=c-33-0-0-127.test.example \
	generic=true
t 127.0.0.34 pass "generic: the address in hex, ip7f000022" confirmed_name=ip7f000022.test.example generic=true \
	'raw="generic_rule":"address embedded: hex"'
t 127.0.0.37 pass "generic: the address outweighs 'static' and 'mail' (static-127-0-0-37.mail)" \
	confirmed_name=static-127-0-0-37.mail.test.example generic=true score=1 \
	'raw="generic_rule":"address embedded: decimal"'
t 127.0.0.31 pass "not generic, and -j says why: a server word" generic=false \
	'raw="generic_rule":"server word \"mail\""'
t 127.0.0.39 pass "not generic without a GenericNames rule: shape39" generic=false 'raw="generic_rule":null'
printf '# test rules\nsender ^never\\.test\\.example$\ngeneric ^shape[0-9]+\\.test\\.example$\n' >"$W/test.names"
OPTS="-o GenericNames=$W/test.names"
t 127.0.0.39 pass "generic by GenericNames rule 2: shape39" generic=true score=1 \
	"raw=\"generic_rule\":\"rule 2 of $W/test.names\""
# the text trace and the summary line say why too
# shellcheck disable=SC2086 # OPTS holds several words on purpose
runprog "$W/out" "$W/err" /dev/null -c "$CONF" $OPTS -t 127.0.0.39
if [ "$RC" -eq 0 ] && grep -qxF "generic:        yes (rule 2 of $W/test.names)" "$W/out" &&
	grep -qF "shape39.test.example" "$W/out"; then
	pass_case "127.0.0.39 pass [$OPTS] -- the text trace names the GenericNames rule"
else
	case_failed "127.0.0.39 [$OPTS]: exit $RC, no 'generic:        yes (rule 2 of ...)' in the text trace" "$OPTS -t 127.0.0.39"
fi
OPTS=""
runprog "$W/out" "$W/err" /dev/null -c "$CONF" -t 127.0.0.37 127.0.0.30 127.0.0.31
if [ "$RC" -eq 0 ] && grep -q '^ip=127\.0\.0\.37 .* generic=yes generic_rule=address score=1 ' "$W/out" &&
	grep -q '^ip=127\.0\.0\.31 .* generic=no score=0 ' "$W/out"; then
	pass_case "summary lines: generic=yes generic_rule=address; no tag when not generic"
else
	case_failed "summary lines: no 'generic=yes generic_rule=address' for 127.0.0.37" "-t 127.0.0.37 127.0.0.30 127.0.0.31"
fi
# GenericPatterns that broke or stalled glibc's regexec: no crash, no burn, a limit counted as no match
printf '(|)(\\1\\1)*\n' >"$W/emptyloop.pat"
printf '(.*)\\1(.*)\\2(.*)\\3(.*)\\4(.*)\\5x\n' >"$W/backrefs.pat"
OPTS="-o GenericPatterns=$W/emptyloop.pat"
t 127.0.0.2 pass "GenericPatterns (|)(\\1\\1)* matches every name (no crash)" generic=true score=1
_a63=$(printf '%063d' 0 | tr 0 a)
LONG60=$_a63.$_a63.$_a63.$(printf '%048d' 0 | tr 0 a).test.example
OPTS="-o GenericPatterns=$W/backrefs.pat"
t 127.0.0.60 pass "GenericPatterns backtracking on a 255-octet PTR name: match limit, no match" \
	confirmed_name="$LONG60" generic=false 'raw="pattern_limit":true'
# shellcheck disable=SC2086 # OPTS holds several words on purpose
runprog "$W/out" "$W/err" /dev/null -c "$CONF" $OPTS -t 127.0.0.60
if [ "$RC" -eq 0 ] && grep -q 'GenericPatterns: a pattern hit a PCRE2 limit here' "$W/out"; then
	pass_case "127.0.0.60 pass [$OPTS] -- the text trace says the pattern hit a limit"
else
	case_failed "127.0.0.60 [$OPTS]: exit $RC, no 'a pattern hit a PCRE2 limit' in the text trace" "$OPTS -t 127.0.0.60"
fi
OPTS="-o OnFail=reject"
t 127.0.0.3 fail "the action follows OnFail" action=reject
OPTS="-o ExemptHosts=127.0.0.0/8"
t 127.0.0.2 pass "-t checks an exempt address all the same" confirmed_name=good.test.example
OPTS=""
# a soft open-file limit below the hard one: -t raises it to the hard one (-v says so)
_hard=$(ulimit -H -n)
if [ "$_hard" != unlimited ] && [ "$_hard" -gt 64 ]; then
	(ulimit -S -n 64 && runprog "$W/out" "$W/err" /dev/null -c "$CONF" -v -t 127.0.0.2)
	if grep -qx "fcrdns-milter: open files: limit $_hard (was 64)" "$W/err"; then
		pass_case "-v -t with a soft open-file limit of 64: raised to the hard limit ($_hard)"
	else
		case_failed "-v -t, soft limit 64: no 'open files: limit $_hard (was 64)' on stderr" "-v -t 127.0.0.2"
	fi
fi

echo "# batches (several addresses at once, through unbound)"
batch "-t ADDR... -j: one object per address, in order, exit = highest" 2 /dev/null \
	"127.0.0.2 pass" "127.0.0.3 fail" "127.0.0.4 permerror" "127.0.0.2 pass" "2001:db8::1 pass" \
	"127.0.0.5 pass" -- -t 127.0.0.2 127.0.0.3 127.0.0.4 ::ffff:127.0.0.2 2001:db8::1 127.0.0.5 -j
plain_batch "-t ADDR...: one summary line per address" 2 \
	"127.0.0.2 pass" "127.0.0.3 fail" "127.0.0.4 permerror" "2001:db8::1 pass"
printf '127.0.0.2\nnot-an-address\n127.0.0.3\n300.1.2.3\n127.0.0.2\n' >"$W/stdin"
batch "-t - -j: addresses from stdin, junk lines reported and skipped" 1 "$W/stdin" \
	"127.0.0.2 pass" "127.0.0.3 fail" "127.0.0.2 pass" -- -t - -j
if ! grep -q 'not-an-address' "$W/out" "$W/err" || ! grep -q '300\.1\.2\.3' "$W/out" "$W/err"; then
	case_failed "batch: the junk lines are not reported -- -t - -j" "-t - -j"
else
	pass_case "batch -- junk lines from stdin are reported"
fi

echo "# -t with junk input (through unbound)"
# junk WHAT EXPECTED_EXIT INPUT STDERR_TEXT ARGS...: exit status, stderr naming STDERR_TEXT (grep -F),
# no raw byte echoed, and a bounded report however long the junk.
junk() {
	_what=$1 _wantrc=$2 _in=$3 _text=$4
	shift 4
	_problems=""
	runprog "$W/out" "$W/err" "$_in" -c "$CONF" "$@"
	_crash=$(crash_reason "$W/err")
	[ -z "$_crash" ] || problem "$_crash"
	[ "$RC" -eq "$_wantrc" ] || problem "expected exit $_wantrc, got exit $RC"
	grep -qF -- "$_text" "$W/err" || problem "stderr does not say '$_text'"
	[ "$(wc -c <"$W/err")" -le 2000 ] || problem "stderr holds $(wc -c <"$W/err") bytes (junk echoed whole?)"
	raw_problems
	verdict "junk exit $_wantrc -- $_what" "junk: $_problems -- $_what" "$*"
}
printf 'x\033]0;pwned\007\n' >"$W/stdin"
junk "terminal escape on stdin: escaped, nothing checked" 64 "$W/stdin" 'x\x1b]0;pwned\x07' -t -
junk "only junk arguments: nothing checked" 64 /dev/null 'no address to check' -t bogus bogus2
junk "empty stdin: nothing checked" 64 /dev/null 'no address to check' -t -
awk 'BEGIN { s = ""; for (i = 0; i < 10000; i++) s = s "a"; print s }' >"$W/stdin"
junk "a 10,000-byte line: reported as too long, nothing checked" 64 "$W/stdin" 'longer than' -t -
printf 'zz\000yy\n127.0.0.2\n' >"$W/stdin"
cat "$W/stdin" "$W/stdin" >"$W/stdin2"
awk 'BEGIN { s = ""; for (i = 0; i < 10000; i++) s = s "a"; print s }' >>"$W/stdin2"
junk "a NUL byte and a long line beside an address: those skipped, the address checked" 0 "$W/stdin2" \
	'zz\x00yy' -t -
grep -q 'longer than' "$W/err" || case_failed "junk: the long line beside an address is not reported" "-t -"
# 2,500 lines: more than one chunk of input, every line answered in order
awk 'BEGIN { for (i = 0; i < 2500; i++) print (i % 2 ? "127.0.0.3" : "127.0.0.2") }' >"$W/stdin"
runprog "$W/out" "$W/err" "$W/stdin" -c "$CONF" -t -
_exp=$(awk 'BEGIN { for (i = 0; i < 2500; i++) print (i % 2 ? "127.0.0.3 fail" : "127.0.0.2 pass") }' | cksum)
_got=$(sed -n 's/^ip=\([^ ]*\) result=\([a-z]*\) .*/\1 \2/p' "$W/out" | cksum)
if [ "$RC" -eq 1 ] && [ "$_exp" = "$_got" ]; then
	pass_case "batch exit 1 -- 2,500 lines from stdin, all answered in input order"
else
	case_failed "batch: 2,500 lines from stdin: exit $RC, $(grep -c '^ip=' "$W/out") lines" "-t -"
fi

echo "# through ldns-testns (Nameservers 127.0.0.1:5355, DNSTimeout 1, DNSRetries 0, CheckTimeout 2)"
CONF=$W/testns-ns.conf
DNS_LOGS="testns.out"
OPTS=""
t 127.0.0.20 temperror "SERVFAIL" confirmed_name=null
t 127.0.0.23 temperror "REFUSED" confirmed_name=null
# CheckTimeout 2 s + 1.5 s: a bound on the time budget, not a speed benchmark
t 127.0.0.21 temperror "answer 3 s late, DNSTimeout 1" confirmed_name=null "ms<=3500"
OPTS="-o DNSTimeout=1.5 -o DNSRetries=1"
t 127.0.0.21 temperror "answer 3 s late, the 2 s CheckTimeout binds" confirmed_name=null "ms<=3500"
OPTS=""
t 127.0.0.55 pass "one name confirms, the other's A is 3 s late" confirmed_name=fast55.test.example "ms<=3500"
t 127.0.0.22 pass "TC over UDP, answer over TCP" confirmed_name=tc.test.example ptr_names=tc.test.example
t 127.0.0.24 temperror "only a reply with the wrong ID (ignored)" confirmed_name=null
t 127.0.0.27 temperror "reply with the right ID but another question name (ignored)" confirmed_name=null
t 127.0.0.28 temperror "reply with the right ID and name but type A (ignored)" confirmed_name=null
t 127.0.0.29 temperror "reply with the right ID, name and type but class CH (ignored)" confirmed_name=null
t 127.0.0.50 pass "a wrong-question reply, then the right one" confirmed_name=real50.test.example \
	ptr_names=real50.test.example
t 127.0.0.25 temperror "garbage reply" confirmed_name=null
t 127.0.0.56 temperror "reply with a compression pointer loop" confirmed_name=null
t 127.0.0.26 temperror "the only name's A lookup is SERVFAIL" confirmed_name=null
t 127.0.0.53 pass "one name's A is SERVFAIL, the other confirms" confirmed_name=ok53.test.example
t 127.0.0.51 permerror "PTR CNAME loop in the answer" confirmed_name=null
t 127.0.0.52 fail "the only name is a forward CNAME loop" confirmed_name=null ptr_names=fwdloop.test.example
t 127.0.0.54 pass "PTR MiXeD.Test.Example is printed lower-case" confirmed_name=mixed.test.example \
	ptr_names=mixed.test.example
batch "-t ADDR... -j: exit status is the highest code (temperror)" 3 /dev/null \
	"127.0.0.22 pass" "127.0.0.20 temperror" "127.0.0.23 temperror" -- -t 127.0.0.22 127.0.0.20 127.0.0.23 -j

echo "# DNS details through ldns-testns: NXDOMAIN with records, TTLs of 2^31, 600 records, late replies"
t 127.0.0.70 permerror "NXDOMAIN carrying the PTR anyway: the rcode decides" confirmed_name=null ptr_names= \
	ptr_status=nxdomain
t 127.0.0.71 fail "the A is NXDOMAIN at the end of a CNAME chain, the matching A carried anyway" \
	confirmed_name=null ptr_names=nxfwd71.test.example
t 127.0.0.72 pass "PTR TTL 2147483648 is taken as 0 (RFC 2181)" confirmed_name=big72.test.example ptr_ttl=0
t 127.0.0.73 permerror "NXDOMAIN, SOA TTL and MINIMUM 2147483648 are taken as 0" ptr_status=nxdomain ptr_ttl=0
t 127.0.0.74 pass "600 A records (over TCP after TC), the last one matches" confirmed_name=many74.test.example
# each attempt's answer comes 2 s after its query: the first one, 0.5 s after its own timeout,
# arrives while the retry is out (whose own answer would come after the retry's timeout)
OPTS="-o DNSTimeout=1.5 -o DNSRetries=1 -o CheckTimeout=5"
t 127.0.0.75 pass "the first attempt's answer after DNSTimeout, the retry still out" \
	confirmed_name=late75.test.example "ms<=2900"
OPTS=""

echo "# configuration checks (config.sh)"
FCR_ITEST_SOURCED=1
# shellcheck source=config.sh
. "$HERE/config.sh"
config_cases

summary
[ "$FAILED" -eq 0 ]
