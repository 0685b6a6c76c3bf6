/*
 * test_log.c - LogFormat json: every log line is one JSON object on one
 * line, with the text escaped (quotes, backslashes, newlines) and the
 * evidence reference of a decision's line as its own member "ref"; text
 * mode is unchanged; the config key parses and a reload applies it.
 */
#include "testlib.h"

#include <fcntl.h>

#include "../../gate/config.h"
#include "../../common/log.h"
#include "../../milter/mf.h"

/* Run the log calls of one case with stderr going to a file; the file's
 * text (caller frees). */
static char *
capture(int json)
{
	char path[] = "/tmp/cg-test-log.XXXXXX";
	int fd = mkstemp(path), saved;
	size_t len;
	char *text;

	assert_true(fd >= 0);
	fflush(stderr);
	saved = dup(2);
	assert_true(saved >= 0);
	assert_true(dup2(fd, 2) == 2);
	log_open("consentgate", 0, 1);
	log_set_json(json);
	log_info("4Xy7: ref=6b0e6fbc-a0394d4a class=marketing action=reject "
		 "rules=consent.missing");
	log_warn("a \"quoted\" word, a back\\slash and a\nnewline");
	log_set_json(0);
	fflush(stderr);
	assert_true(dup2(saved, 2) == 2);
	close(saved);
	close(fd);
	text = test_read_file(path, &len);
	unlink(path);
	return text;
}

static void
test_json_lines(void **state)
{
	char *text = capture(1), *line, *save = NULL;
	int n = 0;

	(void)state;
	for (line = strtok_r(text, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		size_t len = strlen(line);

		n++;
		assert_true(len > 2);
		assert_int_equal(line[0], '{');
		assert_int_equal(line[len - 1], '}');
		assert_non_null(strstr(line, "\"program\":\"consentgate\""));
		assert_non_null(strstr(line, "\"time\":\""));
	}
	/* Two calls, two lines: the newline inside the second is escaped. */
	assert_int_equal(n, 2);
	free(text);
	text = capture(1);
	assert_non_null(strstr(text, "\"level\":\"info\""));
	assert_non_null(strstr(text, "\"ref\":\"6b0e6fbc-a0394d4a\""));
	assert_non_null(strstr(text, "\"msg\":\"4Xy7: ref=6b0e6fbc-a0394d4a "
				     "class=marketing"));
	assert_non_null(strstr(text, "\"level\":\"warning\""));
	assert_non_null(strstr(text, "a \\\"quoted\\\" word, a back\\\\slash "
				     "and a\\nnewline"));
	free(text);
}

static void
test_text_unchanged(void **state)
{
	char *text = capture(0);

	(void)state;
	assert_non_null(strstr(text, "consentgate: 4Xy7: ref=6b0e6fbc-a0394d4a "
				     "class=marketing action=reject"));
	assert_null(strchr(text, '{'));
	free(text);
}

static void
test_key(void **state)
{
	struct buf errors = BUF_INIT;
	struct cfg *c;

	(void)state;
	c = cfg_parse_text("t.conf", "LogFormat json\n", &errors);
	assert_non_null(c);
	assert_int_equal(c->log_format, CFG_LOG_JSON);
	cfg_unref(c);
	c = cfg_defaults();
	assert_int_equal(c->log_format, CFG_LOG_TEXT);
	cfg_unref(c);
	c = cfg_parse_text("t.conf", "LogFormat xml\n", &errors);
	assert_null(c);
	assert_non_null(strstr(errors.data, "LogFormat"));
	buf_free(&errors);
	assert_int_equal(mf_reload_kind("LogFormat"), MF_RELOAD_APPLY);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_lines),
		cmocka_unit_test(test_text_unchanged),
		cmocka_unit_test(test_key),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
