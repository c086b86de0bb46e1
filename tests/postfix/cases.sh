# The cases of tests/postfix/run.sh (sourced once everything is up). Expected values come from the
# zones in tests/dns/ (see the comments there) and from unbound's built-in localhost data (RFC 6303:
# ::1 -> PTR localhost., localhost AAAA ::1), with the default scores of SPEC.md: pass 0, fail 3,
# permerror 2, temperror 0, generic +1.

# accepted ID: true when swaks saw the message queued (its transcript is $W/msg/ID.out).
accepted() {
	[ "$SWAKS_RC" -eq 0 ] && grep -q '^<- *250 .*queued as' "$W/msg/$1.out"
}

# ---- our headers on delivered mail ----

headers_cases() {
	echo "# delivered mail carries our headers (swaks from each client address)"
	deliver_case v4-pass 127.0.0.2 pass 0 good.test.example
	deliver_case v4-fail 127.0.0.3 fail 3 mismatch.test.example
	deliver_case v4-permerror 127.0.0.4 permerror 2
	# a PTR CNAME loop: unbound answers SERVFAIL at once
	deliver_case v4-temperror 127.0.0.14 temperror 0
	deliver_case v4-generic 127.0.0.30 pass 1 dsl-127-0-0-30.pool.test.example generic
	deliver_case v4-localhost 127.0.0.1 pass 0 localhost
	deliver_case v6-localhost ::1 pass 0 localhost
	deliver_case v6-pass 2001:db8::1 pass 0 good.test.example
	deliver_case v6-fail 2001:db8::2 fail 3 mismatch6.test.example
}

# ---- forged headers (tests/lib/mta.sh has them) ----

forged_cases() {
	echo "# forged headers are removed, foreign ones kept"
	forged_fail_delivered &&
		report "forged-fail: 127.0.0.3 -- forged pass headers gone, ours on top, foreign ones kept" "$_f"
	# three messages in one session (smtp-source -d): the removal is right for each, not only the first
	forged_message forged-session
	timeout -k 2 30 smtp-source -d -s 1 -m 3 -F "$W/msg/forged-session.eml" -f sender@sender.example \
		-t box@test.example 127.0.0.200:2525 >"$W/msg/forged-session.out" 2>&1 ||
		problem "smtp-source failed (exit $?)"
	poll 100 delivered_count_is forged-session 3 ||
		problem "$(delivered_count forged-session) of 3 messages delivered"
	for _f in $(delivered_all forged-session); do
		expect_ours "$_f" 127.0.0.2 pass 0 good.test.example
		expect_foreign "$_f"
		[ -z "$_problems" ] || break   # the first wrong message says enough
	done
	report "forged-session: 127.0.0.2, 3 messages in one session -- each cleaned, ours on top" \
		"$W/msg/forged-session.out" "$(delivered_all forged-session | head -n 1)"
}

# ---- SpamAssassin on delivered mail (conf/spamassassin, through tests/spamassassin/run.sh) ----

SA_RUN=$ROOT/tests/spamassassin/run.sh

# sa_case ID EXPECT ABSENT: the rules of conf/spamassassin on the delivered message ID: EXPECT
# (RULE[=SCORE],...) hit, ABSENT (RULE,...) do not.
sa_case() {
	_f=$(delivered "$1")
	if [ -z "$_f" ]; then
		problem "no delivered message $1"
	else
		timeout -k 2 60 sh "$SA_RUN" --message "$_f" --expect "$2" --absent "$3" >"$W/sa.out" 2>&1 ||
			problem "tests/spamassassin/run.sh exit $?"
		grep -qx '1 passed, 0 failed' "$W/sa.out" || problem "the rules did not hit as expected"
	fi
	report "spamassassin $1: $(sed -n 's/^ok   [^:]*: //p' "$W/sa.out" 2>/dev/null)" "$W/sa.out"
}

