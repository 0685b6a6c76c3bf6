/*
 * limit.c - rule message.limit: mail the parser could not inspect whole
 * (deeper than MaxMimeDepth, more parts than MaxParts, HTML or text beyond
 * what is inspected, larger than MaxMessageSize) is never declared
 * compliant.
 *
 * Applies to every class; RuleAction cannot change it (fixed).  Its action
 * is chosen in evaluate.c: DOI and marketing mail are refused, mail of
 * undecided class gets UninspectedAction.
 */
#include <stdio.h>

#include "rules.h"

/* What limit kept the parser from seeing the whole message. */
static void
limit_reason(const struct pol_settings *ps, const struct pol_message *m,
	     char *out, size_t outsz)
{
	unsigned f = m->flags;

	if (f & POL_MSG_OVER_DEPTH)
		snprintf(out, outsz, "MIME nesting deeper than MaxMimeDepth (%ld)",
			 ps->max_mime_depth);
	else if (f & POL_MSG_OVER_PARTS)
		snprintf(out, outsz, "more MIME parts than MaxParts (%ld)",
			 ps->max_parts);
	else if (f & POL_MSG_OVER_HTML)
		snprintf(out, outsz, "HTML too large or too deeply nested to "
			 "inspect");
	else if (f & POL_MSG_OVER_TEXT)
		snprintf(out, outsz, "more text than can be inspected");
	else if (f & POL_MSG_OVER_SIZE)
		snprintf(out, outsz, "message larger than MaxMessageSize (%ld "
			 "bytes); only the first %ld bytes were inspected",
			 ps->max_message_size, ps->max_message_size);
	else
		snprintf(out, outsz, "a limit cut the inspection short");
}

/*
 * A message the parser could not fully inspect is never declared
 * compliant.  DOI and marketing mail (by sender lists, ClassHeader, or a
 * ConfirmURL found anywhere, even in the unparsed rest) is refused; mail
 * whose class stays undecided gets UninspectedAction (see
 * pol_verdict_combine), recorded with the same rule id.  The detail names
 * the limit that was hit.
 */
static int
message_limit_check(const struct pol_ctx *x, struct pol_verdict *v)
{
	const unsigned cut = POL_MSG_OVER_DEPTH | POL_MSG_OVER_PARTS |
			     POL_MSG_OVER_HTML | POL_MSG_OVER_TEXT |
			     POL_MSG_TRUNCATED | POL_MSG_OVER_SIZE;
	char reason[160];

	if (x->msg == NULL || !(x->msg->flags & cut))
		return 0;
	limit_reason(x->ps, x->msg, reason, sizeof(reason));
	if (x->cls == POL_CLASS_DOI || x->cls == POL_CLASS_MARKETING)
		return pol_verdict_add(v, POL_RULE_LIMIT, -1, "message",
				       "%s", reason);
	return pol_verdict_add(v, POL_RULE_LIMIT, -1, "message",
			       "%s; class undecided (no sender list, class "
			       "header or ConfirmURL decides it)", reason);
}

const struct pol_rule_def pol_rule_message_limit = {
	.info = {"message.limit",
		  "Message exceeds the size, MIME depth or part limit",
		  POL_ACTION_REJECT, 1},
	.classes = POL_ON_ANY,
	.fn = message_limit_check,
};
