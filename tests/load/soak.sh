#!/bin/sh
# make soak (not in make check): the long runs of the milter under load, as a table on stdout and as
# JSON (FCR_SOAK_JSON, default soak.json in the scratch directory):
#   dead / slow / flap  1,000 concurrent sessions, the resolver never answering (then answering again:
#                       recovery), answering after 1.5 s, flapping every 5 s
#   SIGHUP              SIGHUP every 200 ms under load
#   steady              a steady rate for 10 minutes, RSS, threads and fds sampled every 10 s
#   postfix SIGKILL     a private Postfix (milter_default_action = tempfail) and a sender that records
#                       every message's reply; the milter SIGKILLed twice and restarted: no accepted
#                       message may be lost
#   usage: sh tests/load/soak.sh PATH/TO/fcrdns-milter     (as root: in private namespaces)
# Every session must end within the bound README.md states; the milter runs with the soft open-file
# limit of a login shell (1,024; FCR_LOAD_NOFILE). Durations (seconds): FCR_SOAK_ROW_S (60: each of
# dead, slow, flap), FCR_SOAK_ALIVE_S (10: answering after dead), FCR_SOAK_HUP_S (60),
# FCR_SOAK_STEADY_S (600), FCR_SOAK_PF_MSGS (20000 messages); FCR_SOAK_C (1000 sessions at once);
# FCR_SOAK_QUICK=1 shortens them all to a run of about 2 minutes. FCR_SOAK_KEEP=1 keeps the scratch
# directory; FCR_SOAK_RUNS picks runs (default: dead slow flap hup steady postfix). Tools (milterload, dnsctl, smtpsend) from the milter's directory or FCR_LOAD_TOOLS.
set -u
PATH=$PATH:/usr/sbin:/sbin

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
# shellcheck source=../lib/common.sh
. "$HERE/../lib/common.sh"
common_bin_arg "$@"
TOOLS=${FCR_LOAD_TOOLS:-$(dirname "$BIN")}
common_executable "$TOOLS/milterload" "$TOOLS/dnsctl" "$TOOLS/smtpsend"
DNS_ZONES=$ROOT/tests/dns
# shellcheck source=../lib/dns.sh
. "$HERE/../lib/dns.sh"
# shellcheck source=../postfix/lib.sh
. "$ROOT/tests/postfix/lib.sh"
# shellcheck source=lib.sh
. "$HERE/lib.sh"
# shellcheck source=soak_runs.sh
. "$HERE/soak_runs.sh"
DNS_PORTS=$LOAD_DNS_PORT
if [ "$(id -u)" -ne 0 ]; then
	echo "# SKIP: the soak runs need root (Postfix, a private network namespace)"
	exit 0
fi
common_require "apt-get install postfix util-linux iproute2" postfix script ss comm
dns_isolate "$HERE/soak.sh" "$BIN"
[ "$FCR_ITEST_NS" = private ] || fail_run "setup: no private network namespace (unshare -n)"

cleanup() {
	[ -n "${LOAD_PID:-}" ] && kill -TERM "$LOAD_PID" 2>/dev/null
	[ -n "${SAMPLER_PID:-}" ] && kill -TERM "$SAMPLER_PID" 2>/dev/null
	pf_stop
	milter_down
	dnsctl_stop
}
common_scratch fcrdns-soak "${FCR_SOAK_KEEP:-}" cleanup
chmod 755 "$W"

if [ "${FCR_SOAK_QUICK:-}" = 1 ]; then
	ROW_S=${FCR_SOAK_ROW_S:-12} ALIVE_S=${FCR_SOAK_ALIVE_S:-5} HUP_S=${FCR_SOAK_HUP_S:-10}
	STEADY_S=${FCR_SOAK_STEADY_S:-40} PF_MSGS=${FCR_SOAK_PF_MSGS:-1500}
else
	ROW_S=${FCR_SOAK_ROW_S:-60} ALIVE_S=${FCR_SOAK_ALIVE_S:-10} HUP_S=${FCR_SOAK_HUP_S:-60}
	STEADY_S=${FCR_SOAK_STEADY_S:-600} PF_MSGS=${FCR_SOAK_PF_MSGS:-20000}
fi
CONC=${FCR_SOAK_C:-1000}
JSON=${FCR_SOAK_JSON:-$W/soak.json}
case $JSON in /*) ;; *) JSON=$(pwd)/$JSON ;; esac
load_bound || fail_run "setup: README.md does not state the bound"
dnsctl_start || fail_run "setup: dnsctl did not start" cat "$W/dnsctl.log"
echo "# bound $BOUND s; $CONC sessions at once; rows of $ROW_S s; steady $STEADY_S s; $PF_MSGS messages via Postfix"

ROWS=""
for _run in ${FCR_SOAK_RUNS:-dead slow flap hup steady postfix}; do
	case $_run in
	dead | slow | flap | hup | steady | postfix) "row_$_run" ;;
	*) fail_run "FCR_SOAK_RUNS: no run '$_run' (dead slow flap hup steady postfix)" ;;
	esac
done

print_table
printf '[%s]\n' "${ROWS#,}" >"$JSON"
echo "# figures in $JSON"
summary
[ "$FAILED" -eq 0 ]
