#!/bin/sh
# Configuration checks: `fcrdns-milter -n -c FILE` on broken files must exit 78 (EX_CONFIG) with
# "FILE:LINE:" on stderr and never crash; good files exit 0; usage errors exit 64.
#   usage: sh tests/integration/config.sh PATH/TO/fcrdns-milter     (run.sh sources it and calls config_cases)

# cfg_run ARGS...: runs the program, sets RC and _problems with crash and raw-byte findings.
cfg_run() {
	_problems=""
	runprog "$W/out" "$W/err" /dev/null "$@"
	_crash=$(crash_reason "$W/err")
	[ -z "$_crash" ] || problem "$_crash"
	raw_problems std
}

cfg_report() {
	if [ -z "$_problems" ]; then
		pass_case "config: $1"
	else
		fail_case "config $1: $_problems"
		echo "    -- $2"
		echo "    -- stderr"
		show "$W/err" 10
		echo "    -- stdout"
		show "$W/out" 10
	fi
}

# expect_bad NAME WHAT LINE: `-n -c FILE` must exit 78 and say "FILE:LINE:" (LINE '*': any number).
expect_bad() {
	_file=$W/cfg/$1
	cfg_run -n -c "$_file"
	[ "$RC" -eq 78 ] || problem "expected exit 78, got $RC"
	if [ "$3" = '*' ]; then
		grep -q "^$_file:[0-9][0-9]*: " "$W/err" || problem "stderr lacks '$_file:LINE: '"
	else
		grep -qF -- "$_file:$3:" "$W/err" || problem "stderr lacks '$_file:$3:'"
	fi
	cfg_report "$2 -> 78 at line $3" "$BIN -n -c $_file"
}

# expect_good NAME WHAT: `-n -c FILE` must exit 0.
expect_good() {
	_file=$W/cfg/$1
	cfg_run -n -c "$_file"
	[ "$RC" -eq 0 ] || problem "expected exit 0, got $RC"
	cfg_report "$2 -> 0" "$BIN -n -c $_file"
}

# bad_line NAME LINE_TEXT WHAT: the line is line 4 of a file that is good otherwise.
bad_line() {
	printf '# %s\n\nDNSRetries 1\n%s\nCacheSize 10\n' "$3" "$2" >"$W/cfg/$1"
	expect_bad "$1" "$3 ($2)" 4
}

# expect_refused WHAT WANT ARGS...: the run must exit 78 within the time limit and say WANT.
expect_refused() {
	_what=$1 _want=$2
	shift 2
	cfg_run "$@"
	[ "$RC" -eq 78 ] || problem "expected exit 78, got $RC"
	grep -qF -- "$_want" "$W/err" || problem "stderr lacks '$_want'"
	cfg_report "$_what -> 78" "$BIN $*"
}

# Files that are not bounded regular files: a FIFO would block -n for ever, /dev/zero would grow
# it without end. Each must be refused at once (runprog's time limit turns a hang into a failure).
bounded_files() {
	rm -f "$W/cfg/fifo"
	mkfifo "$W/cfg/fifo"
	expect_refused "a FIFO as -c" "$W/cfg/fifo: not a regular file" -n -c "$W/cfg/fifo"
	printf '%s\nExemptHosts file:%s\n' "$good_ns" "$W/cfg/fifo" >"$W/cfg/fifolist"
	expect_refused "a FIFO as a file: list" "$W/cfg/fifolist:2: ExemptHosts: file:$W/cfg/fifo: not a regular file" \
		-n -c "$W/cfg/fifolist"
	printf '%s\nGenericPatterns %s\n' "$good_ns" "$W/cfg/fifo" >"$W/cfg/fifopat"
	expect_refused "a FIFO as GenericPatterns" "$W/cfg/fifopat:2: GenericPatterns: $W/cfg/fifo: not a regular file" \
		-n -c "$W/cfg/fifopat"
	expect_refused "a FIFO as GenericPatterns at -t" "GenericPatterns: $W/cfg/fifo: not a regular file" \
		-c "$W/cfg/minimal" -o "GenericPatterns=$W/cfg/fifo" -t 127.0.0.2
	printf '%s\nGenericPatterns /dev/zero\n' "$good_ns" >"$W/cfg/zeropat"
	expect_refused "GenericPatterns /dev/zero" "$W/cfg/zeropat:2: GenericPatterns: /dev/zero: not a regular file" \
		-n -c "$W/cfg/zeropat"
	expect_refused "-c /dev/zero" "/dev/zero: not a regular file" -n -c /dev/zero
	printf '%s\nExemptHosts file:%s\n' "$good_ns" "$W/cfg" >"$W/cfg/dirlist"
	expect_refused "a directory as a file: list" "$W/cfg/dirlist:2: ExemptHosts: file:$W/cfg: Is a directory" \
		-n -c "$W/cfg/dirlist"
	truncate -s 1048577 "$W/cfg/big"
	expect_refused "a -c file over 1 MiB" "$W/cfg/big: larger than 1048576 bytes" -n -c "$W/cfg/big"
	printf '%s\nGenericPatterns %s\n' "$good_ns" "$W/cfg/big" >"$W/cfg/bigpat"
	expect_refused "a GenericPatterns file over 1 MiB" "GenericPatterns: $W/cfg/big: larger than 1048576 bytes" \
		-n -c "$W/cfg/bigpat"
	{ printf '^ok$\n'; head -c 5000 /dev/zero | tr '\0' a; printf '\n'; } >"$W/cfg/longpat.pat"
	printf '%s\nGenericPatterns %s\n' "$good_ns" "$W/cfg/longpat.pat" >"$W/cfg/longpat"
	expect_refused "a GenericPatterns line over 4096 bytes" \
		"GenericPatterns: $W/cfg/longpat.pat:2: line longer than 4096 bytes" -n -c "$W/cfg/longpat"
	cfg_run -n -c /dev/null
	[ "$RC" -eq 0 ] || problem "expected exit 0, got $RC"
	cfg_report "-c /dev/null (built-in defaults) -> 0" "$BIN -n -c /dev/null"
}

