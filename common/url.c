/*
 * url.c - parse, normalise and compare URLs (see url.h).
 *
 * One pass prepares the text as a browser would (url_prepare), GLib's
 * g_uri_split() splits it, and the host goes through percent-decoding and
 * libidn2's UTS #46 mapping.  Owns nothing beyond the memory of one call:
 * every GLib string is freed before returning.  Out of memory and
 * unparseable input both give the documented failure value.
 */
#include "url.h"

#include <ctype.h>
#include <glib.h>
#include <idn2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "hex.h"

/* The pieces of one parsed URL (GLib strings, freed by url_parts_clear). */
struct url_parts {
	char *scheme, *userinfo, *host, *path, *query, *fragment;
	int port;
};

static void
url_parts_clear(struct url_parts *p)
{
	g_free(p->scheme);
	g_free(p->userinfo);
	g_free(p->host);
	g_free(p->path);
	g_free(p->query);
	g_free(p->fragment);
	memset(p, 0, sizeof(*p));
}

int
url_scheme_is(const char *url, const char *scheme)
{
	size_t n = strlen(scheme);

	while (*url == ' ' || *url == '\t' || *url == '\n' || *url == '\r')
		url++;
	return strncasecmp(url, scheme, n) == 0 && url[n] == ':';
}

/* May this byte stand in a URL as it is?  (RFC 3986 characters, '%' and
 * '#'; everything else is percent-encoded before GUri sees it.) */
static int
url_byte_ok(unsigned char c)
{
	if (c <= 0x20 || c >= 0x7f)
		return 0;
	return strchr("\"<>\\^`{|}", c) == NULL;
}

/*
 * The text a browser would resolve: tab, CR and LF dropped, surrounding
 * spaces trimmed, "www." given http, backslash a slash in http(s) URLs,
 * other bytes a URL may not hold percent-encoded.  malloc'd, or NULL.
 */
static char *
url_prepare(const char *in)
{
	size_t n;
	char *out, *w;
	int special, www;

	while (*in == ' ' || *in == '\t' || *in == '\n' || *in == '\r' ||
	       *in == '\f')
		in++;
	n = strlen(in);
	while (n > 0 && (in[n - 1] == ' ' || in[n - 1] == '\f'))
		n--;
	www = strncasecmp(in, "www.", 4) == 0;
	special = www || strncasecmp(in, "http:", 5) == 0 ||
		  strncasecmp(in, "https:", 6) == 0;
	/* At most three bytes out for each byte in, plus "http://". */
	if (n > (SIZE_MAX - 8) / 3 || (out = malloc(n * 3 + 8)) == NULL)
		return NULL;
	w = out;
	if (www) {
		memcpy(w, "http://", 7);
		w += 7;
	}
	for (; n > 0; in++, n--) {
		unsigned char c = (unsigned char)*in;

		if (c == '\t' || c == '\n' || c == '\r')
			continue;
		if (c == '\\' && special)
			c = '/';
		if (url_byte_ok(c)) {
			*w++ = (char)c;
		} else {
			*w++ = '%';
			hex_put_upper(c, w);
			w += 2;
		}
	}
	*w = '\0';
	return out;
}

/* Split a prepared URL.  0 or -1. */
static int
url_split(const char *prepared, struct url_parts *p)
{
	memset(p, 0, sizeof(*p));
	p->port = -1;
	if (!g_uri_split(prepared, G_URI_FLAGS_ENCODED | G_URI_FLAGS_NON_DNS,
			 &p->scheme, &p->userinfo, &p->host, &p->port, &p->path,
			 &p->query, &p->fragment, NULL)) {
		url_parts_clear(p);
		return -1;
	}
	if (p->scheme)
		for (char *s = p->scheme; *s; s++)
			*s = (char)tolower((unsigned char)*s);
	return 0;
}

/* Is the host plain LDH: labels of ASCII letters, digits and inner '-',
 * none empty (but a trailing dot), none an "xn--" A-label to validate?
 * Then its lower-case form without the trailing dot is in out (not
 * terminated) and the result is its length; -1 when not (or too long). */
static long
url_plain_ldh(const char *h, char *out, size_t outsz)
{
	size_t i, start = 0;
	unsigned char c;

	/* One pass that checks and lower-cases at once: this runs for every
	 * host of every link, and for each domain it is compared with. */
	for (i = 0;; i++) {
		c = (unsigned char)h[i];
		if (c != '.' && c != '\0') {
			if (i + 1 >= outsz)
				return -1;
			if (c >= 'A' && c <= 'Z')
				c |= 0x20;
			else if (!(c >= 'a' && c <= 'z') &&
				 !(c >= '0' && c <= '9') && c != '-')
				return -1;
			out[i] = (char)c;
			continue;
		}
		if (i == start) /* only a trailing dot may be empty */
			return c == '\0' && i > 1 ? (long)i - 1 : -1;
		if (h[start] == '-' || h[i - 1] == '-' ||
		    (i - start >= 4 && strncmp(out + start, "xn--", 4) == 0))
			return -1;
		if (c == '\0')
			return (long)i;
		if (i + 1 >= outsz)
			return -1;
		out[i] = '.';
		start = i + 1;
	}
}

