/*
 * html.h - what a reader sees in an HTML part: visible text, links and
 * images, with gumbo.  Internal to policy/ (called by message.c).
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

#endif
