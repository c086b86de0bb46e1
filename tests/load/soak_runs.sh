# The runs of tests/load/soak.sh (sourced, POSIX sh), each a row of the table and of the JSON, and its
# cases. Needs tests/load/lib.sh and tests/postfix/lib.sh sourced, and BOUND, CONC, ROW_S, ALIVE_S,
# HUP_S, STEADY_S, PF_MSGS set.

# The configuration of the load rows: the verdict is needed (sessions wait at MAIL for it).
VERDICT="OnTempError tempfail"
AT_MAIL="RejectAt mail"

# sampler_start FILE SECONDS COUNT: every SECONDS, "rss_kb threads fds queued" of the milter into
# FILE, at most COUNT times; queued is the StatsFile's job-queue gauge when it exports one ("-").
sampler_start() {
	(
		_k=0
		while [ "$_k" -lt "$3" ] && kill -0 "$MILTER_PID" 2>/dev/null; do
			_q=$(awk '$1 ~ /^fcrdns_[a-z_]*queue[a-z_]*$/ { print $2; exit }' "$W/stats.prom" 2>/dev/null)
			echo "$(proc_sample "$MILTER_PID") ${_q:--}"
			_k=$((_k + 1))
			sleep "$2"
		done
	) >"$1" 2>/dev/null &
	SAMPLER_PID=$!
}

sampler_stop() {
	kill -TERM "$SAMPLER_PID" 2>/dev/null
	dns_reap "$SAMPLER_PID" 20
	SAMPLER_PID=""
}

# column_max FILE N: the largest value of column N ("-" when there is none).
column_max() {
	awk -v n="$2" '$n != "-" && $n != "" && (m == "" || $n + 0 > m) { m = $n + 0 } END { print m == "" ? "-" : m }' "$1"
}

# row NAME KEY=VALUE...: one row of the table ($W/table) and one JSON object (ROWS).
row() {
	_o="\"run\": \"$1\""
	_t=$1
	shift
	for _kv in "$@"; do
		case ${_kv#*=} in
		'' | *[!0-9.-]* | -) _o="$_o, \"${_kv%%=*}\": \"${_kv#*=}\"" ;;
		*) _o="$_o, \"${_kv%%=*}\": ${_kv#*=}" ;;
		esac
		_t="$_t|${_kv#*=}"
	done
	ROWS="$ROWS,{$_o}"
	echo "$_t" >>"$W/table"
}

print_table() {
	echo
	printf '%-24s %8s %6s %5s %8s %6s %6s %6s %8s %6s %13s %7s %5s %6s %7s %5s\n' run sessions errors over \
		over_neg p50_ms p99_ms max_ms recov_ms queued rss_kb_0/end threads fds emfile temperr late
	awk -F '|' '$1 !~ /^postfix/ { printf "%-24s %8s %6s %5s %8s %6s %6s %6s %8s %6s %13s %7s %5s %6s %7s %5s\n",
		$1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11 "/" $12, $13, $14, $15, $16, $17 }' "$W/table"
	awk -F '|' '$1 ~ /^postfix/ { printf "%-26s sent %s, accepted %s, tempfailed %s, rejected %s, errors %s, lost %s, kills %s\n",
		$1, $2, $3, $4, $5, $6, $7, $8 }' "$W/table"
	echo
}

# load_row FILE NAME MODE DEAD_S: CONC sessions against a fresh milter with dnsctl in MODE (for
# "drop", answering again after DEAD_S, and ALIVE_S more), sampled every second; files $W/FILE.*.
load_row() {
	dnsctl_mode "$3" || fail_run "$2: dnsctl did not switch" cat "$W/dnsctl.log"
	milter_up "$1" "$VERDICT" "$AT_MAIL" || fail_run "$2: the milter did not come up" tail -n 20 "$MILTER_LOG"
	_s_rss0=$(proc_sample "$MILTER_PID")
	_s_dur=$ROW_S
	[ "$3" = drop ] && _s_dur=$((ROW_S + ALIVE_S))
	sampler_start "$W/$1.samples" 1 $((_s_dur + 60))
	load_run "$1" -c "$CONC" -d "$_s_dur" -a 10.0.0.1 -A 16000000 -b "$BOUND" -T "$(awk -v b="$BOUND" 'BEGIN { print b + 30 }')" -i 5
	_s_rec=-
	if [ "$3" = drop ]; then
		sleep "$4"
		dnsctl_mode answer || fail_run "$2: dnsctl did not switch to answer" cat "$W/dnsctl.log"
		T=$MODE_AT
	fi
	load_wait $(((_s_dur + 90) * 10))
	[ "$3" = drop ] && _s_rec=$(recovery_ms "$W/$1.sessions" "$T")
	sleep 2
	_s_rss1=$(proc_sample "$MILTER_PID")
	sampler_stop
	milter_down
	load_row_judge "$1" "$2" "$_s_rec"
}

