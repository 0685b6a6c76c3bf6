/*
 * runtime.c - the daemon's shared state: the current configuration
 * snapshot, the open consent store, and the count of open MTA connections.
 *
 * Owns: one reference to the current struct cfg (swapped under a mutex by a
 * reload) and every open struct db_store.  Callbacks take their own config
 * reference with mf_cfg_acquire(), so a reload never frees a snapshot a
 * message is still using.  The store works the same way: every piece of
 * milter code that calls db/ first takes a counted use with mf_store_get()
 * and gives it back with mf_store_put().  A reload that changes ConsentDB
 * opens the new store, swaps it in (from then on every mf_store_get() returns
 * it) and retires the old one; a retired store is closed by whoever gives
 * back its last use (or by mf_store_reap() right after the swap when it has
 * none), so no lookup or evidence write ever runs on a closed store.  Each
 * db/ call uses the store current when it starts: a message in progress
 * during the switch may have looked up consent in the old store at RCPT and
 * read the new one at end of message and write its evidence there.  At most one store per directory is open (LMDB forbids opening an
 * environment twice in one process): the caller of mf_store_swap() checks
 * that the new directory is another one.
 *
 * The connection count is what SIGTERM waits for: mf_conn_open() refuses
 * once mf_conn_drain() was called, so no connection starts after the drain
 * began.  Nothing here logs except the closing of a retired store.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../common/log.h"
#include "mf.h"

/* One open store and the number of uses handed out and not yet given back. */
struct mf_store_slot {
	struct db_store *db;
	char *dir;
	dev_t dev;  /* of dir, to know the same store under another name */
	ino_t ino;
	long users;
	int retired;
	struct mf_store_slot *next;
};

static pthread_mutex_t mf_runtime_lock = PTHREAD_MUTEX_INITIALIZER;
static struct cfg *mf_current;
static struct mf_store_slot *mf_slots; /* the current one first */
static long mf_conns;
static int mf_draining;

static struct mf_store_slot *
mf_slot_new(struct db_store *store, const char *dir)
{
	struct mf_store_slot *s = calloc(1, sizeof(*s));
	struct stat st;

	if (s == NULL)
		return NULL;
	s->dir = strdup(dir ? dir : "");
	if (s->dir == NULL) {
		free(s);
		return NULL;
	}
	s->db = store;
	if (stat(s->dir, &st) == 0) {
		s->dev = st.st_dev;
		s->ino = st.st_ino;
	}
	return s;
}

static void
mf_slot_close(struct mf_store_slot *s)
{
	db_close(s->db);
	free(s->dir);
	free(s);
}

int
mf_runtime_init(struct cfg *cfg, struct db_store *store)
{
	mf_slots = mf_slot_new(store, cfg->consent_db);
	if (mf_slots == NULL)
		return -1;
	mf_current = cfg;
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
mf_store_get(void)
{
	struct db_store *db = NULL;

	pthread_mutex_lock(&mf_runtime_lock);
	if (mf_slots) {
		mf_slots->users++;
		db = mf_slots->db;
	}
	pthread_mutex_unlock(&mf_runtime_lock);
	return db;
}

/* Unlink s from the slot list (lock held). */
static void
mf_slot_unlink(struct mf_store_slot *s)
{
	struct mf_store_slot **p;

	for (p = &mf_slots; *p; p = &(*p)->next) {
		if (*p == s) {
			*p = s->next;
			return;
		}
	}
}

void
mf_store_put(struct db_store *db)
{
	struct mf_store_slot *s, *gone = NULL;

	if (db == NULL)
		return;
	pthread_mutex_lock(&mf_runtime_lock);
	for (s = mf_slots; s; s = s->next) {
		if (s->db != db)
			continue;
		if (--s->users == 0 && s->retired) {
			mf_slot_unlink(s);
			gone = s;
		}
		break;
	}
	pthread_mutex_unlock(&mf_runtime_lock);
	if (gone) {
		log_info("consent store %s closed: no message uses it any more",
			 gone->dir);
		mf_slot_close(gone);
	}
}

int
mf_store_which(const char *dir)
{
	struct mf_store_slot *s;
	struct stat st;
	int which = 0;

	if (stat(dir, &st) < 0)
		return -1;
	pthread_mutex_lock(&mf_runtime_lock);
	for (s = mf_slots; s; s = s->next) {
		if (s->dev == st.st_dev && s->ino == st.st_ino) {
			which = s == mf_slots ? 1 : 2;
			break;
		}
	}
	pthread_mutex_unlock(&mf_runtime_lock);
	return which;
}

int
mf_store_swap(struct db_store *fresh, const char *dir, struct cfg *cfg)
{
	struct mf_store_slot *s = mf_slot_new(fresh, dir);
	struct cfg *old_cfg;

	if (s == NULL)
		return -1;
	pthread_mutex_lock(&mf_runtime_lock);
	if (mf_slots)
		mf_slots->retired = 1;
	s->next = mf_slots;
	mf_slots = s;
	old_cfg = mf_current;
	mf_current = cfg;
	pthread_mutex_unlock(&mf_runtime_lock);
	cfg_unref(old_cfg);
	return 0;
}

void
mf_store_reap(void)
{
	struct mf_store_slot *s, *next, *gone = NULL;

	pthread_mutex_lock(&mf_runtime_lock);
	for (s = mf_slots; s; s = next) {
		next = s->next;
		if (s->retired && s->users == 0) {
			mf_slot_unlink(s);
			s->next = gone;
			gone = s;
		}
	}
	pthread_mutex_unlock(&mf_runtime_lock);
	for (s = gone; s; s = next) {
		next = s->next;
		log_info("consent store %s closed: no message uses it any more",
			 s->dir);
		mf_slot_close(s);
	}
}

int
mf_conn_open(void)
{
	int ok;

	pthread_mutex_lock(&mf_runtime_lock);
	ok = !mf_draining;
	if (ok)
		mf_conns++;
	pthread_mutex_unlock(&mf_runtime_lock);
	return ok ? 0 : -1;
}

void
mf_conn_close(void)
{
	pthread_mutex_lock(&mf_runtime_lock);
	mf_conns--;
	pthread_mutex_unlock(&mf_runtime_lock);
}

long
mf_conn_drain(void)
{
	long n;

	pthread_mutex_lock(&mf_runtime_lock);
	mf_draining = 1;
	n = mf_conns;
	pthread_mutex_unlock(&mf_runtime_lock);
	return n;
}

void
mf_runtime_shutdown(void)
{
	struct mf_store_slot *s;

	mf_cfg_swap(NULL);
	pthread_mutex_lock(&mf_runtime_lock);
	s = mf_slots;
	mf_slots = NULL;
	pthread_mutex_unlock(&mf_runtime_lock);
	while (s) {
		struct mf_store_slot *next = s->next;

		mf_slot_close(s);
		s = next;
	}
}
