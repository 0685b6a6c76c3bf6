/*
 * links.c - URLs in plain text, appending links to the message model, and
 * the line index of a plain part (where a link's line is read back).
 *
 * The URL pattern (PCRE2, UTF-8, caseless) is compiled once per process
 * with pthread_once and never freed; it is immutable afterwards, so any
 * thread may match with it, each call with its own match data.  Links added
 * here are owned by the message and released by pol_message_free().
 * Failure: out of memory (or a pattern that would not compile, which is a
 * bug caught by the tests) returns POL_ERR_NOMEM.  Never logs.
 */
#define PCRE2_CODE_UNIT_WIDTH 8

#include "links.h"
#include "jit.h"

#include <glib.h>
#include <pcre2.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/*
 * A URL starts with a scheme we care about (or "www.") at a word boundary
 * and runs to the next space, angle bracket, double quote or typographic
 * quote.  Trailing punctuation is trimmed afterwards, in code, because a
 * pattern that tries to do it backtracks badly on long runs of dots.
 */
static const char pol_url_pattern[] =
    "\\b(?:https?://|mailto:|www\\.)"
    "[^\\s<>\"\\x{201C}\\x{201D}\\x{00AB}\\x{00BB}]+";

static pthread_once_t pol_url_once = PTHREAD_ONCE_INIT;
static pcre2_code *pol_url_code;

static void
pol_url_compile(void)
{
	int err;
	PCRE2_SIZE off;

	pol_url_code = pcre2_compile(
	    (PCRE2_SPTR)pol_url_pattern, PCRE2_ZERO_TERMINATED,
	    PCRE2_UTF | PCRE2_UCP | PCRE2_CASELESS, &err, &off, NULL);
	/* JIT is only a speed-up; the interpreter is used when it fails. */
	if (pol_url_code != NULL)
		pol_jit_compile(pol_url_code);
}

void *
pol_array_grow(void *arr, size_t n, size_t size)
{
	size_t cap;

	if (n != 0 && (n < 4 || (n & (n - 1)) != 0))
		return arr; /* still room below the next power of two */
	cap = n == 0 ? 4 : n * 2;
	if (cap < n || size == 0 || cap > SIZE_MAX / size)
		return NULL;
	return realloc(arr, cap * size);
}

int
pol_link_add(struct pol_message *m, const char *url, size_t url_len,
	     const char *text, size_t part, unsigned line)
{
	struct pol_link *links, *l;
	const char *s = url, *e = url + url_len;
	char *copy;
	size_t n = 0;

	while (s < e && (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n' ||
			 *s == '\f'))
		s++;
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' ||
			 e[-1] == '\n' || e[-1] == '\f'))
		e--;
	if (s == e)
		return POL_OK;
	links = pol_array_grow(m->links, m->nlinks, sizeof(*m->links));
	if (links == NULL)
		return POL_ERR_NOMEM;
	m->links = links;
	if ((copy = malloc((size_t)(e - s) + 1)) == NULL)
		return POL_ERR_NOMEM;
	/* Browsers drop tabs and newlines inside a URL; so do we. */
	for (; s < e; s++)
		if (*s != '\t' && *s != '\r' && *s != '\n')
			copy[n++] = *s;
	copy[n] = '\0';
	l = &links[m->nlinks];
	l->url = copy;
	l->text = NULL;
	if (text != NULL && (l->text = strdup(text)) == NULL) {
		free(copy);
		return POL_ERR_NOMEM;
	}
	l->part = part;
	l->line = line;
	l->hidden = 0; /* the caller marks links the reader does not see */
	m->nlinks++;
	return POL_OK;
}

/* Does ref (n bytes) start with a URI scheme ("https:", "cid:")? */
static int
pol_url_has_scheme(const char *ref, size_t n)
{
	size_t i;

	if (n == 0 || !g_ascii_isalpha(ref[0]))
		return 0;
	for (i = 1; i < n; i++) {
		if (ref[i] == ':')
			return 1;
		if (!g_ascii_isalnum(ref[i]) && ref[i] != '+' &&
		    ref[i] != '-' && ref[i] != '.')
			return 0;
	}
	return 0;
}