spamassassin_cases() {
	if [ ! -f "$SA_RUN" ]; then
		echo "# SKIP SpamAssassin: no tests/spamassassin/run.sh"
		return 0
	elif ! command -v spamassassin >/dev/null 2>&1; then
		echo "# SKIP SpamAssassin: not installed (Debian: apt-get install spamassassin)"
		return 0
	fi
	echo "# SpamAssassin (conf/spamassassin) on delivered messages"
	sa_case v4-fail FCRDNS_FAIL=3,FCRDNS_AR_FAIL=3 FCRDNS_PASS,FCRDNS_AR_PASS,FCRDNS_GENERIC
	sa_case v4-permerror FCRDNS_PERMERROR=2,FCRDNS_AR_PERMERROR=2 FCRDNS_FAIL,FCRDNS_PASS,FCRDNS_GENERIC
	sa_case v4-pass FCRDNS_PASS,FCRDNS_AR_PASS FCRDNS_FAIL,FCRDNS_AR_FAIL,FCRDNS_GENERIC
	sa_case v4-generic FCRDNS_PASS,FCRDNS_GENERIC=1 FCRDNS_FAIL,FCRDNS_AR_FAIL
	# the forged pass headers were removed: only our fail counts
	sa_case forged-fail FCRDNS_FAIL=3,FCRDNS_AR_FAIL=3 FCRDNS_PASS,FCRDNS_AR_PASS
}

# ---- reject and tempfail (the policy reloaded with SIGHUP) ----

REJECT_TEXT='pf-test rejects %a (%n)'
TEMPFAIL_TEXT='pf-test defers %a (%n)'

# refused_case ID ADDRESS REPLY [LOGGED]: swaks sees REPLY (the whole SMTP reply line) and gives
# up; with LOGGED, Postfix's log has a "milter-reject: LOGGED" line from then on.
refused_case() {
	_mark=$(log_lines)
	message "$1"
	send "$1" "$2"
	[ "$SWAKS_RC" -ne 0 ] || problem "swaks exit 0: the message went through"
	grep -qxF -- "<** $3" "$W/msg/$1.out" || problem "no '$3' in swaks' transcript"
	grep -q 'queued as' "$W/msg/$1.out" && problem "the message was queued"
	if [ $# -ge 4 ] && ! log_since "$_mark" | grep -qF -- "milter-reject: $4"; then
		problem "no 'milter-reject: $4' in Postfix's log"
	fi
	report "$1: $2 -- $3${4:+ (logged: ${4%%:*})}" "$W/msg/$1.out"
}

policy_cases() {
	echo "# OnFail reject, OnPermError tempfail (configuration reloaded with SIGHUP)"
	policy "OnFail reject" "OnPermError tempfail" "RejectReply 550 5.7.25 $REJECT_TEXT" \
		"TempfailReply 450 4.7.25 $TEMPFAIL_TEXT"
	if ! hup_and_wait; then
		problem "no 'configuration reloaded' in the milter's log within 5 s of SIGHUP"
		report "reload: policy with reject and tempfail" "$MLOG"
		return
	fi
	refused_case reject-v4 127.0.0.3 "550 5.7.25 pf-test rejects 127.0.0.3 (mismatch.test.example)"
	refused_case reject-v6 2001:db8::2 "550 5.7.25 pf-test rejects 2001:db8::2 (mismatch6.test.example)"
	refused_case tempfail-v4 127.0.0.4 "450 4.7.25 pf-test defers 127.0.0.4 (unknown)"
	# pass and temperror are still accepted under this policy
	deliver_case policy-pass 127.0.0.2 pass 0 good.test.example
	deliver_case policy-temperror 127.0.0.14 temperror 0
	# by now the refused messages would have been delivered too, had they been taken
	for _id in reject-v4 reject-v6 tempfail-v4; do
		[ -z "$(delivered "$_id")" ] || problem "$_id was delivered"
	done
	[ "$(pf_queued)" -eq 0 ] || problem "$(pf_queued) messages in Postfix's queue"
	report "refused messages: none delivered, none queued"
	_reply="550 5.7.25 pf-test rejects 127.0.0.3 (mismatch.test.example)"
	for _stage in connect helo rcpt; do
		policy "OnFail reject" "RejectAt $_stage" "RejectReply 550 5.7.25 $REJECT_TEXT"
		hup_and_wait || problem "no 'configuration reloaded' within 5 s of SIGHUP"
		case $_stage in
		# Postfix answers a reject at connect with its own 554 greeting; the milter's reply is logged
		connect) refused_case reject-at-connect 127.0.0.3 "554 mx.test.example ESMTP not accepting connections" \
			"CONNECT from unknown[127.0.0.3]: $_reply" ;;
		helo) refused_case reject-at-helo 127.0.0.3 "$_reply" "EHLO from unknown[127.0.0.3]: $_reply" ;;
		rcpt) refused_case reject-at-rcpt 127.0.0.3 "$_reply" "RCPT from unknown[127.0.0.3]: $_reply" ;;
		esac
	done
	# DryRun: the reject is only logged, the message goes through with the headers
	policy "OnFail reject" "DryRun yes"
	hup_and_wait || problem "no 'configuration reloaded' within 5 s of SIGHUP"
	deliver_case dry-run 127.0.0.3 fail 3 mismatch.test.example
	poll 30 grep -q 'ip=127\.0\.0\.3 result=fail .* action=accept .* would=reject waived=dry-run' "$MLOG" ||
		problem "no 'ip=127.0.0.3 result=fail ... action=accept ... would=reject waived=dry-run' in the milter's log"
	report "dry-run: the milter logged what it would have done" "$MLOG"
	policy
	hup_and_wait || problem "no 'configuration reloaded' within 5 s of SIGHUP"
	deliver_case policy-back 127.0.0.3 fail 3 mismatch.test.example
}

