#!/bin/sh
# Checks conf/spamassassin/: lints the rules with the stock rule set, then runs SpamAssassin (local
# tests only, -L: no network) on messages carrying fcrdns-milter's headers and compares the rules hit.
#   sh tests/spamassassin/run.sh [RULES_DIR] [--messages DIR]... lint + the messages in messages/ and
#                                                                in each DIR (*.eml)
#   sh tests/spamassassin/run.sh [RULES_DIR] --lint              lint only
#   sh tests/spamassassin/run.sh [RULES_DIR] --message FILE [--expect RULE[=SCORE],...]
#        [--absent RULE,...] [--authserv ID]                     one message, e.g. one really delivered
# RULES_DIR defaults to conf/spamassassin. --messages DIR adds messages that really went through the
# milter (the MTA suites save them there with FCR_DELIVERED=DIR); a DIR without any is a failure.
# A message file may start with comment lines "# Expect: RULE[=SCORE],..." and
# "# Absent: RULE,..." (stripped before scanning); --expect/--absent add to them. A SCORE is compared as a number. --authserv names the authserv-id whose
# Authentication-Results are trusted (default mx.test.example, the one of the messages here).
# Prints one line per case and, last, "N passed, M failed"; exits 1 when something failed.
#
# Other suites, once they have sourced tests/lib/common.sh, can source this file with FCR_SA_LIB=1
# set and call:
#   fcr_sa_setup RULES_DIR [AUTHSERV]    (once; needs W, a scratch directory)
#   fcr_sa_check NAME FILE EXPECT ABSENT (one case: pass_case / fail_case)
# The harness's own settings (in $W/sa-site/zz_fcrdns_test.cf) give the Authentication-Results rules,
# which conf/spamassassin disables by default, the scores of the X-FCrDNS rules so that they show.
set -u

