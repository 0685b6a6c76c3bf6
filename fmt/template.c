/*
 * template.c - render a template (see template.h) and escape text for
 * HTML.  The template is walked once per render, tag by tag; a block is
 * rendered once per row with the row pushed on a stack of scopes that
 * names are looked up in, innermost first.
 * Owns: the values and rows of each scope.  Never logs; a bad template
 * makes fmt_template_render return -1 with the reason in err.
 */
#include "template.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define FMT_NAME_MAX 64 /* bytes of a name, with its NUL */
#define FMT_DEPTH_MAX 8 /* blocks inside blocks */

struct fmt_scope {
	GHashTable *text;  /* name -> char * */
	GHashTable *lists; /* name -> GPtrArray of struct fmt_scope * */
};

struct fmt_render {
	const char *tpl;
	GString *out;
	char *err;
	size_t errsz;
	const struct fmt_scope *stack[FMT_DEPTH_MAX + 1];
	size_t depth;
};

static void
fmt_scope_free_cb(gpointer p)
{
	fmt_scope_free(p);
}

struct fmt_scope *
fmt_scope_new(void)
{
	struct fmt_scope *s = g_new0(struct fmt_scope, 1);

	s->text =
	    g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	s->lists = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					 (GDestroyNotify)g_ptr_array_unref);
	return s;
}

void
fmt_scope_free(struct fmt_scope *s)
{
	if (s == NULL)
		return;
	g_hash_table_destroy(s->text);
	g_hash_table_destroy(s->lists);
	g_free(s);
}

void
fmt_scope_set(struct fmt_scope *s, const char *name, const char *value)
{
	g_hash_table_replace(s->text, g_strdup(name),
			     g_strdup(value ? value : ""));
}

void
fmt_scope_setf(struct fmt_scope *s, const char *name, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	g_hash_table_replace(s->text, g_strdup(name),
			     g_strdup_vprintf(fmt, ap));
	va_end(ap);
}

static GPtrArray *
fmt_scope_list(struct fmt_scope *s, const char *name)
{
	GPtrArray *l = g_hash_table_lookup(s->lists, name);

	if (l == NULL) {
		l = g_ptr_array_new_with_free_func(fmt_scope_free_cb);
		g_hash_table_insert(s->lists, g_strdup(name), l);
	}
	return l;
}

struct fmt_scope *
fmt_scope_row(struct fmt_scope *s, const char *name)
{
	struct fmt_scope *row = fmt_scope_new();

	g_ptr_array_add(fmt_scope_list(s, name), row);
	return row;
}

void
fmt_scope_flag(struct fmt_scope *s, const char *name, int on)
{
	fmt_scope_list(s, name);
	if (on)
		fmt_scope_row(s, name);
}

/* ---- Escaping: the one place text becomes HTML. ---- */

void
fmt_html_escape(GString *out, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i;

	for (i = 0; i < n && p[i]; i++) {
		if (p[i] == '&')
			g_string_append(out, "&amp;");
		else if (p[i] == '<')
			g_string_append(out, "&lt;");
		else if (p[i] == '>')
			g_string_append(out, "&gt;");
		else if (p[i] == '"')
			g_string_append(out, "&quot;");
		else if (p[i] == '\'')
			g_string_append(out, "&#39;");
		else if (p[i] == '\n' || p[i] == '\t' || p[i] == '\r')
			g_string_append_c(out, ' ');
		else if (p[i] < 0x20 || p[i] == 0x7f)
			g_string_append(out, "\xef\xbf\xbd"); /* U+FFFD */
		else
			g_string_append_c(out, (char)p[i]);
	}
}

void
fmt_html_cut(GString *out, const char *s, size_t max)
{
	size_t i, chars = 0;

	for (i = 0; s[i]; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80 && chars++ == max)
			break;
	fmt_html_escape(out, s, i);
	if (s[i])
		g_string_append(out, "\xe2\x80\xa6");
}

/* ---- Rendering. ---- */

static int fmt_render_span(struct fmt_render *r, const char *p,
			   const char *end);

static int
fmt_fail(struct fmt_render *r, const char *at, const char *what,
	 const char *name)
{
	snprintf(r->err, r->errsz, "template offset %zu: %s%s%s%s",
		 (size_t)(at - r->tpl), what, name ? " '" : "",
		 name ? name : "", name ? "'" : "");
	return -1;
}

