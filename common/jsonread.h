/*
 * jsonread.h - the one JSON reader of consentgate: a thin layer over
 * json-glib that parses a text whose top level is an object and hands out
 * its members.  The writer is common/json.c.
 */
#ifndef CG_JSONREAD_H
#define CG_JSONREAD_H

#include <stddef.h>
#include <stdint.h>

#include <json-glib/json-glib.h>

/* Return codes of jsonr_parse. */
#define JSONR_OK 0
#define JSONR_SYNTAX (-1) /* not JSON, or its top level is not an object */
#define JSONR_NOMEM (-2)

/* One parsed text.  root is borrowed from parser until jsonr_free. */
struct jsonr {
	JsonParser *parser;
	JsonObject *root;
};

/*
 * Parse len bytes at text (need not be NUL-terminated) into *j, which is
 * overwritten.  On failure *j holds no memory.  Strings hold UTF-8 with
 * every escape decoded.
 */
int jsonr_parse(struct jsonr *j, const char *text, size_t len);
/* Release what jsonr_parse made (safe on a zeroed struct). */
void jsonr_free(struct jsonr *j);

/* The string member name of o (borrowed from o), or NULL when o is NULL,
 * the member is absent or is not a string. */
const char *jsonr_string(JsonObject *o, const char *name);
/* The same, "" instead of NULL. */
const char *jsonr_string0(JsonObject *o, const char *name);
/* Is name a member of o (of any type)?  1 or 0. */
int jsonr_has(JsonObject *o, const char *name);
/* The integer member name of o into *out: 1, or 0 when it is absent or not
 * a whole number (then *out is dflt). */
int jsonr_int(JsonObject *o, const char *name, int64_t dflt, int64_t *out);
/* The boolean member name of o: 1, 0, or dflt when absent or not a
 * boolean. */
int jsonr_bool(JsonObject *o, const char *name, int dflt);
/* The array member name of o (borrowed), or NULL. */
JsonArray *jsonr_array(JsonObject *o, const char *name);
/* Element i of a as a string or object (borrowed), or NULL when it is of
 * another type. */
const char *jsonr_array_string(JsonArray *a, unsigned i);
JsonObject *jsonr_array_object(JsonArray *a, unsigned i);

#endif
