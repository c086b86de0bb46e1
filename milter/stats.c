/* Counters and their Prometheus text file, replaced atomically so readers never see half of it. */
#include "stats.h"

#include "jobs.h"
#include "version.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

void fcr_stats_add(uint64_t *counter, uint64_t n)
{
	__atomic_add_fetch(counter, n, __ATOMIC_RELAXED);
}

static uint64_t get(const uint64_t *counter)
{
	return __atomic_load_n(counter, __ATOMIC_RELAXED);
}

void fcr_stats_init(struct fcr_stats *s, int64_t check_timeout_ms)
{
	static const int steps[] = { 1, 2, 5 };
	unsigned n = 0;
	for (int64_t decade = 1; n + 1 < FCR_STATS_MAX_BOUNDS; decade *= 10) {
		for (int i = 0; i < 3 && n + 1 < FCR_STATS_MAX_BOUNDS; i++) {
			int64_t b = steps[i] * decade;
			if (b >= check_timeout_ms)
				goto last;
			s->bound_ms[n++] = b;
		}
	}
last:
	s->bound_ms[n++] = check_timeout_ms;
	s->n_bounds = n;
}

/* The first bucket holding ms: a handful of comparisons, then two relaxed additions. */
void fcr_stats_observe(struct fcr_stats *s, int64_t ms)
{
	unsigned i = 0;
	if (ms < 0)
		ms = 0;
	while (i < s->n_bounds && ms > s->bound_ms[i])
		i++;
	fcr_stats_add(&s->duration[i], 1);
	fcr_stats_add(&s->duration_sum_ms, (uint64_t)ms);
}

void fcr_stats_check(struct fcr_stats *s, const struct fcr_cache_summary *r, bool cached)
{
	fcr_stats_observe(s, r->elapsed_ms);
	fcr_stats_add(&s->results[(unsigned)r->result < FCR_NRESULTS ? r->result : FCR_TEMPERROR], 1);
	if (r->generic)
		fcr_stats_add(&s->generic, 1);
	if (!cached && r->ptr_status == FCR_DNS_UNAVAILABLE) {
		fcr_stats_add(&s->failed_fast, 1);  /* neither a hit nor a miss: DNS was not asked */
		return;
	}
	fcr_stats_add(cached ? &s->cache_hits : &s->cache_misses, 1);
	if (!cached) {
		enum fcr_heard heard = r->heard;
		fcr_stats_add(&s->dns_queries, r->queries);
		if (r->result == FCR_TEMPERROR && (heard == FCR_HEARD_NOTHING || heard == FCR_HEARD_PARTLY))
			fcr_stats_add(&s->dns_timeouts, 1);
		if (r->result == FCR_TEMPERROR && heard == FCR_HEARD_NO_SOCKET)
			fcr_stats_add(&s->dns_no_socket, 1);
	}
}

static void gauge(FILE *f, const char *name, const char *help, uint64_t v)
{
	fprintf(f, "# HELP fcrdns_%s %s\n# TYPE fcrdns_%s gauge\nfcrdns_%s %llu\n", name, help, name,
	        name, (unsigned long long)v);
}

static void counter(FILE *f, const char *name, const char *help, uint64_t v)
{
	fprintf(f, "# HELP fcrdns_%s %s\n# TYPE fcrdns_%s counter\nfcrdns_%s %llu\n", name, help, name,
	        name, (unsigned long long)v);
}

static void labelled(FILE *f, const char *name, const char *help, const char *label,
                     const char *const *values, const uint64_t *counts, size_t n)
{
	fprintf(f, "# HELP fcrdns_%s %s\n# TYPE fcrdns_%s counter\n", name, help, name);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "fcrdns_%s{%s=\"%s\"} %llu\n", name, label, values[i],
		        (unsigned long long)get(&counts[i]));
}

/* The background-check pool: its queue and threads now, and the checks it answered or dropped
 * unstarted. */
