#!/bin/sh
# The fleet: four milters (one per MX host in production) sharing one unbound with 2 threads in front
# of NSD. A burst of 100 connections of one new client address, spread over the four, must reach NSD
# as at most one PTR question per unbound thread (each milter's single flight sends one question;
# unbound coalesces identical questions in flight within a thread), counted by NSD's own statistics
# (nsd-control); unbound's statistics must show at most one question per milter; every StatsFile
# (one textfile directory per "host") passes `promtool check metrics`. Then the figures behind
# README.md's "Running several MX hosts": a milter's check against the warm unbound versus its own
# cache, and a Redis GET over loopback (only when redis-server and redis-benchmark are installed).
#   usage: sh tests/fleet/run.sh PATH/TO/fcrdns-milter     (as root: in a private network namespace)
# milterload is taken from the milter's directory, or from FCR_FLEET_TOOLS. FCR_FLEET_KEEP=1 keeps
# the scratch directory.
set -u
PATH=$PATH:/usr/sbin:/sbin

HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../lib/common.sh
. "$HERE/../lib/common.sh"
common_bin_arg "$@"
TOOLS=${FCR_FLEET_TOOLS:-$(dirname "$BIN")}
common_executable "$TOOLS/milterload"
# shellcheck source=../lib/dns.sh
. "$HERE/../lib/dns.sh"
# shellcheck source=../prometheus/metrics.sh
. "$HERE/../prometheus/metrics.sh"
RELAY_PORT=5360
REDIS_PORT=6390
DNS_PORTS="5353-5354, $RELAY_PORT, $REDIS_PORT"
dns_isolate "$HERE/run.sh" "$BIN"
dns_require nsd nsd-control unbound unbound-control dig perl
common_require prometheus promtool

MILTERS="mx1 mx2 mx3 mx4"
THREADS=2            # unbound's
BURST=100            # connections, spread evenly over the milters
ADDR=127.0.0.11      # a pass (tests/dns/127.in-addr.arpa.zone) no other step of this run asks for
DELAY=0.3            # seconds the relay holds each question on its way to NSD
PIDS=""              # milters, relay, redis

cleanup() {
	for _p in $PIDS; do kill -TERM "$_p" 2>/dev/null; done
	for _p in $PIDS; do dns_reap "$_p" 150; done
	dns_stop
}
common_scratch fcrdns-fleet "${FCR_FLEET_KEEP:-}" cleanup
DNS_RUN=$W

# ---- servers: NSD (control socket), the relay, unbound (2 threads, statistics) ----

start_dns() {
	dns_subst "$DNS_ZONES/nsd.conf.in" |
		sed -e "s|^remote-control:|remote-control:\n    control-interface: $W/nsd.ctl|" \
		    -e 's|control-enable: no|control-enable: yes|' >"$W/nsd.conf"
	nsd -d -c "$W/nsd.conf" >"$W/nsd.out" 2>&1 &
	DNS_PIDS="$DNS_PIDS $!"
	perl "$HERE/relay.pl" "$RELAY_PORT" "$DNS_NSD_PORT" "$DELAY" >"$W/relay.out" 2>&1 &
	PIDS="$PIDS $!"
	# unbound asks the relay, not NSD; two threads; statistics per query type; control socket
	dns_subst "$DNS_ZONES/unbound.conf.in" |
		sed -e "s|@$DNS_NSD_PORT\$|@$RELAY_PORT|" -e "s|num-threads: 1|num-threads: $THREADS|" \
		    -e 's|^server:|server:\n    extended-statistics: yes|' \
		    -e "s|^remote-control:|remote-control:\n    control-interface: $W/unbound.ctl\n    control-use-cert: no|" \
		    -e 's|control-enable: no|control-enable: yes|' >"$W/unbound.conf"
	unbound -d -c "$W/unbound.conf" >"$W/unbound.out" 2>&1 &
	DNS_PIDS="$DNS_PIDS $!"
	dns_ready "$DNS_NSD_PORT" good.test.example A 127.0.0.2 || return 1
	dns_ready "$DNS_UNBOUND_PORT" 2.0.0.127.in-addr.arpa PTR good.test.example.
}

