/*
 * config_classes.c - the keys that choose mail by class: ArchiveClasses
 * and ArchiveSenders (which delivered mail gets the ArchiveAddress blind
 * copy), FaultActionTransactional and FaultActionOther (which mail may
 * pass when the consent store or the evidence cannot be used; DOI and
 * marketing mail never: they always answer 4xx then).
 *
 * Runs once per snapshot after every line is read (cfg_finish): checks
 * each ArchiveClasses entry is a class name and builds the class mask the
 * milter reads, and hands the policy its borrowed view of ArchiveAddress
 * (archive.visible).  Owns nothing of its own; problems are reported
 * through cfg_error like every other config error.
 */
#include <string.h>
#include <strings.h>

#include "config_int.h"
#include "../policy/policy.h"

static void
cfg_archive_finish(struct cfg_ctx *x, struct cfg *c)
{
	size_t i;
	int cls;

	c->archive_class_mask = 0;
	for (i = 0; i < c->archive_classes.n; i++) {
		cls = pol_class_parse(c->archive_classes.v[i]);
		if (cls < 0) {
			cfg_error(x, "ArchiveClasses: '%s' is not doi, marketing, "
				  "transactional or other",
				  c->archive_classes.v[i]);
			continue;
		}
		c->archive_class_mask |= 1u << cls;
	}
	if (c->archive_senders.n > 0 &&
	    (c->archive_address == NULL || c->archive_address[0] == '\0'))
		cfg_error(x, "ArchiveSenders: set ArchiveAddress, the mailbox "
			  "that receives the copies");
	c->pol.archive_address = c->archive_address;
}

/* One FaultAction key: tempfail (default) or pass, for class cls. */
static void
cfg_fault_one(struct cfg_ctx *x, struct cfg *c, const char *key,
	      const char *value, enum pol_class cls)
{
	if (value == NULL || strcasecmp(value, "tempfail") == 0)
		return;
	if (strcasecmp(value, "pass") == 0)
		c->fault_pass_mask |= 1u << cls;
	else
		cfg_error(x, "%s: '%s' is not tempfail or pass", key, value);
}

void
cfg_classes_finish(struct cfg_ctx *x, struct cfg *c)
{
	cfg_archive_finish(x, c);
	c->fault_pass_mask = 0;
	cfg_fault_one(x, c, "FaultActionTransactional",
		      c->fault_action_transactional, POL_CLASS_TRANSACTIONAL);
	cfg_fault_one(x, c, "FaultActionOther", c->fault_action_other,
		      POL_CLASS_OTHER);
}
