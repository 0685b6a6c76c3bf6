/*
 * test_import_stream.c - the streamed CSV import (fmt/import.c,
 * db/import.c, db/import_check.c) on files longer than one write batch
 * (DB_IMPORT_BATCH rows): the store it leaves equals that of the same rows
 * imported in pieces smaller than a batch; a bad line or a uid conflict
 * late in the file writes nothing; a uid moves across a batch boundary;
 * a pipe imports like a file; a dry run writes nothing; the heap does not
 * hold the file's rows while they are written; rows written in address
 * order per window are heard in file order and a later row of an address
 * still wins.  Compared through
 * the CSV export.  Each test works in its own temporary directory.
 */
#include "testlib.h"
#include <glib.h>
#include <malloc.h>

#include "../../db/store.h"
#include "../../fmt/export.h"
#include "../../fmt/import.h"

#define NOW INT64_C(1767323045) /* 2026-01-02T03:04:05Z */
#define ROWS 25000		/* two and a half batches */
#define WINDOW 20000		/* rows sorted at a time: two batches */
#define HEADER "address,state,uid,ip,created,confirmed,withdrawn,source\n"

struct fixture {
	char *dir;
	struct db_store *s;
};

static struct db_store *
open_store(const char *dir, const char *name)
{
	struct db_store *s;
	char path[512], err[256];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_int_equal(db_open(path, DB_OPEN_CREATE, &s, err, sizeof(err)),
			 DB_OK);
	return s;
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->dir = test_tmpdir();
	f->s = open_store(f->dir, "store");
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	db_close(f->s);
	test_rmdir_r(f->dir);
	free(f);
	return 0;
}

/* Data row i (1-based; file line i + 1): a confirmed record, or what
 * special rows replace it with ("" for the generic one). */
static void
row(GString *g, int i, const char *special)
{
	if (special && *special) {
		g_string_append_printf(g, "%s\n", special);
		return;
	}
	g_string_append_printf(g, "a%d@example.org,confirmed,u%d,198.51.100.%d,"
			       "%d,%d,,webform\n", i, i, i % 250 + 1,
			       1700000000 + i, 1700000600 + i);
}

/* ROWS rows; specials[k] replaces row at[k] (0 ends). */
static GString *
big_file(const int *at, const char *const *specials)
{
	GString *g = g_string_new(HEADER);
	int i, k;

	for (i = 1; i <= ROWS; i++) {
		const char *sp = NULL;

		for (k = 0; at[k]; k++)
			if (at[k] == i)
				sp = specials[k];
		row(g, i, sp);
	}
	return g;
}

static const char *
save(const struct fixture *f, const char *name, const char *text)
{
	static char path[512];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", f->dir, name);
	fp = fopen(path, "w");
	assert_non_null(fp);
	assert_int_equal(fputs(text, fp) >= 0, 1);
	fclose(fp);
	return path;
}

static int
import_path(struct db_store *s, const char *path, int pipe, size_t *n,
	    char *err, size_t errsz)
{
	struct db_import_opts o;
	struct db_import_count c;
	char cmd[600];
	FILE *fp;
	int rc;

	snprintf(cmd, sizeof(cmd), "cat '%s'", path);
	fp = pipe ? popen(cmd, "r") : fopen(path, "r");
	assert_non_null(fp);
	memset(&o, 0, sizeof(o));
	o.window = WINDOW;
	rc = fmt_import_csv_opts(s, fp, "in.csv", NOW, &o, &c, err, errsz);
	*n = c.changed;
	if (pipe)
		pclose(fp);
	else
		fclose(fp);
	return rc;
}

/* The store as CSV (g_free it). */
static char *
export(struct db_store *s)
{
	char *text = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&text, &len);

	assert_non_null(mem);
	assert_int_equal(fmt_export(s, mem, 0), DB_OK);
	fclose(mem);
	return text;
}

/* Records the tests start from: old holds the uid that moves, keep one
 * that stays. */
static void
preload(struct fixture *f, struct db_store *s)
{
	const char *path;
	char err[256];
	size_t n;

	path = save(f, "pre.csv", HEADER
	     "old@example.org,confirmed,u-moving,203.0.113.1,1690000000,"
	     "1690000600,,form\n"
	     "keep@example.org,confirmed,u-keep,203.0.113.2,1690000000,"
	     "1690000600,,form\n");
	assert_int_equal(import_path(s, path, 0, &n, err, sizeof(err)),
			 DB_OK);
	assert_int_equal(n, 2);
}

