/* Process management: the main thread handles signals and the StatsFile; libmilter runs in a
 * thread of its own whose descendants block HUP/TERM/INT, so those signals reach the main thread
 * (libmilter's own signal thread would otherwise stop the milter on SIGHUP). */
#include <stdbool.h>
#include <libmilter/mfapi.h>

#include "daemon.h"

#include "callbacks.h"
#include "clock.h"
#include "fdlimit.h"
#include "threadstack.h"
#include "jobs.h"
#include "log.h"
#include "snapshot.h"
#include "version.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sysexits.h>
#include <unistd.h>

/* A check mostly waits on DNS: with a resolver that takes seconds, every concurrent session holds
 * a worker for that long, so the pool must be as large as the sessions an MTA runs at once. */
#define MAX_JOB_WORKERS 2048

static int signal_pipe[2] = { -1, -1 };

static void on_signal(int sig)
{
	int saved = errno;
	unsigned char b = (unsigned char)sig;
	(void)!write(signal_pipe[1], &b, 1);
	errno = saved;
}

static int install_signals(void)
{
	if (pipe2(signal_pipe, O_CLOEXEC | O_NONBLOCK) != 0)
		return -1;
	struct sigaction sa = { .sa_handler = on_signal };
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	signal(SIGPIPE, SIG_IGN);
	return sigaction(SIGHUP, &sa, NULL) | sigaction(SIGTERM, &sa, NULL) |
	       sigaction(SIGINT, &sa, NULL);
}

/* ---- the libmilter thread ---- */

static bool milter_returned;  /* atomic: smfi_main has returned */

static void *milter_thread(void *arg)
{
	int *status = arg;
	*status = smfi_main();
	__atomic_store_n(&milter_returned, true, __ATOMIC_RELEASE);
	unsigned char b = 0;  /* tell the main thread that libmilter has stopped */
	(void)!write(signal_pipe[1], &b, 1);
	return NULL;
}

/* Starts libmilter with HUP/TERM/INT blocked in it and every thread it creates. */
static int start_milter(pthread_t *tid, int *status)
{
	sigset_t block, old;
	sigemptyset(&block);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	int rc = pthread_create(tid, NULL, milter_thread, status);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}

/* ---- set-up ---- */

static const char *unix_path(const char *sock)
{
	if (strncmp(sock, "unix:", 5) == 0)
		return sock + 5;
	if (strncmp(sock, "local:", 6) == 0)
		return sock + 6;
	return NULL;
}

struct ids {
	uid_t uid;
	gid_t gid;
	const char *name;
	bool set;
};

static int lookup_user(const char *spec, struct ids *ids)
{
	char user[256];
	const char *colon = strchr(spec, ':');
	size_t n = colon ? (size_t)(colon - spec) : strlen(spec);
	if (n >= sizeof(user))
		return -1;
	memcpy(user, spec, n);
	user[n] = '\0';
	struct passwd *pw = getpwnam(user);
	if (!pw) {
		fprintf(stderr, "fcrdns-milter: UserID: no such user '%s'\n", user);
		return -1;
	}
	ids->uid = pw->pw_uid;
	ids->gid = pw->pw_gid;
	ids->name = pw->pw_name;
	if (colon) {
		struct group *gr = getgrnam(colon + 1);
		if (!gr) {
			fprintf(stderr, "fcrdns-milter: UserID: no such group '%s'\n", colon + 1);
			return -1;
		}
		ids->gid = gr->gr_gid;
	}
	ids->set = true;
	return 0;
}

