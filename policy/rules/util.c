/*
 * util.c - helpers shared by the rules (see util.h).  Pure functions over
 * borrowed strings; owns nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util.h"

#include "../../common/textnorm.h"
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

/* The normalised needle without leading and trailing space, malloc'd. */
static char *
pol_norm_needle(const char *needle)
{
	char *n = textnorm_string(needle), *p;
	size_t len;

	if (n == NULL)
		return NULL;
	for (p = n; *p == ' '; p++)
		;
	len = strlen(p);
	while (len && p[len - 1] == ' ')
		len--;
	memmove(n, p, len);
	n[len] = '\0';
	return n;
}

int
pol_norm_contains(const char *norm_haystack, const char *needle)
{
	char *n;
	int r;

	if ((n = pol_norm_needle(needle)) == NULL)
		return -1;
	r = n[0] == '\0' ||
	    (norm_haystack != NULL && strstr(norm_haystack, n) != NULL);
	free(n);
	return r;
}

int
pol_text_contains(const char *haystack, const char *needle)
{
	char *h;
	int r;

	if (haystack == NULL)
		return pol_norm_contains(NULL, needle) == 1;
	if ((h = textnorm_string(haystack)) == NULL)
		return 0;
	r = pol_norm_contains(h, needle);
	free(h);
	return r == 1;
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
		if (m->parts[i].kind == k)
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
