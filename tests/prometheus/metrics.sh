# What a StatsFile must be for Prometheus (sourced, POSIX sh; the milter and load suites use it).
#   prom_metrics_problems FILE CHECKTIMEOUT_S [SLACK]   prints what is wrong with FILE, nothing when
#       it is right: `promtool check metrics` (the text format and Prometheus's naming rules), then
#       the check-duration histogram: buckets from 1 ms to CHECKTIMEOUT_S, cumulative, +Inf equal to
#       _count, _count equal to the checks counted by result (late ones included) give or take
#       SLACK (default 0); checks in flight never more than the worker threads; a cache_entries
#       gauge; one build_info sample of value 1. SLACK is for a file written while checks were being
#       counted: each counter is exact, but the set is no snapshot, so a check counted in one and not
#       yet in the other shows; at most one such check per session in progress.
#       Needs promtool (Debian: prometheus).

prom_metrics_problems() {
	_pm_out=$(promtool check metrics <"$1" 2>&1) || echo "promtool check metrics: $_pm_out"
	awk -v ct="$2" -v slack="${3:-0}" '
		function val(k) { return (k in v) ? v[k] : "absent" }
		/^#/ { next }
		{ v[$1] = $2 }
		$1 ~ /^fcrdns_check_duration_seconds_bucket\{/ {
			le = $1; sub(/.*le="/, "", le); sub(/".*/, "", le)
			if (le != "+Inf" && nb > 0 && le + 0 <= last + 0) print "bucket le=" le " after le=" last
			if (nb > 0 && $2 + 0 < prev) print "bucket le=" le " holds fewer than the one before"
			if (nb == 0) first = le
			last = le; prev = $2 + 0; nb++
			if (le != "+Inf") top = le
		}
		$1 ~ /^fcrdns_results_total\{/ { results += $2 }
		$1 ~ /^fcrdns_build_info\{version="[^"]+"\}$/ { info++; if ($2 != 1) print "build_info " $2 }
		END {
			cnt = val("fcrdns_check_duration_seconds_count")
			inf = val("fcrdns_check_duration_seconds_bucket{le=\"+Inf\"}")
			if (nb == 0) { print "no check_duration_seconds buckets"; exit }
			if (first != "0.001") print "first bucket le=" first ", expected 0.001"
			if (top + 0 != ct + 0) print "last finite bucket le=" top ", expected CheckTimeout " ct
			if (last != "+Inf") print "no +Inf bucket last"
			if (inf != cnt) print "+Inf " inf " != _count " cnt
			d = cnt - results
			if (cnt == "absent" || d > slack + 0 || -d > slack + 0)
				print "_count " cnt " != checks by result " results (slack + 0 ? " (more than " slack " apart)" : "")
			fl = val("fcrdns_checks_in_flight"); wk = val("fcrdns_worker_threads")
			if (fl == "absent" || wk == "absent" || fl + 0 > wk + 0) print "checks_in_flight " fl ", worker_threads " wk
			if (val("fcrdns_cache_entries") == "absent") print "no cache_entries"
			if (info != 1) print info + 0 " build_info samples"
		}' "$1"
}
