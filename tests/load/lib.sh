# Helpers of the load and soak suites (sourced, POSIX sh): the switchable DNS server (dnsctl), the
# milter under load, milterload runs and what is read from their output. Needs BIN, W and TOOLS (the
# directory holding milterload, dnsctl and smtpsend) set, and tests/lib/common.sh and tests/lib/dns.sh
# sourced first (now_ms, dns_reap, dns_gone).
#
#   load_bound                 sets CHECK_TIMEOUT and BOUND (seconds) from README.md, the one place the
#                              bound is stated: "every step within `CheckTimeout` (N s) plus S s".
#   dnsctl_start / dnsctl_mode MODE / dnsctl_stop   the DNS server on 127.0.0.1:$LOAD_DNS_PORT; dnsctl_mode
#                              switches it and sets MODE_AT (wall ms at which it took effect).
#   milter_up NAME [LINE]...   starts the milter with the base configuration plus LINEs (log $W/NAME.log);
#                              milter_down stops it (TERM, KILL after 15 s); MILTER_PID.
#   load_run NAME ARGS...      milterload ARGS -j -l $W/NAME.sessions, output $W/NAME.json; LOAD_RC.
#   jget FILE KEY              a figure of milterload's JSON output, rounded (0 when absent).
#   recovery_ms LOG T          ms from wall time T (the resolver answers again) until sessions pass
#                              again: the later of the first pass and the end of the last temperror
#                              of a session that started at or after T; "none" when nothing passed.
#   proc_sample PID            "rss_kb threads fds" of PID from /proc.

LOAD_DNS_PORT=5356
MILTER_PID=""
DNSCTL_PID=""

load_bound() {
	_lb=$(sed -n 's/.*within `CheckTimeout` (\([0-9.]*\) s) plus \([0-9.]*\) s.*/\1 \2/p' "$ROOT/README.md" | head -n 1)
	[ -n "$_lb" ] || return 1
	CHECK_TIMEOUT=${_lb% *}
	BOUND=$(awk -v a="$CHECK_TIMEOUT" -v b="${_lb#* }" 'BEGIN { print a + b }')
}

dnsctl_start() {
	echo drop >"$W/dns.mode"
	"$TOOLS/dnsctl" -p "$LOAD_DNS_PORT" -m "$W/dns.mode" -t 3600 >"$W/dnsctl.log" 2>&1 &
	DNSCTL_PID=$!
	_i=0
	while ! grep -q '^dnsctl: mode drop at' "$W/dnsctl.log" 2>/dev/null; do
		[ "$_i" -lt 50 ] || return 1
		sleep 0.1
		_i=$((_i + 1))
	done
}

# dnsctl_mode MODE...: writes the mode, SIGHUP, waits (up to 5 s) until dnsctl logs it.
dnsctl_mode() {
	_dm_n=$(grep -c '^dnsctl: mode' "$W/dnsctl.log")
	echo "$*" >"$W/dns.mode"
	kill -HUP "$DNSCTL_PID"
	_i=0
	while [ "$(grep -c '^dnsctl: mode' "$W/dnsctl.log")" -le "$_dm_n" ]; do
		[ "$_i" -lt 50 ] || return 1
		sleep 0.1
		_i=$((_i + 1))
	done
	MODE_AT=$(grep '^dnsctl: mode' "$W/dnsctl.log" | tail -n 1 | sed 's/.* at //')
}

dnsctl_stop() {
	[ -n "$DNSCTL_PID" ] || return 0
	kill -TERM "$DNSCTL_PID" 2>/dev/null
	dns_reap "$DNSCTL_PID" 50
	DNSCTL_PID=""
}

# The configuration every run starts from: this DNS server only, no exemptions (the clients are
# 10.x), stats every second.
milter_conf() {
	echo "Socket unix:$W/milter.sock"
	echo "Nameservers 127.0.0.1:$LOAD_DNS_PORT"
	echo "ExemptHosts none"
	echo "Syslog no"
	echo "StatsFile ${LOAD_STATS_FILE:-$W/stats.prom}"
	echo "StatsInterval 1"
	for _l in "$@"; do echo "$_l"; done
}

# milter_up NAME [LINE]...: 0 once the socket is there and the log says it listens (~10 s). A socket
# left behind (a milter killed) stays: the milter must replace it itself.
milter_up() {
	MILTER_LOG=$W/$1.log
	shift
	milter_conf "$@" >"$W/milter.conf"
	_listened=$(grep -c 'listening on' "$MILTER_LOG" 2>/dev/null)
	# the soft open-file limit of a login shell: the milter must cope with it (or raise it)
	(ulimit -S -n "${FCR_LOAD_NOFILE:-1024}" 2>/dev/null; exec "$BIN" -f -c "$W/milter.conf") >>"$MILTER_LOG" 2>&1 &
	MILTER_PID=$!
	_i=0
	until [ -S "$W/milter.sock" ] && [ "$(grep -c 'listening on' "$MILTER_LOG")" -gt "${_listened:-0}" ]; do
		kill -0 "$MILTER_PID" 2>/dev/null && [ "$_i" -lt 100 ] || return 1
		sleep 0.1
		_i=$((_i + 1))
	done
}

milter_down() {
	[ -n "$MILTER_PID" ] || return 0
	kill -TERM "$MILTER_PID" 2>/dev/null
	dns_reap "$MILTER_PID" 150
	MILTER_RC=$?
	MILTER_PID=""
}

# load_run NAME ARGS...: runs milterload in the background (LOAD_PID); load_wait waits for it.
load_run() {
	_name=$1
	shift
	"$TOOLS/milterload" -s "unix:$W/milter.sock" -j -l "$W/$_name.sessions" "$@" \
		>"$W/$_name.json" 2>"$W/$_name.err" &
	LOAD_PID=$!
}

# load_wait TENTHS: LOAD_RC (137 when it had to be killed after TENTHS/10 s).
load_wait() {
	dns_reap "$LOAD_PID" "$1"
	LOAD_RC=$?
}

jget() {
	sed -n "s/.*\"$2\": \([-0-9.e+]*\).*/\1/p" "$1" 2>/dev/null | awk '{ v = $1 } END { printf "%.0f\n", v }'
}

recovery_ms() {
	awk -v t="$2" '
		{ end = $1; start = $1 - $2 / 1000 }
		$5 == "pass" && end >= t && (first == "" || end < first) { first = end }
		($4 == "tempfailed" || $5 == "temperror") && start >= t && end > last { last = end }
		END {
			if (first == "") { print "none"; exit }
			r = first - t; if (last != "" && last - t > r) r = last - t
			printf "%d\n", r < 0 ? 0 : r
		}' "$1"
}

# temperrors_before LOG T / passes_after LOG T: sessions that ended with a temperror before T, with a
# pass after T (that the resolver really was dead, then really answered).
temperrors_before() {
	awk -v t="$2" '($4 == "tempfailed" || $5 == "temperror") && $1 < t { n++ } END { print n + 0 }' "$1"
}

passes_after() {
	awk -v t="$2" '$5 == "pass" && $1 >= t { n++ } END { print n + 0 }' "$1"
}

proc_sample() {
	awk '$1 == "VmRSS:" { r = $2 } $1 == "Threads:" { t = $2 } END { printf "%s %s ", r, t }' "/proc/$1/status"
	ls "/proc/$1/fd" 2>/dev/null | wc -l
}

# stats_value NAME: a counter or gauge of the StatsFile (empty when it is not there).
stats_value() {
	awk -v n="$1" '$1 == n { print $2; exit }' "$W/stats.prom" 2>/dev/null
}
