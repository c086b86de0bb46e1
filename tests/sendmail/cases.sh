# The cases of tests/sendmail/run.sh (sourced once everything is up). Expected values come from the
# zones in tests/dns/ (see the comments there), unbound's built-in localhost data (RFC 6303: ::1 ->
# PTR localhost., localhost AAAA ::1), the default scores of SPEC.md (pass 0, fail 3, permerror 2,
# temperror 0, generic +1), and Sendmail's own reply formats (8.17, srvrsmtp.c).

# accepted ID: true when Sendmail queued the message ("250 2.0.0 QID Message accepted for delivery").
accepted() {
	[ "$SWAKS_RC" -eq 0 ] && [ -n "$(sm_qid "$1")" ]
}

# refused_reply ID: the first 4xx/5xx reply line in swaks' transcript of ID, without the "<** ".
refused_reply() {
	sed -n 's/^<\*\* *\([45][0-9][0-9][ -].*\)/\1/p' "$W/msg/$1.out" | head -n 1
}

# last_command ID: the SMTP command swaks sent last before its first 4xx/5xx reply ("" for the greeting).
last_command() {
	awk '/^<\*\* *[45][0-9][0-9]/ { print c; exit } /^ -> / { c = $2 }' "$W/msg/$1.out" |
		tr '[:lower:]' '[:upper:]'
}

# ---- the shipped line in sendmail.cf ----

# The milter's line of sendmail.cf is the one of conf/sendmail/fcrdns-milter.mc (socket aside), and
# the default macros at MAIL carry what the milter reads there.
conf_cases() {
	echo "# sendmail.cf from conf/sendmail/fcrdns-milter.mc"
	_want=$(sm_filter_line | sed -n "s/^INPUT_MAIL_FILTER(\`fcrdns', \`\(.*\)')dnl\$/Xfcrdns, \1/p")
	[ -n "$_want" ] || problem "cannot read the INPUT_MAIL_FILTER line of $SM_CONF"
	[ "$(grep '^Xfcrdns' "$SM_DIR/sendmail.cf")" = "$_want" ] ||
		problem "sendmail.cf has '$(grep '^Xfcrdns' "$SM_DIR/sendmail.cf")', expected '$_want'"
	_macros=$(sm_cf_option Milter.macros.envfrom)
	case ", $_macros," in *", i,"*) ;; *) problem "O Milter.macros.envfrom=$_macros has no i" ;; esac
	case ", $_macros," in *", {auth_authen},"*) ;; *) problem "O Milter.macros.envfrom=$_macros has no {auth_authen}" ;; esac
	report "sendmail.cf: $(grep '^Xfcrdns' "$SM_DIR/sendmail.cf" | sed 's/S=[^,]*/S=local:SOCK/'); macros at MAIL: $_macros"
}

# ---- our headers on delivered mail; i as qid= ----

headers_cases() {
	echo "# delivered mail carries our headers (swaks from each client address)"
	deliver_case v4-pass 127.0.0.2 pass 0 good.test.example
	deliver_case v4-fail 127.0.0.3 fail 3 mismatch.test.example
	deliver_case v4-permerror 127.0.0.4 permerror 2
	# a PTR CNAME loop: unbound answers SERVFAIL at once
	deliver_case v4-temperror 127.0.0.14 temperror 0
	deliver_case v4-generic 127.0.0.30 pass 1 dsl-127-0-0-30.pool.test.example generic
	deliver_case v6-localhost ::1 pass 0 localhost
	deliver_case v6-fail 2001:db8::2 fail 3 mismatch6.test.example
	# the macro i: the milter's line for the connection names the queue id of Sendmail's 250 reply
	_q=$(sm_qid v4-pass)
	if [ -z "$_q" ]; then
		problem "no queue id in the reply to v4-pass"
	elif ! poll 50 has_milter_line "$_q"; then
		problem "no milter log line with qid=$_q"
	else
		case $(milter_line "$_q") in
		*" ip=127.0.0.2 result=pass "*) ;;
		*) problem "the line with qid=$_q is not the one of 127.0.0.2 (pass): $(milter_line "$_q")" ;;
		esac
	fi
	report "i: the milter logged qid=$_q, Sendmail's queue id of v4-pass" "$MLOG"
}

