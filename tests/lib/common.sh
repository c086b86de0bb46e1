# What every shell test suite does the same way (sourced, POSIX sh): the program argument, tools it
# needs, the scratch directory and its removal, counting cases and the final "N passed, M failed".
#
# Functions:
#   common_bin_arg "$@"        exactly one argument, the program under test: sets BIN to its absolute
#                              path; exits 64 with the usage otherwise, 66 when it is not executable.
#   common_usage ARGS          prints "usage: sh $0 ARGS" to stderr and exits 64.
#   common_abspath PATH        prints PATH made absolute against the current directory.
#   common_executable FILE...  exits 66 unless every FILE is an executable regular file.
#   common_require HINT TOOL...  exits 69 unless every TOOL is in PATH; HINT says how to install them.
#   common_scratch NAME KEEP [CLEANUP]  makes the scratch directory W ($TMPDIR/NAME.XXXXXX; exits 73
#                              when it cannot) and sets the traps: at exit CLEANUP runs (a command, e.g.
#                              a function stopping servers), then W is removed unless KEEP is 1 (its name
#                              goes to stderr instead); INT, TERM and HUP end the run (130, 143, 129).
#   pass_case TEXT / fail_case TEXT   one case line ("ok   TEXT" / "FAIL TEXT"), counted in PASSED
#                              and FAILED.
#   problem TEXT...            adds TEXT to _problems ("; " between), for a case's report.
#   summary                    prints "PASSED passed, FAILED failed".
#   fail_run TEXT [COMMAND [ARG]...]  the run cannot go on: TEXT as a failed case, COMMAND (say, to
#                              show logs), the totals, exit 1.
#   now_ms                     prints the wall clock in milliseconds.
# Variables: BIN, W, PASSED, FAILED, _problems. Sourcing this file again (a suite sourcing another
# one's script) keeps the counts.

PASSED=${PASSED:-0}
FAILED=${FAILED:-0}

common_usage() {
	echo "usage: sh $0 $1" >&2
	exit 64
}

common_abspath() {
	case $1 in /*) echo "$1" ;; *) echo "$(pwd)/$1" ;; esac
}

common_executable() {
	for _common_f in "$@"; do
		if [ ! -f "$_common_f" ] || [ ! -x "$_common_f" ]; then
			echo "${0##*/}: $_common_f: not an executable file" >&2
			exit 66
		fi
	done
}

common_bin_arg() {
	[ $# -eq 1 ] || common_usage PATH/TO/fcrdns-milter
	BIN=$(common_abspath "$1")
	common_executable "$BIN"
}

common_require() {
	_common_hint=$1
	shift
	for _common_t in "$@"; do
		if ! command -v "$_common_t" >/dev/null 2>&1; then
			echo "${0##*/}: '$_common_t' not found (Debian: $_common_hint)" >&2
			exit 69
		fi
	done
}

common_scratch() {
	W=$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX") || exit 73
	_common_keep=$2
	_common_cleanup=${3:-:}
	trap _common_exit EXIT
	trap 'echo "# interrupted"; exit 130' INT
	trap 'echo "# terminated"; exit 143' TERM
	trap 'exit 129' HUP
}

_common_exit() {
	trap - EXIT INT TERM HUP
	$_common_cleanup
	if [ "$_common_keep" = 1 ]; then
		echo "# kept $W" >&2
	else
		rm -rf "$W"
	fi
}

pass_case() {
	PASSED=$((PASSED + 1))
	printf 'ok   %s\n' "$1"
}

fail_case() {
	FAILED=$((FAILED + 1))
	printf 'FAIL %s\n' "$1"
}

problem() {
	_problems="${_problems:+$_problems; }$*"
}

summary() {
	printf '%d passed, %d failed\n' "$PASSED" "$FAILED"
}

now_ms() {
	echo $(($(date +%s%N) / 1000000))
}

fail_run() {
	fail_case "$1"
	shift
	[ $# -eq 0 ] || "$@"
	summary
	exit 1
}