/* The name at p up to close into name; the end of the tag, or NULL. */
static const char *
fmt_tag_name(const char *p, const char *end, const char *close,
	     char name[FMT_NAME_MAX])
{
	size_t n = strspn(p, "abcdefghijklmnopqrstuvwxyz0123456789_");

	if (n == 0 || n >= FMT_NAME_MAX || p + n > end ||
	    strncmp(p + n, close, strlen(close)) != 0)
		return NULL;
	memcpy(name, p, n);
	name[n] = '\0';
	return p + n + strlen(close);
}

/* A block tag alone on its line takes the line ending with it. */
static const char *
fmt_standalone(const struct fmt_render *r, const char *open, const char *after)
{
	if ((open == r->tpl || open[-1] == '\n') && *after == '\n')
		return after + 1;
	return after;
}

static const void *
fmt_lookup(const struct fmt_render *r, const char *name, int list)
{
	size_t i;
	const void *v;

	for (i = r->depth; i-- > 0;)
		if ((v = g_hash_table_lookup(
			 list ? r->stack[i]->lists : r->stack[i]->text, name)))
			return v;
	return NULL;
}

/* The "{{/name}}" that closes the block whose body starts at p. */
static const char *
fmt_block_end(const char *p, const char *end, const char *name)
{
	size_t n = strlen(name), depth = 0;

	while ((p = g_strstr_len(p, end - p, "{{")) != NULL) {
		if ((p[2] == '#' || p[2] == '/') &&
		    strncmp(p + 3, name, n) == 0 &&
		    strncmp(p + 3 + n, "}}", 2) == 0) {
			if (p[2] == '/' && depth-- == 0)
				return p;
			if (p[2] == '#')
				depth++;
		}
		p += 2;
	}
	return NULL;
}

/* The block at open ({{#name}}); the text after it, or NULL. */
static const char *
fmt_render_block(struct fmt_render *r, const char *open, const char *end)
{
	char name[FMT_NAME_MAX];
	const char *body, *close, *after;
	const GPtrArray *rows;
	guint i;

	if ((body = fmt_tag_name(open + 3, end, "}}", name)) == NULL)
		return fmt_fail(r, open, "bad block tag", NULL), NULL;
	body = fmt_standalone(r, open, body);
	if ((close = fmt_block_end(body, end, name)) == NULL)
		return fmt_fail(r, open, "unclosed block", name), NULL;
	if ((rows = fmt_lookup(r, name, 1)) == NULL)
		return fmt_fail(r, open, "unknown list", name), NULL;
	if (r->depth > FMT_DEPTH_MAX)
		return fmt_fail(r, open, "blocks nested too deep", NULL), NULL;
	for (i = 0; i < rows->len; i++) {
		r->stack[r->depth++] = g_ptr_array_index(rows, i);
		if (fmt_render_span(r, body, close) < 0)
			return NULL;
		r->depth--;
	}
	after = close + strlen(name) + 5;
	return fmt_standalone(r, close, after);
}

/* The slot at open ({{name}} or {{{name}}}); the text after it, or NULL. */
static const char *
fmt_render_slot(struct fmt_render *r, const char *open, const char *end)
{
	char name[FMT_NAME_MAX];
	int raw = open[2] == '{';
	const char *after, *v;

	after = fmt_tag_name(open + 2 + raw, end, raw ? "}}}" : "}}", name);
	if (after == NULL)
		return fmt_fail(r, open, "bad tag", NULL), NULL;
	if ((v = fmt_lookup(r, name, 0)) == NULL)
		return fmt_fail(r, open, "unknown name", name), NULL;
	if (raw)
		g_string_append(r->out, v);
	else
		fmt_html_escape(r->out, v, strlen(v));
	return after;
}

static int
fmt_render_span(struct fmt_render *r, const char *p, const char *end)
{
	const char *open;

	while (p < end) {
		if ((open = g_strstr_len(p, end - p, "{{")) == NULL) {
			g_string_append_len(r->out, p, end - p);
			break;
		}
		g_string_append_len(r->out, p, open - p);
		if (open[2] == '/')
			return fmt_fail(r, open, "close tag without its block",
					NULL);
		p = open[2] == '#' ? fmt_render_block(r, open, end)
				   : fmt_render_slot(r, open, end);
		if (p == NULL)
			return -1;
	}
	return 0;
}

int
fmt_template_render(const char *tpl, const struct fmt_scope *s, GString *out,
		    char *err, size_t errsz)
{
	struct fmt_render r;

	memset(&r, 0, sizeof(r));
	r.tpl = tpl;
	r.out = out;
	r.err = err;
	r.errsz = errsz;
	r.stack[r.depth++] = s;
	if (errsz)
		err[0] = '\0';
	return fmt_render_span(&r, tpl, tpl + strlen(tpl));
}
