# What the end-to-end suites with a real MTA (tests/postfix, tests/sendmail) share (sourced, POSIX sh):
# the milter process, sending with swaks, reading and checking delivered messages, saving them for
# the rule sets. Needs tests/lib/common.sh and tests/lib/dns.sh (dns_reap) sourced first, and set:
#   W, BIN, MCONF, MLOG, SOCK, MILTER_OPTS   scratch directory, milter, its configuration, log, socket
#   MTA_NAME     postfix / sendmail: in each message's Subject and in the names of saved messages
#   MTA_PORT     the MTA's SMTP port on 127.0.0.1 and ::1
#   MTA_BOXES    the directories delivered messages land in (blank-separated)
#   MTA_LOG      the MTA's log
# Optional: MTA_SWAKS_TIMEOUT (seconds swaks waits for a reply, default 15); FCR_DELIVERED (a directory:
# mta_save copies delivered messages there, for tests/spamassassin and tests/rspamd).
# Expected header values come from the zones in tests/dns/ and SPEC.md, passed in by the cases.

_problems=""

# show FILE [LINES]: the last LINES of FILE, indented, non-printable bytes made visible.
show() {
	[ -s "$1" ] || return 0
	echo "    -- tail of ${1##*/}"
	tail -n "${2:-15}" "$1" | cat -v | sed -e 's/^/    | /'
}

# show_head FILE: the first 25 lines of a delivered message, indented.
show_head() {
	echo "    -- ${1##*/}"
	head -n 25 "$1" | cat -v | sed -e 's/^/    | /'
}

# poll TENTHS COMMAND...: runs COMMAND every 0.1 s until it succeeds or TENTHS tries have failed.
poll() {
	_n=$1
	shift
	while [ "$_n" -gt 0 ]; do
		"$@" && return 0
		sleep 0.1
		_n=$((_n - 1))
	done
	return 1
}

# report WHAT [FILE]...: one case line from $_problems; on failure, the tails of FILEs (the head of
# a delivered message).
report() {
	_what=$1
	shift
	if [ -z "$_problems" ]; then
		pass_case "$_what"
	else
		fail_case "$_what: $_problems"
		for _f in "$@"; do
			if _in_box "$_f"; then show_head "$_f"; else show "$_f"; fi
		done
	fi
	_problems=""
}

_in_box() {
	for _b in $MTA_BOXES; do
		case $1 in "$_b/"*) return 0 ;; esac
	done
	return 1
}

# ---- the milter ----

MILTER_PID=""

# milter_start: runs $BIN in the foreground (log appended to $MLOG); 0 once its socket is there.
milter_start() {
	_before=$(grep -c 'listening on' "$MLOG" 2>/dev/null)
	# shellcheck disable=SC2086 # MILTER_OPTS holds several words on purpose
	"$BIN" -f -c "$MCONF" $MILTER_OPTS >>"$MLOG" 2>&1 &
	MILTER_PID=$!
	poll 100 milter_listening "${_before:-0}"
}

milter_listening() {
	kill -0 "$MILTER_PID" 2>/dev/null && [ -S "$SOCK" ] &&
		[ "$(grep -c 'listening on' "$MLOG")" -gt "$1" ]
}

# milter_stop: SIGTERM, then waits (KILL after 15 s); MILTER_RC is its exit status.
milter_stop() {
	MILTER_RC=""
	[ -n "$MILTER_PID" ] || return 0
	kill -TERM "$MILTER_PID" 2>/dev/null
	dns_reap "$MILTER_PID" 150
	# shellcheck disable=SC2034 # read by the cases
	MILTER_RC=$?
	MILTER_PID=""
}

# policy [LINE]...: (re)writes the milter's configuration file: accept everything, plus LINEs.
policy() {
	{
		echo "# written by tests/$MTA_NAME/run.sh"
		echo "CacheSize 1000"
		for _l in "$@"; do echo "$_l"; done
	} >"$MCONF"
	chmod 644 "$MCONF"
}

# reloads: how many times the milter has logged a finished reload.
reloads() {
	grep -c 'configuration reloaded' "$MLOG"
}

reloaded_since() {
	[ "$(reloads)" -gt "$1" ]
}

# hup_and_wait: SIGHUP to the milter, then waits (up to 5 s) until it logs the reload.
hup_and_wait() {
	_r=$(reloads)
	kill -HUP "$MILTER_PID"
	poll 50 reloaded_since "$_r"
}