# load_row_judge FILE NAME RECOVERY: the row and the case of a milterload run.
load_row_judge() {
	_j=$W/$1.json
	_emfile=$(grep -c 'Too many open files' "$MILTER_LOG")
	_te=$(awk '$4 == "tempfailed" || $5 == "temperror"' "$W/$1.sessions" | grep -c .)
	# temperrors the milter logged as late: the check had not finished by the connection's deadline
	_late=$(grep 'result=temperror' "$MILTER_LOG" | grep -c 'late=yes')
	row "$2" "sessions=$(jget "$_j" sessions)" "errors=$(($(jget "$_j" errors) + $(jget "$_j" timeouts)))" \
		"over_bound=$(jget "$_j" over_bound)" "over_bound_negotiated=$(jget "$_j" over_bound_negotiated)" "p50_ms=$(($(jget "$_j" p50_us) / 1000))" \
		"p99_ms=$(($(jget "$_j" p99_us) / 1000))" "max_ms=$(($(jget "$_j" max_us) / 1000))" \
		"recovery_ms=$3" "queued_max=$(column_max "$W/$1.samples" 4)" "rss_kb_before=${_s_rss0%% *}" \
		"rss_kb_after=${_s_rss1%% *}" "threads_max=$(column_max "$W/$1.samples" 2)" \
		"fds_max=$(column_max "$W/$1.samples" 3)" "emfile=$_emfile" "temperrors=$_te" \
		"late=$_late"
	_problems=""
	[ "$LOAD_RC" -ne 137 ] || problem "milterload had to be killed"
	[ "$(jget "$_j" sessions)" -gt 0 ] || problem "no session ran ($(head -c 200 "$W/$1.err"))"
	[ "$(jget "$_j" errors)" = 0 ] || problem "$(jget "$_j" errors) errors"
	[ "$(jget "$_j" timeouts)" = 0 ] || problem "$(jget "$_j" timeouts) sessions open after $BOUND + 30 s"
	# The bound is the milter's, from the negotiation on. End to end it must hold too, except with
	# the slow resolver: there every thread libmilter has waits 3 s for a check, and libmilter
	# queues new connections behind them before negotiating (README, Reliability), so that row
	# reports its end-to-end overrun instead.
	[ "$(jget "$_j" over_bound_negotiated)" = 0 ] || problem "$(jget "$_j" over_bound_negotiated) sessions over $BOUND s after negotiating"
	[ "$1" = slow ] || [ "$(jget "$_j" over_bound)" = 0 ] || problem "$(jget "$_j" over_bound) sessions over $BOUND s (max $(($(jget "$_j" max_us) / 1000)) ms)"
	[ "$_emfile" = 0 ] || problem "the milter logged 'Too many open files' $_emfile times"
	# answers in 1.5 s make a check of 3 s, within CheckTimeout: nothing may fail (sockets, the job
	# queue), except checks that libmilter's queueing started too late to end by the deadline
	[ "$1" != slow ] || [ "$_te" -le "$_late" ] || problem "$((_te - _late)) temperrors not late although every answer comes in 1.5 s"
	case $3 in -) ;; none) problem "no pass after the resolver answered" ;;
	*) [ "$3" -le 2000 ] || problem "recovery took $3 ms" ;; esac
	if [ -z "$_problems" ]; then pass_case "$2"; else fail_case "$2: $_problems"; fi
}

row_dead() {
	load_row dead "dead resolver" drop "$ROW_S"
}

row_slow() {
	load_row slow "slow resolver (1.5 s)" "delay 1500" 0
}

row_flap() {
	load_row flap "flapping resolver (5 s)" "flap 5" 0
}

