/*
 * fuzz_policy.c - libFuzzer target over everything a hostile message
 * reaches: MIME parsing (GMime), HTML (gumbo), link extraction,
 * classification and every rule, with the fixture config, as the message
 * classifies itself and forced through the marketing and the DOI rules;
 * and the ConfirmURL scan of an oversize message's unparsed rest, cut after
 * a quarter of the input.
 * Build and run with `make fuzz FUZZ_TIME=seconds`.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../gate/config.h"
#include "../../policy/policy.h"
#include "../../policy/restscan.h"

static struct cfg *fuzz_cfg;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct buf err = BUF_INIT;

	(void)argc;
	(void)argv;
	pol_init();
	fuzz_cfg = cfg_load("tests/data/rules.conf", &err);
	if (fuzz_cfg == NULL) {
		fprintf(stderr, "fuzz: %s", err.data ? err.data : "no config\n");
		abort();
	}
	buf_free(&err);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pol_limits lim = {(size_t)fuzz_cfg->pol.max_parts,
				 (unsigned)fuzz_cfg->pol.max_mime_depth, 0, 0};
	struct pol_recipient r[2] = {
		{"kunde@example.org", {POL_CONSENT_CONFIRMED, 0, 0}},
		{"neu@example.org", {POL_CONSENT_PENDING, 0, 1700000000}},
	};
	struct pol_envelope env = {"newsletter@shop.example", "192.0.2.1", 0,
				   r, 2, 1700086400, "pass"};
	struct pol_message *m = NULL;
	struct pol_verdict v;
	struct pol_restscan rest;
	size_t keep;
	char *reply;
	int cls;

	pol_restscan_init(&rest, fuzz_cfg->pol.confirm_url);
	keep = pol_restscan_split(&rest, (const char *)data, size, size / 4);
	if (pol_message_parse((const char *)data, size, &lim, &m) != POL_OK)
		return 0;
	if (keep < size)
		m->flags |= POL_MSG_OVER_SIZE;
	if (pol_restscan_found(&rest))
		m->flags |= POL_MSG_REST_CONFIRM;
	for (cls = -1; cls <= POL_CLASS_DOI; cls += 1) {
		if (cls == POL_CLASS_OTHER || cls == POL_CLASS_TRANSACTIONAL)
			continue;
		enum pol_class c = cls < 0 ? pol_classify(cfg_pol(fuzz_cfg), &env, m)
					    : (enum pol_class)cls;

		if (pol_evaluate(cfg_pol(fuzz_cfg), &env, m, c, &v) == POL_OK) {
			reply = pol_verdict_reply(&v, "fuzz-ref");
			free(reply);
		}
		pol_verdict_clear(&v);
	}
	pol_message_free(m);
	return 0;
}
