# Postfix throughput for tests/bench/run.sh (sourced, POSIX sh, needs system.sh): smtp-source through a
# private Postfix (tests/postfix/'s instance) to discard(8), one message a connection, each connection
# from its own loopback address (bindsrc.so). Five smtpd services, measured in turn, each round
# starting one further on (A B C D E, B C D E A, ...):
#   bare     127.0.0.1:2601  no milter
#   floor    127.0.0.1:2602  the null milter -F (connect + end of message, one header)
#   dnsfloor 127.0.0.1:2605  the null milter -F -D: the floor plus the DNS questions of one FCrDNS
#                            check, asked inline at connect (127.20/16, answers from unbound)
#   warm     127.0.0.1:2603  fcrdns-milter, every client already in its cache (127.20/16)
#   cold     127.0.0.1:2604  fcrdns-milter, every client new to it (a fresh /16 per round, 127.21/16
#                            on), its DNS from unbound, which already holds every answer
#
#   pf_zones DIR          before NSD starts: the clients' PTR and A records (all pass), into DIR's
#                         bench.example.zone and one reverse zone per /16; prints "NAME=FILE" pairs
#   postfix_bench         the runs; keys postfix_{bare,floor,dnsfloor,warm,cold} (msg/s), the ratios

PF_MSGS=${FCR_BENCH_PF_MSGS:-1000}
PF_ROUNDS=${FCR_BENCH_ROUNDS:-8}
PF_SESSIONS=${FCR_BENCH_PF_SESSIONS:-20}

pf_zones() {
	_b=19
	while [ "$_b" -le $((20 + PF_ROUNDS)) ]; do
		awk -v b="$_b" -v n="$PF_MSGS" -v dir="$1" 'BEGIN {
			z = dir "/pf" b ".zone"; fz = dir "/bench.example.zone"
			printf "$TTL 3600\n%s.127.in-addr.arpa. 3600 IN SOA ns.bench.example. hostmaster.bench.example. 1 3600 600 86400 3600\n", b >z
			printf "%s.127.in-addr.arpa. 3600 IN NS ns.bench.example.\n", b >z
			for (i = 1; i <= n; i++) {
				c = int(i / 256); d = i % 256
				printf "%d.%d.%s.127.in-addr.arpa. 3600 IN PTR p-%s-%d-%d.bench.example.\n", d, c, b, b, c, d >z
				printf "p-%s-%d-%d.bench.example. 3600 IN A 127.%s.%d.%d\n", b, c, d, b, c, d >>fz
				print "127." b "." c "." d >(dir "/pf" b ".addrs")
			}
		}' || return 1
		printf '%s.127.in-addr.arpa.=pf%s.zone\n' "$_b" "$_b"
		_b=$((_b + 1))
	done
}

# pf_up: the instance in $W/pf with the five services; 0 once they all listen.
pf_up() {
	PF=$W/pf
	mkdir -p "$PF/etc" "$PF/spool" "$PF/data"
	sed -e "s|@PF@|$PF|g" -e "s|@SOCK@|$W/warm.sock|g" "$ROOT/tests/postfix/main.cf.in" >"$PF/etc/main.cf"
	{
		grep -v ' inet ' "$ROOT/tests/postfix/master.cf.in"
		for _s in "2601 -o smtpd_milters=" "2602 -o smtpd_milters=unix:$W/floor.sock" \
			"2603 -o smtpd_milters=unix:$W/warm.sock" "2604 -o smtpd_milters=unix:$W/cold.sock" \
			"2605 -o smtpd_milters=unix:$W/dnsfloor.sock"; do
			echo "127.0.0.1:${_s%% *} inet n - n - - smtpd ${_s#* }"
		done
	} >"$PF/etc/master.cf"
	chown postfix "$PF/data"
	script -qec "postfix -c $PF/etc start" /dev/null >"$W/postfix-start.out" 2>&1 || return 1
	PF_STARTED=1
	for _p in 2601 2602 2603 2604 2605; do
		_i=0
		until ss -Hltn "sport = :$_p" | grep -q .; do
			[ "$_i" -lt 100 ] || return 1
			sleep 0.1
			_i=$((_i + 1))
		done
	done
}

