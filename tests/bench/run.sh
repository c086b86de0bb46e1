#!/bin/sh
# Benchmarks: bench_core (the core over fake transports), then `fcrdns-milter -t - -j` against a real
# NSD (authoritative) and unbound (recursive) on loopback, fed 2,000 generated client addresses.
#   usage: sh tests/bench/run.sh PATH/TO/fcrdns-milter [PATH/TO/bench_core]
# Prints figures and a summary table; exits non-zero only when something breaks (a wrong result, a
# crash, a server that does not start), never because something is slow.
# FCR_BENCH_N=2000 sets the number of addresses; FCR_BENCH_CORE_ARGS="-q -r 1" makes bench_core quick;
# FCR_BENCH_PASSES=3 sets the real-DNS passes of each kind; FCR_BENCH_KEEP=1 keeps the scratch directory.
set -u
PATH=$PATH:/usr/sbin:/sbin

HERE=$(cd "$(dirname "$0")" && pwd)
if [ $# -lt 1 ] || [ $# -gt 2 ]; then
	echo "usage: sh $0 PATH/TO/fcrdns-milter [PATH/TO/bench_core]" >&2
	exit 64
fi
abspath() {
	case $1 in /*) echo "$1" ;; *) echo "$(pwd)/$1" ;; esac
}
BIN=$(abspath "$1")
CORE=${2:+$(abspath "$2")}
for _f in "$BIN" ${CORE:+"$CORE"}; do
	if [ ! -f "$_f" ] || [ ! -x "$_f" ]; then
		echo "run.sh: $_f: not an executable file" >&2
		exit 66
	fi
done

# A private network namespace (only 'lo': nothing leaves the machine, fixed ports cannot collide) and,
# when possible, a PID namespace so that no server outlives the run.
if [ -z "${FCR_BENCH_NS:-}" ]; then
	if [ "$(id -u)" -eq 0 ] && unshare -n true 2>/dev/null; then
		export FCR_BENCH_NS=private
		if unshare -n -p -f --mount-proc --kill-child=TERM true 2>/dev/null; then
			exec unshare -n -p -f --mount-proc --kill-child=TERM sh "$HERE/run.sh" "$@"
		fi
		exec unshare -n sh "$HERE/run.sh" "$@"
	fi
	FCR_BENCH_NS=host
fi

N=${FCR_BENCH_N:-2000}
NSD_PORT=5363
UB_PORT=5364
W=$(mktemp -d "${TMPDIR:-/tmp}/fcrdns-bench.XXXXXX") || exit 73
SERVER_PIDS=""

# stop_pid PID: TERM, KILL after 5 s if it is still there; reaps it.
stop_pid() {
	kill -TERM "$1" 2>/dev/null || return 0
	( sleep 5; kill -KILL "$1" 2>/dev/null ) &
	_dog=$!
	wait "$1" 2>/dev/null
	kill "$_dog" 2>/dev/null
	wait "$_dog" 2>/dev/null
}

cleanup() {
	trap - EXIT INT TERM HUP
	for _p in $SERVER_PIDS; do stop_pid "$_p"; done
	if [ "${FCR_BENCH_KEEP:-}" = 1 ]; then
		echo "# kept $W" >&2
	else
		rm -rf "$W"
	fi
}
trap cleanup EXIT
trap 'echo "# interrupted"; exit 130' INT
trap 'echo "# terminated"; exit 143' TERM
trap 'exit 129' HUP

die() {
	echo "bench: FAILED: $*" >&2
	for _f in nsd.log unbound.log; do
		[ -s "$W/$_f" ] && { echo "-- tail of $_f" >&2; tail -n 10 "$W/$_f" | cat -v >&2; }
	done
	exit 1
}

now_ms() {
	echo $(($(date +%s%N) / 1000000))
}

# ---- 1. the core ----

CORE_OUT=$W/core.txt
if [ -n "$CORE" ]; then
	echo "# bench_core ..."
	# shellcheck disable=SC2086 # extra options for bench_core, e.g. "-q -r 1" for a quick look
	"$CORE" ${FCR_BENCH_CORE_ARGS:-} >"$CORE_OUT" || die "bench_core (exit $?): see the lines above"
else
	echo "no bench_core given: core figures skipped" >"$CORE_OUT"
fi

# ---- 2. real DNS: NSD + unbound on loopback ----

if [ "$FCR_BENCH_NS" = private ]; then
	ip link set lo up || die "cannot bring up lo in the private network namespace"
	NSNOTE="private network namespace"
else
	NSNOTE="host network namespace, ports $NSD_PORT-$UB_PORT"
fi
for _t in nsd unbound unbound-control dig awk; do
	command -v "$_t" >/dev/null 2>&1 || die "'$_t' not found (Debian: apt-get install nsd unbound dnsutils)"
done

awk -v N="$N" -v DIR="$W" -f "$HERE/gen.awk" || die "cannot generate the zones"

cat >"$W/nsd.conf" <<EOF
server:
    ip-address: 127.0.0.1@$NSD_PORT
    port: $NSD_PORT
    do-ip6: no
    username: ""
    chroot: ""
    zonesdir: "$W"
    database: ""
    zonelistfile: "$W/zone.list"
    xfrdfile: "$W/xfrd.state"
    xfrdir: "$W"
    pidfile: "$W/nsd.pid"
    logfile: "$W/nsd.log"
    server-count: 1
    verbosity: 0
    hide-version: yes
    refuse-any: no
    # Debian's NSD rate-limits by default and would silently drop answers under load
    rrl-ratelimit: 0
    rrl-whitelist-ratelimit: 0
remote-control:
    control-enable: no
zone:
    name: "bench.example."
    zonefile: "bench.example.zone"
zone:
    name: "10.127.in-addr.arpa."
    zonefile: "rev4.zone"
zone:
    name: "c.f.0.0.8.b.d.0.1.0.0.2.ip6.arpa."
    zonefile: "rev6.zone"
EOF

cat >"$W/unbound.conf" <<EOF
server:
    interface: 127.0.0.1@$UB_PORT
    port: $UB_PORT
    do-ip6: no
    do-daemonize: no
    username: ""
    chroot: ""
    directory: "$W"
    pidfile: "$W/unbound.pid"
    use-syslog: no
    logfile: "$W/unbound.log"
    verbosity: 0
    num-threads: 1
    access-control: 127.0.0.0/8 allow
    # the upstream is on loopback, which unbound refuses to query by default
    do-not-query-localhost: no
    module-config: "iterator"
    # unbound answers these itself (RFC 6303) unless told not to
    local-zone: "127.in-addr.arpa." nodefault
    local-zone: "8.b.d.0.1.0.0.2.ip6.arpa." nodefault
    # the warm pass must find everything still cached
    cache-min-ttl: 3600
    harden-referral-path: no
    qname-minimisation: no
    statistics-cumulative: yes
stub-zone:
    name: "bench.example."
    stub-addr: 127.0.0.1@$NSD_PORT
stub-zone:
    name: "10.127.in-addr.arpa."
    stub-addr: 127.0.0.1@$NSD_PORT
stub-zone:
    name: "c.f.0.0.8.b.d.0.1.0.0.2.ip6.arpa."
    stub-addr: 127.0.0.1@$NSD_PORT
# everything else goes to NSD too (which refuses it): nothing ever leaves loopback
forward-zone:
    name: "."
    forward-addr: 127.0.0.1@$NSD_PORT
remote-control:
    control-enable: yes
    control-interface: "$W/unbound.ctl"
    control-use-cert: no
EOF

cat >"$W/fcrdns-milter.conf" <<EOF
# generated by tests/bench/run.sh: loopback clients are the workload, nothing is exempt
Nameservers   127.0.0.1:$UB_PORT
DNSTimeout    2
DNSRetries    1
CheckTimeout  5
MaxPTRNames   10
ExemptHosts   none
CacheSize     100000
AuthservID    mx.bench.example
Syslog        no
EOF

# ready PORT QNAME QTYPE: polls (up to ~10 s) until the server answers with data.
ready() {
	_i=0
	while [ "$_i" -lt 100 ]; do
		[ -n "$(dig -p "$1" @127.0.0.1 "$2" "$3" +short +time=1 +tries=1 2>/dev/null)" ] && return 0
		sleep 0.1
		_i=$((_i + 1))
	done
	return 1
}

nsd -d -c "$W/nsd.conf" >"$W/nsd.out" 2>&1 &
SERVER_PIDS="$SERVER_PIDS $!"
ready "$NSD_PORT" ns.bench.example A || die "NSD does not answer on 127.0.0.1@$NSD_PORT"
unbound -d -c "$W/unbound.conf" >"$W/unbound.out" 2>&1 &
SERVER_PIDS="$SERVER_PIDS $!"
# ask for a name outside the workload, so that the cold pass starts with nothing useful cached
ready "$UB_PORT" ns.bench.example A || die "unbound does not answer on 127.0.0.1@$UB_PORT"

# ub_stat NAME: a cumulative counter of unbound ("-" when unbound-control cannot tell).
ub_stat() {
	_v=$(unbound-control -c "$W/unbound.conf" stats_noreset 2>/dev/null | sed -n "s/^$1=//p")
	echo "${_v:--}"
}

# pass NAME: one `-t - -j` run over all addresses; checks every result; sets P_MS, P_Q, P_UBQ, P_UBMISS.
pass() {
	_q0=$(ub_stat total.num.queries)
	_m0=$(ub_stat total.num.cachemiss)
	_t0=$(now_ms)
	"$BIN" -c "$W/fcrdns-milter.conf" -t - -j <"$W/addrs" >"$W/$1.json" 2>"$W/$1.err"
	_rc=$?
	P_MS=$(($(now_ms) - _t0))
	[ "$P_MS" -gt 0 ] || P_MS=1
	_q1=$(ub_stat total.num.queries)
	_m1=$(ub_stat total.num.cachemiss)
	# 2 is the highest code of the expected results (permerror); anything else means trouble
	if [ "$_rc" -ne 2 ]; then
		head -n 5 "$W/$1.err" | cat -v >&2
		die "$1 pass: fcrdns-milter exited $_rc, expected 2 (some permerror, no temperror)"
	fi
	awk '{ ip = $0; sub(/.*"ip":"/, "", ip); sub(/".*/, "", ip)
	       r = $0; sub(/.*"result":"/, "", r); sub(/".*/, "", r)
	       q = $0; sub(/.*"queries":/, "", q); sub(/[^0-9].*/, "", q)
	       print ip, r, q }' "$W/$1.json" >"$W/$1.got"
	if ! cmp -s "$W/expected" "$W/$1.got"; then
		diff "$W/expected" "$W/$1.got" | head -n 10 >&2
		die "$1 pass: results differ from the zone data (expected: address result queries)"
	fi
	P_Q=$(awk '{ s += $3 } END { printf "%.2f", s / NR }' "$W/$1.got")
	P_UBQ=-
	P_UBMISS=-
	if [ "$_q0" != - ] && [ "$_q1" != - ]; then
		P_UBQ=$(awk -v a="$_q0" -v b="$_q1" -v n="$N" 'BEGIN { printf "%.2f", (b - a) / n }')
		P_UBMISS=$(awk -v a="$_m0" -v b="$_m1" -v n="$N" 'BEGIN { printf "%.2f", (b - a) / n }')
	fi
}

