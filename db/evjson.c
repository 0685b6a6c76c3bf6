/*
 * evjson.c - read single string fields out of the flat JSON objects that
 * db/ itself writes (evidence records and evpii entries), without a
 * general JSON parser.
 *
 * The writer (db_json_string) escapes every '"' inside a value as \", so
 * the text "name":" preceded by '{' or ',' can only be the start of the
 * member name; a value can never imitate it.  Records that were not
 * written by db/ (damaged or tampered text) simply do not yield a field.
 *
 * Owns nothing: the decoded value is appended to the caller's struct buf.
 * Never logs; returns 1 found, 0 absent, DB_ERR_CORRUPT for a value that
 * does not decode, DB_ERR_NOMEM.
 */
#include "evpii.h"

#include <string.h>

/* Four hex digits at p into *cp; -1 when they are not hex. */
static int
db_hex4(const char *p, const char *end, unsigned *cp)
{
	int i, c;

	if (end - p < 4)
		return -1;
	*cp = 0;
	for (i = 0; i < 4; i++) {
		c = (unsigned char)p[i];
		if (c >= '0' && c <= '9')
			c -= '0';
		else if (c >= 'a' && c <= 'f')
			c -= 'a' - 10;
		else if (c >= 'A' && c <= 'F')
			c -= 'A' - 10;
		else
			return -1;
		*cp = (*cp << 4) | (unsigned)c;
	}
	return 0;
}

/* Append code point cp as UTF-8 (U+FFFD for NUL and surrogates). */
static int
db_utf8_put(struct buf *b, unsigned cp)
{
	char u[4];
	size_t n;

	if (cp == 0 || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		cp = 0xfffd;
	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | (cp >> 12));
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		u[0] = (char)(0xf0 | (cp >> 18));
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	return buf_append(b, u, n);
}

/* Decode the string body at *pp (after its opening quote) into out. */
static int
db_json_unquote(const char **pp, const char *end, struct buf *out)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const char *p = *pp, *hit;
	unsigned cp;
	int r = 0;

	while (p < end && *p != '"' && r == 0) {
		if (*p != '\\') {
			r = buf_putc(out, *p++);
			continue;
		}
		if (++p >= end)
			return DB_ERR_CORRUPT;
		if (*p == 'u') {
			if (db_hex4(p + 1, end, &cp) < 0)
				return DB_ERR_CORRUPT;
			p += 5;
			r = db_utf8_put(out, cp);
			continue;
		}
		hit = *p ? strchr(from, *p) : NULL;
		if (hit == NULL)
			return DB_ERR_CORRUPT;
		r = buf_putc(out, to[hit - from]);
		p++;
	}
	if (r != 0)
		return DB_ERR_NOMEM;
	if (p >= end)
		return DB_ERR_CORRUPT;
	*pp = p + 1;
	return DB_OK;
}

const char *
db_json_find(const char *json, size_t len, const char *name)
{
	const char *p = json, *end = json + len, *hit;
	size_t n = strlen(name);

	while (p < end && (hit = memmem(p, (size_t)(end - p), name, n))) {
		if (hit - json >= 2 && hit[-1] == '"' &&
		    (hit[-2] == ',' || hit[-2] == '{') &&
		    (size_t)(end - hit) >= n + 3 && hit[n] == '"' &&
		    hit[n + 1] == ':' && hit[n + 2] == '"')
			return hit - 1;
		p = hit + 1;
	}
	return NULL;
}

int
db_json_field(const char *json, size_t len, const char *name,
	      struct buf *out)
{
	const char *p = db_json_find(json, len, name);
	int rc;

	buf_reset(out);
	if (buf_reserve(out, 0) < 0)
		return DB_ERR_NOMEM;
	if (p == NULL)
		return 0;
	p += strlen(name) + 4; /* "name":" */
	rc = db_json_unquote(&p, json + len, out);
	return rc == DB_OK ? 1 : rc;
}

const char *
db_json_field_end(const char *json, size_t len, const char *name)
{
	const char *p = db_json_find(json, len, name), *end = json + len;

	if (p == NULL)
		return NULL;
	for (p += strlen(name) + 4; p < end && *p != '"'; p++)
		if (*p == '\\')
			p++;
	return p < end ? p + 1 : NULL;
}
