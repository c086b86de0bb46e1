/* Configuration snapshots: the configuration and the core built from it, shared by reference.
 * Each connection holds the snapshot it started with; SIGHUP installs a new one and the old one
 * goes when its last connection closes. All functions are thread-safe. */
#ifndef FCR_SNAPSHOT_H
#define FCR_SNAPSHOT_H

#include <stddef.h>

#include "config.h"
#include "service.h"

struct fcr_shared_cache;

struct fcr_snapshot {
	struct fcr_config *conf;     /* read-only */
	fcr_service *svc;
	struct fcr_shared_cache *cache; /* shared with the snapshots before and after it */
	int refs;                    /* atomic */
};

/* Builds a snapshot that owns conf. It shares prev's cache when the Cache* keywords did not change
 * (one cache per process across reloads), else starts a new one. prev may be NULL. NULL with a
 * reason in err (conf is then freed). */
struct fcr_snapshot *fcr_snapshot_new(struct fcr_config *conf, const struct fcr_snapshot *prev,
                                      char *err, size_t errlen);

/* Installs s as the current snapshot (taking over the caller's reference); drops the old one. */
void fcr_snapshot_install(struct fcr_snapshot *s);

/* A new reference to the current snapshot (never NULL once one is installed). */
struct fcr_snapshot *fcr_snapshot_get(void);

/* Drops a reference; the last one frees. NULL is a no-op. */
void fcr_snapshot_put(struct fcr_snapshot *s);

#endif
