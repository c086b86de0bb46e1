#!/bin/sh
# End-to-end tests with a real Sendmail 8.17 (Debian's sendmail-bin, unpacked from its .deb: installing
# it would remove Postfix) with fcrdns-milter as its INPUT_MAIL_FILTER, on the line shipped in
# conf/sendmail/fcrdns-milter.mc; NSD + unbound (tests/lib/dns.sh) as the DNS; mail sent with swaks.
#   usage: sh tests/sendmail/run.sh PATH/TO/fcrdns-milter      (as root: in private namespaces)
# The .debs are fetched once (tests/sendmail/debs.sh) into FCR_SM_DEBS (default .cache/debs in the
# source tree). Expected headers come from the zones in tests/dns/ and SPEC.md, not from the program.
# Prints one line per case and, last, "N passed, M failed"; exits 1 when a case failed.
# FCR_SM_KEEP=1 keeps the scratch directory (instance, box/, logs, swaks transcripts); FCR_DELIVERED=DIR
# saves delivered messages there for the rule sets (tests/spamassassin, tests/rspamd).
set -u
PATH=$PATH:/usr/sbin:/sbin

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
# shellcheck source=../lib/common.sh
. "$HERE/../lib/common.sh"
common_bin_arg "$@"
# shellcheck source=../lib/dns.sh
. "$HERE/../lib/dns.sh"

if [ "$(id -u)" -ne 0 ]; then
	echo "# SKIP: the Sendmail tests need root (Sendmail, private namespaces)"
	summary
	exit 0
fi
# Outside the namespaces, where the Debian mirror can be reached: the packages, then the re-run.
if [ -z "${FCR_ITEST_NS:-}" ]; then
	common_require "apt-get install apt dpkg util-linux" apt-get dpkg-deb unshare
	FCR_SM_DEBS=${FCR_SM_DEBS:-$ROOT/.cache/debs}
	FCR_SM_DEBLIST=$(sh "$HERE/debs.sh" "$FCR_SM_DEBS" | tr '\n' ' ') ||
		fail_run "setup: the Sendmail packages could not be fetched into $FCR_SM_DEBS"
	export FCR_SM_DEBLIST
fi
dns_isolate "$HERE/run.sh" "$BIN"
[ "$FCR_ITEST_NS" = private ] ||
	fail_run "setup: no private network namespace (unshare -n); not touching the host's network"
dns_require nsd unbound dig
common_require "apt-get install swaks perl iproute2 util-linux" swaks perl ss timeout unshare

cleanup() {
	sm_stop
	if [ -n "$MILTER_PID" ]; then
		kill -CONT "$MILTER_PID" 2>/dev/null
		milter_stop
	fi
	dns_stop
}
common_scratch fcrdns-smtest "${FCR_SM_KEEP:-}" cleanup
# nobody (the milter, the box mailer) must get through
chmod 755 "$W"
SM_DIR=$W/sm
SOCK=$W/milter/fcrdns-milter.sock
MCONF=$W/milter/fcrdns-milter.conf
MLOG=$W/milter/milter.log
mkdir -p "$W/milter" "$W/msg" "$W/dns" "$SM_DIR"
MTA_NAME=sendmail
MTA_PORT=2525
MTA_BOXES=$SM_DIR/box
# shellcheck source=../lib/mta.sh
. "$ROOT/tests/lib/mta.sh"
# shellcheck source=lib.sh
. "$HERE/lib.sh"
MTA_LOG=$SM_LOG
MILTER_OPTS="-o Socket=unix:$SOCK -o UserID=nobody:nogroup -o Nameservers=127.0.0.1:$DNS_UNBOUND_PORT
	-o ExemptHosts=none -o AuthservID=mx.test.example -o Syslog=no"

setup_failed() {
	fail_run "setup: $1" setup_logs
}

setup_logs() {
	dns_server_logs 10
	for _f in "$MLOG" "$SM_DIR/m4.err" "$SM_DIR/sasl.err" "$SM_DIR/sendmail.out" "$SM_LOG"; do
		show "$_f" 20
	done
}

# ---- start ----

# shellcheck disable=SC2086 # a list of file names without blanks
sm_unpack $FCR_SM_DEBLIST || setup_failed "dpkg-deb -x of $FCR_SM_DEBLIST"
dns_start "$W/dns" nsd unbound || setup_failed "DNS servers not answering:$DNS_BAD"
ip -6 addr add 2001:db8::2/128 dev lo nodad || setup_failed "cannot add 2001:db8::2 to lo"
policy
milter_start || setup_failed "the milter did not come up"
sm_files || setup_failed "the Sendmail instance's files (sendmail.cf, SASL)"
sm_sink || setup_failed "no syslog sink on $SM_DIR/dev/log"
sm_start || setup_failed "Sendmail did not start listening on 127.0.0.1 and ::1 port $MTA_PORT"
mta_save_clear
echo "# up: NSD, unbound, fcrdns-milter (pid $MILTER_PID), Sendmail $(sm_version) (pid $SM_PID) on 127.0.0.1 and [::1] port $MTA_PORT ($W)"

# shellcheck source=cases.sh
. "$HERE/cases.sh"

conf_cases
headers_cases
forged_cases
auth_cases
refusal_cases
down_cases
hang_cases
final_cases

summary
[ "$FAILED" -eq 0 ]
