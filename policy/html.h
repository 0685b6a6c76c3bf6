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

/*
 * Scan the decoded HTML of part (html, len bytes of UTF-8) of m.  The
 * visible text goes to *text (malloc'd, the caller owns it; *text_len its
 * length); links and images are appended to m with index part.  The
 * content of MSO conditional comments is parsed again for links and images
 * (not for text).  HTML larger than lim->max_html or nested deeper than
 * lim->max_html_depth (0 or a NULL lim: the defaults above) never reaches
 * gumbo: the text is then "" and POL_MSG_TRUNCATED is set in m->flags.
 * Returns POL_OK or POL_ERR_NOMEM (*text is then NULL).
 */
int pol_html_scan(struct pol_message *m, size_t part, const char *html,
		  size_t len, const struct pol_limits *lim, char **text,
		  size_t *text_len);

/*
 * Would gumbo build something deeper than max_depth, or far more elements
 * than len bytes suggest, or check a tag with too many attributes?  A
 * linear pre-scan of html (len bytes) that errs on the side of "yes"
 * (html_prescan.c).  Returns 1 when too complex, 0 when gumbo may parse
 * it, -1 when out of memory.
 */
int pol_html_too_complex(const char *html, size_t len, unsigned max_depth);

#endif
