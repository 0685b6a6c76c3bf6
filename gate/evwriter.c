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
 * (the milter's mf_store_get), so after a ConsentDB reload new records go
 * to the new store and the old one stays open until its last record is
 * committed.  A batch that fails as a whole is retried record by
 * record, so one bad record cannot fail its neighbours.  Returns the db/
 * code to each caller; the caller tempfails on any error.
 */
#include <pthread.h>
#include <stdlib.h>

#include "evwriter.h"

#define GATE_EV_BATCH_MAX 1024

struct gate_ev_req {
	const struct db_evidence *e;
	struct db_store *store; /* the caller's counted use */
	int rc;
	int done;
	struct gate_ev_req *next;
};

static pthread_mutex_t gate_ev_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_ev_work = PTHREAD_COND_INITIALIZER;
static pthread_cond_t gate_ev_done = PTHREAD_COND_INITIALIZER;
static struct gate_ev_req *gate_ev_head, *gate_ev_tail;
static int gate_ev_stop, gate_ev_running;
static pthread_t gate_ev_thread;

/* Commit one batch (all requests of one store); fills each request's rc. */
static void
gate_ev_commit_one_store(struct gate_ev_req **reqs, size_t n)
{
	static struct db_evidence batch[GATE_EV_BATCH_MAX];
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
gate_ev_commit(struct gate_ev_req **reqs, size_t n)
{
	size_t start = 0, end;

	while (start < n) {
		for (end = start + 1;
		     end < n && reqs[end]->store == reqs[start]->store; end++)
			;
		gate_ev_commit_one_store(reqs + start, end - start);
		start = end;
	}
}

static void *
gate_ev_main(void *arg)
{
	struct gate_ev_req *reqs[GATE_EV_BATCH_MAX], *r;
	size_t n, i;

	(void)arg;
	pthread_mutex_lock(&gate_ev_lock);
	for (;;) {
		while (gate_ev_head == NULL && !gate_ev_stop)
			pthread_cond_wait(&gate_ev_work, &gate_ev_lock);
		if (gate_ev_head == NULL && gate_ev_stop)
			break;
		for (n = 0; gate_ev_head && n < GATE_EV_BATCH_MAX; n++) {
			reqs[n] = gate_ev_head;
			gate_ev_head = gate_ev_head->next;
		}
		if (gate_ev_head == NULL)
			gate_ev_tail = NULL;
		pthread_mutex_unlock(&gate_ev_lock);
		gate_ev_commit(reqs, n);
		pthread_mutex_lock(&gate_ev_lock);
		for (i = 0; i < n; i++) {
			r = reqs[i];
			r->done = 1;
		}
		pthread_cond_broadcast(&gate_ev_done);
	}
	pthread_mutex_unlock(&gate_ev_lock);
	return NULL;
}

int
gate_evwriter_start(void)
{
	gate_ev_stop = 0;
	if (pthread_create(&gate_ev_thread, NULL, gate_ev_main, NULL) != 0)
		return -1;
	gate_ev_running = 1;
	return 0;
}

void
gate_evwriter_stop(void)
{
	if (!gate_ev_running)
		return;
	pthread_mutex_lock(&gate_ev_lock);
	gate_ev_stop = 1;
	pthread_cond_signal(&gate_ev_work);
	pthread_mutex_unlock(&gate_ev_lock);
	pthread_join(gate_ev_thread, NULL);
	gate_ev_running = 0;
}

int
gate_evidence_write(struct db_store *store, const struct db_evidence *e)
{
	struct gate_ev_req req = {e, store, DB_ERR_IO, 0, NULL};

	if (store == NULL)
		return DB_ERR_IO;
	if (!gate_ev_running)
		return db_evidence_append(store, e);
	pthread_mutex_lock(&gate_ev_lock);
	if (gate_ev_tail)
		gate_ev_tail->next = &req;
	else
		gate_ev_head = &req;
	gate_ev_tail = &req;
	pthread_cond_signal(&gate_ev_work);
	while (!req.done)
		pthread_cond_wait(&gate_ev_done, &gate_ev_lock);
	pthread_mutex_unlock(&gate_ev_lock);
	return req.rc;
}