# SIGHUP every 200 ms while 200 sessions at once run against an answering resolver.
row_hup() {
	_s_name="SIGHUP every 200 ms"
	dnsctl_mode answer || fail_run "$_s_name: dnsctl did not switch" cat "$W/dnsctl.log"
	milter_up hup "$VERDICT" "$AT_MAIL" || fail_run "$_s_name: the milter did not come up" tail -n 20 "$MILTER_LOG"
	_s_rss0=$(proc_sample "$MILTER_PID")
	sampler_start "$W/hup.samples" 1 $((HUP_S + 60))
	load_run hup -c 200 -d "$HUP_S" -a 10.0.0.1 -A 16000000 -b "$BOUND" -T "$(awk -v b="$BOUND" 'BEGIN { print b + 30 }')"
	_hups=0
	while [ "$_hups" -lt $((HUP_S * 5)) ] && kill -0 "$LOAD_PID" 2>/dev/null; do
		kill -HUP "$MILTER_PID"
		_hups=$((_hups + 1))
		sleep 0.2
	done
	load_wait $(((HUP_S + 60) * 10))
	sleep 2
	_s_rss1=$(proc_sample "$MILTER_PID")
	_alive=1
	kill -0 "$MILTER_PID" 2>/dev/null || _alive=0
	sampler_stop
	_reloads=$(grep -c 'configuration reloaded' "$MILTER_LOG")
	milter_down
	load_row_judge hup "$_s_name" -
	_rows=$(printf '%s' "$ROWS" | sed 's/}$//')
	ROWS="$_rows, \"hups\": $_hups, \"reloads\": $_reloads}"
	if [ "$_alive" = 1 ] && [ "$_reloads" -ge $((_hups * 9 / 10)) ] && [ "$_hups" -gt 0 ]; then
		pass_case "$_s_name: $_reloads reloads for $_hups SIGHUPs, milter up"
	else
		fail_case "$_s_name: $_reloads reloads for $_hups SIGHUPs, milter up: $_alive"
	fi
}

# spread FILE N: max - min of column N, leaving out the first two samples (start-up, the cache filling).
spread() {
	awk -v n="$2" 'NR > 2 { if (mn == "" || $n + 0 < mn) mn = $n + 0; if ($n + 0 > mx) mx = $n + 0 }
		END { print mn == "" ? 0 : mx - mn }' "$1"
}

# A steady rate for STEADY_S: 1,000 client addresses whose cache entries live 10 s, so that checks
# keep going to DNS while the cache stays full (from 5 s on); RSS, threads and fds every 10 s must stay flat.
row_steady() {
	_s_name="steady 200/s"
	dnsctl_mode answer || fail_run "$_s_name: dnsctl did not switch" cat "$W/dnsctl.log"
	milter_up steady "$VERDICT" "$AT_MAIL" "CacheMaxTTL 10" ||
		fail_run "$_s_name: the milter did not come up" tail -n 20 "$MILTER_LOG"
	_s_rss0=$(proc_sample "$MILTER_PID")
	sampler_start "$W/steady.samples" 10 $((STEADY_S / 10 + 3))
	load_run steady -c "$CONC" -r 200 -d "$STEADY_S" -a 10.0.0.1 -A 1000 -b "$BOUND" -i 60
	load_wait $(((STEADY_S + 60) * 10))
	_s_rss1=$(proc_sample "$MILTER_PID")
	sampler_stop
	milter_down
	load_row_judge steady "$_s_name" -
	_rss=$(spread "$W/steady.samples" 1)
	_thr=$(spread "$W/steady.samples" 2)
	_fds=$(spread "$W/steady.samples" 3)
	_min=$(awk 'NR > 2 && (m == "" || $1 + 0 < m) { m = $1 + 0 } END { print m + 0 }' "$W/steady.samples")
	_rows=$(printf '%s' "$ROWS" | sed 's/}$//')
	ROWS="$_rows, \"samples\": $(grep -c . "$W/steady.samples"), \"rss_kb_spread\": $_rss, \"threads_spread\": $_thr, \"fds_spread\": $_fds}"
	echo "# steady samples (rss_kb threads fds queued, every 10 s): $(tr '\n' ';' <"$W/steady.samples")"
	# flat: RSS within 10% (at least 2 MB), threads and fds within 16 of each other after warm-up
	if [ "$(grep -c . "$W/steady.samples")" -ge 4 ] && [ "$_rss" -le "$(((_min / 10) > 2048 ? _min / 10 : 2048))" ] &&
		[ "$_thr" -le 16 ] && [ "$_fds" -le 16 ]; then
		pass_case "$_s_name: flat (RSS spread $_rss kB, threads $_thr, fds $_fds)"
	else
		fail_case "$_s_name: not flat (RSS spread $_rss kB of $_min, threads $_thr, fds $_fds)"
	fi
}

