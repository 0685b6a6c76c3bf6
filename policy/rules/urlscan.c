/*
 * urlscan.c - decode a URL's components until nothing changes (see
 * urlscan.h), and the searches the rules run over the result: a
 * recipient's address, a token, an embedded URL.
 *
 * Owns the pieces of one scan (malloc'd, freed by pol_scan_free).  The work
 * is bounded by the POL_SCAN_* limits; hitting one sets truncated and
 * stops decoding, it never fails.  Returns -1 only when memory runs out.
 * Syntax comes from common/url.c (url_host); decoding of the components is
 * done here, once, for every rule that looks inside URLs.
 */
#include <ctype.h>
#include <stdio.h>
#include <glib.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../../common/base64.h"
#include "../../common/buf.h"
#include "../../common/hex.h"
#include "../../common/url.h"
#include "../../common/utf8.h"
#include "urlscan.h"

/* Coarse delimiters: between query parameters, JSON members, quoted
 * strings.  Fine ones add the path, key/value and scheme separators. */
static const char pol_coarse[] = "?&#;,\"'{}[]|<> \t\r\n";
static const char pol_fine[] = "?&#;,\"'{}[]|<> \t\r\n/:=";

/* Text a person or a server would read: no control bytes. */
static int
pol_printable(const char *s, size_t n)
{
	size_t i;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return 1;
}

/* Add n bytes at p as a new piece unless known; 0, or -1 out of memory. */
static int
pol_scan_add(struct pol_scan *s, const char *p, size_t n, unsigned depth,
	     int whole)
{
	size_t i;
	char *c;

	if (n == 0 || n > POL_SCAN_MAX_LEN || depth > POL_SCAN_MAX_DEPTH)
		return 0;
	for (i = 0; i < s->n; i++)
		if (strlen(s->v[i]) == n && memcmp(s->v[i], p, n) == 0)
			return 0;
	if (s->n >= POL_SCAN_MAX_PIECES) {
		s->truncated = 1;
		return 0;
	}
	if ((c = malloc(2 * n + 2)) == NULL)
		return -1;
	memcpy(c, p, n);
	c[n] = '\0';
	for (i = 0; i < n; i++)
		c[n + 1 + i] = (char)tolower((unsigned char)p[i]);
	c[2 * n + 1] = '\0';
	s->v[s->n] = c;
	s->lv[s->n] = c + n + 1;
	s->depth[s->n] = (unsigned char)depth;
	s->whole[s->n] = (unsigned char)whole;
	s->n++;
	return 0;
}

/* %uXXXX (the escape() form some servers still read): the code point at
 * p + 2, or -1. */
static int
pol_percent_u(const char *p)
{
	int v = 0, k, h;

	if ((p[1] != 'u' && p[1] != 'U'))
		return -1;
	for (k = 2; k < 6; k++) {
		if ((h = hex_value((unsigned char)p[k])) < 0)
			return -1;
		v = v * 16 + h;
	}
	return v;
}

/* %XX and %uXXXX. */
static int
pol_decode_percent(const char *p, struct buf *b)
{
	int h, l;

	for (; *p; p++) {
		if (*p == '%' && (h = pol_percent_u(p)) > 0) {
			if (utf8_put(b, (unsigned)h) < 0)
				return -1;
			p += 5;
		} else if (*p == '%' && (h = hex_value((unsigned char)p[1])) >= 0 &&
		    (l = hex_value((unsigned char)p[2])) >= 0) {
			if (buf_putc(b, (char)(h * 16 + l)) < 0)
				return -1;
			p += 2;
		} else if (buf_putc(b, *p) < 0) {
			return -1;
		}
	}
	return 0;
}

/* Numeric and the few named entities that spell an address or a URL. */
static int
pol_decode_entities(const char *p, struct buf *b)
{
	static const struct {
		const char *name;
		char c;
	} named[] = {{"amp;", '&'},   {"commat;", '@'}, {"period;", '.'},
		     {"colon;", ':'}, {"sol;", '/'},    {"quot;", '"'},
		     {"plus;", '+'},  {"equals;", '='}, {"quest;", '?'},
		     {"lowbar;", '_'}, {"hyphen;", '-'}, {"percnt;", '%'}};
	size_t i;

	for (; *p; p++) {
		unsigned long cp;
		char *end;

		if (*p != '&')
			goto plain;
		if (p[1] == '#') {
			int hex = p[2] == 'x' || p[2] == 'X';

			cp = strtoul(p + 2 + hex, &end, hex ? 16 : 10);
			if (end == p + 2 + hex || cp == 0 || cp > 0x7e)
				goto plain;
			if (buf_putc(b, (char)cp) < 0)
				return -1;
			p = *end == ';' ? end : end - 1;
			continue;
		}
		for (i = 0; i < sizeof(named) / sizeof(named[0]); i++)
			if (strncasecmp(p + 1, named[i].name,
					strlen(named[i].name)) == 0)
				break;
		if (i == sizeof(named) / sizeof(named[0]))
			goto plain;
		if (buf_putc(b, named[i].c) < 0)
			return -1;
		p += strlen(named[i].name);
		continue;
plain:
		if (buf_putc(b, *p) < 0)
			return -1;
	}
	return 0;
}

