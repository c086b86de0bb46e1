# Helpers of tests/postfix/run.sh (sourced, POSIX sh): failure reports, the private Postfix instance,
# the milter process, sending with swaks, and reading delivered messages from the Maildir.
# Needs W (scratch directory), PF (the Postfix instance, $W/pf), BIN (the milter) set by run.sh, and
# tests/lib/common.sh (cases, now_ms) and tests/lib/dns.sh (dns_reap) sourced first.

# show FILE [LINES]: the last LINES of FILE, indented, non-printable bytes made visible.
show() {
	[ -s "$1" ] || return 0
	echo "    -- tail of ${1##*/}"
	tail -n "${2:-15}" "$1" | cat -v | sed -e 's/^/    | /'
}

# show_head FILE: the first 25 lines of a delivered message, indented.
show_head() {
	echo "    -- ${1##*/}"
	head -n 25 "$1" | cat -v | sed -e 's/^/    | /'
}

# poll TENTHS COMMAND...: runs COMMAND every 0.1 s until it succeeds or TENTHS tries have failed.
poll() {
	_n=$1
	shift
	while [ "$_n" -gt 0 ]; do
		"$@" && return 0
		sleep 0.1
		_n=$((_n - 1))
	done
	return 1
}

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

# ---- the milter ----

MILTER_PID=""

# milter_start: runs $BIN in the foreground (log appended to $MLOG); 0 once its socket is there.
milter_start() {
	_before=$(grep -c 'listening on' "$MLOG" 2>/dev/null)
	# shellcheck disable=SC2086 # MILTER_OPTS holds several words on purpose
	"$BIN" -f -c "$MCONF" $MILTER_OPTS >>"$MLOG" 2>&1 &
	MILTER_PID=$!
	poll 100 milter_listening "${_before:-0}"
}

milter_listening() {
	kill -0 "$MILTER_PID" 2>/dev/null && [ -S "$SOCK" ] &&
		[ "$(grep -c 'listening on' "$MLOG")" -gt "$1" ]
}

# milter_stop: SIGTERM, then waits (KILL after 15 s); MILTER_RC is its exit status.
milter_stop() {
	MILTER_RC=""
	[ -n "$MILTER_PID" ] || return 0
	kill -TERM "$MILTER_PID" 2>/dev/null
	dns_reap "$MILTER_PID" 150
	# shellcheck disable=SC2034 # read by cases.sh
	MILTER_RC=$?
	MILTER_PID=""
}

# reloads: how many times the milter has logged a finished reload.
reloads() {
	grep -c 'configuration reloaded' "$MLOG"
}

# ---- sending ----

# message ID [HEADER-LINE]...: writes $W/msg/ID.eml, a message that carries "X-Test-Id: ID".
message() {
	_id=$1
	shift
	{
		printf 'From: <sender@sender.example>\nTo: <box@test.example>\n'
		printf 'Subject: fcrdns postfix test %s\n' "$_id"
		printf 'Date: %s\nMessage-Id: <%s@sender.example>\nX-Test-Id: %s\n' "$(date -R)" "$_id" "$_id"
		for _h in "$@"; do printf '%s\n' "$_h"; done
		printf '\nTest message %s.\n' "$_id"
	} >"$W/msg/$_id.eml"
}

# send ID FROM-ADDRESS: swaks sends $W/msg/ID.eml from that local address (IPv6 to [::1], IPv4 to
# 127.0.0.1); the transcript is $W/msg/ID.out, the exit status SWAKS_RC.
send() {
	case $2 in
	*:*) set -- "$1" "$2" -6 --server ::1 ;;
	*) set -- "$1" "$2" -4 --server 127.0.0.1 ;;
	esac
	timeout -k 2 30 swaks "$3" "$4" "$5" --port 2525 --local-interface "$2" --timeout 15 \
		--helo client.sender.example --from sender@sender.example --to box@test.example \
		--data "@$W/msg/$1.eml" >"$W/msg/$1.out" 2>&1
	# shellcheck disable=SC2034 # read by cases.sh
	SWAKS_RC=$?
}

# ---- delivered messages ----

# delivered ID: the Maildir file holding the message with X-Test-Id ID (nothing when none).
delivered() {
	grep -rlx "X-Test-Id: $1" "$PF/mail/box/new" "$PF/mail/box/cur" 2>/dev/null | head -n 1
}

# delivered_all ID: every Maildir file holding a message with X-Test-Id ID.
delivered_all() {
	grep -rlx "X-Test-Id: $1" "$PF/mail/box/new" "$PF/mail/box/cur" 2>/dev/null
}

delivered_count() {
	delivered_all "$1" | grep -c .
}

delivered_count_is() {
	[ "$(delivered_count "$1")" -eq "$2" ]
}

# wait_delivered ID: its file name once it is there (up to ~10 s); false when it never came.
wait_delivered() {
	poll 100 has_delivered "$1" && delivered "$1"
}

has_delivered() {
	[ -n "$(delivered "$1")" ]
}

# headers FILE: the header section, one unfolded header a line, without CR.
headers() {
	awk '{ sub(/\r$/, "") } /^$/ { exit } /^[ \t]/ { sub(/^[ \t]+/, " "); h = h $0; next }
		{ if (NR > 1) print h; h = $0 } END { if (h != "") print h }' "$1"
}

# hcount FILE NAME: how many NAME headers FILE has (names compared case-insensitively).
hcount() {
	headers "$1" | awk -v n="$2" 'BEGIN { n = tolower(n) ":" } tolower(substr($0, 1, length(n))) == n { c++ }
		END { print c + 0 }'
}

# hvalues FILE NAME: the values of the NAME headers, one a line, leading blanks dropped.
hvalues() {
	headers "$1" | awk -v n="$2" 'BEGIN { n = tolower(n) ":" }
		tolower(substr($0, 1, length(n))) == n { v = substr($0, length(n) + 1); sub(/^[ \t]+/, "", v); print v }'
}

# hnames FILE: the header names in order, lower-case.
hnames() {
	headers "$1" | awk -F : '{ print tolower($1) }'
}
