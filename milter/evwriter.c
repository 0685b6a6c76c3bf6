/*
 * evwriter.c - group commit of evidence records.
 *
 * Every decision must be durable before the MTA gets its answer, but one
 * fsync per message would serialise all connections behind the disk.  So
 * callbacks hand their record to one writer thread and wait; the writer
 * takes everything queued, commits it in one LMDB transaction (one fsync),
 * and wakes the waiters with the result.  Under load a batch holds as many
 * records as arrived during the previous commit.
 *
 * Owns: the writer thread, the queue (requests live on the callers' stacks
 * and are only touched under the lock until marked done), its mutex and
 * condition variables.  A batch that fails as a whole is retried record by
 * record, so one bad record cannot fail its neighbours.  Returns the db/
 * code to each caller; the caller tempfails on any error.
 */
#include <pthread.h>
#include <stdlib.h>

#include "mf.h"

#define MF_EV_BATCH_MAX 1024

struct mf_ev_req {
	const struct db_evidence *e;
	int rc;
	int done;
	struct mf_ev_req *next;
};

static pthread_mutex_t mf_ev_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t mf_ev_work = PTHREAD_COND_INITIALIZER;
static pthread_cond_t mf_ev_done = PTHREAD_COND_INITIALIZER;
static struct mf_ev_req *mf_ev_head, *mf_ev_tail;
static int mf_ev_stop, mf_ev_running;
static pthread_t mf_ev_thread;
static struct db_store *mf_ev_store;

/* Commit one batch; fills each request's rc. */
static void
mf_ev_commit(struct mf_ev_req **reqs, size_t n)
{
	static struct db_evidence batch[MF_EV_BATCH_MAX];
	size_t i;
	int rc;

	for (i = 0; i < n; i++)
		batch[i] = *reqs[i]->e;
	rc = db_evidence_append_many(mf_ev_store, batch, n, NULL);
	if (rc == DB_OK || n == 1) {
		for (i = 0; i < n; i++)
			reqs[i]->rc = rc;
		return;
	}
	for (i = 0; i < n; i++)
		reqs[i]->rc = db_evidence_append(mf_ev_store, reqs[i]->e);
}

static void *
mf_ev_main(void *arg)
{
	struct mf_ev_req *reqs[MF_EV_BATCH_MAX], *r;
	size_t n, i;

	(void)arg;
	pthread_mutex_lock(&mf_ev_lock);
	for (;;) {
		while (mf_ev_head == NULL && !mf_ev_stop)
			pthread_cond_wait(&mf_ev_work, &mf_ev_lock);
		if (mf_ev_head == NULL && mf_ev_stop)
			break;
		for (n = 0; mf_ev_head && n < MF_EV_BATCH_MAX; n++) {
			reqs[n] = mf_ev_head;
			mf_ev_head = mf_ev_head->next;
		}
		if (mf_ev_head == NULL)
			mf_ev_tail = NULL;
		pthread_mutex_unlock(&mf_ev_lock);
		mf_ev_commit(reqs, n);
		pthread_mutex_lock(&mf_ev_lock);
		for (i = 0; i < n; i++) {
			r = reqs[i];
			r->done = 1;
		}
		pthread_cond_broadcast(&mf_ev_done);
	}
	pthread_mutex_unlock(&mf_ev_lock);
	return NULL;
}

int
mf_evwriter_start(struct db_store *store)
{
	mf_ev_store = store;
	mf_ev_stop = 0;
	if (pthread_create(&mf_ev_thread, NULL, mf_ev_main, NULL) != 0)
		return -1;
	mf_ev_running = 1;
	return 0;
}

void
mf_evwriter_stop(void)
{
	if (!mf_ev_running)
		return;
	pthread_mutex_lock(&mf_ev_lock);
	mf_ev_stop = 1;
	pthread_cond_signal(&mf_ev_work);
	pthread_mutex_unlock(&mf_ev_lock);
	pthread_join(mf_ev_thread, NULL);
	mf_ev_running = 0;
}

int
mf_evidence_write(const struct db_evidence *e)
{
	struct mf_ev_req req = {e, DB_ERR_IO, 0, NULL};

	if (!mf_ev_running)
		return db_evidence_append(mf_store(), e);
	pthread_mutex_lock(&mf_ev_lock);
	if (mf_ev_tail)
		mf_ev_tail->next = &req;
	else
		mf_ev_head = &req;
	mf_ev_tail = &req;
	pthread_cond_signal(&mf_ev_work);
	while (!req.done)
		pthread_cond_wait(&mf_ev_done, &mf_ev_lock);
	pthread_mutex_unlock(&mf_ev_lock);
	return req.rc;
}
