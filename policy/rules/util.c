/*
 * util.c - helpers shared by the rules (see util.h).  Pure functions over
 * borrowed strings; owns nothing beyond a call.  Header fields are read as
 * their RFCs say (RFC 2369 for List-* URIs); URLs are parsed by
 * common/url.c and looked into by urlscan.c.
 */
#include <ctype.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util.h"

#include "../../common/addr.h"
#include "../../common/textnorm.h"
#include "../../common/url.h"
#include "urlscan.h"

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
pol_host_is_senders(const struct pol_ctx *x, const char *host)
{
	const char *from = x->msg->from_addr;
	const char *env = x->env ? x->env->sender : NULL;

	return (from && *from && url_host_in_domain(host, addr_domain(from))) ||
	       (env && *env && url_host_in_domain(host, addr_domain(env)));
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

char *
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
pol_each_image_alt(const struct pol_message *m,
		   int (*fn)(void *arg, const char *alt, size_t len,
			     const char *where),
		   void *arg)
{
	const struct pol_image *im;
	char where[160];
	size_t i, n;
	int r;

	for (i = 0; i < m->nimages; i++) {
		im = &m->images[i];
		if (im->part < m->nparts && m->parts[im->part].extra != NULL)
			continue;
		pol_where_part(m, im->part, 0, where, sizeof(where));
		n = strlen(where);
		snprintf(where + n, sizeof(where) - n, " image alt text");
		if ((r = fn(arg, im->alt, strlen(im->alt), where)) != 0)
			return r;
	}
	return 0;
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
	if (p->line_start) { /* the view's line index */
		if (line > p->nlines)
			return;
		s += p->line_start[line - 1];
		n = line;
	}
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

/* Skip an RFC 5322 comment starting at p ('('); nested comments and
 * quoted pairs included.  Returns the byte after it. */
static const char *
pol_skip_comment(const char *p)
{
	int depth = 0;

	for (; *p; p++) {
		if (*p == '\\' && p[1] != '\0')
			p++;
		else if (*p == '(')
			depth++;
		else if (*p == ')' && --depth == 0)
			return p + 1;
	}
	return p;
}

int
pol_header_uris(const char *value, int (*cb)(const char *uri, void *arg),
		void *arg)
{
	const char *p = value;
	char uri[2048];
	size_t n;
	int rc;

	/* RFC 2369 section 2: URIs only in angle brackets, white space inside
	 * them ignored, comments in parentheses anywhere else skipped. */
	while (p && *p) {
		if (*p == '(') {
			p = pol_skip_comment(p);
			continue;
		}
		if (*p++ != '<')
			continue;
		n = 0;
		while (*p && *p != '>') {
			if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n' &&
			    n < sizeof(uri) - 1)
				uri[n++] = *p;
			p++;
		}
		if (*p != '>')
			break;
		p++;
		uri[n] = '\0';
		if (n && (rc = cb(uri, arg)) != 0)
			return rc;
	}
	return 0;
}

size_t
pol_rule_hits(const struct pol_verdict *v, enum pol_rule rule)
{
	size_t i, n = 0;

	for (i = 0; i < v->nhits; i++)
		if (v->hits[i].rule == rule)
			n++;
	return n;
}

const char *
pol_header_value_raw(const struct pol_message *m, const char *name)
{
	const char *raw = pol_message_header_raw(m, name);

	return raw ? raw : pol_message_header(m, name);
}

int
pol_url_unwrap(const char *url, char *out, size_t outsz)
{
	struct pol_scan s;
	char cur[2048], next[2048];
	int level, found = 0;

	snprintf(cur, sizeof(cur), "%s", url);
	for (level = 0; level < 4; level++) {
		if (pol_scan_url(cur, &s) < 0) {
			pol_scan_free(&s);
			return -1;
		}
		if (!pol_scan_inner_url(&s, cur, next, sizeof(next))) {
			pol_scan_free(&s);
			break;
		}
		pol_scan_free(&s);
		found = 1;
		snprintf(cur, sizeof(cur), "%s", next);
	}
	snprintf(out, outsz, "%s", found ? cur : url);
	return found;
}

/* What one evaluation remembers of a URL, found by the URL (a hash table,
 * so a mail with many links stays linear). */
struct pol_memo_url {
	char *target;           /* pol_url_unwrap's result, when unwrapped */
	int found;              /* its return */
	int host_rc;            /* pol_url_host's return, when has_host */
	int has_host;
	char host[POL_HOST_MAX];
	struct pol_scan *scan;  /* pol_scan_url's result, or NULL */
	char *norm;             /* url_normalise's result, when has_norm */
	int has_norm;           /* (NULL then: it does not parse) */
};

struct pol_memo {
	GHashTable *urls; /* char * (owned) -> struct pol_memo_url * (owned) */
};

static void
pol_memo_url_free(gpointer p)
{
	struct pol_memo_url *e = p;

	if (e == NULL)
		return;
	free(e->target);
	free(e->norm);
	if (e->scan) {
		pol_scan_free(e->scan);
		free(e->scan);
	}
	free(e);
}

struct pol_memo *
pol_memo_new(void)
{
	struct pol_memo *m = calloc(1, sizeof(struct pol_memo));

	if (m)
		m->urls = g_hash_table_new_full(g_str_hash, g_str_equal, free,
						pol_memo_url_free);
	return m;
}

void
pol_memo_free(struct pol_memo *m)
{
	if (m == NULL)
		return;
	g_hash_table_destroy(m->urls);
	free(m);
}

/* The memo entry of url, made when new; NULL when nothing is remembered
 * (no memo, or no memory: the callers then compute, which is as right). */
static struct pol_memo_url *
pol_memo_url(const struct pol_ctx *x, const char *url)
{
	struct pol_memo_url *e;
	char *key;

	if (x->memo == NULL)
		return NULL;
	if ((e = g_hash_table_lookup(x->memo->urls, url)) != NULL)
		return e;
	if ((e = calloc(1, sizeof(*e))) == NULL)
		return NULL;
	if ((key = strdup(url)) == NULL) {
		free(e);
		return NULL;
	}
	g_hash_table_insert(x->memo->urls, key, e);
	return e;
}

int
pol_url_unwrap_x(const struct pol_ctx *x, const char *url, char *out,
		 size_t outsz)
{
	struct pol_memo_url *e = pol_memo_url(x, url);
	char target[2048];
	int r;

	if (e && e->target) {
		snprintf(out, outsz, "%s", e->target);
		return e->found;
	}
	if ((r = pol_url_unwrap(url, target, sizeof(target))) < 0)
		return -1;
	snprintf(out, outsz, "%s", target);
	if (e && (e->target = strdup(target)) != NULL)
		e->found = r;
	return r;
}

int
pol_url_host_x(const struct pol_ctx *x, const char *url, char *host,
	       size_t hostsz)
{
	struct pol_memo_url *e;

	if (hostsz < POL_HOST_MAX || (e = pol_memo_url(x, url)) == NULL)
		return pol_url_host(url, host, hostsz);
	if (!e->has_host) {
		e->host_rc = pol_url_host(url, e->host, sizeof(e->host));
		e->has_host = 1;
	}
	snprintf(host, hostsz, "%s", e->host);
	return e->host_rc;
}

const struct pol_scan *
pol_scan_url_x(const struct pol_ctx *x, const char *url, struct pol_scan *tmp)
{
	struct pol_memo_url *e = pol_memo_url(x, url);
	struct pol_scan *s;

	if (e && e->scan)
		return e->scan;
	if (e == NULL || (s = malloc(sizeof(*s))) == NULL)
		s = tmp;
	if (pol_scan_url(url, s) < 0) {
		pol_scan_free(s);
		if (s != tmp)
			free(s);
		return NULL;
	}
	if (s != tmp)
		e->scan = s;
	return s;
}

int
pol_url_has_prefix_x(const struct pol_ctx *x, const char *url,
		     const char *prefix)
{
	struct pol_memo_url *e;

	if (prefix == NULL || *prefix == '\0' || url == NULL ||
	    (e = pol_memo_url(x, url)) == NULL)
		return pol_url_has_prefix(url, prefix);
	if (!e->has_norm) {
		e->norm = url_normalise(url);
		e->has_norm = 1;
	}
	return url_normal_has_prefix(e->norm, prefix);
}

void
pol_scan_done(const struct pol_scan *s, struct pol_scan *tmp)
{
	if (s == tmp)
		pol_scan_free(tmp);
}

int
pol_url_path_query(const char *url, char *path, size_t pathsz, char *query,
		   size_t querysz)
{
	GUri *u = g_uri_parse(url, G_URI_FLAGS_ENCODED | G_URI_FLAGS_PARSE_RELAXED,
			      NULL);

	path[0] = '\0';
	query[0] = '\0';
	if (u == NULL)
		return -1;
	snprintf(path, pathsz, "%s", g_uri_get_path(u) ? g_uri_get_path(u) : "");
	snprintf(query, querysz, "%s",
		 g_uri_get_query(u) ? g_uri_get_query(u) : "");
	g_uri_unref(u);
	return 0;
}
