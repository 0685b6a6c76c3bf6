/*
 * storebench.c - consent store benchmark for bench/run.sh, linked against the
 * project's own db/ and common/ objects (the .o files under build/db and
 * build/common, put into a static archive so only what is used is linked).
 *
 *   storebench gen N FILE [ADDR]    write a consent CSV of N confirmed
 *                                   records (the last one ADDR when given)
 *   storebench import DIR FILE      create the store DIR, fmt_import_csv FILE,
 *                                   print "import ROWS SECONDS PEAK_RSS_KB
 *                                   PEAK_ANON_KB LONGEST_TXN_MS"
 *   storebench export DIR [json]    fmt_export the store to /dev/null, print
 *                                   "export ROWS SECONDS PEAK_RSS_KB
 *                                   PEAK_ANON_KB"
 * PEAK_RSS_KB is VmHWM (the heap and the store's mapped pages, which the
 * kernel may drop at will); PEAK_ANON_KB the highest RssAnon (heap alone)
 * seen by a thread sampling it every 20 ms.
 *   storebench lookup DIR N COUNT [THREADS [miss|gate]]
 *                                   COUNT db_consent_get of random generated
 *                                   addresses (all hits; with "miss" all
 *                                   misses; with "gate" all hits through
 *                                   gate_consent_lookup, the milter's call
 *                                   per recipient) over THREADS threads
 *                                   (1), print
 *                                   "lookup[-miss] COUNT SECONDS PER_SECOND
 *                                   threads T cpu CPU_SECONDS" (the CPU
 *                                   time of all threads: on a shared
 *                                   machine the less noisy figure)
 *
 * The generated addresses are n<hash(i)>@mailNN.example, with hash a
 * bijection on 32 bits, so the CSV is not in key order (as a real export
 * sorted by sign-up date is not).  Each row is a complete double opt-in
 * record: state confirmed, uid, confirming IP, created and confirmed times,
 * source.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <unistd.h>

#include "../db/store.h"
#include "../fmt/export.h"
#include "../fmt/import.h"
#include "../gate/consent.h"

static double
clock_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double
now_s(void)
{
	return clock_s(CLOCK_MONOTONIC);
}

/* The field (e.g. "VmHWM:") of /proc/self/status in kB (0 when unknown). */
static long
status_kb(const char *field)
{
	FILE *f = fopen("/proc/self/status", "r");
	size_t n = strlen(field);
	char line[256];
	long kb = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof line, f))
		if (strncmp(line, field, n) == 0)
			kb = strtol(line + n, NULL, 10);
	fclose(f);
	return kb;
}

/* VmHWM of this process in kB (0 when unknown). */
static long
peak_rss_kb(void)
{
	return status_kb("VmHWM:");
}

/* RssAnon of this process in kB (0 when unknown). */
static long
anon_kb(void)
{
	return status_kb("RssAnon:");
}

static volatile long anon_peak;
static volatile int anon_stop;

static void *
anon_sampler(void *arg)
{
	long kb;

	(void)arg;
	while (!anon_stop) {
		if ((kb = anon_kb()) > anon_peak)
			anon_peak = kb;
		usleep(20000);
	}
	return NULL;
}

static pthread_t anon_tid;

static void
anon_start(void)
{
	anon_peak = anon_kb();
	pthread_create(&anon_tid, NULL, anon_sampler, NULL);
}

static long
anon_end(void)
{
	long kb = anon_kb();

	anon_stop = 1;
	pthread_join(anon_tid, NULL);
	return kb > anon_peak ? kb : anon_peak;
}

static void
gen_addr(uint32_t i, char *out, size_t outsz)
{
	uint32_t h = i * 2654435761u; /* odd multiplier: a bijection */

	snprintf(out, outsz, "n%08x@mail%02u.example", h, i % 50);
}