/* JSON string escapes of ASCII characters (\u0040, \/, \"). */
static int
pol_decode_json(const char *p, struct buf *b)
{
	int a, c, d, e;

	for (; *p; p++) {
		if (p[0] == '\\' && p[1] == 'u' && (a = hex_value(p[2])) >= 0 &&
		    (c = hex_value(p[3])) >= 0 && (d = hex_value(p[4])) >= 0 &&
		    (e = hex_value(p[5])) >= 0 && a == 0 && c == 0 &&
		    d * 16 + e >= 0x20) {
			if (buf_putc(b, (char)(d * 16 + e)) < 0)
				return -1;
			p += 5;
		} else if (p[0] == '\\' && p[1] != '\0' && strchr("/\"\\", p[1])) {
			if (buf_putc(b, p[1]) < 0)
				return -1;
			p++;
		} else if (buf_putc(b, *p) < 0) {
			return -1;
		}
	}
	return 0;
}

/* base64 or base64url, padding optional; 0 with text in b, 1 when p is
 * not base64 of printable text, -1 out of memory. */
static int
pol_decode_base64(const char *p, struct buf *b)
{
	size_t n = strlen(p), i, k = 0;
	unsigned acc = 0;
	int v;

	while (n > 0 && p[n - 1] == '=')
		n--;
	if (n < 8 || n % 4 == 1)
		return 1;
	for (i = 0; i < n; i++) {
		if ((v = base64_value((unsigned char)p[i], 1)) < 0)
			return 1;
		acc = (acc << 6) | (unsigned)v;
		if (++k == 4) {
			char o[3] = {(char)(acc >> 16), (char)(acc >> 8), (char)acc};

			if (buf_append(b, o, 3) < 0)
				return -1;
			k = 0;
			acc = 0;
		}
	}
	if (k == 2 && buf_putc(b, (char)(acc >> 4)) < 0)
		return -1;
	if (k == 3 && (buf_putc(b, (char)(acc >> 10)) < 0 ||
		       buf_putc(b, (char)(acc >> 2)) < 0))
		return -1;
	return pol_printable(b->data ? b->data : "", b->len) ? 0 : 1;
}

/* An address spelled out against harvesters: "(at)", "[at]", "{at}",
 * " at " for @ and "(dot)", "[dot]", "{dot}", " dot " for '.', any case,
 * spaces around the brackets dropped.  0 with the text in b, 1 when
 * there is nothing spelled out, -1 out of memory. */
static int
pol_decode_spelled(const char *p, struct buf *b)
{
	static const char *const words[] = {"at", "dot"};
	int changed = 0;

	while (*p) {
		const char *q = p + strspn(p, " ");
		size_t w, n = 0;

		for (w = 0; w < 2 && n == 0; w++) {
			size_t k = strlen(words[w]);
			char open = *q, close = open == '(' ? ')' : open == '[' ? ']'
					  : open == '{' ? '}' : ' ';

			if (close != ' ' && strncasecmp(q + 1, words[w], k) == 0 &&
			    q[1 + k] == close)
				n = (size_t)(q - p) + k + 2;
			else if (q > p && strncasecmp(q, words[w], k) == 0 &&
				 q[k] == ' ')
				n = (size_t)(q - p) + k + 1;
			if (n) {
				n += strspn(p + n, " ");
				if (buf_putc(b, w == 0 ? '@' : '.') < 0)
					return -1;
			}
		}
		if (n) {
			changed = 1;
			p += n;
		} else if (buf_putc(b, *p++) < 0) {
			return -1;
		}
	}
	return changed ? 0 : 1;
}