# fcr_sa_setup RULES_DIR [AUTHSERV]: a site configuration directory in $W/sa-site with Debian's
# plugin list, the AuthRes plugin, the rules under test and the harness's settings.
fcr_sa_setup() {
	FCR_SA_RULES=$1
	FCR_SA_SITE=$W/sa-site
	rm -rf "$FCR_SA_SITE"
	mkdir -p "$FCR_SA_SITE" || return 1
	cp /etc/spamassassin/*.pre "$FCR_SA_SITE/" || return 1
	echo 'loadplugin Mail::SpamAssassin::Plugin::AuthRes' >"$FCR_SA_SITE/zz_fcrdns_test.pre"
	cp "$FCR_SA_RULES"/*.cf "$FCR_SA_SITE/" || return 1
	cat >"$FCR_SA_SITE/zz_fcrdns_test.cf" <<EOF
# Written by tests/spamassassin/run.sh: trust our authserv-id only, wherever its header sits.
authres_trusted_authserv ${2:-mx.test.example}
authres_networks all
score FCRDNS_AR_FAIL 3.0
score FCRDNS_AR_PERMERROR 2.0
score FCRDNS_AR_TEMPERROR 0.001
score FCRDNS_AR_PASS -0.001
EOF
	: >"$W/sa-prefs"
}

# fcr_sa_lint: the rules with the stock rule set; any output is a warning and fails.
fcr_sa_lint() {
	if spamassassin --lint --siteconfigpath="$FCR_SA_SITE" --prefs-file="$W/sa-prefs" \
		>"$W/lint.out" 2>&1 && ! [ -s "$W/lint.out" ]; then
		pass_case "lint $FCR_SA_RULES"
	else
		fail_case "lint $FCR_SA_RULES"
		sed -e 's/^/    | /' "$W/lint.out"
	fi
}

# fcr_sa_batch FILE...: scans every FILE in one SpamAssassin process (the rules are compiled once:
# a spamassassin run per message costs seconds), writing "FILE<TAB>RULE=SCORE,..." lines to
# $W/batch.hits for fcr_sa_hits. Same settings as the spamassassin command below (-L: local only).
fcr_sa_batch() {
	perl -MMail::SpamAssassin -e '
		my ($site, $prefs) = (shift, shift);
		my $sa = Mail::SpamAssassin->new({ site_rules_filename => $site, userprefs_filename => $prefs,
			local_tests_only => 1, dont_copy_prefs => 1 });
		$sa->init(1);
		for my $f (@ARGV) {
			open(my $fh, "<", $f) or die "$f: $!";
			my ($body, $text) = (0, "");
			while (<$fh>) { $body = 1 unless /^# /; $text .= $_ if $body; }
			close $fh;
			my $mail = $sa->parse($text);
			my $st = $sa->check($mail);
			print "$f\t", $st->get_tag("TESTSSCORES", ","), "\n";
			$st->finish; $mail->finish;
		}' "$FCR_SA_SITE" "$W/sa-prefs" "$@" >"$W/batch.hits" 2>"$W/batch.err"
}

# fcr_sa_hits FILE: prints "RULE=SCORE" one a line for every rule the message hits (from the batch
# when fcr_sa_batch scanned FILE, otherwise with a spamassassin run of its own).
fcr_sa_hits() {
	if [ -s "$W/batch.hits" ] && awk -F '\t' -v f="$1" '$1 == f { n++ } END { exit !n }' "$W/batch.hits"; then
		awk -F '\t' -v f="$1" '$1 == f { print $2; exit }' "$W/batch.hits" | tr ',' '\n' | grep .
		return 0
	fi
	awk 'body || !/^# / { body = 1; print }' "$1" >"$W/msg.eml"
	spamassassin -t -L --siteconfigpath="$FCR_SA_SITE" --prefs-file="$W/sa-prefs" \
		--cf='clear_report_template' --cf='report FCRDNS-TEST-HITS _TESTSSCORES(,)_' \
		<"$W/msg.eml" 2>"$W/sa.err" | sed -n 's/^FCRDNS-TEST-HITS //p' | tail -n 1 | tr ',' '\n'
}

# fcr_sa_header FILE WORD: the comma list after "# WORD:" in the file's leading comment lines.
fcr_sa_header() {
	awk -v w="# $2:" '!/^# / { exit } index($0, w) == 1 { print substr($0, length(w) + 1) }' "$1" |
		tr -d ' \t' | paste -sd, -
}

# fcr_sa_check NAME FILE EXPECT ABSENT: EXPECT is RULE[=SCORE],..., ABSENT is RULE,...
fcr_sa_check() {
	_name=$1 _file=$2 _why=""
	fcr_sa_hits "$_file" >"$W/hits"
	if ! [ -s "$W/hits" ]; then
		_why=" (no report from spamassassin)"
		[ -s "$W/sa.err" ] && _why="$_why: $(head -n 3 "$W/sa.err" | tr '\n' ' ')"
	fi
	for _e in $(echo "$3" | tr ',' ' '); do
		_rule=${_e%%=*}
		_got=$(sed -n "s/^$_rule=//p" "$W/hits")
		if [ -z "$_got" ]; then
			_why="$_why $_rule missing;"
		elif [ "$_rule" != "$_e" ] && ! awk -v a="$_got" -v b="${_e#*=}" 'BEGIN { exit !(a + 0 == b + 0) }'; then
			_why="$_why $_rule scored $_got, expected ${_e#*=};"
		fi
	done
	for _rule in $(echo "$4" | tr ',' ' '); do
		grep -q "^$_rule=" "$W/hits" && _why="$_why $_rule hit;"
	done
	if [ -z "$_why" ]; then
		pass_case "$_name: $(paste -sd' ' "$W/hits" | tr -s ' ')"
	else
		fail_case "$_name:$_why"
		sed -e 's/^/    | hit: /' "$W/hits"
	fi
}

[ "${FCR_SA_LIB:-}" = 1 ] && return 0

# ---- main ----
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../lib/common.sh
. "$HERE/../lib/common.sh"
RULES=$HERE/../../conf/spamassassin
MODE=all MSG="" EXPECT="" ABSENT="" AUTHSERV=mx.test.example MSGDIRS=""
usage() {
	sed -n '4,9s/^# \{0,1\}//p' "$0" >&2
	exit 64
}
while [ $# -gt 0 ]; do
	case $1 in
	--lint) MODE=lint ;;
	--message) [ $# -ge 2 ] || usage; MODE=message MSG=$2; shift ;;
	--expect) [ $# -ge 2 ] || usage; EXPECT=$EXPECT,$2; shift ;;
	--absent) [ $# -ge 2 ] || usage; ABSENT=$ABSENT,$2; shift ;;
	--authserv) [ $# -ge 2 ] || usage; AUTHSERV=$2; shift ;;
	--messages) [ $# -ge 2 ] || usage; MSGDIRS="$MSGDIRS $2"; shift ;;
	-h | --help) usage ;;
	-*) echo "run.sh: unknown option $1" >&2; usage ;;
	*) RULES=$1 ;;
	esac
	shift
done
if ! command -v spamassassin >/dev/null 2>&1 || ! [ -d /etc/spamassassin ]; then
	echo "run.sh: spamassassin is not installed (Debian: apt-get install -y spamassassin)" >&2
	exit 69
fi
if ! ls "$RULES"/*.cf >/dev/null 2>&1; then
	echo "run.sh: $RULES: no *.cf rules there" >&2
	exit 66
fi
if [ "$MODE" = message ] && ! [ -r "$MSG" ]; then
	echo "run.sh: $MSG: cannot read the message" >&2
	exit 66
fi

common_scratch fcrdns-satest ""
fcr_sa_setup "$RULES" "$AUTHSERV" || { echo "run.sh: cannot prepare $W" >&2; exit 73; }

case $MODE in
lint)
	fcr_sa_lint
	;;
message)
	fcr_sa_check "$MSG" "$MSG" "$(fcr_sa_header "$MSG" Expect)$EXPECT" "$(fcr_sa_header "$MSG" Absent)$ABSENT"
	;;
all)
	fcr_sa_lint
	# shellcheck disable=SC2086 # directory names without blanks
	fcr_sa_batch "$HERE"/messages/*.eml $(for d in $MSGDIRS; do ls "$d"/*.eml 2>/dev/null; done)
	for m in "$HERE"/messages/*.eml; do
		fcr_sa_check "$(basename "$m")" "$m" "$(fcr_sa_header "$m" Expect)" "$(fcr_sa_header "$m" Absent)"
	done
	for d in $MSGDIRS; do
		ls "$d"/*.eml >/dev/null 2>&1 || fail_case "$d: no delivered messages (*.eml)"
		for m in "$d"/*.eml; do
			[ -f "$m" ] || continue
			fcr_sa_check "delivered $(basename "$m")" "$m" "$(fcr_sa_header "$m" Expect)" "$(fcr_sa_header "$m" Absent)"
		done
	done
	;;
esac
summary
[ "$FAILED" -eq 0 ]
