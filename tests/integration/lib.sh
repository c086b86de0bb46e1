# Helpers shared by run.sh and config.sh (sourced, POSIX sh): running the program under test with a
# time limit, and spotting crashes, sanitizer reports and raw bytes in its output.
# Needs tests/lib/common.sh sourced first (cases, problem), BIN (absolute path of fcrdns-milter) and
# W (a scratch directory) set by the caller.

# seconds one program run may take before it counts as hung (ASan builds are slower)
PROG_LIMIT=${PROG_LIMIT:-20}

# A sanitizer's own exit status must not look like "fail" (1): make it 99 unless the caller chose.
ASAN_OPTIONS="exitcode=99${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
UBSAN_OPTIONS="exitcode=99:print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
export ASAN_OPTIONS UBSAN_OPTIONS

# show FILE [LINES]: a file's head, indented, non-printable bytes made visible.
show() {
	[ -s "$1" ] || return 0
	cat -v "$1" | head -n "${2:-40}" | sed -e 's/^/    | /'
}

# runprog OUT ERR IN ARGS...: runs $BIN ARGS with stdin IN; sets RC and MS (wall milliseconds).
runprog() {
	_out=$1 _err=$2 _in=$3
	shift 3
	_t0=$(date +%s%N)
	timeout -k 2 "$PROG_LIMIT" "$BIN" "$@" <"$_in" >"$_out" 2>"$_err"
	RC=$?
	_t1=$(date +%s%N)
	# shellcheck disable=SC2034 # read by run.sh
	MS=$(( (_t1 - _t0) / 1000000 ))
}

# crash_reason ERR: prints why the last run counts as a crash (nothing when it does not).
crash_reason() {
	if [ "$RC" -eq 124 ] || [ "$RC" -eq 137 ]; then
		echo "hung (killed after ${PROG_LIMIT} s)"
	elif [ "$RC" -ge 128 ]; then
		echo "crashed (exit $RC = signal $((RC - 128)))"
	elif [ "$RC" -eq 99 ]; then
		echo "sanitizer error (exit 99)"
	elif [ "$RC" -ge 125 ]; then
		echo "could not run $BIN (exit $RC)"
	elif grep -q -e 'Sanitizer' -e 'runtime error:' "$1" 2>/dev/null; then
		echo "sanitizer report on stderr"
	fi
}

# has_raw_bytes FILE: true when FILE holds a byte outside printable ASCII, tab and newline.
has_raw_bytes() {
	[ "$(LC_ALL=C tr -d '\t\n -~' <"$1" | wc -c)" -ne 0 ]
}

# raw_problems [PREFIX]: a problem for each of $W/out and $W/err that holds raw bytes
# ("raw non-printable bytes in PREFIXout").
raw_problems() {
	for _f in "$W/out" "$W/err"; do
		has_raw_bytes "$_f" && problem "raw non-printable bytes in ${1:-}${_f##*/}"
	done
}
