# The daemon's benchmarks for tests/bench/run.sh (sourced, POSIX sh): processes and figures shared with
# postfix.sh, full milter sessions against fcrdns-milter and the null milter (sessions_bench), and
# resident size with a million cached addresses (memory_bench). Needs BIN, W, TOOLS (the directory
# with milterload, null_milter, fastdns, bindsrc.so), tests/lib/common.sh and tests/lib/dns.sh.
#
#   key NAME VALUE        a figure for the table and bench.json ($W/keys)
#   bad NAME WHY          NAME failed (errors or a wrong result): the table says so, the run exits 1
#   median                the median of the numbers on stdin
#   milter_up NAME [LINE]...  fcrdns-milter with $W/NAME.conf (socket $W/NAME.sock, resolver MILTER_NS
#                         or else fastdns, LINEs after the defaults), log $W/NAME.log; PID in UP_PID
#   null_up NAME [-F]     the null milter on $W/NAME.sock; PID in UP_PID
#   logged NAME WORD      log lines of $W/NAME.log holding WORD (after the lines have stopped coming)
#   load NAME SOCKNAME ARGS...  milterload -j against $W/SOCKNAME.sock into $W/NAME.json; LOAD_OK empty
#                         when every session ended accepted with three headers, else why not
#   jnum FILE KEY         a figure of milterload's JSON output
#   busy_ticks            the machine's CPU time so far; own_ticks PID...: those processes'
#   per_each T0 T1 N UNITS FMT  clock ticks T1 - T0 over N, in UNITS a second (1000: ms), as FMT
#   rss_kb PID            resident size from /proc
#   stop_all PID...       stops processes started here

FASTDNS_PORT=5365
SB_ADDRS=1000

key() {
	echo "$1 $2" >>"$W/keys"
}

bad() {
	echo "$1 $2" >>"$W/bad"
	echo "bench: FAILED: $1: $2" >&2
}

median() {
	sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) exit 1
		print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

fastdns_up() {
	"$TOOLS/fastdns" -p "$FASTDNS_PORT" >"$W/fastdns.log" 2>&1 &
	FASTDNS_PID=$!
	DNS_PIDS="$DNS_PIDS $!"
	dns_ready "$FASTDNS_PORT" h-10-0-0-1.fast.bench.example A 10.0.0.1
}

# up_wait NAME: 0 once $W/NAME.sock exists and the log says it listens (~10 s), UP_PID alive.
up_wait() {
	_i=0
	until [ -S "$W/$1.sock" ] && grep -q 'listening on' "$W/$1.log" 2>/dev/null; do
		kill -0 "$UP_PID" 2>/dev/null && [ "$_i" -lt 100 ] || return 1
		sleep 0.1
		_i=$((_i + 1))
	done
}

milter_up() {
	_n=$1
	shift
	{
		echo "# written by tests/bench: the clients are the workload, nothing is exempt"
		echo "Socket unix:$W/$_n.sock"
		echo "Nameservers ${MILTER_NS:-127.0.0.1:$FASTDNS_PORT}"
		echo "ExemptHosts none"
		echo "Syslog no"
		for _l in "$@"; do echo "$_l"; done
	} >"$W/$_n.conf"
	"$BIN" -f -c "$W/$_n.conf" >"$W/$_n.log" 2>&1 &
	UP_PID=$!
	DNS_PIDS="$DNS_PIDS $UP_PID"
	up_wait "$_n"
}

# null_up NAME [OPTION...]: the null milter on $W/NAME.sock with those options.
null_up() {
	_n=$1
	shift
	# the socket must be writable by Postfix's user too
	(umask 0; exec "$TOOLS/null_milter" -s "unix:$W/$_n.sock" "$@") >"$W/$_n.log" 2>&1 &
	UP_PID=$!
	DNS_PIDS="$DNS_PIDS $UP_PID"
	up_wait "$_n"
}

# stop_all PID...: SIGTERM to all at once (libmilter takes seconds to stop), then reaps each.
stop_all() {
	for _p in "$@"; do kill -TERM "$_p" 2>/dev/null; done
	for _p in "$@"; do dns_reap "$_p" 150; done
}

# logged NAME WORD: waits until the log has stopped growing (a connection is logged at close, after
# the client has gone), then counts.
logged() {
	_was=-1
	_now=$(wc -l <"$W/$1.log")
	while [ "$_now" != "$_was" ]; do
		sleep 0.3
		_was=$_now
		_now=$(wc -l <"$W/$1.log")
	done
	grep -c -- "$2" "$W/$1.log"
}

jnum() {
	sed -n "s/.*\"$2\": \([-0-9.e+]*\).*/\1/p" "$1" 2>/dev/null | awk '{ v = $1 } END { print v + 0 }'
}