# ---- sending ----

# message ID [HEADER-LINE]...: writes $W/msg/ID.eml, a message that carries "X-Test-Id: ID".
message() {
	_id=$1
	shift
	{
		printf 'From: <sender@sender.example>\nTo: <box@test.example>\n'
		printf 'Subject: fcrdns %s test %s\n' "$MTA_NAME" "$_id"
		printf 'Date: %s\nMessage-Id: <%s@sender.example>\nX-Test-Id: %s\n' "$(date -R)" "$_id" "$_id"
		for _h in "$@"; do printf '%s\n' "$_h"; done
		printf '\nTest message %s.\n' "$_id"
	} >"$W/msg/$_id.eml"
}

# send ID FROM-ADDRESS [SWAKS-ARG]...: swaks sends $W/msg/ID.eml from that local address (IPv6 to
# [::1], IPv4 to 127.0.0.1); the transcript is $W/msg/ID.out, the exit status SWAKS_RC.
send() {
	_sid=$1 _sfrom=$2
	shift 2
	case $_sfrom in
	*:*) set -- -6 --server ::1 "$@" ;;
	*) set -- -4 --server 127.0.0.1 "$@" ;;
	esac
	_st=${MTA_SWAKS_TIMEOUT:-15}
	timeout -k 2 $((_st * 2)) swaks --port "$MTA_PORT" --local-interface "$_sfrom" --timeout "$_st" \
		--helo client.sender.example --from sender@sender.example --to box@test.example \
		--data "@$W/msg/$_sid.eml" "$@" >"$W/msg/$_sid.out" 2>&1
	# shellcheck disable=SC2034 # read by the cases
	SWAKS_RC=$?
}

# ---- delivered messages ----

# delivered ID: the file holding the delivered message with X-Test-Id ID (nothing when none).
delivered() {
	delivered_all "$1" | head -n 1
}

# delivered_all ID: every delivered file holding a message with X-Test-Id ID.
delivered_all() {
	# shellcheck disable=SC2086 # MTA_BOXES is a list
	grep -rlx "X-Test-Id: $1" $MTA_BOXES 2>/dev/null
}

delivered_count() {
	delivered_all "$1" | grep -c .
}

delivered_count_is() {
	[ "$(delivered_count "$1")" -eq "$2" ]
}

has_delivered() {
	[ -n "$(delivered "$1")" ]
}

# wait_delivered ID: its file name once it is there (up to ~10 s); false when it never came.
wait_delivered() {
	poll 100 has_delivered "$1" && delivered "$1"
}

# headers FILE: the header section, one unfolded header a line, without CR.
headers() {
	awk '{ sub(/\r$/, "") } /^$/ { exit } /^[ \t]/ { sub(/^[ \t]+/, " "); h = h $0; next }
		{ if (NR > 1) print h; h = $0 } END { if (h != "") print h }' "$1"
}

# hcount FILE NAME: how many NAME headers FILE has (names compared case-insensitively).
hcount() {
	headers "$1" | awk -v n="$2" 'BEGIN { n = tolower(n) ":" } tolower(substr($0, 1, length(n))) == n { c++ }
		END { print c + 0 }'
}

# hvalues FILE NAME: the values of the NAME headers, one a line, leading blanks dropped.
hvalues() {
	headers "$1" | awk -v n="$2" 'BEGIN { n = tolower(n) ":" }
		tolower(substr($0, 1, length(n))) == n { v = substr($0, length(n) + 1); sub(/^[ \t]+/, "", v); print v }'
}

# hnames FILE: the header names in order, lower-case.
hnames() {
	headers "$1" | awk -F : '{ print tolower($1) }'
}

# ---- our headers ----

# our_authres FILE: the Authentication-Results values whose authserv-id is ours (leading comments
# and case ignored, as RFC 8601 reads them).
our_authres() {
	hvalues "$1" Authentication-Results | awk '{ v = $0
		while (v ~ /^[ \t]*\(/) sub(/^[ \t]*\([^)]*\)/, "", v)
		sub(/^[ \t]+/, "", v); id = tolower(v); sub(/[;( \t].*/, "", id)
		if (id == "mx.test.example") print }'
}

# on_top FILE: true when the first header the MTA did not add on delivery is our
# Authentication-Results (Return-Path, X-Original-To, Delivered-To come from Postfix's virtual(8)).
on_top() {
	_first=$(headers "$1" | grep -v -i -e '^return-path:' -e '^x-original-to:' -e '^delivered-to:' | head -n 1)
	case $(printf '%s' "$_first" | tr '[:upper:]' '[:lower:]') in
	"authentication-results: mx.test.example;"*) return 0 ;;
	*) return 1 ;;
	esac
}

