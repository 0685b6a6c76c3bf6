/*
 * template.h - a small template language for the pages consentctl writes
 * (the HTML report), and the one HTML escaping of consentgate.
 *
 * A template is text with tags:
 *   {{name}}              the value of name, HTML-escaped
 *   {{{name}}}            the value of name as it is: only for markup the
 *                         program built itself from escaped pieces (SVG)
 *   {{#name}}...{{/name}} the text between, once for each row of the list
 *                         name (none: left out; one empty row: a condition)
 * Inside a row, a name is looked up in the row, then in the rows around
 * it, then in the page.  A block tag alone on its line takes its line
 * ending with it.  An unknown name, an unclosed block or a stray tag is an
 * error: a template is checked whole every time it is rendered.  Values
 * are never read as template text, so a value holding "{{" is just text.
 *
 * Escaping (fmt_html_escape) is the only one in the tree: '&', '<', '>',
 * '"' and '\'' become entities, newline, tab and CR a space, other control
 * bytes U+FFFD.
 * Owns: a scope owns its values and rows (fmt_scope_free frees them all).
 * Allocation failure aborts (GLib); rendering fails only on a bad
 * template, with the reason in err.
 */
#ifndef CG_FMT_TEMPLATE_H
#define CG_FMT_TEMPLATE_H

#include <glib.h>
#include <stddef.h>

struct fmt_scope;

struct fmt_scope *fmt_scope_new(void);
void fmt_scope_free(struct fmt_scope *s);
/* Set name to a copy of value (NULL: ""). */
void fmt_scope_set(struct fmt_scope *s, const char *name, const char *value);
void fmt_scope_setf(struct fmt_scope *s, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Append a new, empty row to the list name and return it (owned by s). */
struct fmt_scope *fmt_scope_row(struct fmt_scope *s, const char *name);
/* The list name with one empty row when on, none otherwise. */
void fmt_scope_flag(struct fmt_scope *s, const char *name, int on);

/* Render tpl with the values of s, appending to out.  0, or -1 with the
 * reason (and its byte offset) in err. */
int fmt_template_render(const char *tpl, const struct fmt_scope *s,
			GString *out, char *err, size_t errsz);

/* Append s (n bytes, or up to a NUL) escaped for HTML text and attribute
 * values. */
void fmt_html_escape(GString *out, const char *s, size_t n);
/* The same, cut after max characters (UTF-8) with an ellipsis. */
void fmt_html_cut(GString *out, const char *s, size_t max);

#endif
