/*
 * util.c - helpers shared by the rules (see util.h).  Pure functions over
 * borrowed strings; owns nothing.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "util.h"

#include "../../common/url.h"

int
pol_url_scheme_is(const char *url, const char *scheme)
{
	while (*url == ' ' || *url == '\t')
		url++;
	return strncasecmp(url, scheme, strlen(scheme)) == 0;
}

int
pol_url_host(const char *url, char *host, size_t hostsz)
{
	return url_host(url, host, hostsz);
}

int
pol_host_in_domain(const char *host, const char *domain)
{
	return url_host_in_domain(host, domain);
}

int
pol_host_in_list(const char *host, char *const *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (url_host_in_domain(host, list[i]))
			return 1;
	return 0;
}

int
pol_url_has_prefix(const char *url, const char *prefix)
{
	return url_has_prefix(url, prefix);
}

/* Advance over a run of white space (ASCII and U+00A0). */
static const char *
pol_skip_space(const char *s)
{
	for (;;) {
		if (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
			s++;
		else if ((unsigned char)s[0] == 0xc2 && (unsigned char)s[1] == 0xa0)
			s += 2;
		else
			return s;
	}
}

static int
pol_is_space_at(const char *s)
{
	return *s == ' ' || *s == '\t' || *s == '\r' || *s == '\n' ||
	       ((unsigned char)s[0] == 0xc2 && (unsigned char)s[1] == 0xa0);
}

/* Does needle match at h?  Both sides' white-space runs compare equal. */
static int
pol_match_at(const char *h, const char *n)
{
	while (*n) {
		if (pol_is_space_at(n)) {
			if (!pol_is_space_at(h))
				return 0;
			h = pol_skip_space(h);
			n = pol_skip_space(n);
			continue;
		}
		if (tolower((unsigned char)*h) != tolower((unsigned char)*n))
			return 0;
		h++;
		n++;
	}
	return 1;
}

int
pol_text_contains(const char *haystack, const char *needle)
{
	char first[64];
	const char *h;
	size_t n;

	needle = pol_skip_space(needle);
	if (*needle == '\0')
		return 1;
	if (haystack == NULL)
		return 0;
	/* Find candidates by the needle's first word with glibc's fast
	 * case-insensitive search, then compare the rest with white-space
	 * runs folded. */
	n = 0;
	while (needle[n] && !pol_is_space_at(needle + n) && n < sizeof(first) - 1) {
		first[n] = needle[n];
		n++;
	}
	first[n] = '\0';
	for (h = strcasestr(haystack, first); h != NULL;
	     h = strcasestr(h + 1, first))
		if (pol_match_at(h, needle))
			return 1;
	return 0;
}

void
pol_where_part(const struct pol_message *m, size_t part, unsigned line,
	       char *out, size_t outsz)
{
	const struct pol_text_part *p;

	if (part >= m->nparts) {
		snprintf(out, outsz, "message");
		return;
	}
	p = &m->parts[part];
	if (line)
		snprintf(out, outsz, "part %s %s line %u", p->path,
			 p->content_type, line);
	else
		snprintf(out, outsz, "part %s %s", p->path, p->content_type);
}

int
pol_has_part_kind(const struct pol_message *m, enum pol_part_kind k)
{
	size_t i;

	for (i = 0; i < m->nparts; i++)
		if (m->parts[i].kind == k && !m->parts[i].attached)
			return 1;
	return 0;
}

void
pol_part_line(const struct pol_text_part *p, unsigned line, char *out,
	      size_t outsz)
{
	const char *s = p->text, *e;
	unsigned n = 1;
	size_t len;

	out[0] = '\0';
	if (s == NULL || line == 0)
		return;
	while (n < line && (s = strchr(s, '\n')) != NULL) {
		s++;
		n++;
	}
	if (s == NULL)
		return;
	e = strchr(s, '\n');
	len = e ? (size_t)(e - s) : strlen(s);
	if (len >= outsz)
		len = outsz - 1;
	memcpy(out, s, len);
	out[len] = '\0';
}

int
pol_header_uris(const char *value, int (*cb)(const char *uri, void *arg),
		void *arg)
{
	const char *p = value, *lt, *gt;
	char uri[2048];
	size_t n;
	int rc;

	while ((lt = strchr(p, '<')) != NULL) {
		gt = strchr(lt, '>');
		if (gt == NULL)
			break;
		n = (size_t)(gt - lt - 1);
		if (n >= sizeof(uri))
			n = sizeof(uri) - 1;
		memcpy(uri, lt + 1, n);
		uri[n] = '\0';
		rc = cb(uri, arg);
		if (rc)
			return rc;
		p = gt + 1;
	}
	return 0;
}