/* Rows that cross batches: a100 withdrawn in the second batch and a
 * stale re-confirmation of it in the third (refused), old gives its uid
 * up in the first batch and a new address takes it in the second. */
static const int mix_at[] = {9990, 10010, 12000, 22000, 0};
static const char *const mix_rows[] = {
    "old@example.org,confirmed,u-old2,203.0.113.1,1690000000,1690000600,,"
    "form",
    "new@example.org,confirmed,u-moving,203.0.113.9,1700000000,1700000600,"
    ",form",
    "a100@example.org,withdrawn,u100,,1700000100,1700000700,1750000000,"
    "webform",
    "a100@example.org,confirmed,u100,198.51.100.1,1700000100,1700000800,,"
    "webform"};

static void
test_same_store_as_pieces(void **state)
{
	struct fixture *f = *state;
	struct db_store *s2 = open_store(f->dir, "pieces");
	GString *g = big_file(mix_at, mix_rows);
	char err[256], *a, *b, **lines, name[64];
	size_t n, total = 0;
	int i, k;

	preload(f, f->s);
	preload(f, s2);
	assert_int_equal(import_path(f->s, save(f, "big.csv", g->str), 0, &n,
				     err, sizeof(err)), DB_OK);
	/* ROWS rows, a100 twice changed, once refused: ROWS - 1 changed. */
	assert_int_equal(n, ROWS - 1);
	/* The same rows in pieces of 1000, each one batch. */
	lines = g_strsplit(g->str, "\n", -1);
	for (i = 1; lines[i] && lines[i][0]; i += 1000) {
		GString *p = g_string_new(HEADER);

		for (k = i; k < i + 1000 && lines[k] && lines[k][0]; k++)
			g_string_append_printf(p, "%s\n", lines[k]);
		snprintf(name, sizeof(name), "piece%d.csv", i);
		assert_int_equal(import_path(s2, save(f, name, p->str), 0, &n,
					     err, sizeof(err)), DB_OK);
		total += n;
		g_string_free(p, TRUE);
	}
	assert_int_equal(total, ROWS - 1);
	a = export(f->s);
	b = export(s2);
	assert_string_equal(a, b);
	assert_non_null(strstr(a, "a100@example.org,withdrawn,"));
	assert_non_null(strstr(a, "new@example.org,confirmed,u-moving,"));
	free(a);
	free(b);
	g_strfreev(lines);
	g_string_free(g, TRUE);
	db_close(s2);
}

/* A file is refused with message want and the store is left as it was. */
static void
assert_refused(struct fixture *f, GString *g, const char *want)
{
	char err[256], *before, *after;
	size_t n = 99;

	preload(f, f->s);
	before = export(f->s);
	assert_int_equal(import_path(f->s, save(f, "bad.csv", g->str), 0, &n,
				     err, sizeof(err)), DB_ERR_INVALID);
	assert_string_equal(err, want);
	after = export(f->s);
	assert_string_equal(before, after);
	free(before);
	free(after);
	g_string_free(g, TRUE);
}

static void
test_bad_line_late(void **state)
{
	static const int at[] = {15000, 0};
	static const char *const sp[] = {"not-an-address,confirmed,x,,,,,"};

	assert_refused(*state, big_file(at, sp),
		       "in.csv:15001: address 'not-an-address': invalid "
		       "address");
}

static void
test_uid_held_late(void **state)
{
	static const int at[] = {20000, 0};
	static const char *const sp[] = {
	    "z@example.org,confirmed,u-keep,203.0.113.5,1700000000,"
	    "1700000600,,form"};

	assert_refused(*state, big_file(at, sp),
		       "in.csv:20001: uid 'u-keep' already belongs to "
		       "keep@example.org");
}

static void
test_uid_twice_across_batches(void **state)
{
	static const int at[] = {3, 14000, 0};
	static const char *const sp[] = {
	    "a3@example.org,confirmed,dup,203.0.113.5,1700000000,1700000600,,f",
	    "b@example.org,confirmed,dup,203.0.113.6,1700000000,1700000600,,f"};

	assert_refused(*state, big_file(at, sp),
		       "in.csv:14001: uid 'dup' is also given to "
		       "a3@example.org on line 4");
}

/* The new holder comes before the old gives the uid up, in another
 * batch: allowed, and the index follows. */
