/* The default thread stack size (threadstack.h). */
#include "threadstack.h"

#include <pthread.h>

int fcr_threadstack_default(size_t size)
{
	pthread_attr_t attr;
	int rc = pthread_getattr_default_np(&attr);
	if (rc != 0)
		return rc;
	rc = pthread_attr_setstacksize(&attr, size);
	if (rc == 0)
		rc = pthread_setattr_default_np(&attr);
	pthread_attr_destroy(&attr);
	return rc;
}