# nsd_ptr / unbound_ptr: PTR questions each server has received so far.
nsd_ptr() {
	nsd-control -c "$W/nsd.conf" stats_noreset | sed -n 's/^num\.type\.PTR=//p'
}
unbound_ptr() {
	unbound-control -c "$W/unbound.conf" stats_noreset | sed -n 's/^num\.query\.type\.PTR=//p'
}

# ---- the milters: one directory per host, its StatsFile where node_exporter would read it ----

# milter_up NAME [LINE]...: the milter on $W/NAME/milter.sock, StatsFile NAME/textfile/fcrdns-milter.prom.
milter_up() {
	_n=$1
	shift
	mkdir -p "$W/$_n/textfile"
	{
		echo "Socket unix:$W/$_n/milter.sock"
		echo "Nameservers 127.0.0.1:$DNS_UNBOUND_PORT"
		echo "ExemptHosts none"
		echo "Syslog no"
		# the verdict at connect: every session waits for its check and sees the result
		echo "OnFail reject"
		echo "RejectAt connect"
		echo "StatsFile $W/$_n/textfile/fcrdns-milter.prom"
		echo "StatsInterval 1"
		for _l in "$@"; do echo "$_l"; done
	} >"$W/$_n/milter.conf"
	"$BIN" -f -c "$W/$_n/milter.conf" >"$W/$_n/milter.log" 2>&1 &
	PIDS="$PIDS $!"
	_i=0
	until [ -S "$W/$_n/milter.sock" ] && grep -q 'listening on' "$W/$_n/milter.log"; do
		[ "$_i" -lt 100 ] || return 1
		sleep 0.1
		_i=$((_i + 1))
	done
}

# stat NAME METRIC: a sample of that milter's StatsFile.
stat() {
	awk -v k="$2" '$1 == k { print $2; exit }' "$W/$1/textfile/fcrdns-milter.prom" 2>/dev/null
}

start_dns || fail_run "servers: not answering within 10 s" dns_server_logs 20
for _m in $MILTERS; do
	milter_up "$_m" || fail_run "$_m: the milter did not come up" tail -n 20 "$W/$_m/milter.log"
done
echo "# NSD :$DNS_NSD_PORT <- relay :$RELAY_PORT ($DELAY s) <- unbound :$DNS_UNBOUND_PORT ($THREADS threads) <- $MILTERS"

# ---- the burst ----

NSD0=$(nsd_ptr)
UB0=$(unbound_ptr)
PER=$((BURST / 4))
LOADS=""
for _m in $MILTERS; do
	"$TOOLS/milterload" -s "unix:$W/$_m/milter.sock" -c "$PER" -n "$PER" -a "$ADDR" -A 1 -T 20 -j \
		-l "$W/$_m.sessions" >"$W/$_m.json" 2>"$W/$_m.err" &
	LOADS="$LOADS $!"
done
_rc=0
for _p in $LOADS; do dns_reap "$_p" 300 || _rc=1; done
NSD1=$(nsd_ptr)
UB1=$(unbound_ptr)

passes=$(cat "$W"/mx?.sessions | awk '$5 == "pass" { n++ } END { print n + 0 }')
if [ "$_rc" = 0 ] && [ "$passes" = "$BURST" ]; then
	pass_case "burst: $BURST sessions of $ADDR over 4 milters, every one a pass"
else
	fail_case "burst: $passes of $BURST sessions passed (milterload status $_rc: $(cat "$W"/mx?.err | head -n 3))"
fi
nsd_q=$((NSD1 - NSD0))
ub_q=$((UB1 - UB0))
if [ "$nsd_q" -ge 1 ] && [ "$nsd_q" -le "$THREADS" ]; then
	pass_case "NSD got $nsd_q PTR question(s) for the burst: at most one per unbound thread ($THREADS)"
