/*
 * evjson.c - db/'s side of the one JSON reader (common/jsonread.h): one
 * string member of a record db/ wrote (the purge reads time and ref),
 * copied into a caller buffer, and the one place that knows where a member
 * starts in the writer's text (to splice the merged view).
 *
 * Owns nothing: values are appended to the caller's struct buf.  Never
 * logs; returns 1 found, 0 absent, DB_ERR_CORRUPT for a text that is not a
 * JSON object, DB_ERR_NOMEM.
 */
#include "evpii.h"

#include <string.h>

/* The string member name of o into out (reset first): 1, 0, NOMEM. */
static int
db_json_take(JsonObject *o, const char *name, struct buf *out)
{
	const char *v = jsonr_string(o, name);

	buf_reset(out);
	if ((v && buf_puts(out, v) < 0) || buf_reserve(out, 0) < 0)
		return DB_ERR_NOMEM;
	return v != NULL;
}

int
db_json_field(const char *json, size_t len, const char *name,
	      struct buf *out)
{
	struct jsonr j;
	int rc;

	buf_reset(out);
	if (buf_reserve(out, 0) < 0)
		return DB_ERR_NOMEM;
	rc = jsonr_parse(&j, json, len);
	if (rc != JSONR_OK)
		return rc == JSONR_NOMEM ? DB_ERR_NOMEM : DB_ERR_CORRUPT;
	rc = db_json_take(j.root, name, out);
	jsonr_free(&j);
	return rc;
}

/*
 * Not a reader: the writer (db_json_string) escapes every '"' inside a
 * value as \", so the text "name":" preceded by '{' or ',' can only be the
 * start of that member.  Callers check with the reader that the member
 * exists before they splice at the position found here.
 */
const char *
db_json_find(const char *json, size_t len, const char *name)
{
	const char *p = json, *end = json + len, *hit;
	size_t n = strlen(name);

	while (p < end && (hit = memmem(p, (size_t)(end - p), name, n))) {
		if (hit - json >= 2 && hit[-1] == '"' &&
		    (hit[-2] == ',' || hit[-2] == '{') &&
		    (size_t)(end - hit) >= n + 2 && hit[n] == '"' &&
		    hit[n + 1] == ':')
			return hit - 1;
		p = hit + 1;
	}
	return NULL;
}
