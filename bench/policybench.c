/*
 * policybench.c - the policy alone: parse, build the reader's view and run
 * every rule on one message, N times, and print the CPU time per message.
 * Used by `make bench` for the newsletter and the real-world template set,
 * and under callgrind to see where the time goes.
 *
 * usage: policybench CONFIG N FILE [FILE...]   (consent: confirmed, no
 * tracking; the class as the message classifies itself).  Prints two lines
 * per file: "FILE: N runs, X.XXX ms CPU per message, class C, action A",
 * and the advertising detector's share (policy/adwalk.h: every sentence of
 * the parsed message split and scored, as doi.advertising and
 * transactional.advertising do), "FILE: X.XXX ms detector CPU per message,
 * S sentences".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../gate/config.h"
#include "../policy/adwalk.h"
#include "../policy/policy.h"

static double
cpu_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return (double)t.tv_sec * 1000.0 + (double)t.tv_nsec / 1e6;
}

static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *data;
	long n;

	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	data = malloc((size_t)n + 1);
	if (data && fread(data, 1, (size_t)n, f) != (size_t)n) {
		free(data);
		data = NULL;
	}
	fclose(f);
	if (data)
		data[n] = '\0';
	*len = (size_t)n;
	return data;
}

static int
count_sentence(void *arg, const struct pol_ad_seen *seen)
{
	(void)seen;
	++*(long *)arg;
	return 0;
}

/* The detector alone, on the message parsed once. */
static int
bench_detector(const struct cfg *c, const struct pol_message *m,
	       const char *path, long runs)
{
	long i, sentences = 0;
	double t0;

	/* The shipped model is parsed on first use: not per message. */
	if (pol_ad_walk(cfg_pol(c), m, count_sentence, &sentences) < 0)
		return -1;
	t0 = cpu_ms();

	for (i = 0; i < runs; i++) {
		sentences = 0;
		if (pol_ad_walk(cfg_pol(c), m, count_sentence, &sentences) < 0) {
			fprintf(stderr, "policybench: %s: out of memory\n", path);
			return -1;
		}
	}
	printf("%s: %.3f ms detector CPU per message, %ld sentences\n", path,
	       (cpu_ms() - t0) / (double)runs, sentences);
	return 0;
}

static int
bench_file(const struct cfg *c, const char *path, long runs)
{
	struct pol_limits lim = {(size_t)c->pol.max_parts, (unsigned)c->pol.max_mime_depth,
				 0, 0};
	struct pol_recipient r = {"leser@example.org",
				  {POL_CONSENT_CONFIRMED, 0, 0}};
	struct pol_envelope env = {"newsletter@shop.example", "192.0.2.1", 1,
				   &r, 1, 1700000000, NULL};
	struct pol_verdict v = {POL_CLASS_OTHER, NULL, 0, POL_ACTION_PASS};
	struct pol_message *m;
	size_t len;
	char *data = slurp(path, &len);
	double t0;
	long i;

	if (data == NULL) {
		fprintf(stderr, "policybench: cannot read %s\n", path);
		return -1;
	}
	t0 = cpu_ms();
	for (i = 0; i < runs; i++) {
		m = NULL;
		if (pol_message_parse(data, len, &lim, &m) != POL_OK ||
		    pol_evaluate(cfg_pol(c), &env, m,
			 pol_classify(cfg_pol(c), &env, m), &v) != POL_OK) {
			fprintf(stderr, "policybench: %s: out of memory\n", path);
			return -1;
		}
		if (i + 1 < runs)
			pol_verdict_clear(&v);
		pol_message_free(m);
	}
	printf("%s: %ld runs, %.3f ms CPU per message, class %s, action %s\n",
	       path, runs, (cpu_ms() - t0) / (double)runs, pol_class_name(v.cls),
	       pol_action_name(v.action));
	pol_verdict_clear(&v);
	m = NULL;
	if (pol_message_parse(data, len, &lim, &m) != POL_OK ||
	    bench_detector(c, m, path, runs) < 0) {
		pol_message_free(m);
		free(data);
		return -1;
	}
	pol_message_free(m);
	free(data);
	return 0;
}

int
main(int argc, char **argv)
{
	struct buf err = BUF_INIT;
	struct cfg *c;
	int i, rc = 0;

	if (argc < 4) {
		fprintf(stderr, "usage: policybench CONFIG N FILE...\n");
		return 2;
	}
	pol_init();
	c = cfg_load(argv[1], &err);
	if (c == NULL) {
		fprintf(stderr, "policybench: %s", err.data ? err.data : "config\n");
		return 2;
	}
	for (i = 3; i < argc; i++)
		if (bench_file(c, argv[i], atol(argv[2])) < 0)
			rc = 1;
	cfg_unref(c);
	buf_free(&err);
	return rc;
}
