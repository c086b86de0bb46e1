# The summary of `make bench`: bench_core's flat JSON (if any), then the "key value" lines of the
# system benchmarks, then the "key why" lines of the runs that failed. Prints a table (key, value,
# target, met) on stdout and writes the figures as one flat JSON object of numbers to JSON.
#   usage: awk -v JSON=build/bench.json -f report.awk CORE.json KEYS BAD   (missing files: none)
function target(k, t) {
	goal[k] = t
}
BEGIN {
	target("cache_bytes_per_entry", "<= 256"); target("rss_mb_1m", "<= 320")
	target("rss_growth_pct", "< 5"); target("rss_reload_growth_pct", "< 1")
	target("cache_hit_ns", "<= 200"); target("cache_hit_ns_2t", "<= 200")
	target("milter_vs_null_ratio", ">= 0.95")
	target("postfix_warm_vs_floor", ">= 0.95"); target("postfix_cold_vs_floor", ">= 0.90")
	target("cold_vs_2rtt_ratio", "<= 1.10")
	target("singleflight_ptr_queries", "= 1"); target("prefetch_cold_checks", "= 1")
	num = "^-?[0-9]+(\\.[0-9]+)?([eE][-+]?[0-9]+)?$"
}
# bench_core's JSON: one object, on one line or several
FILENAME == ARGV[1] { core = core " " $0; next }
FILENAME == ARGV[2] && NF >= 2 { skey[++ns] = $1; sval[ns] = $2; next }
FILENAME == ARGV[3] && NF >= 1 { k = $1; sub(/^[^ ]+ +/, ""); failed[k] = (k in failed) ? failed[k] "; " $0 : $0 }
function add(k, v) {
	if (!(k in val))
		order[++n] = k
	val[k] = v
}
function met(k, v,    t, op, x) {
	if (!(k in goal) || v !~ num)
		return "-"
	split(goal[k], t, " "); op = t[1]; x = t[2] + 0; v += 0
	if (op == "<=") return v <= x ? "yes" : "no"
	if (op == "<") return v < x ? "yes" : "no"
	if (op == ">=") return v >= x ? "yes" : "no"
	return v == x ? "yes" : "no"
}
function core_keys(    m, i, parts, kv, k, v) {
	gsub(/[{}\t]/, " ", core)
	m = split(core, parts, ",")
	for (i = 1; i <= m; i++) {
		if (split(parts[i], kv, ":") != 2)
			continue
		k = kv[1]; v = kv[2]
		gsub(/[" ]/, "", k); gsub(/ /, "", v)
		if (k != "" && v ~ num)
			add(k, v)
	}
}
END {
	core_keys()
	for (i = 1; i <= ns; i++) add(skey[i], sval[i])
	for (k in failed) add(k, "FAILED")
	printf "%-30s %14s  %-9s %s\n", "key", "value", "target", "met"
	out = ""
	for (i = 1; i <= n; i++) {
		k = order[i]; v = val[k]
		printf "%-30s %14s  %-9s %s\n", k, v, (k in goal) ? goal[k] : "-", met(k, v)
		if (v ~ num)
			out = out "\"" k "\": " v ", "
	}
	nf = 0
	for (k in failed) {
		nf++
		printf "FAILED %s: %s\n", k, failed[k]
	}
	if (JSON != "")
		print "{" out "\"bench_failures\": " nf "}" >JSON
}
