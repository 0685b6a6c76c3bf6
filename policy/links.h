/*
 * links.h - links of the parsed message: URLs found in plain text, and the
 * helpers message.c and html.c use to append links (and other entries) to
 * the model.  Internal to policy/; rules read struct pol_link only.
 */
#ifndef CG_POL_LINKS_H
#define CG_POL_LINKS_H

#include <stddef.h>

#include "message.h"

/*
 * Make room for element n (0-based) of an array whose element count is n
 * and which only ever grew through this function (the capacity follows from
 * the count: 4, 8, 16, ...).  Returns the array, possibly moved, or NULL
 * when memory ran out or the size would overflow; arr is then unchanged and
 * still owned by the caller.
 */
void *pol_array_grow(void *arr, size_t n, size_t size);

/*
 * Append a link to m->links.  url (url_len bytes) is copied with
 * surrounding spaces and embedded tabs/newlines removed; an empty URL is
 * skipped.  text is copied when not NULL.  The link's hidden is 0.  Returns POL_OK or POL_ERR_NOMEM.
 */
int pol_link_add(struct pol_message *m, const char *url, size_t url_len,
		 const char *text, size_t part, unsigned line);

/*
 * A new copy (caller frees) of the reference ref (n bytes, leading spaces
 * dropped) resolved against base (GLib's RFC 3986 resolution) when base is
 * not NULL or "" and ref has no scheme of its own; otherwise, or when the
 * resolution fails, ref as it is.  NULL when out of memory.
 */
char *pol_url_resolve(const char *base, const char *ref, size_t n);

/* Build p->line_start and p->nlines, the line index of a plain part's
 * text (see message.h).  Returns 0 or POL_ERR_NOMEM. */
int pol_index_lines(struct pol_text_part *p);

/*
 * Find http://, https://, mailto: and www. URLs in the plain text of part
 * (len bytes, valid UTF-8) and append them to m->links with their 1-based
 * line.  Trailing punctuation is not part of a URL.  The pattern is
 * compiled once per process; each call uses its own match data, so calls
 * may run in parallel.  Returns POL_OK or POL_ERR_NOMEM.
 */
int pol_links_scan_text(struct pol_message *m, size_t part, const char *text,
			size_t len);

#endif
