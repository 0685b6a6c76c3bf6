/*
 * html.h - what a reader sees in an HTML part: visible text, links and
 * images, with gumbo (html.c), and the pre-scan that keeps hostile HTML
 * away from gumbo (html_prescan.c).  Internal to policy/.
 */
#ifndef CG_POL_HTML_H
#define CG_POL_HTML_H

#include <stddef.h>

#include "message.h"

#define POL_HTML_MAX_BYTES_DEFAULT ((size_t)2 * 1024 * 1024)
#define POL_HTML_MAX_DEPTH_DEFAULT 512u

/* What a reader sees of an HTML part (see struct pol_text_part): text is
 * never NULL after success, hidden and extra are NULL when empty.  All
 * malloc'd; the caller owns them. */
struct pol_html_view {
	char *text, *hidden, *extra;
	size_t text_len, hidden_len, extra_len;
};

/*
 * Scan the decoded HTML of part (html, len bytes of UTF-8) of m into
 * *view: the visible text, the text of hidden elements, and the extra
 * text (titles, alt texts, ::before/::after content of <style> rules).
 * Links and images, including every URL the client would follow or load
 * (see html_refs.c), are appended to m with index part.  The
 * content of MSO conditional comments is parsed again for links and images
 * (not for text).  HTML larger than lim->max_html or nested deeper than
 * lim->max_html_depth (0 or a NULL lim: the defaults above) never reaches
 * gumbo: the text is then "" and POL_MSG_TRUNCATED is set in m->flags.
 * POL_MSG_TRUNCATED is also set when a <style> sheet has more rules than
 * css.c keeps or needs more matching than a part may take.
 * Returns POL_OK or POL_ERR_NOMEM (*view is then all NULL).
 */
int pol_html_scan(struct pol_message *m, size_t part, const char *html,
		  size_t len, const struct pol_limits *lim,
		  struct pol_html_view *view);

/*
 * Would gumbo build something deeper than max_depth, or far more elements
 * than len bytes suggest, or check a tag with too many attributes?  A
 * linear pre-scan of html (len bytes) that errs on the side of "yes"
 * (html_prescan.c).  Returns 1 when too complex, 0 when gumbo may parse
 * it, -1 when out of memory.
 */
int pol_html_too_complex(const char *html, size_t len, unsigned max_depth);

#endif