static void write_jobs(FILE *f)
{
	static const char *const reasons[] = { "abandoned", "expired", "queue_full" };
	struct fcr_jobs_stats j;
	fcr_jobs_get_stats(&j);
	const uint64_t dropped[] = { j.abandoned, j.expired, j.queue_full };
	gauge(f, "jobs_queued", "Checks waiting for a worker.", j.queued);
	gauge(f, "checks_in_flight", "Checks a worker is running now.", j.running);
	gauge(f, "worker_threads", "Check worker threads now (idle ones included).", j.workers);
	labelled(f, "jobs_dropped_total",
	         "Checks not run: nobody waited (abandoned), too late (expired), queue full.", "reason",
	         reasons, dropped, 3);
}

/* A bound in seconds as the le label spells it: the same text at every write. */
static void write_le(FILE *f, int64_t ms)
{
	fprintf(f, "fcrdns_check_duration_seconds_bucket{le=\"%g\"} ", (double)ms / 1000);
}

/* Cumulative buckets whose +Inf equals _count: both are summed from the same reads. */
static void write_histogram(FILE *f, const struct fcr_stats *s)
{
	uint64_t total = 0;
	fprintf(f, "# HELP fcrdns_check_duration_seconds Time a check took (late ones: until given up).\n"
	           "# TYPE fcrdns_check_duration_seconds histogram\n");
	for (unsigned i = 0; i < s->n_bounds; i++) {
		total += get(&s->duration[i]);
		write_le(f, s->bound_ms[i]);
		fprintf(f, "%llu\n", (unsigned long long)total);
	}
	total += get(&s->duration[s->n_bounds]);
	uint64_t sum = get(&s->duration_sum_ms);
	fprintf(f, "fcrdns_check_duration_seconds_bucket{le=\"+Inf\"} %llu\n"
	           "fcrdns_check_duration_seconds_sum %llu.%03llu\n"
	           "fcrdns_check_duration_seconds_count %llu\n",
	        (unsigned long long)total, (unsigned long long)(sum / 1000),
	        (unsigned long long)(sum % 1000), (unsigned long long)total);
}

/* Connections, results, verdicts and the cache. */
static void write_checks(FILE *f, const struct fcr_stats *s)
{
	static const char *const results[] = { "pass", "fail", "permerror", "temperror" };
	static const char *const actions[] = { "accept", "tempfail", "reject" };

	counter(f, "connections_total", "SMTP connections seen.", get(&s->connections));
	counter(f, "no_address_total", "Connections without a client address.", get(&s->no_address));
	counter(f, "exempt_total", "Connections from ExemptHosts (not checked).", get(&s->exempt));
	labelled(f, "results_total", "Checks by iprev result.", "result", results, s->results, 4);
	counter(f, "generic_total", "Checks whose PTR name looks generic.", get(&s->generic));
	counter(f, "generic_pattern_limit_total",
	        "GenericPatterns matches stopped by a PCRE2 limit (counted as no match).",
	        get(&s->pattern_limits));
	labelled(f, "actions_total", "Verdicts applied.", "action", actions, s->actions, 3);
	counter(f, "dry_run_total", "Rejects or tempfails only logged (DryRun).", get(&s->dry_run));
	counter(f, "authenticated_total", "Rejects or tempfails waived for authenticated clients.",
	        get(&s->authenticated));
	counter(f, "cache_hits_total", "Checks answered by the cache.", get(&s->cache_hits));
	counter(f, "cache_misses_total", "Checks that asked DNS.", get(&s->cache_misses));
	gauge(f, "cache_entries", "Results in the cache now.", get(&s->cache_entries));
}