# ---- the milter stopped and started again ----

# log_since LINE: the Postfix log from line LINE + 1 on.
log_since() {
	tail -n "+$(($1 + 1))" "$PF/maillog"
}

log_lines() {
	wc -l <"$PF/maillog"
}

milter_down_cases() {
	echo "# milter stopped: mail still flows, without headers (milter_default_action = accept)"
	_t0=$(now_ms)
	milter_stop
	_ms=$(($(now_ms) - _t0))
	[ "$MILTER_RC" = 0 ] || problem "exit status $MILTER_RC, expected 0"
	[ "$(grep -c '^.* stopped$' "$MLOG")" -eq 1 ] || problem "no 'stopped' in its log"
	report "milter: SIGTERM -> exit status 0 after $_ms ms" "$MLOG"
	_mark=$(log_lines)
	for _c in down-1:127.0.0.2 down-2:127.0.0.3 down-3:::1; do
		_id=${_c%%:*} _a=${_c#*:}
		message "$_id"
		send "$_id" "$_a"
		_f=""
		accepted "$_id" || problem "$_id from $_a: not accepted (swaks exit $SWAKS_RC)"
		accepted "$_id" && _f=$(wait_delivered "$_id")
		if [ -n "$_f" ]; then
			expect_none "$_f"
		else
			problem "$_id from $_a: not delivered"
		fi
	done
	log_since "$_mark" | grep -q 'warning: connect to Milter service' ||
		problem "Postfix did not log that it could not reach the milter"
	report "3 messages without the milter: all delivered, none with our headers" "$PF/maillog"
	if ! milter_start; then
		problem "not listening again within 10 s"
		report "milter: started again" "$MLOG"
		return
	fi
	report "milter: started again (pid $MILTER_PID)"
	deliver_case after-restart 127.0.0.3 fail 3 mismatch.test.example
}

# ---- SIGHUP under load ----

LOAD_MSGS=${FCR_PF_LOAD_MSGS:-1500}

load_count() {
	grep -rlx "Subject: fcrdns load test" "$PF/mail/box/new" "$PF/mail/box/cur" 2>/dev/null | grep -c .
}

load_count_is() {
	[ "$(load_count)" -eq "$1" ]
}

# load_headed: how many load messages carry our pass headers for 127.0.0.2.
load_headed() {
	grep -rlx "Subject: fcrdns load test" "$PF/mail/box/new" "$PF/mail/box/cur" 2>/dev/null |
		xargs -r grep -lx 'X-FCrDNS: pass ip=127.0.0.2 ptr=good.test.example' | grep -c .
}

hup_load_cases() {
	echo "# SIGHUP every 100 ms while smtp-source sends $LOAD_MSGS messages in 10 sessions from 127.0.0.2"
	_mark=$(log_lines)
	_r0=$(reloads)
	_t0=$(now_ms)
	timeout -k 2 60 smtp-source -s 10 -m "$LOAD_MSGS" -S "fcrdns load test" -f sender@sender.example \
		-t load@test.example 127.0.0.200:2525 >"$W/load.out" 2>&1 &
	_src=$!
	_hups=0 _rlast=$_r0
	while kill -0 "$_src" 2>/dev/null; do
		_rlast=$(reloads)
		kill -HUP "$MILTER_PID" 2>/dev/null && _hups=$((_hups + 1))
		sleep 0.1
	done
	wait "$_src"
	_rc=$?
	_ms=$(($(now_ms) - _t0))
	[ "$_rc" -eq 0 ] || problem "smtp-source exit $_rc"
	[ "$_hups" -ge 5 ] || problem "only $_hups SIGHUPs during the run (too short to tell)"
	poll 300 load_count_is "$LOAD_MSGS" || problem "$(load_count) of $LOAD_MSGS messages delivered"
	[ "$(load_headed)" -eq "$LOAD_MSGS" ] ||
		problem "$(load_headed) of $LOAD_MSGS delivered with 'X-FCrDNS: pass ip=127.0.0.2 ptr=good.test.example'"
	[ "$(pf_queued)" -eq 0 ] || problem "$(pf_queued) messages left in Postfix's queue"
	if log_since "$_mark" | grep -i -E 'milter|warning:|error:|fatal:|panic:|reject:|status=(deferred|bounced)' \
		>"$W/load.log"; then
		problem "Postfix logged $(grep -c . "$W/load.log") milter errors, warnings or failures"
	fi
	kill -0 "$MILTER_PID" 2>/dev/null || problem "the milter is gone"
	# signals sent close together may merge into one; one sent after a reload must cause another
	poll 30 reloaded_since "$_rlast" || problem "no reload after the last SIGHUP"
	report "load: $LOAD_MSGS messages in $_ms ms, $_hups SIGHUPs, $(($(reloads) - _r0)) reloads: all delivered with our headers, milter up" \
		"$W/load.out" "$W/load.log" "$MLOG"
}

# ---- throughput (reported, not asserted) ----

BENCH_MSGS=${FCR_PF_BENCH_MSGS:-1000}

queue_empty() {
	[ "$(pf_queued)" -eq 0 ]
}

# blast PORT MSGS: smtp-source -s 20 sends MSGS messages to a discard(8) recipient through
# 127.0.0.200:PORT (from 127.0.0.2); prints the milliseconds it took, or "failed".
blast() {
	poll 100 queue_empty
	_t0=$(now_ms)
	if timeout -k 2 60 smtp-source -s 20 -m "$2" -l 1000 -f sender@sender.example \
		-t bench@discard.example "127.0.0.200:$1" >"$W/bench.out" 2>&1; then
		echo $(($(now_ms) - _t0))
	else
		echo failed
	fi
}

# rate MS: "N msg/s (BENCH_MSGS in MS ms)".
rate() {
	case $1 in
	failed) echo "smtp-source failed" ;;
	*) awk -v n="$BENCH_MSGS" -v ms="$1" 'BEGIN { printf "%d msg/s (%d in %d ms)", n * 1000 / (ms ? ms : 1), n, ms }' ;;
	esac
}

