/* Reference-counted configuration snapshots (OpenDKIM's conf_refcnt idea). */
#include "snapshot.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static pthread_mutex_t current_lock = PTHREAD_MUTEX_INITIALIZER;
static struct fcr_snapshot *current;

struct fcr_snapshot *fcr_snapshot_new(struct fcr_config *conf, char *err, size_t errlen)
{
	struct fcr_snapshot *s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, errlen, "out of memory");
		fcr_config_free(conf);
		return NULL;
	}
	s->conf = conf;
	s->refs = 1;
	s->svc = fcr_service_new(conf, NULL, err, errlen);
	if (!s->svc) {
		fcr_config_free(conf);
		free(s);
		return NULL;
	}
	return s;
}

void fcr_snapshot_install(struct fcr_snapshot *s)
{
	pthread_mutex_lock(&current_lock);
	struct fcr_snapshot *old = current;
	current = s;
	pthread_mutex_unlock(&current_lock);
	fcr_snapshot_put(old);
}

struct fcr_snapshot *fcr_snapshot_get(void)
{
	pthread_mutex_lock(&current_lock);
	struct fcr_snapshot *s = current;
	if (s)
		__atomic_add_fetch(&s->refs, 1, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&current_lock);
	return s;
}

void fcr_snapshot_put(struct fcr_snapshot *s)
{
	if (!s || __atomic_sub_fetch(&s->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	fcr_service_free(s->svc);
	fcr_config_free(s->conf);
	free(s);
}