/* base32 (RFC 4648, either case, padding optional): as base64. */
static int
pol_decode_base32(const char *p, struct buf *b)
{
	size_t n = strlen(p), i;
	unsigned long acc = 0;
	unsigned bits = 0;

	while (n > 0 && p[n - 1] == '=')
		n--;
	if (n < 8)
		return 1;
	for (i = 0; i < n; i++) {
		int c = toupper((unsigned char)p[i]), v;

		if (c >= 'A' && c <= 'Z')
			v = c - 'A';
		else if (c >= '2' && c <= '7')
			v = c - '2' + 26;
		else
			return 1;
		acc = (acc << 5 | (unsigned long)v) & 0xffffUL;
		if ((bits += 5) >= 8) {
			bits -= 8;
			if (buf_putc(b, (char)(acc >> bits)) < 0)
				return -1;
		}
	}
	return pol_printable(b->data ? b->data : "", b->len) ? 0 : 1;
}

static int
pol_decode_hex(const char *p, struct buf *b)
{
	size_t n = strlen(p), i;

	if (n < 8 || n % 2)
		return 1;
	for (i = 0; i < n; i += 2) {
		if (hex_value((unsigned char)p[i]) < 0 ||
		    hex_value((unsigned char)p[i + 1]) < 0)
			return 1;
		if (buf_putc(b, (char)(hex_value((unsigned char)p[i]) * 16 +
				       hex_value((unsigned char)p[i + 1]))) < 0)
			return -1;
	}
	return pol_printable(b->data, b->len) ? 0 : 1;
}

/* Add the tokens of p between delimiters (of 3 bytes or more). */
static int
pol_scan_split(struct pol_scan *s, const char *p, const char *delims,
	       unsigned depth)
{
	size_t n;

	while (*p) {
		n = strcspn(p, delims);
		if (n >= 3 && pol_scan_add(s, p, n, depth, 0) < 0)
			return -1;
		p += n;
		if (*p)
			p++;
	}
	return 0;
}

/* Each decoder applied once to piece i; new results become pieces. */
static int
pol_scan_expand(struct pol_scan *s, size_t i)
{
	int (*const text[])(const char *, struct buf *) = {
	    pol_decode_percent, pol_decode_entities, pol_decode_json,
	    pol_decode_spelled};
	int (*const bin[])(const char *, struct buf *) = {
	    pol_decode_base64, pol_decode_hex, pol_decode_base32};
	struct buf b = BUF_INIT;
	unsigned d = s->depth[i] + 1u;
	size_t k;
	int rc = 0;
	const char *p = s->v[i];

	/* A text decoder changes nothing without its escape character. */
	static const char trigger[] = "%&\\ ";

	for (k = 0; k < 4 && rc == 0; k++) {
		if (k < 3 ? strchr(p, trigger[k]) == NULL
			  : strcasestr(p, "at") == NULL)
			continue;
		buf_reset(&b);
		if ((rc = text[k](p, &b)) == 0 && b.len && strcmp(b.data, p) &&
		    pol_printable(b.data, b.len))
			rc = pol_scan_add(s, b.data, b.len, d, s->whole[i]);
		else if (rc == 1) /* nothing to decode */
			rc = 0;
	}
	for (k = 0; k < sizeof(bin) / sizeof(bin[0]) && rc == 0; k++) {
		buf_reset(&b);
		if ((rc = bin[k](p, &b)) == 0)
			rc = pol_scan_add(s, b.data, b.len, d, 0);
		else if (rc == 1)
			rc = 0;
	}
	if (rc == 0)
		rc = pol_scan_split(s, p, pol_coarse, d);
	if (rc == 0)
		rc = pol_scan_split(s, p, pol_fine, d);
	/* key=value: the value whole, padding and slashes included. */
	if (rc == 0 && !s->whole[i] && strchr(p, '=') &&
	    strcspn(p, pol_coarse) == strlen(p))
		rc = pol_scan_add(s, strchr(p, '=') + 1,
				  strlen(strchr(p, '=') + 1), d, 0);
	buf_free(&b);
	return rc;
}

int
pol_scan_url(const char *url, struct pol_scan *s)
{
	size_t i, n = strlen(url);

	memset(s, 0, sizeof(*s));
	if (n > POL_SCAN_MAX_LEN) {
		n = POL_SCAN_MAX_LEN;
		s->truncated = 1;
	}
	if (pol_scan_add(s, url, n, 0, 1) < 0)
		return -1;
	for (i = 0; i < s->n; i++)
		if (s->depth[i] < POL_SCAN_MAX_DEPTH &&
		    pol_scan_expand(s, i) < 0)
			return -1;
	return 0;
}

