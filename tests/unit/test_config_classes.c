/*
 * test_config_classes.c - the keys that choose mail by class:
 * ArchiveClasses, ArchiveSenders, FaultActionTransactional and
 * FaultActionOther (defaults, class masks, bad values).
 */
#include "testlib.h"

#include "../../gate/config.h"
#include "../../policy/policy.h"

static void
test_archive_keys(void **state)
{
	struct buf err = BUF_INIT;
	struct cfg *c;

	(void)state;
	/* Default: DOI mail only. */
	c = cfg_defaults();
	assert_non_null(c);
	assert_int_equal(c->archive_class_mask, 0);
	cfg_unref(c);
	c = cfg_parse_text("t.conf", "Mode enforce\n", &err);
	assert_non_null(c);
	assert_int_equal(c->archive_class_mask, 1u << POL_CLASS_DOI);
	assert_string_equal(cfg_pol(c)->archive_address, "");
	cfg_unref(c);
	c = cfg_parse_text("t.conf",
			   "ArchiveAddress Archiv@Shop.Example\n"
			   "ArchiveClasses doi, Transactional\n"
			   "ArchiveSenders abmeldung@shop.example, @signup.example\n",
			   &err);
	assert_non_null(c);
	assert_int_equal(c->archive_class_mask,
			 (1u << POL_CLASS_DOI) | (1u << POL_CLASS_TRANSACTIONAL));
	assert_int_equal(c->archive_senders.n, 2);
	assert_string_equal(cfg_pol(c)->archive_address, "archiv@shop.example");
	cfg_unref(c);
	assert_null(cfg_parse_text("t.conf", "ArchiveClasses doi, newsletter\n",
				   &err));
	assert_non_null(strstr(err.data, "ArchiveClasses: 'newsletter'"));
	buf_free(&err);
	assert_null(cfg_parse_text("t.conf", "ArchiveSenders a@shop.example\n",
				   &err));
	assert_non_null(strstr(err.data, "set ArchiveAddress"));
	buf_free(&err);
}

static void
test_fault_keys(void **state)
{
	struct buf err = BUF_INIT;
	struct cfg *c;

	(void)state;
	/* Default: tempfail for every class. */
	c = cfg_parse_text("t.conf", "Mode enforce\n", &err);
	assert_non_null(c);
	assert_int_equal(c->fault_pass_mask, 0);
	cfg_unref(c);
	c = cfg_parse_text("t.conf", "FaultActionTransactional pass\n", &err);
	assert_non_null(c);
	assert_int_equal(c->fault_pass_mask, 1u << POL_CLASS_TRANSACTIONAL);
	cfg_unref(c);
	c = cfg_parse_text("t.conf", "FaultActionTransactional Pass\n"
				     "FaultActionOther pass\n", &err);
	assert_non_null(c);
	assert_int_equal(c->fault_pass_mask, (1u << POL_CLASS_TRANSACTIONAL) |
						 (1u << POL_CLASS_OTHER));
	assert_int_equal(c->fault_pass_mask &
			 ((1u << POL_CLASS_DOI) | (1u << POL_CLASS_MARKETING)), 0);
	cfg_unref(c);
	/* Only tempfail and pass; no key for DOI or marketing mail. */
	assert_null(cfg_parse_text("t.conf", "FaultActionOther accept\n", &err));
	assert_non_null(strstr(err.data, "FaultActionOther: 'accept' is not tempfail or pass"));
	buf_free(&err);
	assert_null(cfg_parse_text("t.conf", "FaultActionMarketing pass\n", &err));
	buf_free(&err);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_archive_keys),
		cmocka_unit_test(test_fault_keys),
	};

	return cmocka_run_group_tests_name("config_classes", tests, NULL, NULL);
}
