#!/bin/sh
# The shipped Prometheus files as Prometheus's own tool reads them: the rules load (promtool check
# rules), the scrape configuration with them (promtool check config), and each alert fires on the
# series of tests/prometheus/rules.test.yml meant to fire it and on no other (promtool test rules).
#   usage: sh tests/prometheus/run.sh        (promtool: Debian package prometheus)
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
# shellcheck source=../lib/common.sh
. "$HERE/../lib/common.sh"
common_require prometheus promtool

# run_case TEXT COMMAND...: one case, its output shown when it fails.
run_case() {
	_t=$1
	shift
	if _out=$("$@" 2>&1); then
		pass_case "$_t"
	else
		fail_case "$_t"
		printf '%s\n' "$_out" | sed 's/^/    | /'
	fi
}

cd "$ROOT" || exit 1
run_case "promtool check rules conf/prometheus/fcrdns-milter.rules.yml" \
	promtool check rules conf/prometheus/fcrdns-milter.rules.yml
run_case "promtool check config conf/prometheus/fcrdns-milter.scrape.yml (with its rules)" \
	promtool check config conf/prometheus/fcrdns-milter.scrape.yml
run_case "promtool test rules: every alert fires on its series and on no other" \
	promtool test rules tests/prometheus/rules.test.yml
summary
[ "$FAILED" -eq 0 ]
