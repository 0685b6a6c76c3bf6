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
 * condition variables.  The writer holds no store of its own: each request
 * carries the caller's counted use of the store current when it was made
 * (mf_store_get), so after a ConsentDB reload new records go to the new
 * store and the old one stays open until its last record is committed.  A batch that fails as a whole is retried record by
 * record, so one bad record cannot fail its neighbours.  Returns the db/
 * code to each caller; the caller tempfails on any error.
 */
#include <pthread.h>
#include <stdlib.h>

#include "mf.h"

#define MF_EV_BATCH_MAX 1024

struct mf_ev_req {
	const struct db_evidence *e;
	struct db_store *store; /* the caller's counted use */
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

/* Commit one batch (all requests of one store); fills each request's rc. */
static void
mf_ev_commit_one_store(struct mf_ev_req **reqs, size_t n)
{
	static struct db_evidence batch[MF_EV_BATCH_MAX];
	struct db_store *store = reqs[0]->store;
	size_t i;
	int rc;

	for (i = 0; i < n; i++)
		batch[i] = *reqs[i]->e;
	rc = db_evidence_append_many(store, batch, n, NULL);
	if (rc == DB_OK || n == 1) {
		for (i = 0; i < n; i++)
			reqs[i]->rc = rc;
		return;
	}
	for (i = 0; i < n; i++)
		reqs[i]->rc = db_evidence_append(store, reqs[i]->e);
}

/* Commit what was taken from the queue.  Around a reload the queue may hold
 * records for the old and the new store: each run of one store is its own
 * transaction in its own store. */
static void
mf_ev_commit(struct mf_ev_req **reqs, size_t n)
{
	size_t start = 0, end;

	while (start < n) {
		for (end = start + 1;
		     end < n && reqs[end]->store == reqs[start]->store; end++)
			;
		mf_ev_commit_one_store(reqs + start, end - start);
		start = end;
	}
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
mf_evwriter_start(void)
{
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
	struct mf_ev_req req = {e, NULL, DB_ERR_IO, 0, NULL};

	req.store = mf_store_get();
	if (req.store == NULL)
		return DB_ERR_IO;
	if (!mf_ev_running) {
		req.rc = db_evidence_append(req.store, e);
		mf_store_put(req.store);
		return req.rc;
	}
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
	mf_store_put(req.store);
	return req.rc;
}