void
pol_scan_free(struct pol_scan *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		free(s->v[i]);
	s->n = 0;
}

/* A byte a local part written into a URL is made of. */
static int
pol_local_byte(unsigned char c)
{
	return isalnum(c) || c == '.' || c == '_' || c == '-' || c == '+' ||
	       c >= 0x80;
}

/* Does the local part before `at` (a position in p) equal local, or
 * local+tag?  p and local are in lower case. */
static int
pol_local_before(const char *p, const char *at, const char *local, size_t ln)
{
	const char *b = at;

	while (b > p && pol_local_byte((unsigned char)b[-1]))
		b--;
	if ((size_t)(at - b) < ln || strncmp(b, local, ln) != 0)
		return 0;
	return at - b == (long)ln || b[ln] == '+';
}

/* 1 when piece equals local, local@ or local+tag (both in lower case). */
static int
pol_is_local(const char *piece, const char *local, size_t ln)
{
	return strncmp(piece, local, ln) == 0 &&
	       (piece[ln] == '\0' || (piece[ln] == '@' && piece[ln + 1] == '\0') ||
		(piece[ln] == '+' && piece[ln + 1] != '\0' &&
		 strspn(piece + ln + 1, "abcdefghijklmnopqrstuvwxyz"
					"0123456789._-") ==
		     strlen(piece + ln + 1)));
}

/* addr (n bytes) in ASCII lower case into out (n + 1 bytes). */
static void
pol_scan_lower(const char *addr, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++)
		out[i] = (char)tolower((unsigned char)addr[i]);
	out[n] = '\0';
}

/* pol_scan_has_address for one written form of the address, compared in
 * ASCII lower case against the pieces' lower-case copies. */
static int
pol_scan_has_form(const struct pol_scan *s, const char *form,
		  const char *url_host)
{
	char addr[POL_SCAN_ADDR_MAX + 1];
	const char *at, *dom, *h;
	size_t ln, atn, n = strlen(form), i;
	int local = 0, domain = 0;

	if (n > POL_SCAN_ADDR_MAX)
		return 0;
	pol_scan_lower(form, n, addr);
	at = strrchr(addr, '@');
	if (at == NULL || at == addr || at[1] == '\0')
		return 0;
	ln = (size_t)(at - addr);
	atn = strlen(at);
	dom = at + 1;
	for (i = 0; i < s->n; i++) {
		const char *p = s->lv[i];

		if (strstr(p, addr))
			return 1;
		for (h = strstr(p, at); h; h = strstr(h + 1, at))
			if ((h[atn] == '\0' || !isalnum((unsigned char)h[atn])) &&
			    pol_local_before(p, h, addr, ln))
				return 1;
		if (ln >= 3 && pol_is_local(p, addr, ln))
			local = 1;
		if ((strcmp(p, dom) == 0 ||
		     (p[0] == '@' && strcmp(p + 1, dom) == 0)) &&
		    (url_host == NULL || strcasecmp(url_host, dom) != 0))
			domain = 1;
	}
	return local && domain;
}

/* ROT13 of n bytes at in, into out. */
static void
pol_rot13(const char *in, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)in[i];

		if (isalpha(c) && c < 0x80)
			c = (unsigned char)((tolower(c) - 'a' + 13) % 26 +
					    (isupper(c) ? 'A' : 'a'));
		out[i] = (char)c;
	}
	out[n] = '\0';
}

/* The hex MD5, SHA-1 and SHA-256 of one lower-case address, kept for
 * the next call: one evaluation asks for the same few addresses once per
 * URL. */
struct pol_addr_hashes {
	char addr[POL_SCAN_ADDR_MAX + 1];
	char hex[3][65];
};
static _Thread_local struct pol_addr_hashes pol_hash_cache;

/* 1 when the MD5, SHA-1 or SHA-256 (hex) of the lower-case address is in
 * the scan: a hash is the address to anyone holding a list of addresses. */
static int
pol_scan_has_hash(const struct pol_scan *s, const char *addr, size_t n)
{
	static const GChecksumType types[] = {G_CHECKSUM_MD5, G_CHECKSUM_SHA1,
					      G_CHECKSUM_SHA256};
	struct pol_addr_hashes *c = &pol_hash_cache;
	char low[POL_SCAN_ADDR_MAX + 1];
	size_t i;

	pol_scan_lower(addr, n, low);
	if (strcmp(c->addr, low) != 0) {
		for (i = 0; i < 3; i++) {
			gchar *hex = g_compute_checksum_for_string(types[i],
								   low, -1);

			snprintf(c->hex[i], sizeof(c->hex[i]), "%s",
				 hex ? hex : "");
			g_free(hex);
		}
		memcpy(c->addr, low, n + 1);
	}
	for (i = 0; i < 3; i++)
		if (c->hex[i][0] && pol_scan_has_token(s, c->hex[i]))
			return 1;
	return 0;
}