# A private Postfix that tempfails while its milter is away (milter_default_action = tempfail, as
# Sendmail's F=T), smtpsend recording every message's reply, the milter SIGKILLed at a third and at
# two thirds of the messages and started again: every message Postfix accepted must be delivered.
row_postfix() {
	_s_name="postfix SIGKILL x2"
	dnsctl_mode answer || fail_run "$_s_name: dnsctl did not switch" cat "$W/dnsctl.log"
	PF=$W/pf
	mkdir -p "$W/pftpl" "$W/pfstats"
	chown postfix "$W/pfstats"
	sed 's/^milter_default_action = .*/milter_default_action = tempfail/' "$ROOT/tests/postfix/main.cf.in" >"$W/pftpl/main.cf.in"
	cp "$ROOT/tests/postfix/master.cf.in" "$W/pftpl/"
	LOAD_STATS_FILE=$W/pfstats/stats.prom
	milter_up postfix "UserID postfix" || fail_run "$_s_name: the milter did not come up" tail -n 20 "$MILTER_LOG"
	_here=$HERE
	HERE=$W/pftpl
	pf_start "$W/milter.sock" || fail_run "$_s_name: Postfix did not start" show "$PF/maillog" 20
	HERE=$_here
	"$TOOLS/smtpsend" -s 2525 -n "$PF_MSGS" -c 20 -l "$W/pf.sent" -T 30 -d $((PF_MSGS / 10 + 120)) \
		>"$W/pf.out" 2>&1 &
	_sender=$!
	_kills=0
	for _at in $((PF_MSGS / 3)) $((PF_MSGS * 2 / 3)); do
		poll $((PF_MSGS / 5 + 600)) sent_at_least "$_at" || break
		kill -KILL "$MILTER_PID"
		dns_reap "$MILTER_PID" 50
		_kills=$((_kills + 1))
		sleep 1
		milter_up postfix "UserID postfix" || fail_run "$_s_name: the milter did not come back" tail -n 20 "$MILTER_LOG"
	done
	dns_reap "$_sender" $(((PF_MSGS / 10 + 180) * 10))
	poll 1200 queue_empty
	postfix_judge "$_s_name" "$_kills"
	pf_stop
	milter_down
	LOAD_STATS_FILE=""
}

sent_at_least() {
	# before the sender has written its log, there is no file and grep prints no count
	_n=$(grep -c . "$W/pf.sent" 2>/dev/null)
	[ "${_n:-0}" -ge "$1" ]
}

queue_empty() {
	[ "$(pf_queued)" -eq 0 ]
}

postfix_judge() {
	awk '$2 == 250 { print $1 }' "$W/pf.sent" | sort -u >"$W/pf.accepted"
	grep -rh '^X-Test-Id: ' "$PF/mail/box/new" "$PF/mail/box/cur" 2>/dev/null | tr -d '\r' |
		sed 's/^X-Test-Id: //' | sort -u >"$W/pf.delivered"
	_sent=$(grep -c . "$W/pf.sent")
	_acc=$(grep -c . "$W/pf.accepted")
	_tf=$(awk '$2 ~ /^4/' "$W/pf.sent" | grep -c .)
	_rj=$(awk '$2 ~ /^5/' "$W/pf.sent" | grep -c .)
	_err=$(awk '$2 == "---"' "$W/pf.sent" | grep -c .)
	_lost=$(comm -23 "$W/pf.accepted" "$W/pf.delivered" | grep -c .)
	echo "# postfix: $(cat "$W/pf.out"); still queued: $(pf_queued)"
	row "$1" "sent=$_sent" "accepted=$_acc" "tempfailed=$_tf" "rejected=$_rj" "errors=$_err" "lost=$_lost" "kills=$2"
	_problems=""
	[ "$_sent" -eq "$PF_MSGS" ] || problem "$_sent of $PF_MSGS messages sent"
	[ "$_acc" -gt 0 ] || problem "nothing accepted"
	[ "$_err" -eq 0 ] || problem "$_err messages without a reply"
	[ "$_rj" -eq 0 ] || problem "$_rj rejected"
	[ "$_lost" -eq 0 ] || problem "$_lost accepted messages not delivered ($(comm -23 "$W/pf.accepted" "$W/pf.delivered" | head -n 3 | tr '\n' ' '))"
	[ "$2" -eq 2 ] || problem "$2 kills of 2"
	if [ -z "$_problems" ]; then
		pass_case "$1: $_acc accepted, all delivered; $_tf temp-failed"
	else
		fail_case "$1: $_problems"
		show "$PF/maillog" 10
	fi
}