load() {
	_name=$1
	_sock=$2
	shift 2
	"$TOOLS/milterload" -s "unix:$W/$_sock.sock" -j "$@" >"$W/$_name.json" 2>"$W/$_name.err"
	_rc=$?
	_s=$(jnum "$W/$_name.json" sessions)
	LOAD_OK=""
	if [ "$_rc" -ne 0 ] || [ "$_s" -eq 0 ]; then
		LOAD_OK="milterload exit $_rc, $_s sessions: $(head -c 200 "$W/$_name.err")"
	elif [ "$(jnum "$W/$_name.json" accepted)" -ne "$_s" ] ||
	     [ "$(jnum "$W/$_name.json" headers_added)" -ne $((3 * _s)) ]; then
		LOAD_OK="of $_s sessions $(jnum "$W/$_name.json" accepted) accepted, $(jnum "$W/$_name.json" headers_added) headers added (3 each expected)"
	fi
}

# busy_ticks: CPU time the machine has spent so far, all CPUs, in clock ticks (/proc/stat: user,
# nice, system, irq, softirq, steal; not idle or iowait).
busy_ticks() {
	awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat
}

# own_ticks PID...: the CPU time of those processes so far (all threads), in clock ticks.
own_ticks() {
	for _p in "$@"; do cat "/proc/$_p/stat" 2>/dev/null; done |
		awk '{ sub(/^.*\) /, ""); s += $12 + $13 } END { print s + 0 }'
}

# per_each T0 T1 N UNITS FMT: clock ticks T1 - T0 over N (a session, a message), in UNITS a second
# (1000: ms, 1000000: µs), printed with FMT.
per_each() {
	awk -v a="$1" -v b="$2" -v hz="$(getconf CLK_TCK)" -v n="$3" -v u="$4" -v f="$5" \
		'BEGIN { printf f "\n", (b - a) * u / hz / (n ? n : 1) }'
}

rss_kb() {
	awk '$1 == "VmRSS:" { print $2 }' "/proc/$1/status"
}

# ---- 1. milter sessions: fcrdns-milter against the null milter ----

SB_ROUNDS=${FCR_BENCH_ROUNDS:-8}
SB_SECONDS=${FCR_BENCH_SESSION_S:-5}
SB_COLD=${FCR_BENCH_COLD_N:-20000}

# sessions_round ROUND WHO: one timed milterload run against WHO (sess or null), figures appended.
sessions_round() {
	_c0=$(own_ticks "$3")
	load "$2-$1" "$2" -c 64 -d "$SB_SECONDS" -a 10.1.0.1 -A "$SB_ADDRS"
	per_each "$_c0" "$(own_ticks "$3")" "$(jnum "$W/$2-$1.json" sessions)" 1000000 %.0f >>"$W/$2.cpu"
	if [ -n "$LOAD_OK" ]; then
		case $2 in
		sess) bad milter_sessions_per_s "round $1: $LOAD_OK" ;;
		*) bad null_milter_sessions_per_s "round $1: $LOAD_OK" ;;
		esac
		bad milter_vs_null_ratio "round $1: a run failed"
		return 1
	fi
	jnum "$W/$2-$1.json" sessions_per_s >>"$W/$2.rates"
	jnum "$W/$2-$1.json" p99_us >>"$W/$2.p99"
}

sessions_bench() {
	echo "# milter sessions: 64 at once over a unix socket, $SB_ROUNDS x $SB_SECONDS s each, in turn ..."
	milter_up sess || die "fcrdns-milter did not come up (see $W/sess.log)"
	_sess=$UP_PID
	null_up null || die "the null milter did not come up"
	_null=$UP_PID
	# every address of the working set once: the cache is warm from here on
	load sess-warmup sess -c 64 -n "$SB_ADDRS" -a 10.1.0.1 -A "$SB_ADDRS"
	[ -z "$LOAD_OK" ] || bad milter_sessions_per_s "warm-up: $LOAD_OK"
	_r=1
	while [ "$_r" -le "$SB_ROUNDS" ]; do
		sessions_round "$_r" sess "$_sess" && sessions_round "$_r" null "$_null" &&
			awk -v a="$(tail -n 1 "$W/sess.rates")" -v b="$(tail -n 1 "$W/null.rates")" \
				'BEGIN { printf "%.3f\n", a / b }' >>"$W/sess.ratios"
		_r=$((_r + 1))
	done
	# the warm-up's checks were the only ones that asked DNS, and every one passed
	_total=$(($(logged sess 'ip=') + 0))
	if [ "$(logged sess 'cached=no')" -ne "$SB_ADDRS" ] || [ "$(logged sess 'result=pass')" -ne "$_total" ]; then
		bad milter_sessions_per_s "log: $(logged sess 'cached=no') uncached checks (expected $SB_ADDRS), $(logged sess 'result=pass') of $_total passed"
	fi
	sessions_cold "$_sess"
	stop_all "$_sess" "$_null"
	[ -s "$W/sess.ratios" ] || return 0
	key milter_sessions_per_s "$(median <"$W/sess.rates")"
	key null_milter_sessions_per_s "$(median <"$W/null.rates")"
	key milter_vs_null_ratio "$(median <"$W/sess.ratios")"
	key milter_p99_us "$(median <"$W/sess.p99")"
	key null_milter_p99_us "$(median <"$W/null.p99")"
	key milter_cpu_us_warm "$(median <"$W/sess.cpu")"
	key null_milter_cpu_us "$(median <"$W/null.cpu")"
}