char *
pol_url_resolve(const char *base, const char *ref, size_t n)
{
	char *copy, *abs;
	size_t i = 0;

	while (i < n && (ref[i] == ' ' || ref[i] == '\t' || ref[i] == '\r' ||
			 ref[i] == '\n' || ref[i] == '\f'))
		i++;
	ref += i;
	n -= i;
	if ((copy = malloc(n + 1)) == NULL)
		return NULL;
	memcpy(copy, ref, n);
	copy[n] = '\0';
	if (base == NULL || *base == '\0' || n == 0 ||
	    pol_url_has_scheme(copy, n) || memchr(copy, '\0', n) != NULL)
		return copy;
	abs = g_uri_resolve_relative(base, copy,
				     G_URI_FLAGS_ENCODED |
					 G_URI_FLAGS_PARSE_RELAXED,
				     NULL);
	if (abs == NULL)
		return copy;
	free(copy);
	copy = strdup(abs);
	g_free(abs);
	return copy;
}

/* Count c in s[0..n). */
static size_t
pol_count_char(const char *s, size_t n, char c)
{
	size_t k = 0, i;

	for (i = 0; i < n; i++)
		if (s[i] == c)
			k++;
	return k;
}

/*
 * Length of the URL at s (n bytes) once trailing punctuation is removed.
 * A closing bracket stays when the URL opened one itself, so
 * "https://de.wikipedia.org/wiki/A_(B)" keeps its ")".
 */
static size_t
pol_url_trim(const char *s, size_t n)
{
	size_t open_p = pol_count_char(s, n, '(');
	size_t close_p = pol_count_char(s, n, ')');
	size_t open_b = pol_count_char(s, n, '[');
	size_t close_b = pol_count_char(s, n, ']');

	while (n > 0) {
		char c = s[n - 1];

		if (c != '\0' && strchr(".,;:!?>'\"", c) != NULL) {
			n--;
		} else if (c == ')' && open_p < close_p) {
			n--;
			close_p--;
		} else if (c == ']' && open_b < close_b) {
			n--;
			close_b--;
		} else {
			break;
		}
	}
	return n;
}

/* Length of the scheme (or "www.") that starts a match. */
static size_t
pol_url_prefix(const char *s, size_t n)
{
	if (n >= 8 && strncasecmp(s, "https://", 8) == 0)
		return 8;
	if (n >= 7 && (strncasecmp(s, "http://", 7) == 0 ||
		       strncasecmp(s, "mailto:", 7) == 0))
		return 7;
	return 4; /* "www." */
}

/* Lines that end before s[n]: LF, CRLF and a lone CR each end one. */
static unsigned
pol_count_lines(const char *s, size_t n)
{
	unsigned k = 0;
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] == '\n' ||
		    (s[i] == '\r' && (i + 1 >= n || s[i + 1] != '\n')))
			k++;
	return k;
}

int
pol_links_scan_text(struct pol_message *m, size_t part, const char *text,
		    size_t len)
{
	pcre2_match_data *md;
	PCRE2_SIZE *ov, off = 0, counted = 0;
	uint32_t opts = 0;
	unsigned line = 1;
	int rc, status = POL_OK;

	pthread_once(&pol_url_once, pol_url_compile);
	if (pol_url_code == NULL)
		return POL_ERR_NOMEM;
	if ((md = pcre2_match_data_create_from_pattern(pol_url_code, NULL)) ==
	    NULL)
		return POL_ERR_NOMEM;
	while (off < len && status == POL_OK) {
		size_t start, n;

		rc = pcre2_match(pol_url_code, (PCRE2_SPTR)text, len, off, opts,
				 md, NULL);
		if (rc < 0)
			break; /* no more matches (or invalid UTF-8) */
		/* The text was checked once; checking it again per match
		 * would make the scan quadratic. */
		opts = PCRE2_NO_UTF_CHECK;
		ov = pcre2_get_ovector_pointer(md);
		start = ov[0];
		line += pol_count_lines(text + counted, start - counted);
		counted = start;
		n = pol_url_trim(text + start, ov[1] - start);
		if (n > pol_url_prefix(text + start, n))
			status =
			    pol_link_add(m, text + start, n, NULL, part, line);
		off = ov[1] > ov[0] ? ov[1] : ov[0] + 1;
	}
	pcre2_match_data_free(md);
	return status;
}

int
pol_index_lines(struct pol_text_part *p)
{
	const char *s = p->text, *e = s + p->text_len, *nl;
	size_t n = 1, cap = 64;

	if ((p->line_start = malloc(cap * sizeof(size_t))) == NULL)
		return POL_ERR_NOMEM;
	p->line_start[0] = 0;
	while ((nl = memchr(s, '\n', (size_t)(e - s))) != NULL) {
		if (n == cap) {
			size_t *g = realloc(p->line_start, cap * 2 * sizeof(size_t));

			if (g == NULL)
				return POL_ERR_NOMEM;
			p->line_start = g;
			cap *= 2;
		}
		s = nl + 1;
		p->line_start[n++] = (size_t)(s - p->text);
	}
	p->nlines = n;
	return 0;
}