/* The address with its domain in the other IDNA form (U-labels for
 * "xn--" labels, A-labels for Unicode ones) into out, or -1. */
static int
pol_idn_other(const char *addr, char *out, size_t outsz)
{
	const char *at = strrchr(addr, '@'), *p;
	char dom[256];
	int uni = 0;

	if (at == NULL || (size_t)(at - addr) >= outsz)
		return -1;
	for (p = at + 1; *p; p++)
		uni |= (unsigned char)*p >= 0x80;
	if ((uni ? url_domain_normalise(at + 1, dom, sizeof(dom))
		 : url_domain_unicode(at + 1, dom, sizeof(dom))) < 0 ||
	    strcmp(dom, at + 1) == 0)
		return -1;
	return snprintf(out, outsz, "%.*s@%s", (int)(at - addr), addr, dom) <
			   (int)outsz ? 0 : -1;
}

int
pol_scan_has_address(const struct pol_scan *s, const char *addr,
		     const char *url_host, int hashes)
{
	char form[3][POL_SCAN_ADDR_MAX + 1];
	size_t n = strlen(addr), i;

	if (pol_scan_has_form(s, addr, url_host))
		return 1;
	/* An IDN domain is written either way: check the other form too. */
	if (pol_idn_other(addr, form[0], sizeof(form[0])) == 0 &&
	    pol_scan_has_form(s, form[0], url_host))
		return 1;
	if (n > POL_SCAN_ADDR_MAX)
		return 0;
	if (hashes && pol_scan_has_hash(s, addr, n))
		return 1;
	/* The address as a template hides it in plain sight: ROT13,
	 * written backwards, or both. */
	pol_rot13(addr, n, form[0]);
	for (i = 0; i < n; i++)
		form[1][i] = addr[n - 1 - i];
	form[1][n] = '\0';
	pol_rot13(form[1], n, form[2]);
	for (i = 0; i < 3; i++)
		if (pol_scan_has_form(s, form[i], url_host))
			return 1;
	return 0;
}

int
pol_scan_has_token(const struct pol_scan *s, const char *token)
{
	size_t i;

	char low[POL_SCAN_MAX_LEN + 1];
	size_t n = strlen(token);

	if (n < 6 || n > POL_SCAN_MAX_LEN)
		return 0;
	pol_scan_lower(token, n, low);
	for (i = 0; i < s->n; i++)
		if (strstr(s->lv[i], low))
			return 1;
	return 0;
}

/* Is c a prefix (any case) of a piece that is the whole URL decoded? */
static int
pol_prefix_of_whole(const struct pol_scan *s, const char *c, size_t n)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->whole[i] && strncasecmp(s->v[i], c, n) == 0)
			return 1;
	return 0;
}

/* The first inner URL (only http:// ones with http_only) into out. */
static int
pol_scan_inner(const struct pol_scan *s, char *out, size_t outsz,
	       int http_only)
{
	char host[URL_HOST_MAX];
	size_t i, n;
	const char *c;

	for (i = 0; i < s->n; i++) {
		for (c = strcasestr(s->v[i], "http"); c;
		     c = strcasestr(c + 1, "http")) {
			if (strncasecmp(c, "http://", 7) &&
			    (http_only || strncasecmp(c, "https://", 8)))
				continue;
			n = strcspn(c, " \t\r\n\"'<>");
			if (c == s->v[i] && pol_prefix_of_whole(s, c, n))
				continue;
			if (n >= outsz)
				continue;
			memcpy(out, c, n);
			out[n] = '\0';
			if (url_host(out, host, sizeof(host)) == 0)
				return 1;
		}
	}
	if (outsz)
		out[0] = '\0';
	return 0;
}

int
pol_scan_inner_url(const struct pol_scan *s, const char *url, char *out,
		   size_t outsz)
{
	(void)url;
	return pol_scan_inner(s, out, outsz, 0);
}

int
pol_scan_inner_http(const struct pol_scan *s, char *out, size_t outsz)
{
	return pol_scan_inner(s, out, outsz, 1);
}
