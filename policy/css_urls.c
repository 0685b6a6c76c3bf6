/*
 * css_urls.c - every url() a client would load from a piece of CSS (an
 * inline style, a rule block, an at-rule), and the bare string candidates
 * of image-set(): the reader's images from CSS (html_refs.c, css.c).
 * Not a CSS parser: strings and comments are skipped as css.c skips them.
 * Owns nothing; no allocation; returns what the callback returned.
 */
#include "css.h"

#include <string.h>
#include <strings.h>

#include "../common/str.h"

/* The reference of url( at s[i] (i just past the parenthesis) into
 * *u and *n; returns the index after it, or len when unterminated. */
static size_t
pol_css_url_at(const char *s, size_t len, size_t i, const char **u,
	       size_t *n)
{
	size_t e;

	while (i < len && str_is_space(s[i]))
		i++;
	*u = NULL;
	if (i < len && (s[i] == '"' || s[i] == '\'')) {
		e = pol_css_skip(s, len, i);
		if (e >= len && (e == i || s[e - 1] != s[i]))
			return len;
		*u = s + i + 1;
		*n = e - i - 2;
		return e;
	}
	for (e = i; e < len && s[e] != ')'; e++)
		;
	if (e >= len)
		return len;
	while (e > i && str_is_space(s[e - 1]))
		e--;
	*u = s + i;
	*n = e - i;
	while (e < len && s[e] != ')')
		e++;
	return e;
}

/* image-set( at s[i] (i just past the parenthesis): each candidate
 * written as a bare string is an image too (url() candidates are found by
 * the caller's scan).  Returns fn's first non-zero result, else 0. */
static int
pol_css_image_set(const char *s, size_t len, size_t i, pol_css_url_fn fn,
		  void *ud)
{
	int depth = 1, rc;

	while (i < len && depth > 0) {
		size_t e;

		if (s[i] == '"' || s[i] == '\'') {
			e = pol_css_skip(s, len, i);
			if (depth == 1 && e <= len && e >= i + 2 &&
			    s[e - 1] == s[i] && e - i - 2 > 0 &&
			    e - i - 2 <= POL_CSS_URL_MAX &&
			    (rc = fn(ud, s + i + 1, e - i - 2)) != 0)
				return rc;
			i = e > i ? e : i + 1;
			continue;
		}
		depth += s[i] == '(';
		depth -= s[i] == ')';
		i++;
	}
	return 0;
}

int
pol_css_urls(const char *s, size_t len, pol_css_url_fn fn, void *ud)
{
	size_t i = 0;
	int rc;

	while (i + 4 <= len) {
		const char *u;
		size_t n;

		if (s[i] == '/' && i + 1 < len && s[i + 1] == '*') {
			i = pol_css_skip(s, len, i);
			continue;
		}
		if (strncasecmp(s + i, "image-set(", 10) == 0) {
			if ((rc = pol_css_image_set(s, len, i + 10, fn, ud)) != 0)
				return rc;
			i += 10;
			continue;
		}
		if (strncasecmp(s + i, "url(", 4) != 0) {
			i++;
			continue;
		}
		i = pol_css_url_at(s, len, i + 4, &u, &n);
		if (u != NULL && n > 0 && n <= POL_CSS_URL_MAX &&
		    (rc = fn(ud, u, n)) != 0)
			return rc;
	}
	return 0;
}