# ---- forged headers ----

forged_cases() {
	echo "# forged headers are removed, foreign ones kept"
	forged_fail_delivered || return
	# Sendmail applied the milter's deletions (its log names each header the milter removed)
	_q=$(sm_qid forged-fail)
	[ "$(grep -cF "$_q: Milter (fcrdns) delete: header" "$SM_LOG")" -eq 6 ] ||
		problem "Sendmail logged $(grep -cF "$_q: Milter (fcrdns) delete: header" "$SM_LOG") deletions, expected 6"
	report "forged-fail: 127.0.0.3 -- 6 forged headers gone, ours on top, foreign ones kept" "$_f" "$SM_LOG"
}

# ---- {auth_authen} ----

auth_cases() {
	echo "# {auth_authen}: an authenticated client is never refused (OnFail reject)"
	policy "OnFail reject"
	hup_and_wait || problem "no 'configuration reloaded' within 5 s of SIGHUP"
	report "reload: OnFail reject" "$MLOG"
	message auth-none
	send auth-none 127.0.0.3
	case $(refused_reply auth-none) in
	"550 5.7.25 "*) ;;
	*) problem "without AUTH: '$(refused_reply auth-none)', expected 550 5.7.25" ;;
	esac
	report "auth-none: 127.0.0.3 without AUTH -- $(refused_reply auth-none)" "$W/msg/auth-none.out"
	message auth-plain
	send auth-plain 127.0.0.3 --auth PLAIN --auth-user tester --auth-password tester-secret
	grep -q '^<- *235 ' "$W/msg/auth-plain.out" || problem "AUTH PLAIN not accepted"
	_f=""
	accepted auth-plain && _f=$(wait_delivered auth-plain)
	if [ -z "$_f" ]; then
		problem "not delivered (swaks exit $SWAKS_RC)"
		report "auth-plain" "$W/msg/auth-plain.out" "$SM_LOG"
		return
	fi
	expect_ours "$_f" 127.0.0.3 fail 3 mismatch.test.example
	mta_save auth-plain fail
	_q=$(sm_qid auth-plain)
	poll 50 has_milter_line "$_q" || problem "no milter log line with qid=$_q"
	case $(milter_line "$_q") in
	*" ip=127.0.0.3 result=fail "*" action=accept "*" would=reject waived=authenticated"*) ;;
	*) problem "the milter's line is not 'ip=127.0.0.3 result=fail ... action=accept ... would=reject waived=authenticated'" ;;
	esac
	grep -qF 'AUTH=server, relay=[127.0.0.3], authid=tester, mech=PLAIN' "$SM_LOG" ||
		problem "Sendmail did not log AUTH=server ... authid=tester"
	report "auth-plain: 127.0.0.3 after AUTH PLAIN -- delivered with fail headers, logged waived=authenticated" \
		"$MLOG" "$SM_LOG"
}

# ---- 550 5.7.25 and 450 4.7.25 at each RejectAt ----

REJECT_TEXT='sm-test rejects %a (%n)'
TEMPFAIL_TEXT='sm-test defers %a (%n)'

# refused_case ID ADDRESS STAGE COMMAND REPLY MILTER-REPLY: swaks sees REPLY as the answer to COMMAND
# ("" for the greeting), Sendmail logs MILTER-REPLY as the milter's at STAGE, nothing is queued.
refused_case() {
	_mark=$(sm_log_lines)
	message "$1"
	send "$1" "$2"
	[ "$SWAKS_RC" -ne 0 ] || problem "swaks exit 0: the message went through"
	[ "$(refused_reply "$1")" = "$5" ] || problem "got '$(refused_reply "$1")', expected '$5'"
	[ "$(last_command "$1")" = "$4" ] || problem "refused after '$(last_command "$1")', expected '${4:-the greeting}'"
	[ -z "$(sm_qid "$1")" ] || problem "queued as $(sm_qid "$1")"
	poll 30 sm_logged_since "$_mark" "milter=fcrdns, action=$3, reject=$6" ||
		problem "Sendmail did not log 'milter=fcrdns, action=$3, reject=$6'"
	report "$1: $2 at $3 -- ${4:-greeting}: $(refused_reply "$1")" "$W/msg/$1.out" "$SM_LOG"
}