pf_down() {
	[ "${PF_STARTED:-0}" = 1 ] && postfix -c "$W/pf/etc" stop >/dev/null 2>&1
	PF_STARTED=0
}

pf_queued() {
	find "$W/pf/spool/incoming" "$W/pf/spool/active" "$W/pf/spool/deferred" -type f 2>/dev/null | wc -l
}

# blast PORT BLOCK [PID...]: PF_MSGS messages from 127.BLOCK.0.1 on; prints msg/s, or "failed: why"
# when smtp-source failed or Postfix logged a warning or error meanwhile. Leaves in B_BUSY, B_OWN and
# B_UB the CPU time a message took, in ms: the whole machine's, the PIDs' (the milter's) and unbound's;
# in B_LOAD how busy the machine's CPUs were meanwhile, in percent; in B_MISS the questions unbound
# could not answer from its cache meanwhile ("-" when it cannot tell).
blast() {
	_i=0
	while [ "$(pf_queued)" -gt 0 ] && [ "$_i" -lt 200 ]; do sleep 0.1; _i=$((_i + 1)); done
	_l0=$(wc -l <"$W/pf/maillog")
	_port=$1
	_block=$2
	shift 2
	_m0=$(ub_stat total.num.cachemiss)
	_b0=$(busy_ticks)
	_o0=$(own_ticks "$@")
	_u0=$(own_ticks "$UNBOUND_PID")
	_t0=$(now_ms)
	LD_PRELOAD=$TOOLS/bindsrc.so FCR_BINDSRC_BASE=127.$_block.0.1 FCR_BINDSRC_COUNT=$PF_MSGS \
		timeout -k 2 120 smtp-source -s "$PF_SESSIONS" -m "$PF_MSGS" -l 1000 -f sender@sender.example \
		-t bench@discard.example "127.0.0.1:$_port" >"$W/smtp-source.out" 2>&1
	_rc=$?
	_ms=$(($(now_ms) - _t0))
	_b1=$(busy_ticks)
	B_BUSY=$(per_each "$_b0" "$_b1" "$PF_MSGS" 1000 %.2f)
	B_OWN=$(per_each "$_o0" "$(own_ticks "$@")" "$PF_MSGS" 1000 %.3f)
	B_UB=$(per_each "$_u0" "$(own_ticks "$UNBOUND_PID")" "$PF_MSGS" 1000 %.3f)
	# busy seconds over (elapsed seconds x cores), in per cent
	B_LOAD=$(per_each "$_b0" "$_b1" $((_ms * $(nproc))) 100000 %.0f)
	_m1=$(ub_stat total.num.cachemiss)
	B_MISS=-
	[ "$_m0" = - ] || [ "$_m1" = - ] || B_MISS=$((_m1 - _m0))
	_warn=$(tail -n +$((_l0 + 1)) "$W/pf/maillog" | grep -E 'warning:|error:|fatal:|panic:' | head -n 1)
	if [ "$_rc" -ne 0 ]; then
		echo "failed: smtp-source exit $_rc: $(head -c 160 "$W/smtp-source.out")"
	elif [ -n "$_warn" ]; then
		echo "failed: $(echo "$_warn" | cut -c 1-200)"
	else
		awk -v n="$PF_MSGS" -v ms="$_ms" 'BEGIN { printf "%.1f\n", n * 1000 / (ms ? ms : 1) }'
	fi
}

# pf_run ROUND NAME PORT BLOCK [PID...]: one timed run, "ROUND rate" appended to $W/pf-NAME.byround, its
# CPU time a message to $W/pf-NAME.busy, .own and .unbound (blast's B_BUSY, B_OWN, B_UB). The runs that
# ask DNS must have every answer from unbound's cache: the workload is a warm local resolver, and a
# question that goes on to NSD costs both servers CPU time the milter would be charged with.
pf_run() {
	_round=$1
	_name=$2
	shift 2
	blast "$@" >"$W/blast.out"
	_res=$(cat "$W/blast.out")
	case $_name in
	cold | dnsfloor) [ "$B_MISS" = 0 ] || _res="failed: unbound answered $B_MISS questions without its cache" ;;
	esac
	case $_res in
	failed*) bad "postfix_$_name" "round $_round: $_res" ;;
	*)
		echo "$_round $_res" >>"$W/pf-$_name.byround"
		echo "$B_BUSY" >>"$W/pf-$_name.busy"
		echo "$B_OWN" >>"$W/pf-$_name.own"
		echo "$B_UB" >>"$W/pf-$_name.unbound"
		echo "$B_LOAD" >>"$W/pf-$_name.load"
		;;
	esac
	printf ' %s %s' "$_name" "$_res"
}