# expect_ours FILE ADDRESS RESULT SCORE [PTR [generic]]: our three headers, each exactly once, with
# these values, our Authentication-Results on top. PTR is the name shown (the confirmed one for pass).
expect_ours() {
	_f=$1 _a=$2 _r=$3 _s=$4 _p=${5:-} _g=${6:-}
	case $_a in *:*) _pa="\"$_a\"" ;; *) _pa=$_a ;; esac
	_ar=$(our_authres "$_f")
	if [ "$(printf '%s' "$_ar" | grep -c .)" -ne 1 ]; then
		problem "$(printf '%s' "$_ar" | grep -c .) Authentication-Results of mx.test.example, expected 1"
	elif [ "$_r" = pass ]; then
		[ "$_ar" = "mx.test.example; iprev=pass policy.iprev=$_pa ($_p)" ] ||
			problem "Authentication-Results '$_ar', expected 'mx.test.example; iprev=pass policy.iprev=$_pa ($_p)'"
	else
		case $_ar in
		"mx.test.example; iprev=$_r policy.iprev=$_pa ("*")") ;;
		*) problem "Authentication-Results '$_ar', expected 'mx.test.example; iprev=$_r policy.iprev=$_pa (reason)'" ;;
		esac
	fi
	on_top "$_f" || problem "our Authentication-Results is not the first header (before Received)"
	_want="$_r ip=$_a${_p:+ ptr=$_p}${_g:+ generic=yes}"
	_got=$(hvalues "$_f" X-FCrDNS)
	[ "$_got" = "$_want" ] || problem "X-FCrDNS '$(printf '%s' "$_got" | tr '\n' '|')', expected '$_want'"
	_got=$(hvalues "$_f" X-FCrDNS-Score)
	if [ "$(printf '%s\n' "$_got" | grep -c .)" -ne 1 ] ||
	   ! printf '%s\n' "$_got" | grep -qE '^-?[0-9]+(\.[0-9]+)?$' ||
	   ! awk -v a="$_got" -v b="$_s" 'BEGIN { exit !(a + 0 == b + 0) }'; then
		problem "X-FCrDNS-Score '$(printf '%s' "$_got" | tr '\n' '|')', expected $_s"
	fi
}

# expect_none FILE: none of our headers (the milter did not see the message).
expect_none() {
	[ -z "$(our_authres "$1")" ] || problem "an Authentication-Results of mx.test.example"
	[ "$(hcount "$1" X-FCrDNS)" -eq 0 ] || problem "an X-FCrDNS header"
	[ "$(hcount "$1" X-FCrDNS-Score)" -eq 0 ] || problem "an X-FCrDNS-Score header"
}

# deliver_case ID ADDRESS RESULT SCORE [PTR [generic]]: one message from ADDRESS, delivered with our
# headers (expect_ours) and no other Authentication-Results, saved for the rule sets (mta_save).
# The suite defines accepted ID: true when the MTA took the message (transcript $W/msg/ID.out).
deliver_case() {
	_id=$1
	shift
	message "$_id"
	send "$_id" "$1"
	if ! accepted "$_id"; then
		problem "swaks from $1: not accepted (exit $SWAKS_RC)"
		report "$_id" "$W/msg/$_id.out"
		return
	fi
	_df=$(wait_delivered "$_id")
	if [ -z "$_df" ]; then
		problem "not delivered within 10 s"
		report "$_id" "$MTA_LOG" "$MLOG"
		return
	fi
	expect_ours "$_df" "$@"
	mta_save "$_id" "$2" "${5:-}"
	[ "$(hcount "$_df" Authentication-Results)" -eq 1 ] ||
		problem "$(hcount "$_df" Authentication-Results) Authentication-Results headers, expected 1"
	report "$_id: $1 $2 -- $(hvalues "$_df" X-FCrDNS)" "$_df"
}

# ---- forged headers ----

# The sender's copies of our headers: every one must go, whatever its case, folding or comments.
FORGED_1='Authentication-Results: mx.test.example; iprev=pass policy.iprev=127.0.0.3 (forged.example)'
FORGED_2='X-FCrDNS: pass ip=127.0.0.3 ptr=forged.example'
FORGED_3='x-fcrdns-score: -100'
FORGED_4='Authentication-Results: (a comment first) MX.Test.Example; iprev=pass policy.iprev=192.0.2.1'
FORGED_5='Authentication-Results: mx.test.example;
	iprev=pass policy.iprev=127.0.0.3 (folded.forged.example)'