static void
test_uid_moves_back_to_front(void **state)
{
	static const int at[] = {9995, 10020, 0};
	static const char *const sp[] = {
	    "new@example.org,confirmed,u-moving,203.0.113.9,1700000000,"
	    "1700000600,,form",
	    "old@example.org,confirmed,u-old2,203.0.113.1,1690000000,"
	    "1690000600,,form"};
	struct fixture *f = *state;
	GString *g = big_file(at, sp);
	char err[256], owner[256];
	size_t n;

	preload(f, f->s);
	assert_int_equal(import_path(f->s, save(f, "m.csv", g->str), 0, &n,
				     err, sizeof(err)), DB_OK);
	assert_int_equal(db_consent_by_uid(f->s, "u-moving", owner,
					   sizeof(owner)), DB_OK);
	assert_string_equal(owner, "new@example.org");
	assert_int_equal(db_consent_by_uid(f->s, "u-old2", owner,
					   sizeof(owner)), DB_OK);
	assert_string_equal(owner, "old@example.org");
	g_string_free(g, TRUE);
}

static void
test_pipe_and_dry_run(void **state)
{
	struct fixture *f = *state;
	struct db_store *s2 = open_store(f->dir, "piped");
	GString *g = big_file(mix_at, mix_rows);
	struct db_import_opts o;
	struct db_import_count c;
	const char *path;
	char err[256], *a, *b, *empty;
	size_t n;
	FILE *fp;

	preload(f, f->s);
	preload(f, s2);
	path = save(f, "big.csv", g->str); /* static: after preload's */
	empty = export(f->s);
	memset(&o, 0, sizeof(o));
	o.dry_run = 1;
	o.window = WINDOW;
	fp = fopen(path, "r");
	assert_non_null(fp);
	assert_int_equal(fmt_import_csv_opts(f->s, fp, "in.csv", NOW, &o, &c,
					     err, sizeof(err)), DB_OK);
	fclose(fp);
	/* Dry: each row against the stored record, so a100's three rows
	 * are all changes (none written). */
	assert_int_equal(c.changed, ROWS);
	assert_int_equal(c.refused, 0);
	a = export(f->s);
	assert_string_equal(a, empty);
	free(a);
	assert_int_equal(import_path(f->s, path, 0, &n, err, sizeof(err)),
			 DB_OK);
	assert_int_equal(import_path(s2, path, 1, &n, err, sizeof(err)),
			 DB_OK);
	assert_int_equal(n, ROWS - 1);
	a = export(f->s);
	b = export(s2);
	assert_string_equal(a, b);
	free(a);
	free(b);
	free(empty);
	g_string_free(g, TRUE);
	db_close(s2);
}

/* The heap in use now. */
static size_t
heap_now(void)
{
	struct mallinfo2 m = mallinfo2();

	return m.uordblks + m.hblkhd;
}

static void
note_heap(void *arg, unsigned long line, const char *addr,
	  const struct db_sm_result *res)
{
	size_t *peak = arg, h = heap_now();

	(void)line;
	(void)addr;
	(void)res;
	if (h > *peak)
		*peak = h;
}

/* The rows are not held: while the rows of a file are merged, the heap
 * holds far less than the file (one window, here a fifth of it).  Measured on a re-import, in
 * which every row is unchanged, so that the store's own dirty pages do
 * not count. */
static void
test_rows_not_held(void **state)
{
	struct fixture *f = *state;
	struct db_import_opts o;
	struct db_import_count c;
	char src[191], err[256];
	GString *g;
	size_t base, peak = 0, size, n;
	const char *path;
	FILE *fp;
	int i;

	/* Under valgrind or a sanitizer malloc is not glibc's: no count. */
	base = heap_now();
	path = malloc(4 << 20);
	assert_non_null(path);
	memset((char *)path, 1, 4 << 20);
	size = heap_now();
	free((char *)path);
	if (size < base + (4 << 20))
		skip();
	memset(src, 's', 190);
	src[190] = '\0';
	g = g_string_new(HEADER);
	for (i = 1; i <= 2 * ROWS; i++)
		g_string_append_printf(g, "s%d@example.org,confirmed,,"
				       "198.51.100.1,1700000000,1700000600,,"
				       "%s\n", i, src);
	size = g->len;
	path = save(f, "long.csv", g->str);
	g_string_free(g, TRUE);
	assert_int_equal(import_path(f->s, path, 0, &n, err, sizeof(err)),
			 DB_OK);
	assert_int_equal(n, 2 * ROWS);
	memset(&o, 0, sizeof(o));
	o.note = note_heap;
	o.arg = &peak;
	o.window = DB_IMPORT_BATCH; /* a fifth of the file */
	fp = fopen(path, "r");
	assert_non_null(fp);
	base = heap_now();
	assert_int_equal(fmt_import_csv_opts(f->s, fp, "in.csv", NOW, &o, &c,
					     err, sizeof(err)), DB_OK);
	fclose(fp);
	assert_int_equal(c.same, 2 * ROWS);
	assert_true(peak > base);
	assert_true(peak - base < size / 2);
}

