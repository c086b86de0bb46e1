#!/bin/sh
# End-to-end tests: a private Postfix on loopback with fcrdns-milter as its smtpd milter, NSD + unbound
# (tests/lib/dns.sh) as the DNS, mail sent with swaks and smtp-source from chosen client addresses.
#   usage: sh tests/postfix/run.sh PATH/TO/fcrdns-milter      (as root: in private namespaces)
# Expected headers are worked out from the zones in tests/dns/ and SPEC.md, not from the program.
# Prints one line per case and, last, "N passed, M failed"; exits 1 when a case failed.
# FCR_PF_KEEP=1 keeps the scratch directory (Postfix instance, Maildir, logs, swaks transcripts);
# FCR_PF_LOAD_MSGS=N sizes the SIGHUP-under-load run (default 1500); FCR_PF_BENCH_MSGS=N the two
# throughput runs (default 1000 messages each; 0 skips them). FCR_DELIVERED=DIR saves delivered
# messages there for the rule sets (tests/spamassassin, tests/rspamd).
set -u
PATH=$PATH:/usr/sbin:/sbin

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
# shellcheck source=../lib/common.sh
. "$HERE/../lib/common.sh"
common_bin_arg "$@"

# shellcheck source=../lib/dns.sh
. "$HERE/../lib/dns.sh"
# shellcheck source=lib.sh
. "$HERE/lib.sh"

# Postfix starts as root, and the client addresses and routes below must not touch the host's network.
if [ "$(id -u)" -ne 0 ]; then
	echo "# SKIP: the Postfix tests need root (Postfix, a private network namespace)"
	summary
	exit 0
fi
dns_isolate "$HERE/run.sh" "$BIN"
if [ "$FCR_ITEST_NS" != private ]; then
	fail_run "setup: no private network namespace (unshare -n); not touching the host's network"
fi
dns_require nsd unbound dig
common_require "apt-get install postfix swaks iproute2 util-linux" postfix swaks smtp-source timeout ss script

cleanup() {
	pf_stop
	[ -n "$MILTER_PID" ] && milter_stop
	dns_stop
}
common_scratch fcrdns-pftest "${FCR_PF_KEEP:-}" cleanup
# postfix (the milter socket) and uid 65534 (the Maildir) must get through
chmod 755 "$W"
PF=$W/pf
SOCK=$W/milter/fcrdns-milter.sock
MCONF=$W/milter/fcrdns-milter.conf
MLOG=$W/milter/milter.log
mkdir -p "$W/milter" "$W/msg" "$W/dns"
# UserID postfix: the milter drops root and hands its socket to the user Postfix runs as
MTA_NAME=postfix
MTA_PORT=2525
MTA_BOXES="$PF/mail/box/new $PF/mail/box/cur"
MTA_LOG=$PF/maillog
MILTER_OPTS="-o Socket=unix:$SOCK -o UserID=postfix -o Nameservers=127.0.0.1:$DNS_UNBOUND_PORT
	-o ExemptHosts=none -o AuthservID=mx.test.example -o Syslog=no"

# setup_failed WHAT: reports, shows the logs, and ends the run.
setup_failed() {
	fail_run "setup: $1" setup_logs
}

setup_logs() {
	dns_server_logs 10
	show "$MLOG" 20
	show "$PF/maillog" 20
}

# ---- start ----

dns_start "$W/dns" nsd unbound || setup_failed "DNS servers not answering:$DNS_BAD"
# client addresses: all of 127.0.0.0/8 is local on lo already; the IPv6 ones are added.
# smtp-source cannot choose its source address: connections to 127.0.0.200 are routed from 127.0.0.2.
if ! ip -6 addr add 2001:db8::1/128 dev lo nodad || ! ip -6 addr add 2001:db8::2/128 dev lo nodad ||
   ! ip route add local 127.0.0.200/32 dev lo table local src 127.0.0.2; then
	setup_failed "cannot add the client addresses and the route to lo"
fi
policy
milter_start || setup_failed "the milter did not come up"
pf_start "$SOCK" || setup_failed "Postfix did not start (postfix -c $PF/etc)"
mta_save_clear
echo "# up: NSD, unbound, fcrdns-milter (pid $MILTER_PID), Postfix on 127.0.0.1:2525 and [::1]:2525 ($W)"

# shellcheck source=cases.sh
. "$HERE/cases.sh"

headers_cases
forged_cases
spamassassin_cases
policy_cases
milter_down_cases
hup_load_cases
throughput
final_cases

summary
[ "$FAILED" -eq 0 ]
