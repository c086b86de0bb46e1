# Helpers of tests/sendmail/run.sh (sourced, POSIX sh): the private Sendmail instance, unpacked from
# Debian's .debs into $SMR, its syslog sink and its log. Needs W, SM_DIR ($W/sm: the instance), SOCK,
# ROOT set, and tests/lib/common.sh, tests/lib/dns.sh and tests/lib/mta.sh sourced first.
# What the unpacked Sendmail needs, each handled here or in sendmail.mc.in:
#   - libwrap.so.0 (libwrap0, which apt would have pulled in) from the unpacked tree through
#     LD_LIBRARY_PATH, which the loader ignores for a setgid binary: the private copy is made 0755;
#   - a fully qualified hostname, or it sleeps 60 s at start: its own UTS namespace;
#   - syslog, its only log: a sink on a private /dev/log, mounted for sendmail alone;
#   - SMTP AUTH: it clears its environment, so Cyrus SASL reads Sendmail.conf from its fixed
#     directories: one of them is bind-mounted over for sendmail alone.

SMR=$W/root
SM_BIN=$SMR/usr/libexec/sendmail/sendmail
SM_LOG=$W/sendmail.log
SM_PID=""
SINK_PID=""
SM_MA=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo "$(uname -m)-linux-gnu")
SM_CONF=$ROOT/conf/sendmail/fcrdns-milter.mc

# sm_unpack DEB...: the packages unpacked into $SMR.
sm_unpack() {
	for _d in "$@"; do
		dpkg-deb -x "$_d" "$SMR" || return 1
	done
	# setgid smmsp in the package: as root that puts the loader in secure mode (no LD_LIBRARY_PATH)
	chmod 0755 "$SM_BIN"
}

# sm_filter_line: the INPUT_MAIL_FILTER line of conf/sendmail/fcrdns-milter.mc (the one that is not
# commented out) with this run's socket in S=; nothing when the file has not exactly one.
sm_filter_line() {
	_l=$(grep '^INPUT_MAIL_FILTER(' "$SM_CONF")
	[ "$(printf '%s\n' "$_l" | grep -c .)" -eq 1 ] || return 1
	printf '%s\n' "$_l" | sed -e "s|S=[a-z]*:[^,']*|S=local:$SOCK|"
}

# sm_files: the instance's files in $SM_DIR, sendmail.cf built from sendmail.mc.in.
sm_files() {
	mkdir -p "$SM_DIR/mqueue" "$SM_DIR/box" "$SM_DIR/sasl2" "$SM_DIR/dev" || return 1
	chmod 700 "$SM_DIR/mqueue"
	chown 65534:65534 "$SM_DIR/box"
	cp "$SMR/etc/mail/helpfile" "$SM_DIR/helpfile" || return 1
	printf 'hosts\tfiles\naliases\tfiles\n' >"$SM_DIR/service.switch"
	printf '127.0.0.1\tmx.test.example localhost\n' >"$SM_DIR/hosts"
	: >"$SM_DIR/aliases"
	# statistics are kept only in an existing file
	: >"$SM_DIR/sendmail.st"
	cat >"$SM_DIR/deliver" <<EOF
#!/bin/sh
# the box mailer: one file per message (run by sendmail as 65534:65534)
umask 022
f=$SM_DIR/box/\$(/bin/date +%s%N).\$\$
/bin/cat >"\$f.tmp" && /bin/mv "\$f.tmp" "\$f.eml"
EOF
	chmod 755 "$SM_DIR/deliver"
	sm_sasl || return 1
	_filter=$(sm_filter_line) || { echo "no single INPUT_MAIL_FILTER line in $SM_CONF" >"$SM_DIR/m4.err"; return 1; }
	dns_subst "$HERE/sendmail.mc.in" SM="$SM_DIR" FILTER="$_filter" >"$SM_DIR/sendmail.mc"
	_m4=$(command -v m4 || echo "$SMR/usr/bin/m4")
	"$_m4" "$SMR/usr/share/sendmail/cf/m4/cf.m4" "$SM_DIR/sendmail.mc" >"$SM_DIR/sendmail.cf" 2>"$SM_DIR/m4.err" &&
		! [ -s "$SM_DIR/m4.err" ]
}

# sm_sasl: Sendmail.conf, a sasldb with the user tester (password tester-secret), and the PLAIN and
# sasldb plugins (libsasl2 loads *.so files only) in $SM_DIR/sasl2; SASL_TARGET is the directory
# that it is mounted over for sendmail.
sm_sasl() {
	SASL_TARGET=""
	for _d in /etc/sasl2 /etc/sasl "/usr/lib/$SM_MA/sasl2" /usr/lib/sasl2; do
		[ -d "$_d" ] && { SASL_TARGET=$_d; break; }
	done
	[ -n "$SASL_TARGET" ] || { echo "no SASL directory to mount over" >"$SM_DIR/sasl.err"; return 1; }
	_pl=/usr/lib/$SM_MA/sasl2
	[ -e "$_pl/libplain.so" ] || _pl=$SMR/usr/lib/$SM_MA/sasl2
	for _p in plain sasldb; do
		cp -L "$_pl/lib$_p.so" "$SM_DIR/sasl2/lib$_p.so" 2>"$SM_DIR/sasl.err" || return 1
	done
	printf 'pwcheck_method: auxprop\nauxprop_plugin: sasldb\nmech_list: PLAIN\nsasldb_path: %s\n' \
		"$SM_DIR/sasl2/sasldb2" >"$SM_DIR/sasl2/Sendmail.conf"
	echo tester-secret | env SASL_PATH="$SM_DIR/sasl2" LD_LIBRARY_PATH="$SMR/usr/lib/$SM_MA" \
		"$SMR/usr/sbin/saslpasswd2" -p -c -f "$SM_DIR/sasl2/sasldb2" -u mx.test.example tester \
		2>"$SM_DIR/sasl.err" || return 1
	chmod 600 "$SM_DIR/sasl2/sasldb2"
}