# checks_since NAME BEFORE WORD: log lines of milter NAME with WORD, less BEFORE.
checks_since() {
	echo $(($(logged "$1" "$3") - $2))
}

pf_rounds() {
	_r=1
	while [ "$_r" -le "$PF_ROUNDS" ]; do
		_w0=$(logged warm 'cached=yes')
		_c0=$(logged cold 'cached=no')
		printf '#   round %d:' "$_r"
		# each round starts one service further on (bare floor dnsfloor warm cold, floor dnsfloor warm
		# cold bare, ...), so that a machine getting slower or faster during a round favours none
		for _k in 0 1 2 3 4; do
			case $(((_r - 1 + _k) % 5)) in
			0) pf_run "$_r" bare 2601 20 ;;
			1) pf_run "$_r" floor 2602 20 "$PF_FLOOR_PID" ;;
			2) pf_run "$_r" dnsfloor 2605 20 "$PF_DNSFLOOR_PID" ;;
			3) pf_run "$_r" warm 2603 20 "$PF_WARM_PID" ;;
			4) pf_run "$_r" cold 2604 $((20 + _r)) "$PF_COLD_PID" ;;
			esac
		done
		echo
		# what makes warm warm and cold cold, from the milters' own logs
		[ "$(checks_since warm "$_w0" 'cached=yes')" -eq "$PF_MSGS" ] ||
			bad postfix_warm "round $_r: $(checks_since warm "$_w0" 'cached=yes') cache hits, $PF_MSGS expected"
		[ "$(checks_since cold "$_c0" 'cached=no')" -eq "$PF_MSGS" ] ||
			bad postfix_cold "round $_r: $(checks_since cold "$_c0" 'cached=no') uncached checks, $PF_MSGS expected"
		_r=$((_r + 1))
	done
}

# pf_ratio NAME A B: NAME = the median over the rounds of A / B, each round's pair measured close
# together (as the sessions' ratio, system.sh), so that the machine's drift from round to round
# cancels; when both have figures.
pf_ratio() {
	[ -s "$W/pf-$2.byround" ] && [ -s "$W/pf-$3.byround" ] || return 0
	if grep -q -e "^postfix_$2 " -e "^postfix_$3 " "$W/bad" 2>/dev/null; then
		bad "$1" "a run it depends on failed"
		return 0
	fi
	key "$1" "$(awk 'NR == FNR { b[$1] = $2; next } ($1 in b) && b[$1] > 0 { printf "%.3f\n", $2 / b[$1] }' \
		"$W/pf-$3.byround" "$W/pf-$2.byround" | median)"
}

# pf_cpu: what a message cost in CPU time (medians, ms): the whole machine's for each service, the
# milter's own, and unbound's for the two that ask it. On a machine whose cores are all busy, throughput
# follows the first: these say where a lower rate comes from.
pf_cpu() {
	_cpu=""
	_busy=""
	for _v in bare floor dnsfloor warm cold; do
		[ -s "$W/pf-$_v.busy" ] || return 0
		_b=$(median <"$W/pf-$_v.busy")
		_o=$(median <"$W/pf-$_v.own")
		_l=$(median <"$W/pf-$_v.load")
		key "postfix_cpu_ms_$_v" "$_b"
		[ "$_v" = bare ] || key "postfix_own_cpu_ms_$_v" "$_o"
		key "postfix_cpu_busy_pct_$_v" "$_l"
		if [ "$_v" = bare ]; then _cpu="$_cpu, $_v $_b ms"; else _cpu="$_cpu, $_v $_b ($_o)"; fi
		_busy="$_busy, $_v $_l%"
	done
	_ub=$(median <"$W/pf-cold.unbound")
	_ubd=$(median <"$W/pf-dnsfloor.unbound")
	key postfix_unbound_cpu_ms_cold "$_ub"
	key postfix_unbound_cpu_ms_dnsfloor "$_ubd"
	echo "# CPU time a message, whole machine (of it the milter):${_cpu#,}; unbound's in the cold runs $_ub ms, in the dnsfloor runs $_ubd ms"
	echo "# CPUs busy during the runs:${_busy#,}"
}