static int
cmd_gen(unsigned long n, const char *file, const char *extra)
{
	FILE *f = fopen(file, "w");
	char addr[64];
	unsigned long i, gen;
	static char iobuf[1 << 20];

	if (!f) {
		fprintf(stderr, "storebench: %s: %s\n", file, strerror(errno));
		return 1;
	}
	setvbuf(f, iobuf, _IOFBF, sizeof iobuf);
	fputs("address,state,uid,ip,created,confirmed,source\n", f);
	gen = extra ? n - 1 : n;
	for (i = 0; i < gen; i++) {
		gen_addr((uint32_t)i, addr, sizeof addr);
		fprintf(f, "%s,confirmed,u%lu,198.51.100.%lu,%lu,%lu,webform\n",
			addr, i, i % 254 + 1, 1700000000ul + i,
			1700000000ul + i + 600);
	}
	if (extra)
		fprintf(f, "%s,confirmed,u-bench,203.0.113.7,1700000000,"
			   "1700000600,webform\n", extra);
	if (fclose(f) != 0) {
		fprintf(stderr, "storebench: %s: %s\n", file, strerror(errno));
		return 1;
	}
	return 0;
}

static int
cmd_import(const char *dir, const char *file)
{
	struct db_import_opts opts;
	struct db_import_count n;
	struct db_store *s;
	char err[512];
	FILE *f;
	double t0, t1;
	long anon;
	int rc;

	rc = db_open(dir, DB_OPEN_CREATE, &s, err, sizeof err);
	if (rc != DB_OK) {
		fprintf(stderr, "storebench: open %s: %s\n", dir, err);
		return 1;
	}
	f = fopen(file, "r");
	if (!f) {
		fprintf(stderr, "storebench: %s: %s\n", file, strerror(errno));
		db_close(s);
		return 1;
	}
	memset(&opts, 0, sizeof opts);
	anon_start();
	t0 = now_s();
	rc = fmt_import_csv_opts(s, f, file, (int64_t)time(NULL), &opts, &n,
				 err, sizeof err);
	t1 = now_s();
	anon = anon_end();
	fclose(f);
	db_close(s);
	if (rc != DB_OK) {
		fprintf(stderr, "storebench: import: %s (%s)\n", err,
			db_strerror(rc));
		return 1;
	}
	printf("import %zu %.2f %ld %ld %lu\n", n.changed, t1 - t0,
	       peak_rss_kb(), anon, n.batch_ms_max);
	return 0;
}

static int
count_cb(const char *addr, const struct db_consent *c, void *arg)
{
	(void)addr;
	(void)c;
	(*(size_t *)arg)++;
	return 0;
}

static int
cmd_export(const char *dir, int json)
{
	struct db_store *s;
	char err[512];
	size_t count = 0;
	FILE *out;
	double t0, t1;
	long anon;
	int rc;

	rc = db_open(dir, DB_OPEN_RDONLY, &s, err, sizeof err);
	if (rc != DB_OK) {
		fprintf(stderr, "storebench: open %s: %s\n", dir, err);
		return 1;
	}
	if ((out = fopen("/dev/null", "w")) == NULL)
		return 1;
	anon_start();
	t0 = now_s();
	rc = fmt_export(s, out, json);
	t1 = now_s();
	anon = anon_end();
	fclose(out);
	if (rc == DB_OK)
		rc = db_consent_foreach(s, count_cb, &count);
	db_close(s);
	if (rc != DB_OK) {
		fprintf(stderr, "storebench: export: %s\n", db_strerror(rc));
		return 1;
	}
	printf("export %zu %.2f %ld %ld\n", count, t1 - t0, peak_rss_kb(),
	       anon);
	return 0;
}

struct lookup_job {
	struct db_store *s;
	char (*addrs)[40];
	unsigned long npre, count, bad;
	int miss, gate;
};

static void *
lookup_run(void *arg)
{
	struct lookup_job *j = arg;
	struct db_consent c;
	struct pol_consent p;
	unsigned long i;
	int rc;

	for (i = 0; j->gate && i < j->count; i++)
		if (gate_consent_lookup(j->s, j->addrs[i % j->npre], &p) != 0 ||
		    p.state != POL_CONSENT_CONFIRMED)
			j->bad++;
	for (i = 0; !j->gate && i < j->count; i++) {
		rc = db_consent_get(j->s, j->addrs[i % j->npre], &c);
		if (j->miss ? rc != DB_NOTFOUND
			    : rc != DB_OK || c.state != DB_STATE_CONFIRMED)
			j->bad++;
	}
	return NULL;
}

