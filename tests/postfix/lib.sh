# Helpers of tests/postfix/run.sh (sourced, POSIX sh): the private Postfix instance. What the MTA
# suites share (the milter, swaks, delivered messages) is in tests/lib/mta.sh, sourced from here.
# Needs W (scratch directory), PF (the Postfix instance, $W/pf), ROOT (the source tree) set by the
# caller, and tests/lib/common.sh and tests/lib/dns.sh sourced first.

# shellcheck source=../lib/mta.sh
. "$ROOT/tests/lib/mta.sh"

# ---- Postfix ----

pf() {
	postfix -c "$PF/etc" "$@"
}

listening() {
	ss -Hltn "sport = :$1" 2>/dev/null | grep -q .
}

# pf_start SOCKET: a fresh instance in $PF with its milter at unix:SOCKET; 0 once it listens.
pf_start() {
	mkdir -p "$PF/etc" "$PF/spool" "$PF/data" "$PF/mail"
	for _f in main.cf master.cf; do
		sed -e "s|@PF@|$PF|g" -e "s|@SOCK@|$1|g" "$HERE/$_f.in" >"$PF/etc/$_f"
	done
	# data_directory belongs to postfix; the Maildir is created by virtual(8) as uid 65534
	chown postfix "$PF/data"
	chown 65534:65534 "$PF/mail"
	# without a terminal postfix says nothing about why check or start failed: script(1) gives it one
	if ! script -qec "postfix -c $PF/etc check" /dev/null >"$W/postfix-check.out" 2>&1 ||
	   ! script -qec "postfix -c $PF/etc start" /dev/null >"$W/postfix-start.out" 2>&1; then
		show "$W/postfix-check.out"
		show "$W/postfix-start.out"
		return 1
	fi
	PF_STARTED=1
	poll 100 listening 2525 && poll 50 listening 2526
}

pf_stop() {
	[ "${PF_STARTED:-0}" = 1 ] || return 0
	PF_STARTED=0
	pf stop >/dev/null 2>&1
}

# pf_queued: how many messages wait in the queue (none should, once delivery is done).
pf_queued() {
	find "$PF/spool/incoming" "$PF/spool/active" "$PF/spool/deferred" "$PF/spool/hold" \
		"$PF/spool/maildrop" -type f 2>/dev/null | wc -l
}