FORGED_6='X-FCrDNS-Score: -50'
# Foreign results stay, also one whose authserv-id merely starts with ours.
FOREIGN_1='other.example; spf=pass smtp.mailfrom=sender.example'
FOREIGN_2='mx.test.example.other; dkim=pass header.d=sender.example'

# forged_message ID: a message carrying every forged and foreign header above.
forged_message() {
	message "$1" "$FORGED_1" "$FORGED_2" "Authentication-Results: $FOREIGN_1" "$FORGED_3" \
		"$FORGED_4" "Authentication-Results: $FOREIGN_2" "$FORGED_5" "$FORGED_6"
}

# expect_foreign FILE: both foreign Authentication-Results are there, once, and nothing forged is.
expect_foreign() {
	for _v in "$FOREIGN_1" "$FOREIGN_2"; do
		[ "$(hvalues "$1" Authentication-Results | grep -cxF -- "$_v")" -eq 1 ] ||
			problem "foreign 'Authentication-Results: $_v' not kept once"
	done
	headers "$1" | grep -q -e 'forged\.example' -e '192\.0\.2\.1' -e '-100' -e '-50' &&
		problem "a forged header is still there"
}

# forged_fail_delivered: sends the forged message from 127.0.0.3 (fail) and checks what was delivered:
# our headers on top, the foreign ones kept, nothing forged; saved for the rule sets. The delivered
# file in _f; 1 (the case reported) when nothing was delivered.
forged_fail_delivered() {
	forged_message forged-fail
	send forged-fail 127.0.0.3
	_f=""
	accepted forged-fail && _f=$(wait_delivered forged-fail)
	if [ -z "$_f" ]; then
		problem "not delivered (swaks exit $SWAKS_RC)"
		report "forged-fail" "$W/msg/forged-fail.out"
		return 1
	fi
	expect_ours "$_f" 127.0.0.3 fail 3 mismatch.test.example
	expect_foreign "$_f"
	mta_save forged-fail fail
}

# ---- delivered messages for the rule sets ----

# mta_save ID RESULT [generic]: with FCR_DELIVERED set, copies the delivered message ID to
# $FCR_DELIVERED/MTA_NAME-ID.eml, headed by the "# Expect:" / "# Absent:" lines that
# tests/spamassassin and tests/rspamd read: the rules of RESULT (with conf/spamassassin's scores) and
# FCRDNS_GENERIC=1 when generic must hit, those of every other result (and FCRDNS_GENERIC) must not.
mta_save() {
	[ -n "${FCR_DELIVERED:-}" ] || return 0
	_ms_f=$(delivered "$1")
	[ -n "$_ms_f" ] || return 0
	_ms_exp="" _ms_abs=""
	for _ms_r in pass:-0.001 fail:3 permerror:2 temperror:0.001; do
		_ms_u=$(echo "${_ms_r%%:*}" | tr '[:lower:]' '[:upper:]')
		if [ "${_ms_r%%:*}" = "$2" ]; then
			_ms_exp="FCRDNS_$_ms_u=${_ms_r#*:},FCRDNS_AR_$_ms_u=${_ms_r#*:}"
		else
			_ms_abs="$_ms_abs,FCRDNS_$_ms_u,FCRDNS_AR_$_ms_u"
		fi
	done
	if [ -n "${3:-}" ]; then _ms_exp="$_ms_exp,FCRDNS_GENERIC=1"; else _ms_abs="$_ms_abs,FCRDNS_GENERIC"; fi
	mkdir -p "$FCR_DELIVERED" &&
		{
			echo "# Delivered by the $MTA_NAME suite (tests/$MTA_NAME): $2${3:+, generic}."
			echo "# Expect: $_ms_exp"
			echo "# Absent: ${_ms_abs#,}"
			cat "$_ms_f"
		} >"$FCR_DELIVERED/$MTA_NAME-$1.eml"
}

# mta_save_clear: removes this MTA's messages of an earlier run from FCR_DELIVERED.
mta_save_clear() {
	[ -n "${FCR_DELIVERED:-}" ] || return 0
	rm -f "$FCR_DELIVERED/$MTA_NAME"-*.eml
}