/* Percent-decode, map with UTS #46, lower-case, drop one trailing dot. */
static int
url_map_host(const char *raw, char *out, size_t outsz)
{
	char *dec, *ascii = NULL;
	size_t n;
	long len;
	int rc;

	out[0] = '\0';
	if (raw == NULL || *raw == '\0')
		return -1;
	/* Letters, digits, '-' and '.' only, no label starting or ending with
	 * '-' and no "xn--" label (the common case): UTS #46 would only
	 * lower-case it, so libidn2 is skipped. */
	if ((len = url_plain_ldh(raw, out, outsz)) >= 0) {
		out[len] = '\0';
		return len > 0 ? 0 : -1;
	}
	out[0] = '\0';
	if (strchr(raw, ':') != NULL) { /* IPv6 literal: kept, lower case */
		n = strlen(raw);
		if (n >= outsz)
			return -1;
		for (size_t i = 0; i <= n; i++)
			out[i] = (char)tolower((unsigned char)raw[i]);
		return 0;
	}
	dec = g_uri_unescape_string(raw, NULL);
	if (dec == NULL)
		return -1;
	n = strlen(dec);
	if (n > 0 && dec[n - 1] == '.')
		dec[--n] = '\0';
	rc = idn2_to_ascii_8z(dec, &ascii, IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
	if (rc != IDN2_OK)
		rc = idn2_to_ascii_8z(dec, &ascii, IDN2_NFC_INPUT | IDN2_TRANSITIONAL);
	g_free(dec);
	if (rc != IDN2_OK || ascii == NULL) {
		idn2_free(ascii);
		return -1;
	}
	n = strlen(ascii);
	if (n == 0 || n >= outsz) {
		idn2_free(ascii);
		return -1;
	}
	for (size_t i = 0; i <= n; i++)
		out[i] = (char)tolower((unsigned char)ascii[i]);
	idn2_free(ascii);
	return 0;
}

int
url_domain_unicode(const char *domain, char *out, size_t outsz)
{
	char *u = NULL;
	size_t n;

	out[0] = '\0';
	if (domain == NULL || strstr(domain, "xn--") == NULL ||
	    idn2_to_unicode_8z8z(domain, &u, 0) != IDN2_OK || u == NULL) {
		idn2_free(u);
		return -1;
	}
	n = strlen(u);
	if (n == 0 || n >= outsz) {
		idn2_free(u);
		return -1;
	}
	memcpy(out, u, n + 1);
	idn2_free(u);
	return 0;
}

int
url_domain_normalise(const char *domain, char *out, size_t outsz)
{
	while (*domain == ' ' || *domain == '.' || *domain == '@')
		domain++;
	return url_map_host(domain, out, outsz);
}

/* The domain of a mailto: URL's first address. */
static int
url_mailto_host(const struct url_parts *p, char *host, size_t hostsz)
{
	const char *path = p->path ? p->path : "", *at;
	char *addr;
	size_t n;
	int rc;

	n = strcspn(path, ",;");
	at = memchr(path, '@', n);
	if (at == NULL)
		return -1;
	addr = g_strndup(at + 1, n - (size_t)(at + 1 - path));
	rc = url_map_host(addr, host, hostsz);
	g_free(addr);
	return rc;
}

int
url_host(const char *url, char *host, size_t hostsz)
{
	struct url_parts p;
	char *prep;
	int rc = -1;

	host[0] = '\0';
	prep = url_prepare(url ? url : "");
	if (prep == NULL)
		return -1;
	if (url_split(prep, &p) == 0) {
		if (p.scheme && strcmp(p.scheme, "mailto") == 0)
			rc = url_mailto_host(&p, host, hostsz);
		else
			rc = url_map_host(p.host, host, hostsz);
		url_parts_clear(&p);
	}
	free(prep);
	if (rc < 0)
		host[0] = '\0';
	return rc;
}

int
url_normal_host_in_domain(const char *h, const char *d)
{
	size_t hl = strlen(h), dl = strlen(d);

	if (dl == 0 || hl < dl || strcmp(h + hl - dl, d) != 0)
		return 0;
	return hl == dl || h[hl - dl - 1] == '.';
}

int
url_host_in_domain(const char *host, const char *domain)
{
	char h[URL_HOST_MAX], d[URL_HOST_MAX];

	if (url_domain_normalise(host, h, sizeof(h)) < 0 ||
	    url_domain_normalise(domain, d, sizeof(d)) < 0)
		return 0;
	return url_normal_host_in_domain(h, d);
}

static int
url_default_port(const char *scheme)
{
	if (scheme == NULL)
		return -1;
	if (strcmp(scheme, "http") == 0)
		return 80;
	if (strcmp(scheme, "https") == 0)
		return 443;
	return -1;
}

/* Normalised text of split parts (see url.h); malloc'd or NULL. */
static char *
url_compose(const struct url_parts *p)
{
	struct buf b = BUF_INIT;
	char host[URL_HOST_MAX];
	int bad = 0;

	if (p->scheme)
		bad |= buf_printf(&b, "%s:", p->scheme) < 0;
	if (p->host) {
		if (url_map_host(p->host, host, sizeof(host)) < 0) {
			buf_free(&b);
			return NULL;
		}
		bad |= buf_puts(&b, "//") < 0;
		if (p->userinfo)
			bad |= buf_printf(&b, "%s@", p->userinfo) < 0;
		bad |= buf_printf(&b, strchr(host, ':') ? "[%s]" : "%s", host) < 0;
		if (p->port > 0 && p->port != url_default_port(p->scheme))
			bad |= buf_printf(&b, ":%d", p->port) < 0;
		if (p->path == NULL || p->path[0] == '\0')
			bad |= buf_putc(&b, '/') < 0;
	}
	bad |= buf_puts(&b, p->path ? p->path : "") < 0;
	if (p->query)
		bad |= buf_printf(&b, "?%s", p->query) < 0;
	if (bad) {
		buf_free(&b);
		return NULL;
	}
	return buf_steal(&b);
}

char *
url_normalise(const char *url)
{
	struct url_parts p;
	char *prep, *out = NULL;

	prep = url_prepare(url ? url : "");
	if (prep == NULL)
		return NULL;
	if (url_split(prep, &p) == 0) {
		out = url_compose(&p);
		url_parts_clear(&p);
	}
	free(prep);
	return out;
}

/* A per-thread cache of normalised URLs.  Prefixes (ConfirmURL,
 * PrivacyURL, ...: a handful, compared with every link) and links (each
 * compared with several prefixes in a row, and by several rules) live in
 * two caches so a message with many links never evicts the prefixes.  An
 * entry keys on the text itself, so a reloaded configuration never sees a
 * stale one; texts too long for an entry are not cached. */
#define URL_CACHE_RAW 512
#define URL_CACHE_NORM 1024
struct url_cache_entry {
	uint32_t hash;
	char raw[URL_CACHE_RAW];
	char norm[URL_CACHE_NORM];
};
#define URL_PREFIX_SLOTS 8   /* prefixes: round robin */
#define URL_LINK_SLOTS 64    /* links: direct-mapped by hash */

static uint32_t
url_cache_hash(const char *s, size_t *len)
{
	uint32_t h = 2166136261u;
	const char *p;

	for (p = s; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	*len = (size_t)(p - s);
	return h;
}

/* Fill e with text and its normalised form; NULL when it does not parse
 * or does not fit (the caller normalises without the cache). */
static const char *
url_cache_fill(struct url_cache_entry *e, const char *text, size_t n,
	       uint32_t h)
{
	char *norm;
	size_t nn;

	if (n >= sizeof(e->raw) || (norm = url_normalise(text)) == NULL)
		return NULL;
	nn = strlen(norm);
	if (nn >= sizeof(e->norm)) {
		free(norm);
		return NULL;
	}
	e->hash = h;
	memcpy(e->raw, text, n + 1);
	memcpy(e->norm, norm, nn + 1);
	free(norm);
	return e->norm;
}

/* The normalised form of a prefix, or NULL (see above). */
static const char *
url_prefix_normalised(const char *prefix)
{
	static __thread struct url_cache_entry cache[URL_PREFIX_SLOTS];
	static __thread unsigned next;
	size_t i, n;
	uint32_t h = url_cache_hash(prefix, &n);

	for (i = 0; i < URL_PREFIX_SLOTS; i++)
		if (cache[i].hash == h && cache[i].raw[0] &&
		    strcmp(cache[i].raw, prefix) == 0)
			return cache[i].norm;
	return url_cache_fill(&cache[next++ % URL_PREFIX_SLOTS], prefix, n, h);
}

/* The normalised form of a link, or NULL (see above). */
static const char *
url_link_normalised(const char *url)
{
	static __thread struct url_cache_entry cache[URL_LINK_SLOTS];
	size_t n;
	uint32_t h = url_cache_hash(url, &n);
	struct url_cache_entry *e = &cache[h % URL_LINK_SLOTS];

	if (e->hash == h && e->raw[0] && strcmp(e->raw, url) == 0)
		return e->norm;
	return url_cache_fill(e, url, n, h);
}

/* 1 when the query parameter par (name=value, n bytes) is one of the
 * '&'/';'-separated parameters of query q (up to its fragment); a par
 * with an empty value as the prefix's last parameter (last set) matches
 * that name with any value. */
static int
url_query_has(const char *q, const char *par, size_t n, int last)
{
	int any = last && n > 0 && par[n - 1] == '=';

	while (*q && *q != '#') {
		size_t len = strcspn(q, "&;#");

		if ((len == n || (any && len > n)) && strncmp(q, par, n) == 0)
			return 1;
		q += len;
		if (*q == '&' || *q == ';')
			q++;
	}
	return 0;
}

/* A prefix with a query also covers a url with the same scheme, host,
 * port and path whose query holds each of the prefix's parameters in any
 * order (Ghost writes ?token=...&action=signup, the administrator may
 * name ?action=signup). */
static int
url_prefix_params(const char *u, const char *pre)
{
	const char *pq = strchr(pre, '?'), *uq = strchr(u, '?'), *p;

	if (pq == NULL || uq == NULL || pq - pre != uq - u ||
	    strncmp(u, pre, (size_t)(pq - pre)) != 0)
		return 0;
	for (p = pq + 1; *p;) {
		size_t len = strcspn(p, "&;");

		if (len > 0 && !url_query_has(uq + 1, p, len, p[len] == '\0'))
			return 0;
		p += len;
		if (*p)
			p++;
	}
	return 1;
}

/* The boundary test of url_has_prefix over two normalised forms.  A prefix
 * that ends inside the query (".../index.php?fc=module&controller=verify")
 * ends at a parameter: the url's next one ('&', ';') or its fragment. */
static int
url_prefix_match(const char *u, const char *pre)
{
	size_t n = strlen(pre);
	const char *next = strchr(pre, '?') ? "&;#" : "/?#";

	if (n > 0 && strncmp(u, pre, n) == 0 &&
	    (strchr("/?&=", pre[n - 1]) != NULL || strchr(next, u[n]) != NULL))
		return 1;
	return url_prefix_params(u, pre);
}

int
url_normal_has_prefix(const char *norm_url, const char *prefix)
{
	const char *pre;
	char *owned_pre = NULL;
	int r = 0;

	if (prefix == NULL || *prefix == '\0' || norm_url == NULL)
		return 0;
	if ((pre = url_prefix_normalised(prefix)) == NULL)
		pre = owned_pre = url_normalise(prefix);
	if (pre)
		r = url_prefix_match(norm_url, pre);
	free(owned_pre);
	return r;
}

int
url_has_prefix(const char *url, const char *prefix)
{
	const char *pre, *u;
	char *owned_pre = NULL, *owned_u = NULL;
	int r = 0;

	if (prefix == NULL || *prefix == '\0' || url == NULL)
		return 0;
	/* The two caches are apart, so neither lookup evicts the other. */
	if ((pre = url_prefix_normalised(prefix)) == NULL)
		pre = owned_pre = url_normalise(prefix);
	if ((u = url_link_normalised(url)) == NULL)
		u = owned_u = url_normalise(url);
	if (u && pre)
		r = url_prefix_match(u, pre);
	free(owned_u);
	free(owned_pre);
	return r;
}

int
url_query_param(const char *url, const char *name, char *out, size_t outsz)
{
	struct url_parts p;
	char *prep, **pairs, *val;
	size_t nl = strlen(name), i;
	int found = 0;

	out[0] = '\0';
	prep = url_prepare(url ? url : "");
	if (prep == NULL)
		return 0;
	if (url_split(prep, &p) < 0) {
		free(prep);
		return 0;
	}
	if (p.query == NULL) {
		url_parts_clear(&p);
		free(prep);
		return 0;
	}
	pairs = g_strsplit_set(p.query, "&;", -1);
	for (i = 0; pairs && pairs[i] && !found; i++) {
		if (strncmp(pairs[i], name, nl) != 0 || pairs[i][nl] != '=')
			continue;
		for (char *s = pairs[i] + nl + 1; *s; s++)
			if (*s == '+')
				*s = ' ';
		val = g_uri_unescape_string(pairs[i] + nl + 1, NULL);
		if (val && *val && strlen(val) < outsz) {
			snprintf(out, outsz, "%s", val);
			found = 1;
		}
		g_free(val);
		break;
	}
	g_strfreev(pairs);
	url_parts_clear(&p);
	free(prep);
	return found;
}
