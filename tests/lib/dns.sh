# Test DNS servers on loopback for the shell test suites (sourced, POSIX sh): a private network
# namespace, NSD + unbound + ldns-testns started from the zone data in tests/dns/, stopped cleanly.
#
# Servers (fixed ports, 127.0.0.1 only; the zones' comments say what each client address holds):
#   nsd      authoritative for test.example, 127.in-addr.arpa, 2001:db8::/32, 12.0.0.127   :5353
#   unbound  recursive resolver, every test zone stubbed to NSD (needs nsd)                  :5354
#   testns   ldns-testns answering from tests/dns/faults.data (SERVFAIL, late, garbage, ...) :5355
#
# Needs tests/lib/common.sh sourced first (dns_require uses common_require).
#
# Functions (names and variables starting dns_ / DNS_ / _dns_ belong to this file):
#   dns_isolate SCRIPT [ARG]...  call first, before any other output. As root with `unshare`: re-runs
#                                `sh SCRIPT ARG...` in new network, PID and mount namespaces (exec: does
#                                not return) and, in the re-run, brings up lo and prints
#                                "# private network namespace (loopback only)". Otherwise prints a NOTE
#                                that the host's loopback is used. FCR_ITEST_NS (private/host) tells
#                                which; exits 71 when lo cannot be brought up. The NOTE names the
#                                ports DNS_PORTS (5353-5355: these servers').
#   dns_require TOOL...          exits 69 with an install hint unless every TOOL is in PATH.
#   dns_start DIR SERVER...      starts SERVERs (nsd, unbound, testns; "all" = the three) with configs,
#                                state and logs in the scratch directory DIR (which must exist) and waits
#                                until each answers (up to ~10 s each). Returns 0 when all are up;
#                                otherwise 1 with DNS_BAD naming those that are not (the caller reports
#                                and exits; dns_stop still stops what started).
#   dns_stop                     stops every server dns_start started (TERM, KILL after 5 s), reaps them.
#                                Idempotent: call it from the caller's EXIT trap.
#   dns_subst TEMPLATE [KEY=VALUE]...  prints TEMPLATE with @ZONES@ (the zone directory), @RUN@ (DIR of
#                                dns_start) and each @KEY@ replaced by VALUE.
#   dns_server_logs [LINES]      the last LINES (default 8) of each server log named in DNS_LOGS
#                                (default: all of them), indented, for a failure report.
#   dns_ready PORT QNAME QTYPE EXPECTED  polls (~10 s) until `dig` at 127.0.0.1:PORT gives EXPECTED.
#   dns_stop_pid PID             TERM, then KILL after 5 s if still there; reaps it (a child of ours).
#   dns_reap PID TENTHS          waits up to TENTHS/10 s for child PID to end (then KILLs it), reaps it;
#                                returns its exit status (137 when it had to be killed).
#   dns_gone PID TENTHS          true once PID (any process) has ended, false if it still runs after
#                                TENTHS/10 s.
# Variables: DNS_ZONES (the zone directory: tests/dns, found from $0 = tests/SUITE/script.sh; set it
# before sourcing from elsewhere), DNS_RUN (DIR), DNS_NSD_PORT, DNS_UNBOUND_PORT, DNS_PORTS,
# DNS_TESTNS_PORT, DNS_PIDS and DNS_TESTNS_FORKS (pids, for dns_stop), DNS_LOGS, DNS_BAD.
#
# Typical use (see tests/integration/run.sh and tests/milter/run.sh):
#   HERE=$(cd "$(dirname "$0")" && pwd); . "$HERE/../lib/common.sh"; . "$HERE/../lib/dns.sh"
#   common_bin_arg "$@"; dns_isolate "$HERE/run.sh" "$BIN"
#   common_scratch fcrdns-x "" dns_stop
#   dns_start "$W" nsd unbound || fail_run "servers: not answering within 10 s:$DNS_BAD" dns_server_logs 20
#   ... -o Nameservers=127.0.0.1:$DNS_UNBOUND_PORT ...

