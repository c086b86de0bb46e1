# Sourced by run.sh: the StatsFile of the "stats" daemon (StatsInterval 1) after stats.lua's known
# traffic: the counters, the text format, the check-duration histogram, the gauges and build_info,
# and `promtool check metrics` (tests/prometheus/metrics.sh).
#   stats_cases    the cases (run.sh's section, mt, check and stat_value must be defined)

stats_cases() {
	section "StatsFile (StatsInterval 1)"
	if ready stats; then
		mt stats stats.lua
		_i=0
		while [ "$(stat_value fcrdns_connections_total)" != 4 ] && [ "$_i" -lt 40 ]; do
			sleep 0.1
			_i=$((_i + 1))
		done
		# stats.lua: 3 connections with an address (127.0.0.5 pass twice, the second from the cache;
		# 127.0.0.7 fail) and 1 without; one verdict (accept) and one message with headers per checked one
		_pr=""
		for _kv in fcrdns_connections_total=4 fcrdns_no_address_total=1 fcrdns_exempt_total=0 \
			'fcrdns_results_total{result="pass"}=2' 'fcrdns_results_total{result="fail"}=1' \
			'fcrdns_results_total{result="permerror"}=0' 'fcrdns_results_total{result="temperror"}=0' \
			'fcrdns_actions_total{action="accept"}=3' 'fcrdns_actions_total{action="reject"}=0' \
			fcrdns_messages_total=3 fcrdns_cache_hits_total=1 fcrdns_cache_misses_total=2; do
			_v=$(stat_value "${_kv%=*}")
			[ "$_v" = "${_kv##*=}" ] || _pr="${_pr:+$_pr; }${_kv%=*} [$_v], expected ${_kv##*=}"
		done
		check "[stats] counters match the traffic sent" "$_pr"
		# Prometheus text: "# HELP name text", "# TYPE name type", samples "name[{labels}] number",
		# each after its metric's TYPE line (a histogram's: name_bucket, name_sum, name_count)
		_bad=$(awk '
			/^# HELP [a-z_]+ / { next }
			/^# TYPE [a-z_]+ (counter|gauge)$/ { typed[$3] = 1; next }
			/^# TYPE [a-z_]+ histogram$/ { typed[$3 "_bucket"] = typed[$3 "_sum"] = typed[$3 "_count"] = 1; next }
			/^[a-z_]+(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\})? [0-9]+(\.[0-9]+)?$/ {
				name = $1; sub(/\{.*/, "", name)
				if (!(name in typed)) { print "line " NR ", no TYPE before it: " $0; exit }
				n++; next
			}
			{ print "line " NR ": " $0; exit }
			END { if (n == 0) print "no samples" }' "$W/stats.prom" 2>&1)
		check "[stats] the StatsFile is Prometheus text" "$_bad"
		# the same traffic in the histogram (CheckTimeout 5: buckets up to le="5") and the gauges: two
		# addresses in the cache, nothing running, the pool's 4 idle workers (jobs.c MIN_WORKERS)
		_pr=""
		for _kv in 'fcrdns_check_duration_seconds_count=3' 'fcrdns_check_duration_seconds_bucket{le="+Inf"}=3' \
			'fcrdns_check_duration_seconds_bucket{le="5"}=3' fcrdns_cache_entries=2 \
			fcrdns_checks_in_flight=0 fcrdns_worker_threads=4 \
			"fcrdns_build_info{version=\"$(sed -n 's/.*FCR_VERSION "\(.*\)"/\1/p' "$HERE/../../milter/version.h")\"}=1"; do
			_v=$(stat_value "${_kv%=*}")
			[ "$_v" = "${_kv##*=}" ] || _pr="${_pr:+$_pr; }${_kv%=*} [$_v], expected ${_kv##*=}"
		done
		_pr="${_pr:+$_pr; }$(prom_metrics_problems "$W/stats.prom" 5 | head -n 3 | tr '\n' ' ')"
		check "[stats] check-duration histogram, gauges and build_info; promtool check metrics passes" "${_pr%; }"
	fi
}
