/*
 * jsonread.c - the one JSON reader of consentgate (common/jsonread.h):
 * json-glib parses; this file checks the shape (an object at the top) and
 * answers "the string, number, boolean or array named X" without the
 * caller touching JsonNode types.
 *
 * Owns: the JsonParser of each struct jsonr (released by jsonr_free); the
 * values handed out are borrowed from it.  Never logs; a text json-glib
 * refuses is JSONR_SYNTAX.
 */
#include "jsonread.h"

#include <string.h>

int
jsonr_parse(struct jsonr *j, const char *text, size_t len)
{
	JsonNode *root;
	GError *err = NULL;

	memset(j, 0, sizeof(*j));
	if (len > G_MAXSSIZE)
		return JSONR_SYNTAX;
	if ((j->parser = json_parser_new_immutable()) == NULL)
		return JSONR_NOMEM;
	/* json-glib reads an empty text as "no value", not as an error. */
	if (len == 0 ||
	    !json_parser_load_from_data(j->parser, text, (gssize)len, &err) ||
	    (root = json_parser_get_root(j->parser)) == NULL ||
	    !JSON_NODE_HOLDS_OBJECT(root)) {
		if (err)
			g_error_free(err);
		jsonr_free(j);
		return JSONR_SYNTAX;
	}
	j->root = json_node_get_object(root);
	return JSONR_OK;
}

void
jsonr_free(struct jsonr *j)
{
	if (j->parser)
		g_object_unref(j->parser);
	memset(j, 0, sizeof(*j));
}

/* The member name of o when it holds a plain value of type t, or NULL. */
static JsonNode *
jsonr_value(JsonObject *o, const char *name, GType t)
{
	JsonNode *n = o ? json_object_get_member(o, name) : NULL;

	if (n == NULL || !JSON_NODE_HOLDS_VALUE(n) ||
	    json_node_get_value_type(n) != t)
		return NULL;
	return n;
}

const char *
jsonr_string(JsonObject *o, const char *name)
{
	JsonNode *n = jsonr_value(o, name, G_TYPE_STRING);

	return n ? json_node_get_string(n) : NULL;
}

const char *
jsonr_string0(JsonObject *o, const char *name)
{
	const char *s = jsonr_string(o, name);

	return s ? s : "";
}

int
jsonr_has(JsonObject *o, const char *name)
{
	return o != NULL && json_object_has_member(o, name);
}

int
jsonr_int(JsonObject *o, const char *name, int64_t dflt, int64_t *out)
{
	JsonNode *n = jsonr_value(o, name, G_TYPE_INT64);

	*out = n ? json_node_get_int(n) : dflt;
	return n != NULL;
}

int
jsonr_bool(JsonObject *o, const char *name, int dflt)
{
	JsonNode *n = jsonr_value(o, name, G_TYPE_BOOLEAN);

	return n ? json_node_get_boolean(n) != FALSE : dflt;
}

JsonArray *
jsonr_array(JsonObject *o, const char *name)
{
	JsonNode *n = o ? json_object_get_member(o, name) : NULL;

	return n && JSON_NODE_HOLDS_ARRAY(n) ? json_node_get_array(n) : NULL;
}

const char *
jsonr_array_string(JsonArray *a, unsigned i)
{
	JsonNode *n = i < json_array_get_length(a)
			      ? json_array_get_element(a, i) : NULL;

	if (n == NULL || !JSON_NODE_HOLDS_VALUE(n) ||
	    json_node_get_value_type(n) != G_TYPE_STRING)
		return NULL;
	return json_node_get_string(n);
}

JsonObject *
jsonr_array_object(JsonArray *a, unsigned i)
{
	JsonNode *n = i < json_array_get_length(a)
			      ? json_array_get_element(a, i) : NULL;

	return n && JSON_NODE_HOLDS_OBJECT(n) ? json_node_get_object(n) : NULL;
}