# tests/dns/ seen from a suite's script tests/SUITE/x.sh; set DNS_ZONES before sourcing to override
DNS_ZONES=${DNS_ZONES:-$(cd "$(dirname "$0")/../dns" 2>/dev/null && pwd)}
DNS_RUN=""
DNS_NSD_PORT=5353
DNS_UNBOUND_PORT=5354
DNS_TESTNS_PORT=5355
# the ports the NOTE of dns_isolate names (a suite with servers of its own sets its own)
DNS_PORTS=5353-5355
DNS_PIDS=""
DNS_TESTNS_FORKS=""
DNS_LOGS="nsd.log nsd.out unbound.log unbound.out testns.out"
DNS_BAD=""
# each sleep=3 answer of faults.data blocks one ldns-testns fork for 3 s
DNS_TESTNS_NFORK=8

dns_isolate() {
	# Private namespaces: only 'lo', so nothing leaves the machine and the fixed ports cannot
	# collide; a PID namespace too when possible, so that no server can outlive the run.
	if [ -z "${FCR_ITEST_NS:-}" ]; then
		if [ "$(id -u)" -eq 0 ] && unshare -n true 2>/dev/null; then
			export FCR_ITEST_NS=private
			if unshare -n -p -f --mount-proc --kill-child=TERM true 2>/dev/null; then
				exec unshare -n -p -f --mount-proc --kill-child=TERM sh "$@"
			fi
			exec unshare -n sh "$@"
		fi
		FCR_ITEST_NS=host
	fi
	if [ "$FCR_ITEST_NS" = private ]; then
		if ! ip link set lo up; then
			echo "${1##*/}: cannot bring up lo in the private network namespace" >&2
			exit 71
		fi
		echo "# private network namespace (loopback only)"
	else
		echo "# NOTE: not root or no 'unshare -n': using loopback in the host's network namespace;"
		echo "#       ports 127.0.0.1:$DNS_PORTS must be free"
	fi
}

dns_require() {
	common_require "apt-get install nsd unbound ldnsutils dnsutils" "$@"
}

# sed replacement text: escape the delimiter, '&' and '\'.
_dns_sed_escape() {
	printf '%s\n' "$1" | sed -e 's/[|&\\]/\\&/g'
}

dns_subst() {
	_dns_tpl=$1
	shift
	_dns_n=$#
	# the list of a for loop is fixed when it starts: append one sed expression per KEY=VALUE
	for _dns_kv in "$@"; do
		set -- "$@" -e "s|@${_dns_kv%%=*}@|$(_dns_sed_escape "${_dns_kv#*=}")|g"
	done
	shift "$_dns_n"
	sed -e "s|@ZONES@|$(_dns_sed_escape "$DNS_ZONES")|g" -e "s|@RUN@|$(_dns_sed_escape "$DNS_RUN")|g" "$@" "$_dns_tpl"
}

dns_server_logs() {
	for _dns_f in $DNS_LOGS; do
		_dns_f=$DNS_RUN/$_dns_f
		[ -s "$_dns_f" ] || continue
		echo "    -- tail of ${_dns_f##*/}"
		case $_dns_f in
		# ldns-testns -v dumps every packet: its one-line notes are enough
		*/testns.out) grep -E '^(query |no answer|sleeping|Could not|recv)' "$_dns_f" ;;
		*) cat "$_dns_f" ;;
		esac | tail -n "${1:-8}" | cat -v | sed -e 's/^/    | /'
	done
}

dns_ready() {
	_dns_i=0
	while [ "$_dns_i" -lt 100 ]; do
		if dig -p "$1" @127.0.0.1 "$2" "$3" +short +time=1 +tries=1 2>/dev/null | grep -qxF -- "$4"; then
			return 0
		fi
		sleep 0.1
		_dns_i=$((_dns_i + 1))
	done
	return 1
}

dns_stop_pid() {
	kill -TERM "$1" 2>/dev/null || return 0
	dns_reap "$1" 50
}