postfix_bench() {
	if [ "$(id -u)" -ne 0 ] || [ "$FCR_ITEST_NS" != private ] || ! command -v smtp-source >/dev/null 2>&1; then
		echo "# Postfix: skipped (needs root, a private network namespace and smtp-source)"
		return 0
	fi
	echo "# Postfix: smtp-source -s $PF_SESSIONS, $PF_MSGS messages a run, $PF_ROUNDS rounds of bare floor dnsfloor warm cold ..."
	chmod 755 "$W"
	# every client's answers in unbound before anything is timed (fcrdns-milter -t asks for them all)
	cat "$W"/pf*.addrs | "$BIN" -c "$W/fcrdns-milter.conf" -t - -j >"$W/pf-unbound-warmup.json" 2>&1 ||
		die "the Postfix clients do not all pass through unbound (see $W/pf-unbound-warmup.json)"
	# the milters hand their sockets to the user Postfix runs as
	MILTER_NS=127.0.0.1:$DNS_UNBOUND_PORT
	{ milter_up warm "UserID postfix" && PF_WARM_PID=$UP_PID && milter_up cold "UserID postfix" &&
		PF_COLD_PID=$UP_PID && null_up floor -F && PF_FLOOR_PID=$UP_PID &&
		null_up dnsfloor -F -D "127.0.0.1:$DNS_UNBOUND_PORT" && PF_DNSFLOOR_PID=$UP_PID; } ||
		die "a milter for Postfix did not come up (see $W/warm.log, $W/cold.log, $W/floor.log, $W/dnsfloor.log)"
	# shellcheck disable=SC2034 # read by milter_up (system.sh)
	MILTER_NS=""
	pf_up || die "Postfix did not start: $(cat -v "$W/postfix-start.out" | head -n 5)"
	# not timed: Postfix's processes up on every port, the warm milter's cache filled
	for _p in 2601 2602 2603 2605; do blast "$_p" 20 >/dev/null; done
	blast 2604 19 >/dev/null
	pf_rounds
	for _v in bare floor dnsfloor warm cold; do
		[ -s "$W/pf-$_v.byround" ] && key "postfix_$_v" "$(cut -d ' ' -f 2 <"$W/pf-$_v.byround" | median)"
	done
	pf_ratio postfix_floor_vs_bare floor bare
	pf_ratio postfix_warm_vs_floor warm floor
	pf_ratio postfix_cold_vs_floor cold floor
	pf_ratio postfix_dnsfloor_vs_floor dnsfloor floor
	pf_ratio postfix_cold_vs_dnsfloor cold dnsfloor
	pf_cpu
	pf_down
	stop_all "$PF_WARM_PID" "$PF_COLD_PID" "$PF_FLOOR_PID" "$PF_DNSFLOOR_PID"
	pf_dnsfloor_asked
}

# pf_dnsfloor_asked: the DNS floor did its work: every message it saw (the warm-up's and each round's)
# had its client confirmed through unbound, none failed.
pf_dnsfloor_asked() {
	_want=$((PF_MSGS * (PF_ROUNDS + 1)))
	_got=$(sed -n 's/^null_milter: DNS floor: \([0-9]*\) confirmed, \([0-9]*\) not$/\1 \2/p' "$W/dnsfloor.log")
	[ "$_got" = "$_want 0" ] ||
		bad postfix_dnsfloor "the DNS floor confirmed ${_got:-no count of} (confirmed, not) clients, $_want expected"
}
