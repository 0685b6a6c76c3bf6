/*
 * test_time.c - the one time parser (common/time.c) as a table: every form
 * each mode accepts and refuses, offsets, leap days, the range ends; and
 * the small codecs beside it (common/hex.c, common/str.c, common/base64.c).
 */
#include "testlib.h"

#include "../../common/base64.h"
#include "../../common/hex.h"
#include "../../common/str.h"
#include "../../common/time.h"

/* 2026-01-02T03:04:05Z */
#define T0 INT64_C(1767323045)

struct time_case {
	const char *text;
	enum time_forms forms;
	int ok;
	int64_t want;
};

static const struct time_case time_cases[] = {
	{"2026-01-02T03:04:05Z", TIME_CANONICAL, 1, T0},
	{"2026-01-02T03:04:05Z", TIME_ISO, 1, T0},
	{"1767323045", TIME_CANONICAL, 1, T0},
	{"1767323045", TIME_ISO, 1, T0},
	{"0", TIME_CANONICAL, 1, 0},
	{"1970-01-01T00:00:00Z", TIME_CANONICAL, 1, 0},
	{"9999-12-31T23:59:59Z", TIME_CANONICAL, 1, INT64_C(253402300799)},
	{"253402300800", TIME_CANONICAL, 0, 0},
	{"99999999999999999999", TIME_ISO, 0, 0},
	{"2024-02-29T00:00:00Z", TIME_CANONICAL, 1, INT64_C(1709164800)},
	{"2023-02-29T00:00:00Z", TIME_ISO, 0, 0},
	{"2026-13-02T03:04:05Z", TIME_ISO, 0, 0},
	{"2026-01-02T24:00:00Z", TIME_ISO, 0, 0},
	{"2026-01-02T03:60:00Z", TIME_ISO, 0, 0},
	{"1969-12-31T23:59:59Z", TIME_ISO, 0, 0},
	{"1970-01-01T00:30:00+01:00", TIME_ISO, 0, 0},
	/* Only the ISO mode takes offsets, dates, 't', a space, no seconds. */
	{"2026-01-02T04:04:05+01:00", TIME_ISO, 1, T0},
	{"2026-01-02T04:04:05+01:00", TIME_CANONICAL, 0, 0},
	{"2026-01-02T04:04:05+0100", TIME_ISO, 1, T0},
	{"2026-01-02T04:04:05+01", TIME_ISO, 1, T0},
	{"2026-01-01T22:34:05-04:30", TIME_ISO, 1, T0},
	{"2026-01-02t03:04:05z", TIME_ISO, 1, T0},
	{"2026-01-02 03:04:05Z", TIME_ISO, 1, T0},
	{"2026-01-02 03:04:05Z", TIME_CANONICAL, 0, 0},
	{"2026-01-02T03:04Z", TIME_ISO, 1, T0 - 5},
	{"2026-01-02T03:04Z", TIME_CANONICAL, 0, 0},
	{"2026-01-02", TIME_ISO, 1, T0 - 3 * 3600 - 4 * 60 - 5},
	{"2026-01-02", TIME_CANONICAL, 0, 0},
	/* A wall time without a zone names no instant. */
	{"2026-01-02T03:04:05", TIME_ISO, 0, 0},
	{"2026-01-02T03:04:05+24:00", TIME_ISO, 0, 0},
	{"2026-01-02T03:04:05+01:60", TIME_ISO, 0, 0},
	{"2026-01-02T03:04:05+01:00x", TIME_ISO, 0, 0},
	{"2026-01-02T03:04:05Z0", TIME_ISO, 0, 0},
	{"2026-1-02T03:04:05Z", TIME_ISO, 0, 0},
	{"2026-01-0", TIME_ISO, 0, 0},
	{"-5", TIME_ISO, 0, 0},
	{"", TIME_ISO, 0, 0},
};

static void
test_time_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(time_cases) / sizeof(time_cases[0]); i++) {
		const struct time_case *c = &time_cases[i];
		int64_t t = -1;
		int rc = time_parse(c->text, c->forms, &t);

		if (rc != (c->ok ? 0 : -1) || (c->ok && t != c->want))
			fail_msg("'%s' (mode %d): rc %d t %lld, want %s %lld",
				 c->text, c->forms, rc, (long long)t,
				 c->ok ? "ok" : "refused", (long long)c->want);
	}
	assert_int_equal(time_parse(NULL, TIME_ISO, &(int64_t){0}), -1);
}

static void
test_time_format(void **state)
{
	char buf[TIME_TEXT_MAX];
	int64_t t;

	(void)state;
	assert_string_equal(time_format(T0, buf, sizeof(buf)),
			    "2026-01-02T03:04:05Z");
	assert_int_equal(time_parse(buf, TIME_CANONICAL, &t), 0);
	assert_int_equal(t, T0);
	assert_string_equal(time_format(-7, buf, sizeof(buf)), "-7");
}

static void
test_hex(void **state)
{
	char out[3] = "";

	(void)state;
	assert_int_equal(hex_value('0'), 0);
	assert_int_equal(hex_value('a'), 10);
	assert_int_equal(hex_value('F'), 15);
	assert_int_equal(hex_value('g'), -1);
	assert_int_equal(hex_value(' '), -1);
	assert_int_equal(hex_byte("7e"), 0x7e);
	assert_int_equal(hex_byte("C3"), 0xc3);
	assert_int_equal(hex_byte(" 7"), -1); /* sscanf's %x took this */
	assert_int_equal(hex_byte("7"), -1);
	hex_put_upper(0xa5, out);
	assert_string_equal(out, "A5");
}

static void
test_trim_and_space(void **state)
{
	char s1[] = " \t a b \r\n\f", s2[] = "   ", s3[] = "x";

	(void)state;
	assert_string_equal(str_trim(s1), "a b");
	assert_string_equal(str_trim(s2), "");
	assert_string_equal(str_trim(s3), "x");
	assert_true(str_is_space('\f'));
	assert_false(str_is_space('\v'));
	assert_false(str_is_space((char)0xa0));
}

static void
test_base64(void **state)
{
	(void)state;
	assert_int_equal(base64_value('A', 0), 0);
	assert_int_equal(base64_value('z', 0), 51);
	assert_int_equal(base64_value('9', 0), 61);
	assert_int_equal(base64_value('+', 0), 62);
	assert_int_equal(base64_value('/', 0), 63);
	assert_int_equal(base64_value('-', 0), -1);
	assert_int_equal(base64_value('-', 1), 62);
	assert_int_equal(base64_value('_', 1), 63);
	assert_int_equal(base64_value('=', 1), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_time_table),
		cmocka_unit_test(test_time_format),
		cmocka_unit_test(test_hex),
		cmocka_unit_test(test_trim_and_space),
		cmocka_unit_test(test_base64),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