/* DNS, the resolver's health, late checks, messages and reloads. */
static void write_events(FILE *f, const struct fcr_stats *s)
{
	counter(f, "dns_queries_total", "DNS questions sent.", get(&s->dns_queries));
	counter(f, "dns_timeouts_total", "Checks that timed out.", get(&s->dns_timeouts));
	counter(f, "dns_no_socket_total", "Checks that found no socket (too many open files).",
	        get(&s->dns_no_socket));
	gauge(f, "resolver_down", "1 while the resolver counts as down and checks fail fast.",
	      get(&s->resolver_down));
	counter(f, "checks_failed_fast_total", "Checks answered temperror at once, the resolver down.",
	        get(&s->failed_fast));
	counter(f, "resolver_state_changes_total", "Times the resolver went down or came back.",
	        get(&s->resolver_changes));
	counter(f, "late_total", "Checks unfinished when the verdict was due.", get(&s->late));
	counter(f, "pending_at_close_total", "Checks unfinished when their connection closed.",
	        get(&s->pending_at_close));
	counter(f, "messages_total", "Messages that got result headers.", get(&s->messages));
	counter(f, "forged_headers_removed_total", "Forged result headers removed.",
	        get(&s->forged_removed));
	counter(f, "reloads_total", "Configuration reloads.", get(&s->reloads));
	counter(f, "reload_failures_total", "Reloads refused for a bad configuration.",
	        get(&s->reload_failures));
}

static void write_all(FILE *f, const struct fcr_stats *s, int64_t uptime_s)
{
	fprintf(f, "# HELP fcrdns_build_info The running version.\n# TYPE fcrdns_build_info gauge\n"
	           "fcrdns_build_info{version=\"%s\"} 1\n", FCR_VERSION);
	write_checks(f, s);
	write_events(f, s);
	write_histogram(f, s);
	write_jobs(f);
	fprintf(f, "# HELP fcrdns_uptime_seconds Seconds since start.\n"
	           "# TYPE fcrdns_uptime_seconds gauge\nfcrdns_uptime_seconds %lld\n",
	        (long long)uptime_s);
}

/* Writes len bytes to a new file tmp, then renames it to path. Only system calls, no allocation:
 * it also runs in a forked child. Returns 0, or an errno value. */
static int replace_file(const char *tmp, const char *path, const char *buf, size_t len)
{
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return errno;
	int err = 0;
	for (size_t o = 0; o < len && !err;) {
		ssize_t n = write(fd, buf + o, len - o);
		if (n > 0)
			o += (size_t)n;
		else if (n < 0 && errno != EINTR)
			err = errno;
	}
	if (!err && fsync(fd) != 0)
		err = errno;
	if (close(fd) != 0 && !err)
		err = errno;
	if (!err && rename(tmp, path) != 0)
		err = errno;
	if (err)
		unlink(tmp);
	return err;
}

/* Out of descriptors (the sessions and DNS questions took them all): a forked child has a copy of
 * the descriptor table of its own, closes one of those (the parent keeps it) and writes from
 * there. Nothing in the parent is released, so no other thread can take the slot in between. */
static int replace_file_in_child(const char *tmp, const char *path, const char *buf, size_t len)
{
	pid_t pid = fork();
	if (pid < 0)
		return errno;
	if (pid == 0) {
		close(STDIN_FILENO);
		_exit(replace_file(tmp, path, buf, len) == 0 ? 0 : 1);
	}
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return errno;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : EMFILE;
}

int fcr_stats_write(const struct fcr_stats *s, const char *path, int64_t uptime_s)
{
	static unsigned serial;    /* only the main thread writes */
	char *buf = NULL, *tmp = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);  /* no descriptor */
	if (!f)
		return -1;
	write_all(f, s, uptime_s);
	int bad = ferror(f);
	if (fclose(f) != 0 || bad || asprintf(&tmp, "%s.tmp%ld.%u", path, (long)getpid(), serial++) < 0) {
		free(buf);
		return -1;
	}
	int err = replace_file(tmp, path, buf, len);
	if (err == EMFILE)
		err = replace_file_in_child(tmp, path, buf, len);
	free(tmp);
	free(buf);
	errno = err;
	return err ? -1 : 0;
}
