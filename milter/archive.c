/*
 * archive.c - which delivered mail gets the blind archive copy: mail of a
 * class ArchiveClasses names (default: DOI mail only), and mail whose
 * envelope sender or From is in ArchiveSenders (e.g. the sign-up
 * notification and the withdrawal confirmation, which a DOI mail's
 * archive alone does not prove).  The copy itself is the envelope
 * recipient mf_doi_archive() adds (doi.c), never a header; the policy's
 * archive.visible refuses mail that shows the address in To, Cc or Bcc.
 *
 * Owns nothing; returns -1 when the recipient could not be added (the
 * caller tempfails: the archive copy is part of the evidence).
 */
#include "mf.h"

/* Does the mail get the copy: an ArchiveAddress, and its class or its
 * sender listed?  1 or 0. */
static int
mf_archive_wanted(const struct mf_ctx *c, enum pol_class cls,
		  const struct pol_message *msg)
{
	const struct cfg *cfg = c->cfg;
	const struct pol_list *senders = &cfg->archive_senders;

	if (cfg->archive_address == NULL || cfg->archive_address[0] == '\0')
		return 0;
	if (cfg->archive_class_mask & (1u << cls))
		return 1;
	return addr_match_list(c->sender, senders->v, senders->n) ||
	       (msg && addr_match_list(msg->from_addr, senders->v, senders->n));
}

int
mf_archive(SMFICTX *ctx, struct mf_ctx *c, enum pol_class cls,
	   const struct pol_message *msg)
{
	if (!mf_archive_wanted(c, cls, msg))
		return 0;
	return mf_doi_archive(ctx, c);
}