throughput() {
	[ "$BENCH_MSGS" -gt 0 ] || return 0
	# a first short run on each port so that both have their smtpd processes up
	blast 2526 200 >/dev/null
	blast 2525 200 >/dev/null
	_plain=$(blast 2526 "$BENCH_MSGS")
	_milter=$(blast 2525 "$BENCH_MSGS")
	echo "# throughput (smtp-source -s 20 -l 1000 to discard(8), $(nproc) CPUs, load $(cut -d ' ' -f 1 /proc/loadavg)):"
	echo "#   without a milter: $(rate "$_plain")"
	echo "#   with the milter:  $(rate "$_milter")"
	case $_plain$_milter in
	*failed*) ;;
	*) awk -v a="$_plain" -v b="$_milter" 'BEGIN { printf "#   with / without: %.2f\n", a / b }' ;;
	esac
}

# ---- the end ----

final_cases() {
	echo "# the end"
	kill -0 "$MILTER_PID" 2>/dev/null || problem "the milter is gone"
	milter_stop
	[ "$MILTER_RC" = 0 ] || problem "exit status $MILTER_RC, expected 0"
	grep -q -e 'Sanitizer' -e 'runtime error:' "$MLOG" && problem "a sanitizer report in its log"
	[ "$(LC_ALL=C tr -d '\t\n -~' <"$MLOG" | wc -c)" -eq 0 ] || problem "raw non-printable bytes in its log"
	report "milter: SIGTERM -> exit status 0, a clean log" "$MLOG"
	grep -E 'fatal:|panic:' "$PF/maillog" >"$W/fatal.log" && problem "Postfix logged fatal errors"
	report "Postfix: no fatal errors or panics in its log" "$W/fatal.log"
}