/* The notes of one window, and the evidence order they imply. */
struct order_note {
	unsigned long last_line;
	int out_of_order;
	size_t n;
};

static void
note_order(void *arg, unsigned long line, const char *addr,
	   const struct db_sm_result *res)
{
	struct order_note *o = arg;

	(void)addr;
	(void)res;
	o->out_of_order |= line <= o->last_line;
	o->last_line = line;
	o->n++;
}

/* Rows in falling address order, over several windows: written in
 * address order inside each window, but the caller hears every row in
 * file order, the evidence names each row's line, and the store equals a
 * one-row-at-a-time import of the same rows (a later row of an address
 * wins in both). */
static void
test_window_order(void **state)
{
	struct fixture *f = *state;
	struct db_store *s2 = open_store(f->dir, "rowwise");
	struct db_import_opts o;
	struct db_import_count c;
	struct order_note on = {0, 0, 0};
	GString *g = g_string_new(HEADER), *one;
	char err[256], *a, *b;
	const char *path;
	size_t n;
	FILE *fp;
	int i;

	for (i = 3 * WINDOW; i > 0; i--) {
		g_string_append_printf(g, "z%06d@example.org,confirmed,,"
				       "198.51.100.1,1700000000,%d,,web\n", i,
				       1700000600 + (i % 7));
		/* Inside the first window, a second row of an address met
		 * earlier in it: the later row's source must win. */
		if (i == 3 * WINDOW - 10)
			g_string_append_printf(g, "z%06d@example.org,confirmed,,"
					       "198.51.100.1,1700000000,%d,,"
					       "later\n", i + 5,
					       1700000600 + ((i + 5) % 7));
	}
	/* The same address again later in the file, withdrawn: it must win
	 * over its earlier confirmed row of another window. */
	g_string_append(g, "z000005@example.org,withdrawn,,,,,1700009999,web\n");
	path = save(f, "falling.csv", g->str);
	memset(&o, 0, sizeof(o));
	o.note = note_order;
	o.arg = &on;
	o.window = WINDOW;
	fp = fopen(path, "r");
	assert_non_null(fp);
	assert_int_equal(fmt_import_csv_opts(f->s, fp, "in.csv", NOW, &o, &c,
					     err, sizeof(err)), DB_OK);
	fclose(fp);
	assert_int_equal(on.n, 3 * WINDOW + 2);
	assert_false(on.out_of_order);
	/* One row per import: nothing to sort. */
	for (i = 3 * WINDOW; i > 3 * WINDOW - 50; i--) {
		one = g_string_new(HEADER);
		g_string_append_printf(one, "z%06d@example.org,confirmed,,"
				       "198.51.100.1,1700000000,%d,,web\n", i,
				       1700000600 + (i % 7));
		assert_int_equal(import_path(s2, save(f, "one.csv", one->str),
					     0, &n, err, sizeof(err)), DB_OK);
		g_string_free(one, TRUE);
	}
	a = export(f->s);
	assert_non_null(strstr(a, "z000005@example.org,withdrawn"));
	{
		char key[40], *p;

		snprintf(key, sizeof(key), "z%06d@example.org,", 3 * WINDOW - 5);
		p = strstr(a, key);
		assert_non_null(p);
		assert_non_null(strstr(p, "later"));
		assert_true(strstr(p, "later") < strchr(p, '\n'));
	}
	b = export(s2);
	/* The rows the one-by-one store holds read the same in both. */
	for (i = 3 * WINDOW; i > 3 * WINDOW - 50; i--) {
		char key[40], *pa, *pb;

		if (i == 3 * WINDOW - 5)
			continue; /* its later row, checked above */
		snprintf(key, sizeof(key), "z%06d@example.org,", i);
		pa = strstr(a, key);
		pb = strstr(b, key);
		assert_non_null(pa);
		assert_non_null(pb);
		assert_int_equal(strcspn(pa, "\n"), strcspn(pb, "\n"));
		assert_memory_equal(pa, pb, strcspn(pa, "\n"));
	}
	free(a);
	free(b);
	db_close(s2);
	g_string_free(g, TRUE);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_same_store_as_pieces, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_bad_line_late, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_uid_held_late, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_uid_twice_across_batches,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_uid_moves_back_to_front,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_pipe_and_dry_run, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_rows_not_held, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_window_order, setup,
					    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
