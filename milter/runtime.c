/*
 * runtime.c - the daemon's shared state: the current configuration snapshot
 * and the open store.
 *
 * Owns: one reference to the current struct cfg (swapped atomically under a
 * mutex by a reload) and the struct db_store, closed at shutdown.  Callbacks
 * take their own reference with mf_cfg_acquire(), so a reload never frees a
 * snapshot a message is still using.
 */
#include <pthread.h>

#include "mf.h"

static pthread_mutex_t mf_runtime_lock = PTHREAD_MUTEX_INITIALIZER;
static struct cfg *mf_current;
static struct db_store *mf_db;

int
mf_runtime_init(struct cfg *cfg, struct db_store *store)
{
	mf_current = cfg;
	mf_db = store;
	return 0;
}

struct cfg *
mf_cfg_acquire(void)
{
	struct cfg *c;

	pthread_mutex_lock(&mf_runtime_lock);
	c = cfg_ref(mf_current);
	pthread_mutex_unlock(&mf_runtime_lock);
	return c;
}

void
mf_cfg_swap(struct cfg *fresh)
{
	struct cfg *old;

	pthread_mutex_lock(&mf_runtime_lock);
	old = mf_current;
	mf_current = fresh;
	pthread_mutex_unlock(&mf_runtime_lock);
	cfg_unref(old);
}

struct db_store *
mf_store(void)
{
	return mf_db;
}

void
mf_runtime_shutdown(void)
{
	mf_cfg_swap(NULL);
	db_close(mf_db);
	mf_db = NULL;
}