# sessions_cold PID: what an uncached check adds, in CPU time: SB_COLD sessions, each from a new
# address (10.2.0.1 on) and a cache miss answered by fastdns; the milter's and fastdns's CPU time a
# session, against the milter's in the warm rounds. Without the contention of a full MTA on the same
# cores, so the lowest that a cold check costs here.
sessions_cold() {
	_miss0=$(logged sess 'cached=no')
	_c0=$(own_ticks "$1")
	_f0=$(own_ticks "$FASTDNS_PID")
	load sess-cold sess -c 64 -n "$SB_COLD" -a 10.2.0.1 -A "$SB_COLD"
	_c1=$(own_ticks "$1")
	_f1=$(own_ticks "$FASTDNS_PID")
	if [ -n "$LOAD_OK" ] || [ "$(($(logged sess 'cached=no') - _miss0))" -ne "$SB_COLD" ]; then
		bad milter_cpu_us_cold "${LOAD_OK:-$(($(logged sess 'cached=no') - _miss0)) uncached checks, $SB_COLD expected}"
		return 0
	fi
	key milter_cpu_us_cold "$(per_each "$_c0" "$_c1" "$SB_COLD" 1000000 %.0f)"
	key fastdns_cpu_us_cold "$(per_each "$_f0" "$_f1" "$SB_COLD" 1000000 %.0f)"
	key milter_cold_sessions_per_s "$(jnum "$W/sess-cold.json" sessions_per_s)"
}

# ---- 3. resident size with a million cached addresses ----

MEM_N=${FCR_BENCH_MEM_N:-1000000}
MEM_N2=${FCR_BENCH_MEM_N2:-0}
MEM_RELOADS=${FCR_BENCH_MEM_RELOADS:-10}

# mem_fill NAME FIRST COUNT KEY: COUNT sessions from COUNT new addresses counting up from FIRST; every
# one a cache miss that passed (the log says so), or KEY is marked failed.
mem_fill() {
	_miss0=$(logged mem 'cached=no')
	_t0=$(now_ms)
	load "$1" mem -c 64 -n "$3" -a "$2" -A "$3" -i 60
	_ms=$(($(now_ms) - _t0))
	_miss=$(($(logged mem 'cached=no') - _miss0))
	echo "#   $3 addresses from $2 in $((_ms / 1000)) s ($(awk -v n="$3" -v ms="$_ms" 'BEGIN { printf "%.0f", n * 1000 / ms }')/s)"
	if [ -n "$LOAD_OK" ] || [ "$_miss" -ne "$3" ]; then
		bad "$4" "$1: ${LOAD_OK:-$_miss uncached checks, $3 expected}"
		return 1
	fi
}

memory_bench() {
	# An eighth more than MEM_N: the cache is split into shards of equal capacity, and the addresses
	# do not spread over them exactly evenly. A second fill of more than the slack evicts.
	_size=$((MEM_N + MEM_N / 8))
	echo "# memory: RSS of fcrdns-milter (CacheSize $_size) empty, then after $MEM_N new addresses ..."
	milter_up mem "CacheSize $_size" "CacheMaxTTL 86400" || die "fcrdns-milter did not come up (see $W/mem.log)"
	_pid=$UP_PID
	# "empty" once libmilter's threads and the allocator's arenas are up: sessions from one address
	load mem-idle mem -c 64 -n 2000 -a 10.255.0.1 -A 1
	[ -z "$LOAD_OK" ] || bad cache_bytes_per_entry "idle run: $LOAD_OK"
	_rss0=$(rss_kb "$_pid")
	if ! mem_fill mem-fill 10.0.0.1 "$MEM_N" cache_bytes_per_entry; then
		stop_all "$_pid"
		return 0
	fi
	_rss1=$(rss_kb "$_pid")
	# the first addresses (the oldest entries) are still there: 10,000 sessions, no new check
	_miss0=$(logged mem 'cached=no')
	load mem-again mem -c 64 -n 10000 -a 10.0.0.1 -A 10000
	if [ -n "$LOAD_OK" ] || [ "$(logged mem 'cached=no')" -ne "$_miss0" ]; then
		bad cache_bytes_per_entry "the first 10,000 addresses were not all cached: ${LOAD_OK:-$(($(logged mem 'cached=no') - _miss0)) checks ran again}"
	fi
	key rss_entries "$MEM_N"
	key rss_mb_empty "$(awk -v a="$_rss0" 'BEGIN { printf "%.1f", a / 1024 }')"
	key cache_bytes_per_entry "$(awk -v a="$_rss0" -v b="$_rss1" -v n="$MEM_N" 'BEGIN { printf "%.0f", (b - a) * 1024 / n }')"
	[ "$MEM_N" -ne 1000000 ] || key rss_mb_1m "$(awk -v a="$_rss1" 'BEGIN { printf "%.1f", a / 1024 }')"
	mem_reload "$_pid"
	[ "$MEM_N2" -le $((MEM_N + MEM_N / 4)) ] || mem_flat "$_pid"
	stop_all "$_pid"
}