/* Opens the milter socket with UMask applied, handing a unix socket to UserID. */
static int open_socket(const struct fcr_config *conf, const struct ids *ids)
{
	if (smfi_setconn(conf->socket) != MI_SUCCESS || smfi_register(fcr_milter_desc) != MI_SUCCESS) {
		fprintf(stderr, "fcrdns-milter: cannot use socket %s\n", conf->socket);
		return -1;
	}
	mode_t old = umask((mode_t)conf->umask);
	int rc = smfi_opensocket(true);
	umask(old);
	if (rc != MI_SUCCESS) {
		fprintf(stderr, "fcrdns-milter: cannot open socket %s (%s)\n", conf->socket,
		        strerror(errno));
		return -1;
	}
	const char *path = unix_path(conf->socket);
	if (path && ids->set && chown(path, ids->uid, ids->gid) != 0) {
		fprintf(stderr, "fcrdns-milter: chown %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

static int drop_privileges(const struct ids *ids)
{
	if (!ids->set)
		return 0;
	if (setgroups(0, NULL) != 0 && errno != EPERM)
		return -1;
	if (initgroups(ids->name, ids->gid) != 0 || setgid(ids->gid) != 0 || setuid(ids->uid) != 0) {
		fprintf(stderr, "fcrdns-milter: cannot switch to user %s: %s\n", ids->name,
		        strerror(errno));
		return -1;
	}
	if (setuid(0) == 0 && ids->uid != 0) {
		fprintf(stderr, "fcrdns-milter: privileges could not be dropped\n");
		return -1;
	}
	return 0;
}

static int write_pidfile(const char *path)
{
	if (!path)
		return 0;
	FILE *f = fopen(path, "we");
	if (!f || fprintf(f, "%ld\n", (long)getpid()) < 0 || fclose(f) != 0) {
		fprintf(stderr, "fcrdns-milter: PidFile %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* Forks into the background; the parent exits with the child's start-up status, which the child
 * reports through a pipe (so that errors after the fork still reach the terminal). */
static int daemonize(int *ready_fd)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) != 0)
		return -1;
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid > 0) {
		unsigned char st = EX_SOFTWARE;
		close(p[1]);
		if (read(p[0], &st, 1) != 1)
			st = EX_SOFTWARE;
		_exit(st);
	}
	close(p[0]);
	setsid();
	*ready_fd = p[1];
	return 0;
}

static void report_ready(int *ready_fd, unsigned char status)
{
	if (*ready_fd < 0)
		return;
	if (status == 0) {  /* detach from the terminal only once all went well */
		int null = open("/dev/null", O_RDWR);
		if (null >= 0) {
			dup2(null, 0);
			dup2(null, 1);
			dup2(null, 2);
			if (null > 2)
				close(null);
		}
	}
	(void)!write(*ready_fd, &status, 1);
	close(*ready_fd);
	*ready_fd = -1;
}

/* ---- running ---- */

struct run {
	const struct fcr_daemon_opts *o;
	int64_t started;
	int64_t next_stats;
};

/* Settings that only a restart can change. */
static void warn_fixed(const struct fcr_config *old, const struct fcr_config *new)
{
	if (strcmp(old->socket, new->socket) != 0)
		fcr_log(LOG_WARNING, "reload: Socket changed; it takes effect at the next restart");
	if ((old->user == NULL) != (new->user == NULL) ||
	    (old->user && strcmp(old->user, new->user) != 0))
		fcr_log(LOG_WARNING, "reload: UserID changed; it takes effect at the next restart");
	if (old->check_timeout_ms != new->check_timeout_ms)
		fcr_log(LOG_INFO, "reload: CheckTimeout changed; the StatsFile's check-duration buckets "
		        "keep their bounds until the next restart");
}

/* Text from the configuration (valid UTF-8, no control characters) made ASCII for the log. */
static const char *ascii(const char *s, char *buf, size_t len)
{
	size_t i = 0;
	for (; s[i] && i + 1 < len; i++)
		buf[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	buf[i] = '\0';
	return buf;
}

/* GenericPatterns hitting a PCRE2 limit: counted every time, logged once per pattern. The PTR name
 * is not logged: it is the attacker's text, and the connection's own log line names it. */
static void pattern_limit(void *arg, const char *file, unsigned line, const char *what, bool first)
{
	char f[256];
	(void)arg;
	fcr_stats_add(&fcr_milter_stats.pattern_limits, 1);
	if (first)
		fcr_log(LOG_WARNING, "GenericPatterns %s:%u: PCRE2 %s on a PTR name; counted as no match "
		        "(logged once per pattern)", ascii(file, f, sizeof(f)), line, what);
}

/* The resolver going down or coming back (health.h): logged and counted once per change. */
static void resolver_health(void *arg, bool down, unsigned timeouts, int64_t down_ms)
{
	(void)arg;
	fcr_stats_add(&fcr_milter_stats.resolver_changes, 1);
	if (down)
		fcr_log(LOG_WARNING, "resolver unavailable: %u consecutive timeouts; failing checks fast",
		        timeouts);
	else
		fcr_log(LOG_INFO, "resolver answering again after %lld.%01lld s",
		        (long long)(down_ms / 1000), (long long)(down_ms % 1000 / 100));
}

/* A snapshot of conf whose pattern limits and resolver health reach the log and the StatsFile.
 * A reload that keeps the nameservers keeps the resolver's health: no second wait for an outage
 * already known. */
static struct fcr_snapshot *snapshot_new(struct fcr_config *conf, const struct fcr_snapshot *prev,
                                         char *err, size_t errlen)
{
	struct fcr_snapshot *s = fcr_snapshot_new(conf, prev, err, errlen);
	if (s) {
		fcr_service_set_pattern_hook(s->svc, pattern_limit, NULL);
		if (prev)
			fcr_service_share_health(s->svc, prev->svc);
		fcr_service_set_health_hook(s->svc, resolver_health, NULL);
	}
	return s;
}

/* SIGHUP: a new snapshot for new connections; a bad file keeps the old one. */
static void reload(const struct run *r)
{
	char err[1024];
	fcr_stats_add(&fcr_milter_stats.reloads, 1);
	struct fcr_config *conf = fcr_config_load(r->o->config, r->o->overrides, r->o->noverrides, err,
	                                          sizeof(err));
	struct fcr_snapshot *old = fcr_snapshot_get();
	struct fcr_snapshot *s = conf ? snapshot_new(conf, old, err, sizeof(err)) : NULL;
	if (!s) {
		fcr_snapshot_put(old);
		fcr_stats_add(&fcr_milter_stats.reload_failures, 1);
		fcr_log(LOG_ERR, "reload failed, keeping the running configuration: %s", err);
		return;
	}
	warn_fixed(old->conf, s->conf);
	/* A kept cache holds verdicts of the old generic-name rules: the "generic" flag, the score and
	 * the rule named in the headers. Checks started from now on use the new rules. */
	bool stale = s->cache == old->cache && !fcr_service_same_rules(s->svc, old->svc);
	if (s->cache != old->cache)
		fcr_log(LOG_INFO, "reload: cache settings changed, starting with an empty cache");
	fcr_snapshot_put(old);
	fcr_snapshot_install(s);
	if (stale) {
		fcr_cache_flush(fcr_service_cache(s->svc));
		fcr_log(LOG_INFO, "reload: generic-name rules changed, cache emptied");
	}
	fcr_log(LOG_INFO, "configuration reloaded from %s",
	        s->conf->path ? s->conf->path : "built-in defaults");
}

static void write_stats(struct run *r)
{
	struct fcr_snapshot *s = fcr_snapshot_get();
	const char *path = s->conf->stats_file;
	int64_t now = fcr_now_ms();
	if (path && now >= r->next_stats) {
		struct fcr_health_stats h;
		struct fcr_cache_stats cs;
		fcr_service_health(s->svc, &h);
		fcr_cache_stats(fcr_service_cache(s->svc), &cs);
		__atomic_store_n(&fcr_milter_stats.resolver_down, h.down, __ATOMIC_RELAXED);
		__atomic_store_n(&fcr_milter_stats.cache_entries, cs.entries, __ATOMIC_RELAXED);
		if (fcr_stats_write(&fcr_milter_stats, path, (now - r->started) / 1000) != 0)
			fcr_log(LOG_WARNING, "StatsFile %s: %s", path, strerror(errno));
		r->next_stats = now + (int64_t)s->conf->stats_interval * 1000;
	}
	fcr_snapshot_put(s);
}

/* Milliseconds until the next StatsFile write (-1: none configured). */
static int stats_wait(const struct run *r)
{
	struct fcr_snapshot *s = fcr_snapshot_get();
	bool on = s->conf->stats_file != NULL;
	fcr_snapshot_put(s);
	if (!on)
		return -1;
	int64_t left = r->next_stats - fcr_now_ms();
	return left < 0 ? 0 : left > 60000 ? 60000 : (int)left;
}

/* The main thread's loop: signals and the StatsFile, until TERM/INT (true) or until libmilter
 * stopped on its own (false). */
static bool main_loop(struct run *r)
{
	for (;;) {
		struct pollfd pfd = { .fd = signal_pipe[0], .events = POLLIN };
		write_stats(r);
		if (poll(&pfd, 1, stats_wait(r)) <= 0)
			continue;
		unsigned char sig;
		while (read(signal_pipe[0], &sig, 1) == 1) {
			if (sig == SIGHUP) {
				reload(r);
			} else if (sig) {
				fcr_log(LOG_INFO, "signal %d: stopping", sig);
				return true;
			} else {
				return false;
			}
		}
	}
}

static int serve(struct run *r, int *ready_fd)
{
	pthread_t tid;
	int status = MI_SUCCESS;
	int rc = fcr_threadstack_default(FCR_CALLBACK_STACK);
	if (rc != 0)
		fcr_log(LOG_WARNING, "thread stacks: cannot set the default size: %s", strerror(rc));
	if (fcr_jobs_start(MAX_JOB_WORKERS) != 0 || start_milter(&tid, &status) != 0) {
		fprintf(stderr, "fcrdns-milter: cannot start threads\n");
		return EX_OSERR;
	}
	struct fcr_snapshot *s = fcr_snapshot_get();
	fcr_log(LOG_INFO, "fcrdns-milter %s listening on %s (RejectAt %s, AddHeaders %s%s)",
	        FCR_VERSION, s->conf->socket, fcr_stage_name(s->conf->reject_at),
	        s->conf->add_headers ? "yes" : "no", s->conf->dry_run ? ", DryRun" : "");
	fcr_snapshot_put(s);
	report_ready(ready_fd, 0);
	bool asked = main_loop(r);
	/* smfi_stop after smfi_main has returned would touch libmilter's destroyed mutexes. */
	if (asked && !__atomic_load_n(&milter_returned, __ATOMIC_ACQUIRE))
		smfi_stop();
	pthread_join(tid, NULL);
	if (!asked) {
		/* Not our doing (libmilter's own signal thread, or a listener failure): a non-zero
		 * status lets a supervisor restart the milter. */
		fcr_log(LOG_ERR, "libmilter stopped on its own (status %d)", status);
		status = MI_FAILURE;
	}
	fcr_jobs_stop();
	r->next_stats = 0;  /* the final figures, whatever the interval */
	write_stats(r);
	fcr_log(LOG_INFO, "stopped");
	return status == MI_SUCCESS ? EX_OK : EX_SOFTWARE;
}

/* Every session and every DNS question in flight holds a descriptor: use all the system allows. */
static void raise_fd_limit(void)
{
	uint64_t before, after;
	if (fcr_fdlimit_raise(&before, &after) != 0)
		fcr_log(LOG_WARNING, "open files: cannot raise the limit: %s", strerror(errno));
	else if (after == UINT64_MAX)
		fcr_log(LOG_DEBUG, "open files: no limit");
	else if (after != before)
		fcr_log(LOG_DEBUG, "open files: limit raised from %llu to %llu", (unsigned long long)before,
		        (unsigned long long)after);
	else
		fcr_log(LOG_DEBUG, "open files: limit %llu (the hard limit)", (unsigned long long)after);
}

/* Everything before serving; the snapshot comes first so that its errors reach the terminal. */
static int setup(const struct fcr_config *conf, const struct fcr_daemon_opts *o, int *ready_fd)
{
	struct ids ids = { 0 };
	if (conf->user && lookup_user(conf->user, &ids) != 0)
		return EX_NOUSER;
	raise_fd_limit();
	if (install_signals() != 0)
		return EX_OSERR;
	if (!o->foreground && daemonize(ready_fd) != 0)
		return EX_OSERR;
	if (write_pidfile(conf->pidfile) != 0)
		return EX_CANTCREAT;
	if (open_socket(conf, &ids) != 0)
		return EX_UNAVAILABLE;
	if (drop_privileges(&ids) != 0)
		return EX_NOPERM;
	return 0;
}

int fcr_daemon_run(struct fcr_config *conf, const struct fcr_daemon_opts *o)
{
	int ready_fd = -1;
	struct run r = { .o = o, .started = fcr_now_ms() };
	char *pidfile = conf->pidfile ? strdup(conf->pidfile) : NULL;
	char err[1024];

	fcr_log_open(o->foreground, conf->syslog, conf->syslog_facility, o->verbose);
	struct fcr_snapshot *s = snapshot_new(conf, NULL, err, sizeof(err));
	if (!s) {
		fprintf(stderr, "fcrdns-milter: %s\n", err);
		free(pidfile);
		return EX_CONFIG;
	}
	/* Before any thread counts: the histogram's bounds do not move afterwards. */
	fcr_stats_init(&fcr_milter_stats, s->conf->check_timeout_ms);
	fcr_snapshot_install(s);
	int rc = setup(s->conf, o, &ready_fd);
	if (rc == 0) {
		r.next_stats = fcr_now_ms();
		rc = serve(&r, &ready_fd);
	}
	fcr_snapshot_install(NULL);
	report_ready(&ready_fd, (unsigned char)rc);
	if (pidfile)
		unlink(pidfile);
	free(pidfile);
	fcr_log_close();
	return rc;
}
