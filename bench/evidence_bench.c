/*
 * evidence_bench.c - durable decisions per second through the milter's
 * group-committing evidence writer (gate/evwriter.c), and the latency a
 * callback waits for its record to be durable.
 *
 *   evidence_bench DIR [THREADS] [PER_THREAD]
 *
 * THREADS threads (default 20, like 20 SMTP sessions) each write
 * PER_THREAD (default 2000) realistic decision records and wait for each to
 * be committed, as mf_eom does.  Prints decisions/s, the average batch size
 * and the latency median/p99.  Owns its store directory DIR (created).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../gate/evwriter.h"
#include "../milter/mf.h"

static int bench_per;
static double *bench_lat;

static double
bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *
bench_worker(void *arg)
{
	long t = (long)arg;
	char ref[64], rcpt[64], qid[32];
	struct db_evidence e;
	double t0;
	int i;

	for (i = 0; i < bench_per; i++) {
		static const struct db_evidence_rule miss = {
			"consent.missing", "consent state is none",
			"envelope recipient", 0};

		snprintf(ref, sizeof(ref), "bench-%ld-%d", t, i);
		snprintf(rcpt, sizeof(rcpt), "user%ld.%d@example.org", t, i);
		snprintf(qid, sizeof(qid), "Q%ldX%d", t, i);
		memset(&e, 0, sizeof(e));
		e.time = (int64_t)time(NULL);
		e.ref = ref;
		e.kind = "decision";
		e.queue_id = qid;
		e.message_id = "20261124.campaign-42@shop.example";
		e.sender = "newsletter@shop.example";
		e.recipients = rcpt;
		e.client_ip = "192.0.2.10";
		e.tls = 1;
		e.cls = "marketing";
		e.rulev = &miss;
		e.nrules = i % 10 ? 0 : 1;
		e.action = i % 10 ? "pass" : "reject";
		e.sha256 = "9f2c1d5e0b7a4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d";
		t0 = bench_now();
		if (mf_evidence_write(&e) != DB_OK) {
			fprintf(stderr, "evidence_bench: write failed\n");
			exit(1);
		}
		bench_lat[t * bench_per + i] = bench_now() - t0;
	}
	return NULL;
}

static int
bench_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int
main(int argc, char **argv)
{
	int threads = argc > 2 ? atoi(argv[2]) : 20;
	struct db_store *store;
	pthread_t *tid;
	double t0, secs;
	char err[256];
	long t, n;

	bench_per = argc > 3 ? atoi(argv[3]) : 2000;
	if (argc < 2 || threads < 1 || bench_per < 1) {
		fprintf(stderr, "usage: evidence_bench DIR [THREADS] [PER_THREAD]\n");
		return 2;
	}
	if (db_open(argv[1], DB_OPEN_CREATE, &store, err, sizeof(err)) != DB_OK) {
		fprintf(stderr, "evidence_bench: %s\n", err);
		return 1;
	}
	{
		/* The runtime keeps the config snapshot its store was opened
		 * for; defaults naming this directory do. */
		struct cfg *cfg = cfg_defaults();

		free(cfg->consent_db);
		cfg->consent_db = strdup(argv[1]);
		if (cfg->consent_db == NULL || mf_runtime_init(cfg, store) < 0)
			return 1;
	}
	if (gate_evwriter_start() < 0)
		return 1;
	n = (long)threads * bench_per;
	bench_lat = calloc((size_t)n, sizeof(double));
	tid = calloc((size_t)threads, sizeof(*tid));
	t0 = bench_now();
	for (t = 0; t < threads; t++)
		pthread_create(&tid[t], NULL, bench_worker, (void *)t);
	for (t = 0; t < threads; t++)
		pthread_join(tid[t], NULL);
	secs = bench_now() - t0;
	gate_evwriter_stop();
	qsort(bench_lat, (size_t)n, sizeof(double), bench_cmp);
	printf("evidence: %ld durable decisions from %d threads in %.2f s = %.0f/s; "
	       "wait for durability median %.2f ms, p99 %.2f ms\n",
	       n, threads, secs, (double)n / secs, bench_lat[n / 2] * 1e3,
	       bench_lat[n * 99 / 100] * 1e3);
	db_close(store);
	free(bench_lat);
	free(tid);
	return 0;
}
