#!/bin/sh
# Generic names on the labelled set (tests/generic/names.txt): the project's rules with the shipped
# GenericNames file, SpamAssassin's RDNS_DYNAMIC (20_dynrdns.cf) and rspamd's hfilter host-name
# regexes, as installed by the Debian packages; prints the three scores, per kind.
#   usage: sh tests/generic/compare.sh PATH/TO/generic-judge
# FCR_SA_RULES and FCR_RSPAMD_HFILTER name other copies of the two rule files. Exits non-zero when
# a rule file is missing or unreadable, never because of a score.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
[ $# -eq 1 ] || { echo "usage: sh tests/generic/compare.sh PATH/TO/generic-judge" >&2; exit 64; }
JUDGE=$1
SA=${FCR_SA_RULES:-/usr/share/spamassassin/20_dynrdns.cf}
RS=${FCR_RSPAMD_HFILTER:-/usr/share/rspamd/plugins/hfilter.lua}
if [ ! -r "$SA" ] || [ ! -r "$RS" ]; then
	sh "$TOP/tests/deps.sh" spamassassin rspamd || exit 1
fi
OUT=$(mktemp "${TMPDIR:-/tmp}/fcr-generic-compare.XXXXXX") || exit 1
trap 'rm -f "$OUT"' EXIT
"$JUDGE" -n "$TOP/conf/generic-names" <"$HERE/names.txt" >"$OUT" || {
	echo "compare: generic-judge failed (exit $?)" >&2
	exit 1
}
echo "# generic names: $(grep -c . "$OUT") labelled PTR names (tests/generic/names.txt)"
perl "$HERE/compare.pl" "$OUT" "$SA" "$RS"