# reloaded_since BYTES: the "configuration reloaded" lines of the mem log after its first BYTES.
reloaded_since() {
	tail -c +$(($1 + 1)) "$W/mem.log" | grep -c 'configuration reloaded'
}

# mem_reload PID: MEM_RELOADS reloads (SIGHUP, each waited for) with the cache full, 1,000 sessions of
# cached clients after each (connections on the old configuration and the new one); then the first
# 10,000 addresses must all still be hits (the reload kept the cache), and the RSS may not have grown.
mem_reload() {
	_rssr0=$(rss_kb "$1")
	_miss0=$(logged mem 'cached=no')
	_i=1
	while [ "$_i" -le "$MEM_RELOADS" ]; do
		_off=$(wc -c <"$W/mem.log")
		kill -HUP "$1"
		_t=0
		until [ "$(reloaded_since "$_off")" -ge 1 ]; do
			[ "$_t" -lt 100 ] || { bad rss_reload_growth_pct "reload $_i: none logged within 10 s"; return 0; }
			sleep 0.1
			_t=$((_t + 1))
		done
		load mem-hup mem -c 64 -n 1000 -a 10.0.0.1 -A 1000
		[ -z "$LOAD_OK" ] || { bad rss_reload_growth_pct "after reload $_i: $LOAD_OK"; return 0; }
		_i=$((_i + 1))
	done
	load mem-hup-again mem -c 64 -n 10000 -a 10.0.0.1 -A 10000
	if [ -n "$LOAD_OK" ] || [ "$(logged mem 'cached=no')" -ne "$_miss0" ]; then
		bad rss_reload_growth_pct "after $MEM_RELOADS reloads the first 10,000 addresses were not all cached: ${LOAD_OK:-$(($(logged mem 'cached=no') - _miss0)) checks ran again}"
		return 0
	fi
	_rssr1=$(rss_kb "$1")
	echo "#   $MEM_RELOADS reloads with the cache full: RSS $(awk -v a="$_rssr0" -v b="$_rssr1" 'BEGIN { printf "%.1f -> %.1f MB", a / 1024, b / 1024 }')"
	key rss_mb_reloaded "$(awk -v a="$_rssr1" 'BEGIN { printf "%.1f", a / 1024 }')"
	key rss_reload_growth_pct "$(awk -v a="$_rssr0" -v b="$_rssr1" 'BEGIN { printf "%.2f", (b - a) * 100 / a }')"
}

# mem_flat PID: on to MEM_N2 addresses, all new. A quarter of MEM_N more first (10.64/10 on), which
# fills the cache past its slack (it now evicts): the RSS there is the base; then the rest (10.128/9 on),
# and the growth over that base. Both figures with the cache full, so only fragmentation can differ.
mem_flat() {
	mem_fill mem-fill2 10.64.0.1 $((MEM_N / 4)) rss_growth_pct || return 0
	_rssf=$(rss_kb "$1")
	mem_fill mem-fill3 10.128.0.1 $((MEM_N2 - MEM_N - MEM_N / 4)) rss_growth_pct || return 0
	_rss2=$(rss_kb "$1")
	key rss_entries_2 "$MEM_N2"
	key rss_mb_full "$(awk -v a="$_rssf" 'BEGIN { printf "%.1f", a / 1024 }')"
	[ "$MEM_N2" -ne 3000000 ] || key rss_mb_3m "$(awk -v a="$_rss2" 'BEGIN { printf "%.1f", a / 1024 }')"
	key rss_growth_pct "$(awk -v a="$_rssf" -v b="$_rss2" 'BEGIN { printf "%.1f", (b - a) * 100 / a }')"
}
