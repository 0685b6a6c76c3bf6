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

#include "../common/json.h"
#include "../common/utf8.h"

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
			if (json_hex4(p + 1, end, &cp) < 0)
				return DB_ERR_CORRUPT;
			p += 5;
			r = utf8_put(out, cp);
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
