#!/bin/sh
# Benchmarks: bench_core (the core over fake transports); `fcrdns-milter -t - -j` against a real NSD
# (authoritative) and unbound (recursive) on loopback, fed 2,000 generated client addresses; then the
# daemon: full milter sessions against the null milter (system.sh), smtp-source through a private
# Postfix (postfix.sh), and its resident size with a million cached addresses (system.sh).
#   usage: sh tests/bench/run.sh PATH/TO/fcrdns-milter [PATH/TO/bench_core]
# Prints figures, then a table of every key with its target; writes the keys as flat JSON to
# FCR_BENCH_JSON when set. Exits non-zero only when something breaks (a wrong result, a run with
# errors, a crash, a server that does not start), never because something is slow.
# The tools (milterload, null_milter, fastdns, bindsrc.so) are looked for in FCR_BENCH_TOOLS, else
# next to fcrdns-milter; bench_core's own JSON goes to FCR_BENCH_CORE_JSON (default: the scratch
# directory). Knobs (tests/bench/README.md): FCR_BENCH_QUICK=1 (about 2 minutes),
# FCR_BENCH_PARTS (default "core dns sessions postfix memory"), FCR_BENCH_N=2000 (addresses of the
# real-DNS passes), FCR_BENCH_CORE_ARGS="-q -r 1", FCR_BENCH_PASSES=3, FCR_BENCH_ROUNDS (sessions 8,
# Postfix 8), FCR_BENCH_SESSION_S=5, FCR_BENCH_COLD_N=20000, FCR_BENCH_PF_MSGS=1000,
# FCR_BENCH_PF_SESSIONS=20, FCR_BENCH_MEM_N=1000000, FCR_BENCH_MEM_RELOADS=10,
# FCR_BENCH_MEM_N2=0 (3000000: the flatness figure), FCR_BENCH_KEEP=1 keeps the scratch directory.
set -u
PATH=$PATH:/usr/sbin:/sbin

HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../lib/common.sh
. "$HERE/../lib/common.sh"
if [ $# -lt 1 ] || [ $# -gt 2 ]; then
	common_usage "PATH/TO/fcrdns-milter [PATH/TO/bench_core]"
fi
BIN=$(common_abspath "$1")
CORE=${2:+$(common_abspath "$2")}
common_executable "$BIN" ${CORE:+"$CORE"}

# The namespaces of tests/lib/dns.sh (only 'lo': nothing leaves the machine; no server outlives the
# run), with servers and zones of its own on ports of its own.
# shellcheck source=../lib/dns.sh
. "$HERE/../lib/dns.sh"
DNS_NSD_PORT=5363
DNS_UNBOUND_PORT=5364
# the ports the NOTE of dns_isolate names: NSD, unbound and fastdns (system.sh)
DNS_PORTS=$DNS_NSD_PORT-5365
dns_isolate "$HERE/run.sh" "$BIN" ${CORE:+"$CORE"}

if [ "${FCR_BENCH_QUICK:-}" = 1 ]; then
	: "${FCR_BENCH_CORE_ARGS=-q -r 1}" "${FCR_BENCH_N:=500}" "${FCR_BENCH_PASSES:=1}" "${FCR_BENCH_ROUNDS:=4}"
	: "${FCR_BENCH_SESSION_S:=2}" "${FCR_BENCH_PF_MSGS:=300}" "${FCR_BENCH_MEM_N:=100000}" "${FCR_BENCH_COLD_N:=5000}"
fi
PARTS=" ${FCR_BENCH_PARTS:-core dns sessions postfix memory} "
N=${FCR_BENCH_N:-2000}
TOOLS=$(common_abspath "${FCR_BENCH_TOOLS:-$(dirname "$BIN")}")
ROOT=$(cd "$HERE/../.." && pwd)
common_scratch fcrdns-bench "${FCR_BENCH_KEEP:-}" bench_stop
: >"$W/keys"
: >"$W/bad"
: >"$W/core.json"
# shellcheck source=system.sh
. "$HERE/system.sh"
# shellcheck source=postfix.sh
. "$HERE/postfix.sh"

bench_stop() {
	pf_down
	dns_stop
}

# part NAME: whether this run includes it
part() {
	case $PARTS in *" $1 "*) return 0 ;; esac
	return 1
}

die() {
	echo "bench: FAILED: $*" >&2
	for _f in nsd.log unbound.log; do
		[ -s "$W/$_f" ] && { echo "-- tail of $_f" >&2; tail -n 10 "$W/$_f" | cat -v >&2; }
	done
	exit 1
}

# ---- 1. the core ----

CORE_OUT=$W/core.txt
if [ -n "$CORE" ] && part core; then
	echo "# bench_core ..."
	# its keys as flat JSON too, when this bench_core can write them (-J FILE); never a stale file
	CORE_JSON=${FCR_BENCH_CORE_JSON:-$W/core.json}
	rm -f "$CORE_JSON"
	set --
	"$CORE" -h 2>&1 | grep -q -e '-J' && set -- -J "$CORE_JSON"
	# shellcheck disable=SC2086 # extra options for bench_core, e.g. "-q -r 1" for a quick look
	"$CORE" ${FCR_BENCH_CORE_ARGS:-} "$@" >"$CORE_OUT" || die "bench_core (exit $?): see the lines above"
else
	echo "core figures skipped (no bench_core given, or FCR_BENCH_PARTS without core)" >"$CORE_OUT"
fi

# ---- 2. real DNS: NSD + unbound on loopback ----

if [ "$FCR_ITEST_NS" = private ]; then
	NSNOTE="private network namespace"
else
	NSNOTE="host network namespace, ports $DNS_PORTS"
fi
dns_require nsd unbound unbound-control dig awk

