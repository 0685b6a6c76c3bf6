/*
 * testlib.h - shared helpers for the cmocka unit tests: the cmocka includes,
 * reading a fixture file, and a temporary directory per test.
 * Fixtures live under tests/data/; tests run from the repository root.
 */
#ifndef CG_TESTLIB_H
#define CG_TESTLIB_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

/* Read a whole file; *len gets its size.  Fails the test when unreadable.
 * The result is NUL-terminated; free() it. */
static inline char *
test_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *data;
	long n;

	if (f == NULL)
		fail_msg("cannot open fixture %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	data = malloc((size_t)n + 1);
	assert_non_null(data);
	if (n > 0 && fread(data, 1, (size_t)n, f) != (size_t)n)
		fail_msg("short read on %s", path);
	data[n] = '\0';
	fclose(f);
	if (len)
		*len = (size_t)n;
	return data;
}

/* Make a fresh temporary directory; the caller removes it with
 * test_rmdir_r.  Returns a malloc'd path. */
static inline char *
test_tmpdir(void)
{
	char tmpl[] = "/tmp/cgtest.XXXXXX";
	char *d = mkdtemp(tmpl);

	assert_non_null(d);
	return strdup(d);
}

static inline void
test_rmdir_r(char *dir)
{
	char cmd[512];

	/* Test-only cleanup of a directory this test created under /tmp. */
	if (dir && strncmp(dir, "/tmp/cgtest.", 12) == 0) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "warning: could not remove %s\n", dir);
	}
	free(dir);
}

#endif
