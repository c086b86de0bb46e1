# Sourced by run.sh: daemons whose resolver never answers (a UDP socket bound on loopback that
# reads nothing). CheckTimeout 2 here, so the bound on any step is 3 s from the connection's start.
#   deadns_start    the sink and the daemons (with run.sh's other daemons)
#   deadns_cases    the cases
# A dead resolver must not hold up a step whose answer does not depend on the check, must hold
# up one that does for no longer than the bound, and must not stop the StatsFile when the
# descriptors run out.

DEAD_BOUND_MS=3000   # CheckTimeout + 1 s
DEAD_MARGIN_MS=1500  # scheduling on a busy machine; still below the MTA limits (10 s)

deadns_start() {
	perl -MIO::Socket::INET -e '$| = 1; my $s = IO::Socket::INET->new(LocalAddr => "127.0.0.1",
		LocalPort => 0, Proto => "udp") or die "sink: $!\n"; print $s->sockport, "\n"; sleep 600' \
		>"$W/sink.port" 2>"$W/sink.err" &
	SINK_PID=$!
	_i=0
	while [ ! -s "$W/sink.port" ] && [ "$_i" -lt 50 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	sed -e "s/^Nameservers .*/Nameservers 127.0.0.1:$(cat "$W/sink.port")/" \
		-e 's/^CheckTimeout .*/CheckTimeout 2/' -e 's/^DNSTimeout .*/DNSTimeout 1/' \
		"$W/base.conf" >"$W/dead.conf"
	start dead -c "$W/dead.conf"
	start deadrej -c "$W/dead.conf" -o OnTempError=reject
	# no descriptor to spare (hard limit 64 too): the StatsFile must still be written
	(ulimit -n 64 && exec "$BIN" -f -c "$W/dead.conf" -o "Socket=unix:$W/deadfd.sock" \
		-o "StatsFile=$W/deadfd.prom" -o StatsInterval=1) >"$W/deadfd.out" 2>"$W/deadfd.err" &
	PID_deadfd=$!
	# a soft limit below the hard one: raised at start
	(ulimit -S -n 64 && exec "$BIN" -f -v -c "$W/dead.conf" -o "Socket=unix:$W/fdraise.sock") \
		>"$W/fdraise.out" 2>"$W/fdraise.err" &
	PID_fdraise=$!
	DAEMONS="$DAEMONS deadfd fdraise"
}

# log_line NAME IP: waits (up to 5 s) for the daemon's log line about IP; prints it.
log_line() {
	_i=0
	while ! grep -q "ip=$2 " "$W/$1.err" && [ "$_i" -lt 50 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	grep -m 1 "ip=$2 " "$W/$1.err"
}

deadns_accept_only() {
	ready dead || return
	# replies.pl closes right after RCPT: no step may have waited for the check
	replies dead 127.0.0.2 - "accept-only: every step answered" "connect c|helo c|mail c|rcpt c"
	_l=$(log_line dead 127.0.0.2)
	_pr=""
	case $_l in
	*"ip=127.0.0.2 result=pending action=accept "*) ;;
	*) _pr="logged [$_l], expected 'ip=127.0.0.2 result=pending action=accept ...'" ;;
	esac
	check "[dead] accept-only: MAIL did not wait for the check, close logs it as pending" "$_pr"
	mt dead deadns.lua -D refusing=no -D "bound_s=$(((DEAD_BOUND_MS + DEAD_MARGIN_MS + 999) / 1000))"
}

deadns_refusing() {
	ready deadrej || return
	export REPLIES_MS=1
	replies deadrej 127.0.0.3 - "OnTempError reject: the verdict waits at MAIL" \
		"connect c|helo c|mail y 550 5.7.25 Client address 127.0.0.3 has no valid forward-confirmed reverse DNS"
	unset REPLIES_MS
	_ms=$(awk '$1 == "mail" { print $2 }' "$W/rp.err")
	_pr=""
	[ -n "$_ms" ] && [ "$_ms" -le $((DEAD_BOUND_MS + DEAD_MARGIN_MS)) ] ||
		_pr="MAIL answered after [$_ms] ms"
	check "[deadrej] the MAIL reply within CheckTimeout + 1 s of the connection's start (+ margin)" "$_pr"
	mt deadrej deadns.lua -D refusing=yes -D bound_s=0
}

# fd_count PID: descriptors the process holds.
fd_count() {
	ls "/proc/$1/fd" 2>/dev/null | wc -l
}

# hold SOCKET N SECONDS: N milter connections that send nothing, kept open that long.
hold() {
	perl -MIO::Socket::UNIX -e 'my @s; for (1 .. $ARGV[1]) { push @s, IO::Socket::UNIX->new(
		Peer => $ARGV[0]) or last } sleep $ARGV[2]' "$1" "$2" "$3"
}

deadns_descriptors() {
	ready deadfd || return
	# more sessions than descriptors: libmilter takes them until none is left
	hold "$W/deadfd.sock" 100 6 &
	_hp=$! _p=$PID_deadfd _i=0
	while [ "$(fd_count "$_p")" -lt 64 ] && [ "$_i" -lt 30 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	_full1=$(fd_count "$_p")
	_u1=$(awk '$1 == "fcrdns_uptime_seconds" { print $2 }' "$W/deadfd.prom")
	sleep 3
	_full2=$(fd_count "$_p")
	_u2=$(awk '$1 == "fcrdns_uptime_seconds" { print $2 }' "$W/deadfd.prom")
	wait "$_hp"
	_pr=""
	[ "$_full1" -ge 64 ] && [ "$_full2" -ge 64 ] || _pr="descriptors [$_full1], [$_full2]: the limit (64) was not reached"
	[ -n "$_u1" ] && [ -n "$_u2" ] && [ "$_u2" -ge $((_u1 + 2)) ] ||
		_pr="${_pr:+$_pr; }StatsFile uptime [$_u1] then [$_u2] 3 s later: not rewritten"
	! grep -q 'StatsFile' "$W/deadfd.err" || _pr="${_pr:+$_pr; }$(grep -m 1 'StatsFile' "$W/deadfd.err")"
	kill -0 "$_p" 2>/dev/null || _pr="${_pr:+$_pr; }the daemon died"
	check "[deadfd] all 64 descriptors in use: the StatsFile is still rewritten every second" "$_pr"
	# descriptors back: a session goes through again
	replies deadfd 127.0.0.4 - "after the descriptors came back: a session goes through" \
		"connect c|helo c|mail c|rcpt c"
}

deadns_fd_limit() {
	ready fdraise || return
	_lim=$(awk '/^Max open files/ { print $4, $5 }' "/proc/$PID_fdraise/limits")
	_pr=""
	case $_lim in
	"64 "*) _pr="soft limit still 64 [$_lim]" ;;
	*) [ "${_lim% *}" = "${_lim#* }" ] || _pr="soft and hard limit differ [$_lim]" ;;
	esac
	grep -q "open files: limit raised from 64 to ${_lim#* }" "$W/fdraise.err" ||
		_pr="${_pr:+$_pr; }no 'open files: limit raised from 64 to ${_lim#* }' in its log (-v)"
	check "[fdraise] a soft open-file limit of 64 is raised to the hard limit, logged with -v" "$_pr"
}

deadns_cases() {
	section "a resolver that never answers (CheckTimeout 2)"
	deadns_accept_only
	deadns_refusing
	deadns_descriptors
	deadns_fd_limit
}