awk -v N="$N" -v DIR="$W" -f "$HERE/gen.awk" || die "cannot generate the zones"

# the zones gen.awk and pf_zones write, NAME=FILE: NSD serves them, unbound has a stub zone for each
ZONES="bench.example.=bench.example.zone 10.127.in-addr.arpa.=rev4.zone c.f.0.0.8.b.d.0.1.0.0.2.ip6.arpa.=rev6.zone"
if part postfix; then
	ZONES="$ZONES $(pf_zones "$W")" || die "cannot generate the zones of the Postfix clients"
fi

{
	cat <<EOF
server:
    ip-address: 127.0.0.1@$DNS_NSD_PORT
    port: $DNS_NSD_PORT
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
EOF
	for _z in $ZONES; do
		printf 'zone:\n    name: "%s"\n    zonefile: "%s"\n' "${_z%%=*}" "${_z#*=}"
	done
} >"$W/nsd.conf"

{
	cat <<EOF
server:
    interface: 127.0.0.1@$DNS_UNBOUND_PORT
    port: $DNS_UNBOUND_PORT
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
    # the warm pass must find everything still cached: a long enough life, and room for every answer
    # of every part (the defaults, 4 MB and 4 MB, hold fewer than the Postfix part's 20,000 and
    # would evict answers before their round)
    cache-min-ttl: 3600
    msg-cache-size: 64m
    rrset-cache-size: 128m
    harden-referral-path: no
    qname-minimisation: no
    statistics-cumulative: yes
EOF
	for _z in $ZONES; do
		printf 'stub-zone:\n    name: "%s"\n    stub-addr: 127.0.0.1@%s\n' "${_z%%=*}" "$DNS_NSD_PORT"
	done
	cat <<EOF
# everything else goes to NSD too (which refuses it): nothing ever leaves loopback
forward-zone:
    name: "."
    forward-addr: 127.0.0.1@$DNS_NSD_PORT
remote-control:
    control-enable: yes
    control-interface: "$W/unbound.ctl"
    control-use-cert: no
EOF
} >"$W/unbound.conf"

cat >"$W/fcrdns-milter.conf" <<EOF
# generated by tests/bench/run.sh: loopback clients are the workload, nothing is exempt
Nameservers   127.0.0.1:$DNS_UNBOUND_PORT
DNSTimeout    2
DNSRetries    1
CheckTimeout  5
MaxPTRNames   10
ExemptHosts   none
CacheSize     100000
AuthservID    mx.bench.example
Syslog        no
EOF

# the servers' pids in DNS_PIDS: dns_stop (at exit) stops them; ns.bench.example is 127.0.0.1 (gen.awk)
nsd -d -c "$W/nsd.conf" >"$W/nsd.out" 2>&1 &
DNS_PIDS="$DNS_PIDS $!"
dns_ready "$DNS_NSD_PORT" ns.bench.example A 127.0.0.1 || die "NSD does not answer on 127.0.0.1@$DNS_NSD_PORT"
unbound -d -c "$W/unbound.conf" >"$W/unbound.out" 2>&1 &
UNBOUND_PID=$!
DNS_PIDS="$DNS_PIDS $!"
# ask for a name outside the workload, so that the cold pass starts with nothing useful cached
dns_ready "$DNS_UNBOUND_PORT" ns.bench.example A 127.0.0.1 ||
	die "unbound does not answer on 127.0.0.1@$DNS_UNBOUND_PORT"

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
: >"$W/dns.txt"
if part dns; then
	printf '%s\n' "real DNS: fcrdns-milter -t - -j, $N addresses (3/4 IPv4, 1/4 IPv6; 90% pass)," \
		"NSD + unbound on loopback ($NSNOTE); best of $PASSES passes" >"$W/dns.txt"
	printf '%-36s %7s %12s %12s %12s %13s\n' "pass" "ms" "addresses/s" "queries/addr" "unbound q/a" \
		"upstream q/a" >>"$W/dns.txt"
	echo "# real DNS: $N addresses, cold passes (unbound's cache flushed before each) ..."
	best cold "cold (resolver cache empty)" flush
	key dns_cold_addrs_per_s "$(awk -v n="$N" -v ms="$_best" 'BEGIN { printf "%.0f", n * 1000 / ms }')"
	echo "# real DNS: warm passes ..."
	best warm "warm (unbound warm, own cache cold)"
	key dns_warm_addrs_per_s "$(awk -v n="$N" -v ms="$_best" 'BEGIN { printf "%.0f", n * 1000 / ms }')"
	printf '%s\n' "queries/addr: questions fcrdns-milter sent (JSON \"queries\"); unbound q/a: queries unbound" \
		"received; upstream q/a: unbound cache misses, i.e. queries it sent on to NSD" >>"$W/dns.txt"
fi

# ---- 3. the daemon: milter sessions, Postfix, memory ----

if part sessions || part memory; then
	fastdns_up || die "fastdns does not answer on 127.0.0.1:$FASTDNS_PORT"
fi
part sessions && sessions_bench
part postfix && postfix_bench
part memory && memory_bench

echo
echo "==== summary ($(nproc) CPUs, load $(cut -d ' ' -f 1-3 /proc/loadavg)) ===="
cat "$CORE_OUT"
echo
cat "$W/dns.txt"
echo
[ -f "${CORE_JSON:-}" ] || CORE_JSON=$W/core.json
awk -v JSON="${FCR_BENCH_JSON:-}" -f "$HERE/report.awk" "$CORE_JSON" "$W/keys" "$W/bad"
[ -z "${FCR_BENCH_JSON:-}" ] || echo "(keys written to $FCR_BENCH_JSON)"
[ ! -s "$W/bad" ]