else
	fail_case "NSD got $nsd_q PTR questions for the burst (expected 1 to $THREADS: one per unbound thread)"
fi
if [ "$ub_q" -ge 1 ] && [ "$ub_q" -le 4 ]; then
	pass_case "unbound got $ub_q PTR question(s) from the 4 milters: at most one each (single flight)"
else
	fail_case "unbound got $ub_q PTR questions from the 4 milters (expected 1 to 4)"
fi

# every milter's StatsFile: its 25 checks, one of which asked DNS, as Prometheus reads the file
for _m in $MILTERS; do
	_i=0
	while [ "$(stat "$_m" fcrdns_connections_total)" != "$PER" ] && [ "$_i" -lt 40 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	_pr=""
	_v=$(stat "$_m" 'fcrdns_results_total{result="pass"}')
	[ "$_v" = "$PER" ] || problem "results pass [$_v], expected $PER"
	_v=$(stat "$_m" fcrdns_cache_misses_total)
	[ "$_v" = 1 ] || problem "cache misses [$_v], expected 1"
	_pm=$(prom_metrics_problems "$W/$_m/textfile/fcrdns-milter.prom" 5 | head -n 3 | tr '\n' ' ')
	[ -z "$_pm" ] || problem "$_pm"
	if [ -z "${_problems:-}" ]; then
		pass_case "$_m: StatsFile: $PER passes, 1 cache miss; promtool check metrics passes"
	else
		fail_case "$_m: StatsFile: $_problems"
	fi
	_problems=""
done

# ---- the figures: what a shared result cache would save per connection ----

# A milter without a cache asks the (now warm) unbound on every connection; mx1 has ADDR cached.
milter_up solo "CacheSize 0" || fail_run "solo: the milter did not come up" tail -n 20 "$W/solo/milter.log"
p50() { sed -n 's/.*"p50_us": \([0-9.e+]*\).*/\1/p' "$1" | awk '{ printf "%.0f\n", $1 }'; }
"$TOOLS/milterload" -s "unix:$W/solo/milter.sock" -c 1 -n 2000 -a "$ADDR" -A 1 -j >"$W/miss.json" 2>&1
"$TOOLS/milterload" -s "unix:$W/mx1/milter.sock" -c 1 -n 2000 -a "$ADDR" -A 1 -j >"$W/hit.json" 2>&1
MISS=$(p50 "$W/miss.json")
HIT=$(p50 "$W/hit.json")
GET=""
if command -v redis-server >/dev/null 2>&1 && command -v redis-benchmark >/dev/null 2>&1; then
	redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no >"$W/redis.out" 2>&1 &
	PIDS="$PIDS $!"
	_i=0
	until redis-cli -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG || [ "$_i" -ge 50 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	redis-cli -p "$REDIS_PORT" set key:__rand_int__ "pass 127.0.0.11 multi.test.example" >/dev/null
	# one client, one GET at a time: the round trip a milter would add to every connection
	GET=$(redis-benchmark -p "$REDIS_PORT" -c 1 -n 20000 -t get --csv 2>/dev/null |
		awk -F'"' '$2 == "GET" { printf "%.0f\n", $10 * 1000 }')
fi
if [ -n "$MISS" ] && [ -n "$HIT" ] && [ "$MISS" -gt 0 ] && [ "$HIT" -gt 0 ]; then
	pass_case "measured (session p50, one at a time): own cache miss on the warm unbound $MISS us, own cache hit $HIT us"
	echo "# a check against the warm unbound costs $((MISS - HIT)) us per connection over a cache hit"
	if [ -n "$GET" ]; then
		echo "# a Redis GET over loopback (redis-benchmark -c 1, p50): $GET us; a shared cache would save $((MISS - HIT - GET)) us per connection that misses its own cache"
	else
		echo "# redis-server/redis-benchmark not installed: no Redis figure"
	fi
else
	fail_case "measured: no figures (miss '$MISS', hit '$HIT')"
fi

summary
[ "$FAILED" -eq 0 ]
