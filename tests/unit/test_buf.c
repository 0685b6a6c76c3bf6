/*
 * test_buf.c - the growable string: always NUL-terminated, also when
 * stolen empty, binary-safe, and printf growth past the first block.
 */
#include "testlib.h"

#include "../../common/buf.h"

static void
test_buf_basics(void **state)
{
	struct buf b = BUF_INIT;
	char *s;
	int i;

	(void)state;
	s = buf_steal(&b);
	assert_non_null(s);
	assert_string_equal(s, "");
	free(s);
	assert_int_equal(buf_reserve(&b, 10), 0);
	assert_int_equal(b.data[0], '\0');
	assert_int_equal(buf_append(&b, "a\0b", 3), 0);
	assert_int_equal(b.len, 3);
	assert_int_equal(b.data[3], '\0');
	buf_reset(&b);
	for (i = 0; i < 1000; i++)
		assert_int_equal(buf_printf(&b, "%d,", i), 0);
	assert_int_equal(strncmp(b.data + b.len - 4, "999,", 4), 0);
	assert_int_equal(b.data[b.len], '\0');
	buf_free(&b);
	assert_null(b.data);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buf_basics),
	};

	return cmocka_run_group_tests_name("buf", tests, NULL, NULL);
}
