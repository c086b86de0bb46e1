#!/bin/sh
# The short load test of make check: 300 concurrent milter sessions against a resolver that never
# answers, which then answers again; every session must end within the bound README.md states, with no
# error, and checks must pass again within 2 s of the resolver answering. Run once with a configuration
# that needs the verdict (OnTempError tempfail, RejectAt mail: sessions wait at MAIL) and once with the
# default accept-only one.
#   usage: sh tests/load/run.sh PATH/TO/fcrdns-milter     (as root: in private namespaces)
# milterload and dnsctl are taken from the milter's directory (make check-load builds them there), or
# from FCR_LOAD_TOOLS. FCR_LOAD_KEEP=1 keeps the scratch directory (session logs, milter logs);
# FCR_LOAD_DEAD=S (default 20) and FCR_LOAD_ALIVE=S (default 4) size the dead and answering phases,
# FCR_LOAD_C=N (default 300) the concurrency.
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
# shellcheck source=../lib/common.sh
. "$HERE/../lib/common.sh"
common_bin_arg "$@"
TOOLS=${FCR_LOAD_TOOLS:-$(dirname "$BIN")}
common_executable "$TOOLS/milterload" "$TOOLS/dnsctl"
DNS_ZONES=$ROOT/tests/dns
# shellcheck source=../lib/dns.sh
. "$HERE/../lib/dns.sh"
# shellcheck source=lib.sh
. "$HERE/lib.sh"
# shellcheck source=../prometheus/metrics.sh
. "$HERE/../prometheus/metrics.sh"
DNS_PORTS=$LOAD_DNS_PORT
dns_isolate "$HERE/run.sh" "$BIN"

cleanup() {
	[ -n "${LOAD_PID:-}" ] && kill -TERM "$LOAD_PID" 2>/dev/null
	milter_down
	dnsctl_stop
}
common_scratch fcrdns-load "${FCR_LOAD_KEEP:-}" cleanup

DEAD=${FCR_LOAD_DEAD:-20}
ALIVE=${FCR_LOAD_ALIVE:-4}
CONC=${FCR_LOAD_C:-300}
# recovery: the issue's figure; the bound: README.md's, exactly (no margin on it)
RECOVERY_MS=2000
load_bound || fail_run "setup: README.md does not state the bound (\"within \`CheckTimeout\` (N s) plus S s\")"
echo "# bound from README.md: CheckTimeout $CHECK_TIMEOUT s + slack = $BOUND s a session"

dnsctl_start || fail_run "setup: dnsctl did not start" cat "$W/dnsctl.log"

# dead_then_alive NAME [LINE]...: one run of DEAD + ALIVE seconds against the milter configured with LINEs.
dead_then_alive() {
	_n=$1
	shift
	dnsctl_mode drop || fail_run "$_n: dnsctl did not switch to drop" cat "$W/dnsctl.log"
	milter_up "$_n" "$@" || fail_run "$_n: the milter did not come up" tail -n 20 "$MILTER_LOG"
	# fresh addresses all along (10.0.0.0/8): no check is answered by the cache, not even a temperror
	load_run "$_n" -c "$CONC" -d $((DEAD + ALIVE)) -a 10.0.0.1 -A 16000000 -b "$BOUND" \
		-T "$(awk -v b="$BOUND" 'BEGIN { print b + 20 }')"
	sleep $((DEAD - 2))
	cp "$W/stats.prom" "$W/$_n.mid.prom" 2>/dev/null  # under load, the resolver dead
	sleep 2
	dnsctl_mode answer || fail_run "$_n: dnsctl did not switch to answer" cat "$W/dnsctl.log"
	T=$MODE_AT
	load_wait $(((DEAD + ALIVE) * 10 + 400))
	sleep 1.5  # one more StatsFile write
	STATS_UPTIME=$(stats_value fcrdns_uptime_seconds)
	milter_down
	judge "$_n"
	judge_metrics "$_n"
	if [ "$MILTER_RC" = 0 ]; then
		pass_case "$_n: the milter stopped cleanly after the run (SIGTERM: exit 0)"
	else
		fail_case "$_n: the milter's exit status after SIGTERM: $MILTER_RC"
		tail -n 20 "$MILTER_LOG" | sed 's/^/    | /'
	fi
}