# dns_reap PID TENTHS: waits up to TENTHS/10 s for PID (a child) to end, KILLs it after that, reaps
# it and returns its exit status. Polls /proc rather than racing `wait` against a watchdog: dash's
# `wait PID` can block until some other child changes state (the watchdog, seconds later).
dns_reap() {
	dns_gone "$1" "$2" || kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

# dns_gone PID TENTHS: true once PID has ended (or is a zombie), false when it still runs after
# TENTHS/10 s. Any process, not only a child.
dns_gone() {
	_dns_i=0
	while [ -d "/proc/$1" ] &&
		[ "$(awk '$1 == "State:" { print $2 }' "/proc/$1/status" 2>/dev/null)" != Z ]; do
		[ "$_dns_i" -lt "$2" ] || return 1
		sleep 0.1
		_dns_i=$((_dns_i + 1))
	done
}

dns_stop() {
	for _dns_p in $DNS_TESTNS_FORKS; do kill -TERM "$_dns_p" 2>/dev/null; done
	for _dns_p in $DNS_PIDS; do kill -TERM "$_dns_p" 2>/dev/null; done
	for _dns_p in $DNS_PIDS; do dns_stop_pid "$_dns_p"; done
	for _dns_p in $DNS_TESTNS_FORKS; do kill -KILL "$_dns_p" 2>/dev/null; done
	DNS_PIDS=""
	DNS_TESTNS_FORKS=""
}

_dns_start_testns() {
	ldns-testns -v -p "$DNS_TESTNS_PORT" -f "$DNS_TESTNS_NFORK" "$DNS_ZONES/faults.data" \
		>"$DNS_RUN/testns.out" 2>&1 &
	DNS_PIDS="$DNS_PIDS $!"
}

# the forks print "forked pid: N" as they start: collect every one of them to stop them later
_dns_testns_forks() {
	_dns_i=0
	while [ "$(grep -c '^forked pid: ' "$DNS_RUN/testns.out")" -lt "$DNS_TESTNS_NFORK" ] && [ "$_dns_i" -lt 50 ]; do
		sleep 0.1
		_dns_i=$((_dns_i + 1))
	done
	DNS_TESTNS_FORKS=$(sed -n 's/^forked pid: *\([0-9][0-9]*\).*/\1/p' "$DNS_RUN/testns.out")
	[ "$(echo "$DNS_TESTNS_FORKS" | grep -c .)" -eq "$DNS_TESTNS_NFORK" ]
}

dns_start() {
	DNS_RUN=$1
	shift
	[ "$*" = all ] && set -- nsd unbound testns
	DNS_BAD=""
	if [ -z "$DNS_ZONES" ] || [ ! -f "$DNS_ZONES/nsd.conf.in" ]; then
		DNS_BAD=" (no zone data in '$DNS_ZONES': set DNS_ZONES to tests/dns before sourcing)"
		return 1
	fi
	for _dns_s in "$@"; do
		case $_dns_s in
		nsd)
			dns_subst "$DNS_ZONES/nsd.conf.in" >"$DNS_RUN/nsd.conf"
			nsd -d -c "$DNS_RUN/nsd.conf" >"$DNS_RUN/nsd.out" 2>&1 &
			DNS_PIDS="$DNS_PIDS $!" ;;
		unbound)
			dns_subst "$DNS_ZONES/unbound.conf.in" >"$DNS_RUN/unbound.conf"
			unbound -d -c "$DNS_RUN/unbound.conf" >"$DNS_RUN/unbound.out" 2>&1 &
			DNS_PIDS="$DNS_PIDS $!" ;;
		testns) _dns_start_testns ;;
		*) DNS_BAD="$DNS_BAD unknown-server-$_dns_s" ;;
		esac
	done
	for _dns_s in "$@"; do
		case $_dns_s in
		nsd) dns_ready "$DNS_NSD_PORT" good.test.example A 127.0.0.2 || DNS_BAD="$DNS_BAD NSD(:$DNS_NSD_PORT)" ;;
		unbound) dns_ready "$DNS_UNBOUND_PORT" 2.0.0.127.in-addr.arpa PTR good.test.example. ||
			DNS_BAD="$DNS_BAD unbound(:$DNS_UNBOUND_PORT)" ;;
		testns)
			dns_ready "$DNS_TESTNS_PORT" ready.test.example TXT '"ok"' || DNS_BAD="$DNS_BAD ldns-testns(:$DNS_TESTNS_PORT)"
			_dns_testns_forks || DNS_BAD="$DNS_BAD ldns-testns-forks" ;;
		esac
	done
	[ -z "$DNS_BAD" ]
}