# best NAME LABEL [FLUSH]: the fastest of $PASSES passes as a table row; FLUSH empties unbound's cache
# before each pass.
best() {
	_best=""
	_i=0
	while [ "$_i" -lt "$PASSES" ]; do
		if [ -n "${3:-}" ]; then
			unbound-control -c "$W/unbound.conf" flush_zone . >/dev/null 2>&1 ||
				die "unbound-control cannot flush the cache"
		fi
		pass "$1"
		if [ -z "$_best" ] || [ "$P_MS" -lt "$_best" ]; then
			_best=$P_MS
			_row=$(printf '%-36s %7d %12.0f %12s %12s %13s' "$2" "$P_MS" \
				"$(awk -v n="$N" -v ms="$P_MS" 'BEGIN { print n * 1000 / ms }')" "$P_Q" "$P_UBQ" "$P_UBMISS")
		fi
		_i=$((_i + 1))
	done
	echo "$_row" >>"$W/dns.txt"
}

PASSES=${FCR_BENCH_PASSES:-3}
printf '%s\n' "real DNS: fcrdns-milter -t - -j, $N addresses (3/4 IPv4, 1/4 IPv6; 90% pass)," \
	"NSD + unbound on loopback ($NSNOTE); best of $PASSES passes" >"$W/dns.txt"
printf '%-36s %7s %12s %12s %12s %13s\n' "pass" "ms" "addresses/s" "queries/addr" "unbound q/a" \
	"upstream q/a" >>"$W/dns.txt"
echo "# real DNS: $N addresses, cold passes (unbound's cache flushed before each) ..."
best cold "cold (resolver cache empty)" flush
echo "# real DNS: warm passes ..."
best warm "warm (unbound warm, own cache cold)"
printf '%s\n' "queries/addr: questions fcrdns-milter sent (JSON \"queries\"); unbound q/a: queries unbound" \
	"received; upstream q/a: unbound cache misses, i.e. queries it sent on to NSD" >>"$W/dns.txt"

echo
echo "==== summary ($(nproc) CPUs) ===="
cat "$CORE_OUT"
echo
cat "$W/dns.txt"