judge() {
	J=$W/$1.json
	L=$W/$1.sessions
	sessions=$(jget "$J" sessions)
	echo "# $1: $(cat "$J")"
	[ "$LOAD_RC" -ne 137 ] || fail_case "$1: milterload did not end within $((DEAD + ALIVE + 40)) s"
	_problems=""
	[ "$sessions" -ge "$CONC" ] || problem "only $sessions sessions"
	[ "$(jget "$J" errors)" = 0 ] || problem "$(jget "$J" errors) errors ($(cat "$W/$1.err"))"
	[ "$(jget "$J" timeouts)" = 0 ] || problem "$(jget "$J" timeouts) sessions still open after $BOUND + 20 s"
	if [ -z "$_problems" ]; then pass_case "$1: $sessions sessions, 0 errors"; else fail_case "$1: $_problems"; fi
	over=$(jget "$J" over_bound)
	max_ms=$(($(jget "$J" max_us) / 1000))
	if [ "$over" = 0 ]; then
		pass_case "$1: every session within $BOUND s (longest $max_ms ms)"
	else
		fail_case "$1: $over of $sessions sessions over $BOUND s (longest $max_ms ms, p99 $(($(jget "$J" p99_us) / 1000)) ms)"
	fi
	judge_recovery "$1" "$L"
	judge_waits "$1" "$J"
}

# judge_recovery NAME LOG: the resolver was dead (temperrors), then answered (passes), recovery.
judge_recovery() {
	te=$(temperrors_before "$2" "$T")
	pa=$(passes_after "$2" "$T")
	rec=$(recovery_ms "$2" "$T")
	if ! [ "${te:-0}" -gt 0 ] 2>/dev/null || ! [ "${pa:-0}" -gt 0 ] 2>/dev/null; then
		fail_case "$1: resolver dead then alive: ${te:-?} temperrors while dead, ${pa:-?} passes after"
	elif [ "$rec" != none ] && [ "$rec" -le "$RECOVERY_MS" ]; then
		pass_case "$1: checks pass again $rec ms after the resolver answers ($te temperrors while dead)"
	else
		fail_case "$1: checks pass again $rec ms after the resolver answers (more than $RECOVERY_MS)"
	fi
}

# judge_waits NAME JSON: MAIL replies (accept-only) and the StatsFile writer.
judge_waits() {
	# accept-only: the verdict is never needed, so MAIL must not wait for a check (a wait for a dead
	# resolver's check takes DNSTimeout x tries, 4 s; half of CheckTimeout leaves room for queueing)
	if [ "$1" = accept-only ]; then
		mail_ms=$(($(jget "$2" max_wait_mail_us) / 1000))
		if [ "$mail_ms" -lt "$(awk -v c="$CHECK_TIMEOUT" 'BEGIN { print c * 500 }')" ]; then
			pass_case "$1: MAIL does not wait for the check (longest reply $mail_ms ms)"
		else
			fail_case "$1: MAIL waited for the check although the verdict cannot matter (longest reply $mail_ms ms)"
		fi
	fi
	# the stats writer kept working under load: it wrote within the last 3 s of the run
	if [ -n "$STATS_UPTIME" ] && [ "$STATS_UPTIME" -ge $((DEAD + ALIVE - 3)) ]; then
		pass_case "$1: StatsFile still written at the end (uptime $STATS_UPTIME s)"
	else
		fail_case "$1: StatsFile not written since ${STATS_UPTIME:-never} s of uptime"
	fi
}

# judge_metrics NAME: the StatsFile under load and the final one, as Prometheus reads them.
judge_metrics() {
	if ! command -v promtool >/dev/null 2>&1; then
		fail_case "$1: promtool not found (Debian: prometheus; make deps installs it)"
		return
	fi
	for _f in mid stats; do
		_src=$W/$1.mid.prom
		[ "$_f" = stats ] && _src=$W/stats.prom
		# Under load each session may have one check counted by result and not yet by the histogram
		# (or the other way round) when the file is written; at the end nothing is in progress.
		_slack=$CONC
		[ "$_f" = stats ] && _slack=0
		_pr=$(prom_metrics_problems "$_src" "$CHECK_TIMEOUT" "$_slack" 2>&1 | head -n 5 | tr '\n' ';')
		_what="under load"
		[ "$_f" = stats ] && _what="at the end"
		if [ -n "$_pr" ]; then
			fail_case "$1: the StatsFile $_what: $_pr"
		else
			_wk=$(awk '$1 == "fcrdns_worker_threads" { print $2 }' "$_src")
			_ck=$(awk '$1 == "fcrdns_check_duration_seconds_count" { print $2 }' "$_src")
			pass_case "$1: the StatsFile $_what passes promtool check metrics, histogram consistent ($_ck checks, $_wk workers)"
		fi
	done
}

dead_then_alive verdict "OnTempError tempfail" "RejectAt mail"
dead_then_alive accept-only

summary
[ "$FAILED" -eq 0 ]
