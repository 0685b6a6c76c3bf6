/*
 * archive.c - rule archive.visible: the archive address must never be
 * seen by a recipient.
 *
 * The blind copy of consent mail (ArchiveAddress, ArchiveClasses,
 * ArchiveSenders) is an envelope recipient the milter adds; the LfDI's
 * advice is to keep it "as BCC and not in CC".  A mail of any class whose
 * To, Cc or Bcc header (a Bcc header left in the mail: Postfix's cleanup
 * removes it before a milter sees it, consentctl check sees it) names
 * ArchiveAddress shows every recipient where their mail is archived and
 * lets a reply reach the archive; it is refused.  Header values are
 * parsed raw with GMime's address parser (groups included) and compared
 * normalised.  Without ArchiveAddress the rule never fires.  Owns nothing
 * beyond a call; -1 only when memory ran out.
 */
#include <gmime/gmime.h>
#include <string.h>
#include <strings.h>

#include "../../common/addr.h"
#include "util.h"

static const char *const pol_archive_headers[] = {"To", "Cc", "Bcc"};

/* Does list (or a group in it) name the archive address?  1 or 0. */
static int
pol_archive_in_list(InternetAddressList *list, const char *archive, int depth)
{
	int i, n = list ? internet_address_list_length(list) : 0;
	char a[ADDR_MAX + 1];

	for (i = 0; i < n && depth < 4; i++) {
		InternetAddress *ia = internet_address_list_get_address(list, i);

		if (INTERNET_ADDRESS_IS_GROUP(ia)) {
			if (pol_archive_in_list(internet_address_group_get_members(
							INTERNET_ADDRESS_GROUP(ia)),
						archive, depth + 1))
				return 1;
		} else if (INTERNET_ADDRESS_IS_MAILBOX(ia) &&
			   addr_normalise(internet_address_mailbox_get_addr(
					      INTERNET_ADDRESS_MAILBOX(ia)),
					  a, sizeof(a)) > 0 &&
			   strcmp(a, archive) == 0) {
			return 1;
		}
	}
	return 0;
}

static int
archive_visible_check(const struct pol_ctx *x, struct pol_verdict *v)
{
	const struct pol_message *m = x->msg;
	const char *archive = x->ps->archive_address;
	char where[32];
	size_t i, h;
	int found;

	if (archive == NULL || *archive == '\0')
		return 0;
	for (i = 0; i < m->nheaders; i++) {
		InternetAddressList *list;

		for (h = 0; h < 3; h++)
			if (strcasecmp(m->headers[i].name,
				       pol_archive_headers[h]) == 0)
				break;
		if (h == 3)
			continue;
		list = internet_address_list_parse(
		    NULL, m->headers[i].raw ? m->headers[i].raw
					    : m->headers[i].value);
		found = pol_archive_in_list(list, archive, 0);
		if (list)
			g_object_unref(list);
		if (!found)
			continue;
		snprintf(where, sizeof(where), "header %s", pol_archive_headers[h]);
		if (pol_verdict_add(v, POL_RULE_ARCHIVE_VISIBLE, -1, where,
				    "the archive address %s is visible in %s; "
				    "the gate adds it as envelope recipient "
				    "only", archive, pol_archive_headers[h]) < 0)
			return -1;
	}
	return 0;
}

const struct pol_rule_def pol_rule_archive_visible = {
	.info = {"archive.visible",
		  "Mail shows the archive address in To, Cc or Bcc",
		  POL_ACTION_REJECT, 0},
	.classes = POL_ON_ANY,
	.fn = archive_visible_check,
};
