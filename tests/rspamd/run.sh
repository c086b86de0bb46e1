#!/bin/sh
# Checks conf/rspamd/: `rspamadm configtest` of Debian's stock configuration plus our rules, then
# scans the messages of tests/spamassassin/messages/ with a real rspamd and compares the symbols.
#   sh tests/rspamd/run.sh [RULES_DIR] [--messages DIR]...
# RULES_DIR: the local.d directory, default conf/rspamd/local.d. --messages DIR scans the *.eml there
# too: messages that really went through the milter (the MTA suites save them with FCR_DELIVERED=DIR);
# a DIR without any is a failure.
# Both run inside `unshare -n -m` (root needed), with /etc/resolv.conf and rspamd's resolver
# pointed at 127.0.0.1, so that nothing they look up leaves the machine. The messages' "# Expect:" / "# Absent:" lines are shared
# with the SpamAssassin test; FCRDNS_AR_* (SpamAssassin only) and the scores are not checked here.
# Prints one line per case and, last, "N passed, M failed"; exits 1 when something failed.
set -u
PATH=$PATH:/usr/sbin:/sbin
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../lib/common.sh
. "$HERE/../lib/common.sh"
MSGS=$HERE/../spamassassin/messages

if [ "${FCR_RSPAMD_INNER:-}" != 1 ]; then
	RULES=$HERE/../../conf/rspamd/local.d
	MSGDIRS=""
	while [ $# -gt 0 ]; do
		case $1 in
		--messages) [ $# -ge 2 ] || common_usage "[RULES_DIR] [--messages DIR]..."; MSGDIRS="$MSGDIRS $2"; shift ;;
		-*) common_usage "[RULES_DIR] [--messages DIR]..." ;;
		*) RULES=$1 ;;
		esac
		shift
	done
	common_require "apt-get install -y rspamd" rspamd rspamadm rspamc unshare ss
	common_scratch fcrdns-rspamd ""
	export W RULES MSGDIRS FCR_RSPAMD_INNER=1
	unshare -n -m sh "$0"
	exit $?
fi

ip link set lo up
echo 'nameserver 127.0.0.1' >"$W/resolv.conf"
mount --bind "$W/resolv.conf" /etc/resolv.conf || { echo "run.sh: cannot bind-mount resolv.conf" >&2; exit 71; }

# A private copy of the stock configuration: fuzzy servers off (they are resolved at start-up),
# DNS to loopback only, workers on loopback ports, everything written under $W.
C=$W/etc
cp -a /etc/rspamd "$C" || exit 73
cp "$RULES"/*.conf "$C/local.d/" || exit 66
echo 'fuzzy_check { enabled = false; }' >"$C/modules.d/fuzzy_check.conf"
echo 'dns { nameserver = ["127.0.0.1:53"]; timeout = 0.2s; retransmits = 1; }' >"$C/local.d/options.inc"
echo 'bind_socket = "127.0.0.1:11333";' >"$C/local.d/worker-normal.inc"
echo 'bind_socket = "127.0.0.1:11334";' >"$C/local.d/worker-controller.inc"
echo 'bind_socket = "127.0.0.1:11332";' >"$C/local.d/worker-proxy.inc"
echo "type = \"file\"; filename = \"$W/rspamd.log\"; level = \"error\";" >"$C/local.d/logging.inc"
mkdir -p "$W/db" "$W/run"
VARS="--var=CONFDIR=$C --var=LOCAL_CONFDIR=$C --var=DBDIR=$W/db --var=RUNDIR=$W/run"

# shellcheck disable=SC2086 # VARS is a list of options
if rspamadm $VARS configtest -s -c "$C/rspamd.conf" >"$W/configtest.out" 2>&1; then
	pass_case "rspamadm configtest $RULES"
else
	fail_run "rspamadm configtest $RULES" sed -e 's/^/    | /' "$W/configtest.out"
fi

# rspamd_not_up: the ends of its logs, then it is stopped.
rspamd_not_up() {
	tail -n 20 "$W/rspamd.out" "$W/rspamd.log" 2>/dev/null | sed -e 's/^/    | /'
	kill $PID 2>/dev/null
}

# shellcheck disable=SC2086
rspamd -f -u root -g root --insecure -c "$C/rspamd.conf" $VARS >"$W/rspamd.out" 2>&1 &
PID=$!
i=0
while ! ss -ltn 2>/dev/null | grep -q '127.0.0.1:11333 '; do
	i=$((i + 1))
	if [ $i -gt 600 ] || ! kill -0 $PID 2>/dev/null; then
		fail_run "rspamd did not start listening within 120 s" rspamd_not_up
	fi
	sleep 0.2
done

# names WORD FILE: the rule names after "# WORD:", one a line, without scores and FCRDNS_AR_*.
names() {
	awk -v w="# $1:" '!/^# / { exit } index($0, w) == 1 { print substr($0, length(w) + 1) }' "$2" |
		tr -s ', \t' '\n' | sed -e 's/=.*//' -e '/^$/d' -e '/^FCRDNS_AR_/d'
}

# scan NAME FILE: one case, the symbols rspamd reports against the file's "# Expect:" / "# Absent:".
scan() {
	m=$2
	awk 'body || !/^# / { body = 1; print }' "$m" |
		rspamc -h 127.0.0.1:11333 -t 30 symbols >"$W/scan.out" 2>&1
	sed -n 's/^Symbol: \(FCRDNS_[A-Z_]*\).*/\1/p' "$W/scan.out" >"$W/hits"
	why=""
	grep -q '^Action:' "$W/scan.out" || why=" no answer from rspamd;"
	for r in $(names Expect "$m"); do grep -qx "$r" "$W/hits" || why="$why $r missing;"; done
	for r in $(names Absent "$m"); do grep -qx "$r" "$W/hits" && why="$why $r hit;"; done
	if [ -z "$why" ]; then
		pass_case "$1: $(paste -sd' ' "$W/hits")"
	else
		fail_case "$1:$why"
		sed -e 's/^/    | /' "$W/scan.out"
	fi
}

for m in "$MSGS"/*.eml; do
	scan "$(basename "$m")" "$m"
done
for d in $MSGDIRS; do
	ls "$d"/*.eml >/dev/null 2>&1 || fail_case "$d: no delivered messages (*.eml)"
	for m in "$d"/*.eml; do
		[ -f "$m" ] && scan "delivered $(basename "$m")" "$m"
	done
done
kill $PID 2>/dev/null
wait $PID 2>/dev/null
summary
[ "$FAILED" -eq 0 ]