# sm_sink: a syslog sink on $SM_DIR/dev/log writing one line per message to $SM_LOG.
sm_sink() {
	for _n in null zero full random urandom tty; do : >"$SM_DIR/dev/$_n"; done
	ln -s /proc/self/fd "$SM_DIR/dev/fd"
	perl -MSocket -e '
		$p = shift; socket(S, PF_UNIX, SOCK_DGRAM, 0) or die "socket: $!"; unlink $p;
		bind(S, pack_sockaddr_un($p)) or die "bind $p: $!"; chmod 0666, $p; $| = 1;
		while (defined recv(S, $m, 65536, 0)) { $m =~ s/^<\d+>//; $m =~ s/\n+$//; print "$m\n" }' \
		"$SM_DIR/dev/log" >"$SM_LOG" 2>&1 &
	SINK_PID=$!
	poll 50 test -S "$SM_DIR/dev/log"
}

# sm_start: sendmail -bD (a daemon in the foreground) with a clean environment, in mount and UTS
# namespaces of its own (its /dev with the sink, its SASL directory, hostname mx.test.example);
# 0 once it listens on 127.0.0.1 and ::1.
sm_start() {
	# shellcheck disable=SC2016 # expanded by the inner shell
	env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LD_LIBRARY_PATH="$SMR/usr/lib/$SM_MA" \
		unshare -m -u sh -c '
			d=$1 s=$2 t=$3; shift 3
			hostname mx.test.example || exit 71
			for n in null zero full random urandom tty; do mount --bind "/dev/$n" "$d/$n" || exit 71; done
			mount --rbind "$d" /dev || exit 71
			mount --bind "$s" "$t" || exit 71
			exec "$@"' sh "$SM_DIR/dev" "$SM_DIR/sasl2" "$SASL_TARGET" \
		"$SM_BIN" -bD -C "$SM_DIR/sendmail.cf" >"$SM_DIR/sendmail.out" 2>&1 &
	SM_PID=$!
	poll 100 sm_up
}

sm_up() {
	kill -0 "$SM_PID" 2>/dev/null && ss -Hltn "sport = :$MTA_PORT" 2>/dev/null | grep -q '127\.0\.0\.1' &&
		ss -Hltn "sport = :$MTA_PORT" 2>/dev/null | grep -q '\[::1\]'
}

sm_stop() {
	[ -n "$SM_PID" ] && { kill -TERM "$SM_PID" 2>/dev/null; dns_reap "$SM_PID" 100; }
	[ -n "$SINK_PID" ] && { kill -TERM "$SINK_PID" 2>/dev/null; dns_reap "$SINK_PID" 50; }
	SM_PID="" SINK_PID=""
}

# sm_version: from its log (sendmail -bt would sleep 60 s outside its UTS namespace, host name unqualified).
sm_version() {
	sed -n 's/.*starting daemon (\([^)]*\)).*/\1/p' "$SM_LOG" | head -n 1
}

# sm_cf_option NAME: the value of "O NAME=..." in sendmail.cf.
sm_cf_option() {
	sed -n "s/^O $1=//p" "$SM_DIR/sendmail.cf"
}

# sm_queued: how many files wait in the queue (none should, once delivery is done).
sm_queued() {
	find "$SM_DIR/mqueue" -type f 2>/dev/null | wc -l
}

sm_queue_empty() {
	[ "$(sm_queued)" -eq 0 ]
}

# sm_qid ID: the queue id of sendmail's "250 2.0.0 QID Message accepted for delivery" to message ID.
sm_qid() {
	sed -n 's/^<- *250 2\.0\.0 \([A-Za-z0-9]*\) Message accepted for delivery.*/\1/p' "$W/msg/$1.out" | head -n 1
}

# sm_log_lines / sm_log_since N: the length of sendmail's log, and what it logged after line N.
sm_log_lines() {
	wc -l <"$SM_LOG"
}

sm_log_since() {
	tail -n "+$(($1 + 1))" "$SM_LOG"
}

# milter_line QID: the milter's log line for the connection whose message got queue id QID.
milter_line() {
	grep -E " ip=[^ ]+ .* qid=$1( |\$)" "$MLOG" | tail -n 1
}

has_milter_line() {
	[ -n "$(milter_line "$1")" ]
}