config_cases() {
	mkdir -p "$W/cfg"
	good_ns="Nameservers 127.0.0.1:5354"

	# -- good files --
	printf '%s\n' "$good_ns" >"$W/cfg/minimal"
	expect_good minimal "one keyword"
	printf '^([a-z]+-)?[0-9]+-[0-9]+-[0-9]+-[0-9]+\\.\n(^|\\.)pool[0-9]*\\.\n' >"$W/cfg/patterns"
	printf '192.0.2.0/24\n2001:db8:1::/48\n' >"$W/cfg/exempt.list"
	cat >"$W/cfg/full" <<EOF
# every keyword of SPEC.md, with good values
Socket inet:8891@127.0.0.1
UserID nobody:nogroup
UMask 007
PidFile $W/cfg/fcrdns-milter.pid
Syslog no
SyslogFacility mail
Nameservers 127.0.0.1:5354, [::1]:5354 127.0.0.2
DNSTimeout 1.5
DNSRetries 1
CheckTimeout 5
MaxPTRNames 10
CacheSize 100000
CacheMaxTTL 86400
NegativeCacheMaxTTL 3600
ErrorCacheTTL 30
AuthservID mx.test.example
AddHeaders yes
ResultHeader X-FCrDNS
ScoreHeader X-FCrDNS-Score
ScorePass 0
ScoreFail 3
ScorePermError 2
ScoreTempError 0
ScoreGeneric 1.5
OnPass accept
OnFail reject
OnPermError tempfail
OnTempError accept
OnGeneric accept
RejectAt rcpt
RejectReply 550 5.7.25 no reverse DNS for %a (%n)
TempfailReply 450 4.7.25 try again later, %a
ExemptHosts 127.0.0.0/8, ::1/128 10.0.0.0/8, file:$W/cfg/exempt.list
ExemptAuthenticated yes
DryRun no
GenericPatterns $W/cfg/patterns
StatsFile $W/cfg/stats.prom
StatsInterval 60
EOF
	expect_good full "every keyword"
	cat >"$W/cfg/spelling" <<'EOF'
# keywords are case-insensitive; booleans yes/no/true/false/1/0; blank lines and comments

dnstimeout 2
ADDHEADERS true
   # an indented comment
dryrun 0
exemptauthenticated 1
Syslog false
ExemptHosts
CacheSize 0
EOF
	expect_good spelling "case-insensitive keywords, all boolean spellings, an empty list, CacheSize 0"
	printf '%s\nErrorCacheTTL 1\n' "$good_ns" >"$W/cfg/ecttl1"
	expect_good ecttl1 "ErrorCacheTTL 1 (lowest allowed)"
	printf '%s\nErrorCacheTTL 300\n' "$good_ns" >"$W/cfg/ecttl300"
	expect_good ecttl300 "ErrorCacheTTL 300 (highest allowed)"
	if [ -f "$HERE/../../conf/fcrdns-milter.conf" ]; then
		_conf=$(cd "$HERE/../../conf" && pwd)/fcrdns-milter.conf
		cfg_run -n -c "$_conf"
		[ "$RC" -eq 0 ] || problem "expected exit 0, got $RC"
		cfg_report "conf/fcrdns-milter.conf -> 0" "$BIN -n -c $_conf"
	else
		fail_case "config: conf/fcrdns-milter.conf is missing"
	fi

	# -- broken files: the bad line is line 4 --
	bad_line unknown 'FooBar yes' "unknown keyword"
	bad_line bool 'AddHeaders maybe' "bad boolean"
	bad_line bool2 'DryRun yes please' "boolean with trailing words"
	bad_line number 'DNSTimeout abc' "bad number"
	bad_line number2 'MaxPTRNames 12x' "number with trailing junk"
	bad_line negative 'CacheSize -1' "negative CacheSize"
	bad_line maxptr0 'MaxPTRNames 0' "MaxPTRNames 0"
	bad_line novalue 'DNSTimeout' "keyword without a value"
	bad_line ecttl0 'ErrorCacheTTL 0' "ErrorCacheTTL below 1"
	bad_line ecttl301 'ErrorCacheTTL 301' "ErrorCacheTTL above 300"
	bad_line socket 'Socket bogus:/tmp/x.sock' "Socket with an unknown type"
	bad_line socket2 'Socket inet:99999@127.0.0.1' "Socket port out of range"
	bad_line socket3 'Socket inet:port@127.0.0.1' "Socket port not a number"
	bad_line cidr 'ExemptHosts 10.0.0.0/33' "IPv4 prefix over 32"
	bad_line cidr2 'ExemptHosts 2001:db8::/129' "IPv6 prefix over 128"
	bad_line cidr3 'ExemptHosts 127.0.0.0/8, not-a-cidr' "a bad item in a list"
	bad_line cidr4 'ExemptHosts 300.0.0.0/8' "IPv4 octet over 255"
	bad_line action 'OnFail bounce' "unknown action"
	bad_line action2 'OnTempError rejected' "unknown action"
	bad_line stage 'RejectAt data' "unknown RejectAt stage"
	bad_line reply 'RejectReply 250 2.0.0 fine' "RejectReply code not 5xx"
	bad_line reply2 'TempfailReply 550 5.7.25 no' "TempfailReply code not 4xx"
	bad_line reply3 'RejectReply five hundred' "RejectReply without a code"
	bad_line ns 'Nameservers 127.0.0.1:99999' "nameserver port out of range"
	bad_line ns2 'Nameservers not-an-address' "nameserver not an address"
	bad_line facility 'SyslogFacility nosuch' "unknown syslog facility"
	bad_line umask 'UMask 0999' "UMask not octal"
	bad_line patterns "GenericPatterns $W/cfg/does-not-exist" "missing GenericPatterns file"
	bad_line listfile "ExemptHosts file:$W/cfg/does-not-exist" "missing file: in a list"

	printf '(unclosed\n' >"$W/cfg/badpattern"
	printf '%s\nGenericPatterns %s\n' "$good_ns" "$W/cfg/badpattern" >"$W/cfg/badere"
	cfg_run -n -c "$W/cfg/badere"
	[ "$RC" -eq 78 ] || problem "expected exit 78, got $RC"
	grep -qF -- "$W/cfg/badpattern" "$W/err" || grep -qF -- "$W/cfg/badere:2:" "$W/err" ||
		problem "stderr names neither the pattern file nor $W/cfg/badere:2:"
	cfg_report "a GenericPatterns file with a bad pattern -> 78" "$BIN -n -c $W/cfg/badere"

	# PCRE2 patterns that broke glibc's regex pass -n (and do no harm at -t, see run.sh)
	printf '(|)(\\1\\1)*\n(.*)\\1(.*)\\2(.*)\\3(.*)\\4(.*)\\5x\n' >"$W/cfg/hostile.pat"
	printf '%s\nGenericPatterns %s\n' "$good_ns" "$W/cfg/hostile.pat" >"$W/cfg/hostile"
	expect_good hostile "GenericPatterns (|)(\\1\\1)* and a backreference pattern"
	printf '^ok$\n\nx{2,1}\n' >"$W/cfg/badpcre.pat"
	printf '%s\nGenericPatterns %s\n' "$good_ns" "$W/cfg/badpcre.pat" >"$W/cfg/badpcre"
	cfg_run -n -c "$W/cfg/badpcre"
	[ "$RC" -eq 78 ] || problem "expected exit 78, got $RC"
	grep -qF -- "$W/cfg/badpcre:2: GenericPatterns: $W/cfg/badpcre.pat:3: " "$W/err" ||
		problem "stderr lacks '$W/cfg/badpcre:2: GenericPatterns: $W/cfg/badpcre.pat:3: '"
	cfg_report "a pattern that does not compile -> 78 at both file:line" "$BIN -n -c $W/cfg/badpcre"
	bounded_files

	printf '%s\n\001\377\033[2J\000garbage\n' "$good_ns" >"$W/cfg/binary"
	expect_bad binary "control bytes, 0xff and NUL on a line" 2
	head -c 4096 /dev/urandom >"$W/cfg/random"
	expect_bad random "4096 random bytes" '*'
	{ printf '%s\n' "$good_ns"; head -c 20000 /dev/zero | tr '\0' A; printf ' yes\n'; } >"$W/cfg/long"
	expect_bad long "a 20000-character keyword" 2

	# -- a missing named file: EX_CONFIG, or EX_NOINPUT which SPEC.md allows "where it fits" --
	cfg_run -n -c "$W/cfg/no-such-file"
	[ "$RC" -eq 78 ] || [ "$RC" -eq 66 ] || problem "expected exit 78 (or 66), got $RC"
	grep -qF -- "$W/cfg/no-such-file" "$W/err" || problem "stderr does not name the file"
	cfg_report "missing -c file -> 78" "$BIN -n -c $W/cfg/no-such-file"

	# -- overrides and usage --
	cfg_run -n -c "$W/cfg/minimal" -o NoSuchKeyword=1
	[ "$RC" -eq 78 ] || problem "expected exit 78, got $RC"
	grep -qi 'NoSuchKeyword' "$W/err" || problem "stderr does not name NoSuchKeyword"
	cfg_report "-o with an unknown keyword -> 78" "$BIN -n -c $W/cfg/minimal -o NoSuchKeyword=1"
	cfg_run -n -c "$W/cfg/minimal" -o DNSTimeout=abc
	[ "$RC" -eq 78 ] || problem "expected exit 78, got $RC"
	grep -qi 'DNSTimeout' "$W/err" || problem "stderr does not name DNSTimeout"
	cfg_report "-o with a bad value -> 78" "$BIN -n -c $W/cfg/minimal -o DNSTimeout=abc"
	cfg_run -n -c "$W/cfg/minimal" -o ErrorCacheTTL=300 -o MaxPTRNames=3
	[ "$RC" -eq 0 ] || problem "expected exit 0, got $RC"
	cfg_report "-o with good values -> 0" "$BIN -n -c $W/cfg/minimal -o ErrorCacheTTL=300 -o MaxPTRNames=3"
	cfg_run -Z
	[ "$RC" -eq 64 ] || problem "expected exit 64, got $RC"
	[ -s "$W/err" ] || problem "nothing on stderr"
	cfg_report "unknown option -Z -> 64" "$BIN -Z"
	cfg_run -c "$W/cfg/minimal" -t
	[ "$RC" -eq 64 ] || problem "expected exit 64, got $RC"
	cfg_report "-t without an address -> 64" "$BIN -c $W/cfg/minimal -t"
	cfg_run -h
	[ "$RC" -eq 0 ] || problem "expected exit 0, got $RC"
	grep -q 'usage' "$W/out" "$W/err" || problem "no usage text"
	cfg_report "-h -> 0 with the usage" "$BIN -h"
	cfg_run -V
	[ "$RC" -eq 0 ] || problem "expected exit 0, got $RC"
	grep -q '[0-9]' "$W/out" || problem "no version on stdout"
	cfg_report "-V -> 0 with the version" "$BIN -V"
}

# Run on its own: no servers needed.
if [ -z "${FCR_ITEST_SOURCED:-}" ]; then
	set -u
	HERE=$(cd "$(dirname "$0")" && pwd)
	# shellcheck source=../lib/common.sh
	. "$HERE/../lib/common.sh"
	common_bin_arg "$@"
	common_scratch fcrdns-config ""
	# shellcheck source=lib.sh
	. "$HERE/lib.sh"
	config_cases
	summary
	[ "$FAILED" -eq 0 ]
	exit
fi