sm_logged_since() {
	sm_log_since "$1" | grep -qF -- "$2"
}

# Where Sendmail 8.17 answers the milter's refusal at each stage, and with what:
#   connect  reject: its own "554 ... not accepting messages" greeting; tempfail: a normal greeting,
#            then "451 4.3.2 Please try again later" at MAIL (the milter's reply is only logged)
#   helo     250 to EHLO; the milter's reply at MAIL, as it is
#   mail     the milter's reply at MAIL, the sender address put in front of its text
#   rcpt     the milter's reply at RCPT, the recipient address put in front of its text
refusal_cases() {
	echo "# OnFail reject, OnPermError tempfail at each RejectAt (reloaded with SIGHUP)"
	_rj="sm-test rejects 127.0.0.3 (mismatch.test.example)"
	_tf="sm-test defers 127.0.0.4 (unknown)"
	for _stage in connect helo mail rcpt; do
		policy "OnFail reject" "OnPermError tempfail" "RejectAt $_stage" \
			"RejectReply 550 5.7.25 $REJECT_TEXT" "TempfailReply 450 4.7.25 $TEMPFAIL_TEXT"
		hup_and_wait || { problem "no 'configuration reloaded' within 5 s of SIGHUP"; report "reload" "$MLOG"; }
		case $_stage in
		connect)
			refused_case reject-connect 127.0.0.3 connect "" "554 mx.test.example ESMTP not accepting messages" "550 5.7.25 $_rj"
			refused_case tempfail-connect 127.0.0.4 connect MAIL "451 4.3.2 Please try again later" "450 4.7.25 $_tf" ;;
		helo)
			refused_case reject-helo 127.0.0.3 helo MAIL "550 5.7.25 $_rj" "550 5.7.25 $_rj"
			refused_case tempfail-helo 127.0.0.4 helo MAIL "450 4.7.25 $_tf" "450 4.7.25 $_tf" ;;
		mail)
			refused_case reject-mail 127.0.0.3 mail MAIL "550 5.7.25 <sender@sender.example>... $_rj" "550 5.7.25 $_rj"
			refused_case tempfail-mail 127.0.0.4 mail MAIL "450 4.7.25 <sender@sender.example>... $_tf" "450 4.7.25 $_tf" ;;
		rcpt)
			refused_case reject-rcpt 127.0.0.3 rcpt RCPT "550 5.7.25 <box@test.example>... $_rj" "550 5.7.25 $_rj"
			refused_case tempfail-rcpt 127.0.0.4 rcpt RCPT "450 4.7.25 <box@test.example>... $_tf" "450 4.7.25 $_tf" ;;
		esac
	done
	deliver_case refusal-pass 127.0.0.2 pass 0 good.test.example
	for _id in reject-connect reject-helo reject-mail reject-rcpt tempfail-connect tempfail-helo tempfail-mail tempfail-rcpt; do
		[ -z "$(delivered "$_id")" ] || problem "$_id was delivered"
	done
	poll 50 sm_queue_empty || problem "$(sm_queued) files in Sendmail's queue"
	report "refused messages: none delivered, none queued" "$SM_LOG"
	policy
	hup_and_wait || problem "no 'configuration reloaded' within 5 s of SIGHUP"
	report "reload: back to accept everything" "$MLOG"
}

# ---- F=T: the milter stopped ----