static int
cmd_lookup(const char *dir, unsigned long n, unsigned long count,
	   int threads, int miss, int gate)
{
	struct db_store *s;
	struct lookup_job job[16];
	pthread_t tid[16];
	char err[512];
	char (*addrs)[40];
	unsigned long i, npre, bad = 0;
	uint64_t x = 0x9e3779b97f4a7c15ull;
	double t0, t1, c0, c1;
	int rc, t;

	if (threads < 1 || threads > 16)
		threads = 1;
	rc = db_open(dir, DB_OPEN_RDONLY, &s, err, sizeof err);
	if (rc != DB_OK) {
		fprintf(stderr, "storebench: open %s: %s\n", dir, err);
		return 1;
	}
	/* Pre-generate the random addresses so that the timed loop is the
	 * store call only (which normalises the address itself).  Misses:
	 * the same addresses in a domain the store does not hold. */
	npre = count < 1000000 ? count : 1000000;
	addrs = malloc(npre * sizeof *addrs);
	if (!addrs) {
		fprintf(stderr, "storebench: out of memory\n");
		return 1;
	}
	for (i = 0; i < npre; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		gen_addr((uint32_t)(x % (n - 1)), addrs[i], sizeof addrs[i]);
		if (miss)
			memcpy(strchr(addrs[i], '@') + 1, "nomail", 6);
	}
	t0 = now_s();
	c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
	for (t = 0; t < threads; t++) {
		job[t] = (struct lookup_job){s, addrs, npre, count / threads, 0,
					     miss, gate};
		/* Each thread starts elsewhere in the address list. */
		job[t].addrs = addrs + (npre / threads) * t;
		job[t].npre = npre - (npre / threads) * t;
		if (pthread_create(&tid[t], NULL, lookup_run, &job[t]) != 0) {
			fprintf(stderr, "storebench: cannot start a thread\n");
			return 1;
		}
	}
	for (t = 0; t < threads; t++) {
		pthread_join(tid[t], NULL);
		bad += job[t].bad;
	}
	t1 = now_s();
	c1 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
	free(addrs);
	db_close(s);
	if (bad) {
		fprintf(stderr, "storebench: %lu of %lu lookups did not %s\n",
			bad, count, miss ? "miss" : "find a confirmed record");
		return 1;
	}
	count = (count / threads) * threads;
	printf("lookup%s %lu %.3f %.0f threads %d cpu %.3f\n",
	       miss ? "-miss" : gate ? "-gate" : "", count, t1 - t0, (double)count / (t1 - t0),
	       threads, c1 - c0);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc >= 4 && argc <= 5 && strcmp(argv[1], "gen") == 0)
		return cmd_gen(strtoul(argv[2], NULL, 10), argv[3],
			       argc == 5 ? argv[4] : NULL);
	if (argc == 4 && strcmp(argv[1], "import") == 0)
		return cmd_import(argv[2], argv[3]);
	if (argc >= 3 && argc <= 4 && strcmp(argv[1], "export") == 0)
		return cmd_export(argv[2], argc == 4 &&
					       strcmp(argv[3], "json") == 0);
	if (argc >= 5 && argc <= 7 && strcmp(argv[1], "lookup") == 0)
		return cmd_lookup(argv[2], strtoul(argv[3], NULL, 10),
				  strtoul(argv[4], NULL, 10),
				  argc >= 6 ? atoi(argv[5]) : 1,
				  argc == 7 && strcmp(argv[6], "miss") == 0,
				  argc == 7 && strcmp(argv[6], "gate") == 0);
	fprintf(stderr, "usage: storebench gen N FILE [ADDR] | import DIR FILE"
			" | export DIR [json] | lookup DIR N COUNT"
			" [THREADS [miss|gate]]\n");
	return 2;
}