down_cases() {
	echo "# milter stopped (F=T): 4xx, nothing lost"
	milter_stop
	[ "$MILTER_RC" = 0 ] || problem "exit status $MILTER_RC on SIGTERM, expected 0"
	_mark=$(sm_log_lines)
	message down
	send down 127.0.0.2
	case $(refused_reply down) in
	4[0-9][0-9]" "*) ;;
	*) problem "got '$(refused_reply down)', expected a 4xx reply" ;;
	esac
	[ -z "$(sm_qid down)" ] || problem "queued as $(sm_qid down)"
	sm_log_since "$_mark" | grep -qF 'Milter (fcrdns): error connecting to filter' ||
		problem "Sendmail did not log that it could not reach the milter"
	sleep 1
	has_delivered down && problem "delivered without the milter"
	sm_queue_empty || problem "$(sm_queued) files in Sendmail's queue"
	report "down: 127.0.0.2 with the milter stopped -- $(refused_reply down), nothing queued or delivered" \
		"$W/msg/down.out" "$SM_LOG"
	milter_start || { problem "not listening again within 10 s"; report "milter: started again" "$MLOG"; return; }
	# the client retries what was refused: it arrives once, with our headers
	send down 127.0.0.2
	_f=""
	accepted down && _f=$(wait_delivered down)
	if [ -z "$_f" ]; then
		problem "the retry was not delivered (swaks exit $SWAKS_RC)"
	else
		expect_ours "$_f" 127.0.0.2 pass 0 good.test.example
		[ "$(delivered_count down)" -eq 1 ] || problem "delivered $(delivered_count down) times"
	fi
	report "down: the retry once the milter is back -- delivered once, with our headers" "$W/msg/down.out"
}

# ---- a hung milter: the T= limits of the shipped .mc ----

# mc_limit LETTER: the seconds of LETTER (C, S, R) in the T= of the shipped INPUT_MAIL_FILTER line.
mc_limit() {
	sm_filter_line | sed -n "s/.*T=\([^,']*\).*/\1/p" | tr ';' '\n' | sed -n "s/^$1:\([0-9]*\)s\$/\1/p"
}

hang_cases() {
	_r=$(mc_limit R)
	echo "# milter hung (SIGSTOP): cut off by the shipped T=R:${_r}s, 4xx (F=T)"
	if [ -z "$_r" ]; then
		problem "no R:Ns in the T= of $SM_CONF"
		report "hang"
		return
	fi
	_mark=$(sm_log_lines)
	kill -STOP "$MILTER_PID"
	message hang
	_t0=$(now_ms)
	MTA_SWAKS_TIMEOUT=$((_r + 10)) send hang 127.0.0.2
	_ms=$(($(now_ms) - _t0))
	kill -CONT "$MILTER_PID"
	case $(refused_reply hang) in
	4[0-9][0-9]" "*) ;;
	*) problem "got '$(refused_reply hang)', expected a 4xx reply" ;;
	esac
	[ -z "$(sm_qid hang)" ] || problem "queued as $(sm_qid hang)"
	# the stopped milter's socket still accepts connections (the kernel's backlog): what cuts the
	# session off is R:, waiting for the reply to the negotiation (slack for a busy machine)
	[ "$_ms" -ge $((_r * 1000 - 500)) ] && [ "$_ms" -le $((_r * 1000 + 6000)) ] ||
		problem "the session took $_ms ms, expected about ${_r} s"
	sm_log_since "$_mark" | grep -qF 'Milter (fcrdns): timeout before data read, where=negotiate' ||
		problem "Sendmail did not log 'Milter (fcrdns): timeout before data read, where=negotiate'"
	report "hang: 127.0.0.2 with the milter stopped -- $(refused_reply hang) after $_ms ms" "$W/msg/hang.out" "$SM_LOG"
	deliver_case after-hang 127.0.0.2 pass 0 good.test.example
	has_delivered hang && problem "the message of the hung session was delivered"
	report "hang: the message of the hung session was not delivered"
}

# ---- the end ----

final_cases() {
	echo "# the end"
	poll 50 sm_queue_empty || problem "$(sm_queued) files in Sendmail's queue"
	grep -E 'SYSERR|Losing|lost input channel' "$SM_LOG" >"$W/syserr.log" && problem "Sendmail logged errors"
	report "Sendmail: queue empty, no SYSERR in its log" "$W/syserr.log"
	kill -0 "$MILTER_PID" 2>/dev/null || problem "the milter is gone"
	milter_stop
	[ "$MILTER_RC" = 0 ] || problem "exit status $MILTER_RC, expected 0"
	grep -q -e 'Sanitizer' -e 'runtime error:' "$MLOG" && problem "a sanitizer report in its log"
	report "milter: SIGTERM -> exit status 0, a clean log" "$MLOG"
}
