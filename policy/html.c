/*
 * html.c - visible text, links and images of an HTML part, with gumbo.
 *
 * gumbo 0.10.1 has no limits of its own (see html_prescan.c), so a part
 * reaches it only when it is within max_html and the pre-scan finds it
 * neither too deep nor too large.  As a second guard gumbo allocates from a
 * per-parse arena with a byte budget (html_arena.c); when the budget runs
 * out the allocator longjmp()s back to pol_arena_parse(), which frees the
 * whole arena (gumbo keeps no state outside it).  A refused part keeps the
 * empty string as text and sets POL_MSG_TRUNCATED.  The tree is walked with
 * an explicit stack; the output is freed with the arena, block by block,
 * without walking the tree.
 *
 * Owns: the arena and the output of each parse (both freed before
 * returning) and the visible-text buffer, handed to the caller.  Links and
 * images are appended to the message, which owns them.  Failure: out of
 * memory returns POL_ERR_NOMEM.  Never logs, no I/O.
 */
#include "html.h"

#include <gumbo.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../common/buf.h"
#include "../common/str.h"
#include "../common/textnorm.h"
#include "html_arena.h"
#include "css.h"
#include "html_walk.h"
#include "links.h"

/* How a tag shows in the text: a block (line breaks around it), or an
 * element whose content is no text at all (W_SKIP: neither shown nor
 * hidden content). */
enum { W_BLOCK = 1, W_SKIP = 2 };

static const uint8_t pol_walk_flags[GUMBO_TAG_LAST + 1] = {
    [GUMBO_TAG_TITLE] = W_SKIP,
    [GUMBO_TAG_STYLE] = W_SKIP,	    [GUMBO_TAG_SCRIPT] = W_SKIP,
    [GUMBO_TAG_IFRAME] = W_SKIP,
    [GUMBO_TAG_NOEMBED] = W_SKIP,   [GUMBO_TAG_NOFRAMES] = W_SKIP,
    [GUMBO_TAG_ADDRESS] = W_BLOCK,  [GUMBO_TAG_ARTICLE] = W_BLOCK,
    [GUMBO_TAG_ASIDE] = W_BLOCK,    [GUMBO_TAG_BLOCKQUOTE] = W_BLOCK,
    [GUMBO_TAG_CAPTION] = W_BLOCK,  [GUMBO_TAG_CENTER] = W_BLOCK,
    [GUMBO_TAG_DD] = W_BLOCK,	    [GUMBO_TAG_DETAILS] = W_BLOCK,
    [GUMBO_TAG_DIR] = W_BLOCK,	    [GUMBO_TAG_DIV] = W_BLOCK,
    [GUMBO_TAG_DL] = W_BLOCK,	    [GUMBO_TAG_DT] = W_BLOCK,
    [GUMBO_TAG_FIELDSET] = W_BLOCK, [GUMBO_TAG_FIGCAPTION] = W_BLOCK,
    [GUMBO_TAG_FIGURE] = W_BLOCK,   [GUMBO_TAG_FOOTER] = W_BLOCK,
    [GUMBO_TAG_FORM] = W_BLOCK,	    [GUMBO_TAG_H1] = W_BLOCK,
    [GUMBO_TAG_H2] = W_BLOCK,	    [GUMBO_TAG_H3] = W_BLOCK,
    [GUMBO_TAG_H4] = W_BLOCK,	    [GUMBO_TAG_H5] = W_BLOCK,
    [GUMBO_TAG_H6] = W_BLOCK,	    [GUMBO_TAG_HEADER] = W_BLOCK,
    [GUMBO_TAG_HGROUP] = W_BLOCK,   [GUMBO_TAG_HR] = W_BLOCK,
    [GUMBO_TAG_LI] = W_BLOCK,	    [GUMBO_TAG_LISTING] = W_BLOCK,
    [GUMBO_TAG_MAIN] = W_BLOCK,	    [GUMBO_TAG_MENU] = W_BLOCK,
    [GUMBO_TAG_NAV] = W_BLOCK,	    [GUMBO_TAG_OL] = W_BLOCK,
    [GUMBO_TAG_P] = W_BLOCK,	    [GUMBO_TAG_PLAINTEXT] = W_BLOCK,
    [GUMBO_TAG_PRE] = W_BLOCK,	    [GUMBO_TAG_SECTION] = W_BLOCK,
    [GUMBO_TAG_SUMMARY] = W_BLOCK,  [GUMBO_TAG_TABLE] = W_BLOCK,
    [GUMBO_TAG_TD] = W_BLOCK,	    [GUMBO_TAG_TH] = W_BLOCK,
    [GUMBO_TAG_TR] = W_BLOCK,	    [GUMBO_TAG_UL] = W_BLOCK,
    [GUMBO_TAG_XMP] = W_BLOCK,
};

/* ------------------------------------------------------------------ */
/* Text: visible, hidden, extra.                                       */
/* ------------------------------------------------------------------ */

#define POL_LINK_TEXT_MAX 1024
/* Generated content (::before/::after) per part: a short rule applied to
 * every element of a large document must not multiply it. */
#define POL_GENERATED_MAX ((size_t)64 * 1024)
/* Sheet rules looked at per part (see pol_css_sheet_match). */
#define POL_CSS_BUDGET 4000000L

const char *
pol_attr(const GumboElement *el, const char *name)
{
	const GumboAttribute *a = gumbo_get_attribute(&el->attributes, name);

	return a ? a->value : NULL;
}

/* Where the text of an element in state v goes: NULL inside <head>. */
static struct buf *
pol_text_buf(struct pol_walk *w, struct pol_vis v)
{
	if (v.notext)
		return NULL;
	return POL_VIS_TEXT_HIDDEN(v) ? &w->hidden : &w->text;
}

/* End the current line of b (at most one empty line when hard). */
static void
pol_text_newline(struct pol_walk *w, struct buf *b, int hard)
{
	if (b == NULL)
		return;
	while (b->len > 0 && b->data[b->len - 1] == ' ')
		b->len--;
	if (b->len == 0 ||
	    (b->data[b->len - 1] == '\n' &&
	     (!hard || (b->len > 1 && b->data[b->len - 2] == '\n'))))
		return;
	if (buf_putc(b, '\n') < 0)
		w->status = POL_ERR_NOMEM;
}

/* Append text to b with white space collapsed (kept inside <pre>). */
static void
pol_text_put(struct pol_walk *w, struct buf *b, const char *s, size_t len)
{
	const char *e = s + len;

	/* Hidden runs between visible text are separate fragments: keep
	 * their words apart (the visible text is joined as shown). */
	if (b == &w->hidden && w->last_put != b && b->len > 0 &&
	    !str_is_space(b->data[b->len - 1]) && len > 0 &&
	    buf_putc(b, ' ') < 0)
		w->status = POL_ERR_NOMEM;
	w->last_put = b;
	while (s < e && w->status == POL_OK) {
		size_t n = 0;

		if (str_is_space(*s)) {
			if (w->pre && *s == '\n')
				pol_text_newline(w, b, 1);
			else if (b->len > 0 && b->data[b->len - 1] != ' ' &&
				 b->data[b->len - 1] != '\n' &&
				 buf_putc(b, ' ') < 0)
				w->status = POL_ERR_NOMEM;
			s++;
			continue;
		}
		while (s + n < e && !str_is_space(s[n]))
			n++;
		if (buf_append(b, s, n) < 0)
			w->status = POL_ERR_NOMEM;
		s += n;
	}
}

/* Reverse the characters (not the bytes) of s[0..n), valid UTF-8. */
static void
pol_text_reverse(char *s, size_t n)
{
	size_t i, j;

	for (i = 0, j = n; i + 1 < j; i++, j--) {
		char t = s[i];

		s[i] = s[j - 1];
		s[j - 1] = t;
	}
	/* Each multi-byte sequence now reads continuation bytes first. */
	for (i = 0; i < n; i = j + 1) {
		for (j = i; j < n && ((unsigned char)s[j] & 0xc0) == 0x80; j++)
			;
		if (j >= n)
			break;
		if (j > i)
			pol_text_reverse(s + i, j - i + 1);
	}
}

#define POL_RLO "\xe2\x80\xae" /* RIGHT-TO-LEFT OVERRIDE */
#define POL_LRO "\xe2\x80\xad" /* LEFT-TO-RIGHT OVERRIDE */
#define POL_PDF "\xe2\x80\xac" /* POP DIRECTIONAL FORMATTING */

/*
 * Append a text node.  A run after U+202E (up to U+202C or the end of the
 * node) is shown reversed, so it is stored reversed: in reading order.
 * The override characters themselves are dropped.
 */
static void
pol_text_add(struct pol_walk *w, struct buf *b, const char *s)
{
	size_t len = strlen(s), i = 0, start = 0;

	if (b == NULL)
		return;
	if (strstr(s, "\xe2\x80") == NULL) {
		pol_text_put(w, b, s, len);
		return;
	}
	while (i + 3 <= len && w->status == POL_OK) {
		int rlo = memcmp(s + i, POL_RLO, 3) == 0;
		const char *pdf;
		size_t end, at;

		if (!rlo && memcmp(s + i, POL_LRO, 3) != 0 &&
		    memcmp(s + i, POL_PDF, 3) != 0) {
			i++;
			continue;
		}
		pol_text_put(w, b, s + start, i - start);
		start = i += 3;
		if (!rlo)
			continue;
		pdf = strstr(s + i, POL_PDF);
		end = pdf ? (size_t)(pdf - s) : len;
		at = b->len;
		pol_text_put(w, b, s + i, end - i);
		if (w->status == POL_OK && b->len > at)
			pol_text_reverse(b->data + at, b->len - at);
		start = i = pdf ? end + 3 : len;
	}
	pol_text_put(w, b, s + start, len - start);
}

/* A piece of extra text (a title, an alt text, generated content) on a
 * line of its own in b. */
static void
pol_text_piece(struct pol_walk *w, struct buf *b, const char *s, size_t n)
{
	size_t at;

	if (b == NULL || n == 0)
		return;
	pol_text_newline(w, b, 0);
	at = b->len;
	pol_text_put(w, b, s, n);
	while (b->len > at && b->data[b->len - 1] == ' ')
		b->len--;
	if (b->len > at && b->data[b->len - 1] != '\n' && buf_putc(b, '\n') < 0)
		w->status = POL_ERR_NOMEM;
}

/* pol_attr as css.c reads it (el is a const GumboElement *). */
static const char *
pol_css_attr_of(const void *el, const char *name)
{
	return pol_attr(el, name);
}

/* Generated content of a ::before/::after rule of el as a piece. */
static void
pol_text_generated(struct pol_walk *w, struct buf *b, const GumboElement *el,
		   const char *v, size_t n)
{
	char text[1024];
	size_t len;

	if (v == NULL || b == NULL || w->generated >= POL_GENERATED_MAX)
		return;
	len = pol_css_content_text(v, n, text, sizeof(text), pol_css_attr_of,
				   el);
	w->generated += len;
	pol_text_piece(w, b, text, len);
}

/*
 * The text of b since start, trimmed, line breaks as spaces, at most
 * POL_LINK_TEXT_MAX bytes (cut at a character boundary): svg links can
 * nest, and each would otherwise copy all the text of the ones inside.
 */
static char *
pol_text_since(const struct buf *b, size_t start)
{
	const char *s = b->data && start <= b->len ? b->data + start : "";
	size_t n = b->data && start <= b->len ? b->len - start : 0, i;
	char *t;

	while (n > 0 && str_is_space(*s)) {
		s++;
		n--;
	}
	if (n > POL_LINK_TEXT_MAX) {
		n = POL_LINK_TEXT_MAX;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	while (n > 0 && str_is_space(s[n - 1]))
		n--;
	if ((t = malloc(n + 1)) == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		t[i] = s[i] == '\n' ? ' ' : s[i];
	t[n] = '\0';
	return t;
}

/* ------------------------------------------------------------------ */
/* What the reader sees of an element.                                 */
/* ------------------------------------------------------------------ */

/* Does a non-zero font-size not depend on the parent's (px, pt, rem,
 * keywords)?  Then it shows text a zero-sized parent hid. */
static int
pol_font_size_absolute(const char *v)
{
	size_t n = strlen(v);

	if (strstr(v, "%") || strstr(v, "larger") || strstr(v, "smaller") ||
	    strstr(v, "inherit") || strstr(v, "unset") ||
	    (n >= 2 && (strcmp(v + n - 2, "ex") == 0 ||
			strcmp(v + n - 2, "ch") == 0)))
		return 0;
	return !(n >= 2 && strcmp(v + n - 2, "em") == 0 &&
		 (n < 3 || v[n - 3] != 'r'));
}

/* A box of at most 1px (the content clipped by overflow:hidden). */
static int
pol_css_tiny_box(const struct pol_css_computed *c, int prop)
{
	int n;

	if (c->rank[prop] == 0)
		return 0;
	if (pol_css_is_zero(c->value[prop]))
		return 1;
	n = pol_css_length(c->value[prop]);
	return n >= 0 && n <= 1;
}

/* The colours of an element: its HTML attributes, then CSS. */
static void
pol_vis_colors(struct pol_vis *v, const GumboElement *el,
	       const struct pol_css_computed *c)
{
	const char(*val)[POL_CSS_VALUE_MAX] = c->value;
	const char *a;
	long k;

	if (el->tag == GUMBO_TAG_A) /* a link has the client's own colour */
		v->fg = POL_COLOR_NONE;
	if ((a = pol_attr(el, "bgcolor")) != NULL &&
	    (k = pol_css_color(a)) >= 0)
		v->bg = k;
	if (pol_attr(el, "background") != NULL)
		v->bg = POL_COLOR_IMAGE;
	if (el->tag == GUMBO_TAG_FONT && (a = pol_attr(el, "color")) != NULL &&
	    (k = pol_css_color(a)) != POL_COLOR_NONE)
		v->fg = k;
	if (c->rank[POL_CSS_BACKGROUND] &&
	    c->rank[POL_CSS_BACKGROUND] >= c->rank[POL_CSS_BACKGROUND_COLOR] &&
	    (k = pol_css_background(val[POL_CSS_BACKGROUND],
				    strlen(val[POL_CSS_BACKGROUND]) + 1 >=
					POL_CSS_VALUE_MAX)) != POL_COLOR_NONE)
		v->bg = k;
	else if (c->rank[POL_CSS_BACKGROUND_COLOR] &&
		 (k = pol_css_background(val[POL_CSS_BACKGROUND_COLOR], 0)) !=
		     POL_COLOR_NONE)
		v->bg = k;
	if (c->rank[POL_CSS_COLOR] &&
	    (k = pol_css_color(val[POL_CSS_COLOR])) != POL_COLOR_NONE)
		v->fg = k;
	v->lowc = v->fg == POL_COLOR_CLEAR || pol_css_color_close(v->fg, v->bg);
}

/* Fold the computed properties c of an element into v. */
static void
pol_vis_apply(struct pol_vis *v, const struct pol_css_computed *c)
{
	const char(*val)[POL_CSS_VALUE_MAX] = c->value;

#define POL_SET(p) (c->rank[p] != 0)
	if (POL_SET(POL_CSS_DISPLAY) && strncmp(val[POL_CSS_DISPLAY], "none", 4) == 0)
		v->hard = 1;
	if (POL_SET(POL_CSS_OPACITY) && (pol_css_is_zero(val[POL_CSS_OPACITY]) ||
					 pol_css_faint(val[POL_CSS_OPACITY])))
		v->hard = 1;
	if (POL_SET(POL_CSS_TRANSFORM) &&
	    pol_css_scaled_away(val[POL_CSS_TRANSFORM]))
		v->hard = 1;
	if (POL_SET(POL_CSS_MSO_HIDE) && strcmp(val[POL_CSS_MSO_HIDE], "all") == 0)
		v->hard = 1;
	if (POL_SET(POL_CSS_OVERFLOW) &&
	    strncmp(val[POL_CSS_OVERFLOW], "hidden", 6) == 0 &&
	    (pol_css_tiny_box(c, POL_CSS_MAX_HEIGHT) ||
	     pol_css_tiny_box(c, POL_CSS_HEIGHT) ||
	     pol_css_tiny_box(c, POL_CSS_MAX_WIDTH) ||
	     pol_css_tiny_box(c, POL_CSS_WIDTH)))
		v->hard = 1;
	if (POL_SET(POL_CSS_POSITION) &&
	    (strcmp(val[POL_CSS_POSITION], "absolute") == 0 ||
	     strcmp(val[POL_CSS_POSITION], "fixed") == 0) &&
	    ((POL_SET(POL_CSS_LEFT) && pol_css_offscreen(val[POL_CSS_LEFT])) ||
	     (POL_SET(POL_CSS_TOP) && pol_css_offscreen(val[POL_CSS_TOP]))))
		v->hard = 1;
	if (POL_SET(POL_CSS_TEXT_INDENT) &&
	    pol_css_offscreen(val[POL_CSS_TEXT_INDENT]))
		v->hard = 1;
	if (POL_SET(POL_CSS_VISIBILITY)) {
		if (strcmp(val[POL_CSS_VISIBILITY], "hidden") == 0 ||
		    strcmp(val[POL_CSS_VISIBILITY], "collapse") == 0)
			v->vis = 1;
		else if (strcmp(val[POL_CSS_VISIBILITY], "visible") == 0)
			v->vis = 0;
	}
	if (POL_SET(POL_CSS_FONT_SIZE)) {
		if (pol_css_is_zero(val[POL_CSS_FONT_SIZE]) ||
		    pol_css_font_tiny(val[POL_CSS_FONT_SIZE]))
			v->fsz = 1;
		else if (pol_font_size_absolute(val[POL_CSS_FONT_SIZE]))
			v->fsz = 0;
	}
#undef POL_SET
}

/*
 * The state of element node under a parent in state parent: the
 * element's <style> rules, then its inline style (the cascade's order),
 * the hidden attribute and <template>.  c gets the computed properties.
 */
static struct pol_vis
pol_vis_of(struct pol_walk *w, GumboNode *node, struct pol_vis parent,
	   struct pol_css_computed *c)
{
	const GumboElement *el = &node->v.element;
	const char *style = pol_attr(el, "style");
	struct pol_vis v = parent;

	memset(c->rank, 0, sizeof(c->rank));
	memset(c->content, 0, sizeof(c->content));
	memset(c->content_rank, 0, sizeof(c->content_rank));
	if (w->sheet != NULL)
		pol_css_sheet_match(w->sheet, gumbo_normalized_tagname(el->tag),
				    pol_attr(el, "id"), pol_attr(el, "class"),
				    pol_css_attr_of, el, c, &w->css_budget);
	if (style != NULL)
		pol_css_apply_decls(style, strlen(style), POL_CSS_RANK_INLINE,
				    c);
	if (node->type == GUMBO_NODE_TEMPLATE ||
	    pol_attr(el, "hidden") != NULL)
		v.hard = 1;
	if (el->tag == GUMBO_TAG_HEAD)
		v.notext = 1;
	pol_vis_apply(&v, c);
	pol_vis_colors(&v, el, c);
	return v;
}

/* Is the element shown with its characters in reverse order? */
static int
pol_rtl_override(const GumboElement *el, const struct pol_css_computed *c)
{
	const char *dir = pol_attr(el, "dir");

	if (el->tag == GUMBO_TAG_BDO)
		return dir != NULL && strcasecmp(dir, "rtl") == 0;
	return c->rank[POL_CSS_DIRECTION] && c->rank[POL_CSS_UNICODE_BIDI] &&
	       strcmp(c->value[POL_CSS_DIRECTION], "rtl") == 0 &&
	       strcmp(c->value[POL_CSS_UNICODE_BIDI], "bidi-override") == 0;
}

/* ------------------------------------------------------------------ */
/* The walk.                                                           */
/* ------------------------------------------------------------------ */

/* An <a> closes: a link with its visible text (its hidden text when the
 * whole link, or all the text inside it, is hidden). */
static void
pol_walk_anchor(struct pol_walk *w, const struct pol_frame *f)
{
	const GumboElement *el = &f->node->v.element;
	char *text = pol_text_since(&w->text, f->text_start);
	int hidden = POL_VIS_BOX_HIDDEN(f->vis), blank;

	if (text == NULL) {
		w->status = POL_ERR_NOMEM;
		return;
	}
	/* No text shown (none, or only zero-width characters) and no image
	 * with an alt text (images are often blocked): the reader sees
	 * nothing to click. */
	blank = textnorm_blank(text);
	if (blank && w->visible_images == f->images_start)
		hidden = 1;
	if (blank && (POL_VIS_TEXT_HIDDEN(f->vis) ||
		      w->hidden.len > f->hidden_start)) {
		free(text);
		if ((text = pol_text_since(&w->hidden, f->hidden_start)) ==
		    NULL) {
			w->status = POL_ERR_NOMEM;
			return;
		}
	}
	pol_refs_link(w, pol_attr(el, "href"), text, hidden);
	free(text);
}

/* An element closes: ::after, bidi override, links, line breaks. */
static void
pol_walk_close(struct pol_walk *w, const struct pol_frame *f)
{
	const GumboElement *el = &f->node->v.element;
	struct buf *b = pol_text_buf(w, f->vis);

	if (f->node->type != GUMBO_NODE_ELEMENT &&
	    f->node->type != GUMBO_NODE_TEMPLATE)
		return;
	pol_text_generated(w,
			   f->vis.notext		  ? NULL
			   : POL_VIS_TEXT_HIDDEN(f->vis) ? &w->hidden
							 : &w->extra,
			   el, f->after, f->after_len);
	if (f->rtl_override && w->status == POL_OK) {
		if (w->text.len > f->text_start)
			pol_text_reverse(w->text.data + f->text_start,
					 w->text.len - f->text_start);
		if (w->hidden.len > f->hidden_start)
			pol_text_reverse(w->hidden.data + f->hidden_start,
					 w->hidden.len - f->hidden_start);
	}
	if (el->tag == GUMBO_TAG_PRE && w->pre > 0)
		w->pre--;
	if (el->tag == GUMBO_TAG_A && pol_attr(el, "href") != NULL)
		pol_walk_anchor(w, f);
	if (pol_walk_flags[el->tag] & W_BLOCK)
		pol_text_newline(w, b, 0);
}

/* An <input>: a button shows its value as its label (text, in b), a
 * field its value or placeholder (extra text, in box). */
static void
pol_walk_input(struct pol_walk *w, const GumboElement *el, struct buf *b,
	       struct buf *box)
{
	const char *type = pol_attr(el, "type"), *v = pol_attr(el, "value");

	if (type != NULL && strcasecmp(type, "hidden") == 0)
		return;
	if (type != NULL && strcasecmp(type, "image") == 0)
		return; /* its alt is read with the image (html_refs.c) */
	if (type != NULL && (strcasecmp(type, "button") == 0 ||
			     strcasecmp(type, "submit") == 0 ||
			     strcasecmp(type, "reset") == 0)) {
		if (v != NULL)
			pol_text_piece(w, b, v, strlen(v));
		return;
	}
	if (v == NULL || *v == '\0')
		v = pol_attr(el, "placeholder");
	if (v != NULL)
		pol_text_piece(w, box, v, strlen(v));
}

/* What a screen reader, a drop-down or a tooltip shows besides the
 * content: the aria-label of any element, the label of an <optgroup>,
 * <option> or <track>, the text of an SVG <title> (extra text, in box). */
static void
pol_walk_labels(struct pol_walk *w, const GumboElement *el, struct buf *box)
{
	const char *v = pol_attr(el, "aria-label");
	unsigned i;

	for (i = 0; el->tag == GUMBO_TAG_TITLE && i < el->children.length; i++) {
		const GumboNode *t = el->children.data[i];

		if (t->type == GUMBO_NODE_TEXT)
			pol_text_piece(w, box, t->v.text.text, strlen(t->v.text.text));
	}

	if (v != NULL)
		pol_text_piece(w, box, v, strlen(v));
	if ((el->tag == GUMBO_TAG_OPTGROUP || el->tag == GUMBO_TAG_OPTION ||
	     el->tag == GUMBO_TAG_TRACK) &&
	    (v = pol_attr(el, "label")) != NULL)
		pol_text_piece(w, box, v, strlen(v));
}

/* An element opens in state vis.  Returns 1 when its children are to be
 * visited. */
static int
pol_walk_open(struct pol_walk *w, GumboNode *node, struct pol_vis vis,
	      const struct pol_css_computed *c)
{
	const GumboElement *el = &node->v.element;
	struct buf *b = pol_text_buf(w, vis);
	struct buf *box = vis.notext		   ? NULL
			  : POL_VIS_BOX_HIDDEN(vis) ? &w->hidden
						    : &w->extra;
	const char *title = pol_attr(el, "title"), *alt;

	if (el->tag == GUMBO_TAG_TITLE && el->tag_namespace == GUMBO_NAMESPACE_SVG) {
		pol_walk_labels(w, el, box);
		return 0;
	}
	if (pol_walk_flags[el->tag] & W_SKIP) {
		if (el->tag == GUMBO_TAG_IFRAME)
			pol_refs_element(w, el, pol_attr(el, "style"), vis, c);
		return 0;
	}
	if (pol_walk_flags[el->tag] & W_BLOCK)
		pol_text_newline(w, b, 0);
	if (title != NULL)
		pol_text_piece(w, box, title, strlen(title));
	pol_walk_labels(w, el, box);
	pol_refs_element(w, el, pol_attr(el, "style"), vis, c);
	switch (el->tag) {
	case GUMBO_TAG_BR:
		pol_text_newline(w, b, 1);
		break;
	case GUMBO_TAG_IMG:
	case GUMBO_TAG_AREA: /* shown in place of the image */
		if ((alt = pol_attr(el, "alt")) != NULL)
			pol_text_piece(w, box, alt, strlen(alt));
		break;
	case GUMBO_TAG_PRE:
		w->pre++;
		break;
	case GUMBO_TAG_INPUT:
		pol_walk_input(w, el, b, box);
		break;
	default:
		break;
	}
	pol_text_generated(w, POL_VIS_TEXT_HIDDEN(vis) ? b : box, el,
			   c->content[0], c->content_len[0]);
	return 1;
}

/*
 * "[if mso]>...<![endif]" and "[if gte mso 9]>...": the HTML inside, which
 * only Outlook shows, is kept for a second parse.
 */
static void
pol_walk_comment(struct pol_walk *w, const char *c)
{
	const char *gt, *end, *p;

	while (str_is_space(*c))
		c++;
	if (!w->want_mso || strncasecmp(c, "[if", 3) != 0 ||
	    (gt = strstr(c, "]>")) == NULL)
		return;
	for (p = c; p + 3 <= gt && strncasecmp(p, "mso", 3) != 0; p++)
		;
	if (p + 3 > gt)
		return;
	gt += 2;
	end = gt + strlen(gt);
	for (p = gt; (p = strstr(p, "<![")) != NULL; p++)
		if (strncasecmp(p, "<![endif]", 9) == 0)
			end = p;
	if (buf_append(&w->mso, gt, (size_t)(end - gt)) < 0 ||
	    buf_putc(&w->mso, '\n') < 0)
		w->status = POL_ERR_NOMEM;
}

static struct pol_frame *
pol_walk_push(struct pol_walk *w, GumboNode *node, struct pol_vis vis)
{
	struct pol_frame *f;

	if (w->depth == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 64;

		f = realloc(w->stack, cap * sizeof(*f));
		if (f == NULL) {
			w->status = POL_ERR_NOMEM;
			return NULL;
		}
		w->stack = f;
		w->cap = cap;
	}
	f = &w->stack[w->depth++];
	memset(f, 0, sizeof(*f));
	f->node = node;
	f->text_start = w->text.len;
	f->hidden_start = w->hidden.len;
	f->images_start = w->visible_images;
	f->vis = vis;
	return f;
}

static void
pol_walk_element(struct pol_walk *w, GumboNode *c, struct pol_vis parent)
{
	struct pol_css_computed css;
	struct pol_frame *f, local;
	struct pol_vis vis = pol_vis_of(w, c, parent, &css);

	/* The frame is pushed first so that the element's own text
	 * (::before) counts for its link text and bidi override. */
	if (c->v.element.children.length > 0) {
		if ((f = pol_walk_push(w, c, vis)) == NULL)
			return;
	} else {
		memset(&local, 0, sizeof(local));
		local.node = c;
		local.text_start = w->text.len;
		local.hidden_start = w->hidden.len;
		local.images_start = w->visible_images;
		local.vis = vis;
		f = &local;
	}
	f->rtl_override = pol_rtl_override(&c->v.element, &css);
	f->after = css.content[1];
	f->after_len = css.content_len[1];
	if (!pol_walk_open(w, c, vis, &css)) {
		if (f != &local)
			w->depth--;
		return;
	}
	if (f == &local)
		pol_walk_close(w, &local);
}

static void
pol_walk_child(struct pol_walk *w, GumboNode *c, struct pol_vis vis)
{
	switch (c->type) {
	case GUMBO_NODE_TEXT:
	case GUMBO_NODE_WHITESPACE:
	case GUMBO_NODE_CDATA:
		pol_text_add(w, pol_text_buf(w, vis), c->v.text.text);
		break;
	case GUMBO_NODE_COMMENT:
		pol_walk_comment(w, c->v.text.text);
		break;
	case GUMBO_NODE_ELEMENT:
	case GUMBO_NODE_TEMPLATE:
		pol_walk_element(w, c, vis);
		break;
	default:
		break;
	}
}

/* Walk the tree iteratively: text, links, images, MSO comments. */
static void
pol_walk_tree(struct pol_walk *w, GumboNode *root)
{
	struct pol_vis none = POL_VIS_ROOT;

	if (pol_walk_push(w, root, none) == NULL)
		return;
	while (w->depth > 0 && w->status == POL_OK) {
		struct pol_frame *f = &w->stack[w->depth - 1];
		const GumboVector *kids = f->node->type == GUMBO_NODE_DOCUMENT
					      ? &f->node->v.document.children
					      : &f->node->v.element.children;

		if (f->next < kids->length) {
			GumboNode *c = kids->data[f->next++];

			pol_walk_child(w, c, f->vis);
		} else {
			struct pol_frame done = *f;

			w->depth--;
			pol_walk_close(w, &done);
		}
	}
}

/* ------------------------------------------------------------------ */
/* Before the walk: <style> sheets and <base href>.                    */
/* ------------------------------------------------------------------ */

static const GumboVector *
pol_kids(const GumboNode *n)
{
	static const GumboVector none = {NULL, 0, 0};

	if (n->type == GUMBO_NODE_DOCUMENT)
		return &n->v.document.children;
	if (n->type == GUMBO_NODE_ELEMENT)
		return &n->v.element.children;
	return &none; /* text, and <template> whose rules do not apply */
}

/* The AMP boilerplate: <style amp4email-boilerplate> (or amp-boilerplate)
 * holding only body{visibility:hidden}, which the AMP runtime lifts as it
 * starts; read as a sheet it would hide the whole AMP alternative. */
static int
pol_amp_boilerplate(const GumboElement *el)
{
	const GumboNode *t;
	const char *p;
	static const char want[] = "body{visibility:hidden}";
	size_t k = 0;

	if ((pol_attr(el, "amp4email-boilerplate") == NULL &&
	     pol_attr(el, "amp-boilerplate") == NULL) ||
	    el->children.length != 1)
		return 0;
	t = el->children.data[0];
	if (t->type != GUMBO_NODE_TEXT)
		return 0;
	for (p = t->v.text.text; *p; p++) {
		if (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n' ||
		    *p == ';')
			continue;
		if (k >= sizeof(want) - 1 || *p != want[k])
			return 0;
		k++;
	}
	return k == sizeof(want) - 1;
}

/* One node of the pre-pass. */
static void
pol_prepass_node(struct pol_walk *w, const GumboNode *n, struct buf *css)
{
	const GumboElement *el = &n->v.element;
	const char *href;
	unsigned i;

	if (n->type != GUMBO_NODE_ELEMENT)
		return;
	if (el->tag == GUMBO_TAG_STYLE && !pol_amp_boilerplate(el)) {
		for (i = 0; i < el->children.length; i++) {
			const GumboNode *t = el->children.data[i];

			if (t->type == GUMBO_NODE_TEXT &&
			    (buf_puts(css, t->v.text.text) < 0 ||
			     buf_putc(css, '\n') < 0))
				w->status = POL_ERR_NOMEM;
		}
	} else if (el->tag == GUMBO_TAG_BASE && w->base == NULL &&
		   (href = pol_attr(el, "href")) != NULL &&
		   strstr(href, "://") != NULL) {
		if ((w->base = strdup(href + strspn(href, " \t\r\n\f"))) ==
		    NULL)
			w->status = POL_ERR_NOMEM;
	}
}

/* Visit every node in document order without a stack (gumbo keeps parent
 * links): collect the <style> text and the first <base href>, then parse
 * the sheet, whose url() references are images. */
static void
pol_prepass(struct pol_walk *w, GumboNode *root)
{
	struct buf css = BUF_INIT;
	GumboNode *n = root;

	while (n != NULL && w->status == POL_OK) {
		const GumboVector *k = pol_kids(n);

		pol_prepass_node(w, n, &css);
		if (k->length > 0 && !(n->type == GUMBO_NODE_ELEMENT &&
				       n->v.element.tag == GUMBO_TAG_STYLE)) {
			n = k->data[0];
			continue;
		}
		while (n != root) {
			GumboNode *p = n->parent;
			size_t next = n->index_within_parent + 1;

			if (next < pol_kids(p)->length) {
				n = pol_kids(p)->data[next];
				break;
			}
			n = p;
		}
		if (n == root)
			break;
	}
	if (w->status == POL_OK && css.len > 0 && w->sheet == NULL) {
		int rc = pol_css_sheet_parse(css.data, css.len, pol_refs_css_url,
					     w, &w->sheet);

		if (rc < 0 && w->status == POL_OK)
			w->status = POL_ERR_NOMEM;
	}
	buf_free(&css);
}

/*
 * Pre-scan, parse and walk one HTML text.  Returns POL_OK and sets
 * *refused when the HTML is too large or complex for gumbo.
 */
static int
pol_html_run(struct pol_walk *w, const char *html, size_t len,
	     const struct pol_limits *lim, int *refused)
{
	size_t max =
	    lim && lim->max_html ? lim->max_html : POL_HTML_MAX_BYTES_DEFAULT;
	unsigned cap = lim && lim->max_html_depth ? lim->max_html_depth
						  : POL_HTML_MAX_DEPTH_DEFAULT;
	struct pol_arena arena;
	GumboOutput *out;
	int rc;

	*refused = 0;
	if (len > max || len > UINT32_MAX) {
		*refused = 1;
		return POL_OK;
	}
	if ((rc = pol_html_too_complex(html, len, cap)) != 0) {
		*refused = 1;
		return rc < 0 ? POL_ERR_NOMEM : POL_OK;
	}
	if ((out = pol_arena_parse(&arena, html, len)) == NULL) {
		*refused = 1;
		return POL_OK;
	}
	w->css_budget = POL_CSS_BUDGET;
	pol_prepass(w, out->document);
	if (w->status == POL_OK)
		pol_walk_tree(w, out->document);
	/* A sheet too large to apply in full: what is hidden is not known. */
	if (w->css_budget <= 0 ||
	    (w->sheet != NULL && pol_css_sheet_overflow(w->sheet)))
		w->m->flags |= POL_MSG_TRUNCATED;
	pol_arena_release(&arena); /* the output with it */
	return w->status;
}

static void
pol_walk_free(struct pol_walk *w)
{
	buf_free(&w->text);
	buf_free(&w->hidden);
	buf_free(&w->extra);
	buf_free(&w->mso);
	free(w->stack);
	free(w->base);
	pol_css_sheet_free(w->sheet);
}

/* Links and images of the collected MSO comments, in a second parse
 * (with the document's <base href>). */
static int
pol_html_mso(struct pol_message *m, size_t part, const struct pol_walk *main,
	     const struct pol_limits *lim)
{
	struct pol_walk w;
	int rc, refused;

	memset(&w, 0, sizeof(w));
	w.m = m;
	w.part = part;
	if (main->base != NULL && (w.base = strdup(main->base)) == NULL)
		return POL_ERR_NOMEM;
	rc = pol_html_run(&w, main->mso.data, main->mso.len, lim, &refused);
	if (refused)
		m->flags |= POL_MSG_TRUNCATED | POL_MSG_OVER_HTML;
	pol_walk_free(&w);
	return rc;
}

/* b trimmed, handed over (NULL when empty unless keep). */
static int
pol_html_take(struct buf *b, int keep, char **out, size_t *len)
{
	while (b->len > 0 && str_is_space(b->data[b->len - 1]))
		b->len--;
	*len = b->len;
	*out = NULL;
	if (b->len == 0 && !keep)
		return POL_OK;
	if (b->data)
		b->data[b->len] = '\0';
	if ((*out = buf_steal(b)) == NULL)
		return POL_ERR_NOMEM;
	return POL_OK;
}

int
pol_html_scan(struct pol_message *m, size_t part, const char *html, size_t len,
	      const struct pol_limits *lim, struct pol_html_view *view)
{
	struct pol_walk w;
	int rc, refused;

	memset(view, 0, sizeof(*view));
	memset(&w, 0, sizeof(w));
	w.m = m;
	w.part = part;
	w.want_mso = 1;
	rc = pol_html_run(&w, html, len, lim, &refused);
	if (rc == POL_OK && refused) {
		m->flags |= POL_MSG_TRUNCATED | POL_MSG_OVER_HTML;
		buf_reset(&w.text);
		buf_reset(&w.hidden);
		buf_reset(&w.extra);
	}
	if (rc == POL_OK && !refused && w.mso.len > 0)
		rc = pol_html_mso(m, part, &w, lim);
	if (rc == POL_OK)
		rc = pol_html_take(&w.text, 1, &view->text, &view->text_len);
	if (rc == POL_OK)
		rc = pol_html_take(&w.hidden, 0, &view->hidden,
				   &view->hidden_len);
	if (rc == POL_OK)
		rc = pol_html_take(&w.extra, 0, &view->extra, &view->extra_len);
	if (rc != POL_OK) {
		free(view->text);
		free(view->hidden);
		free(view->extra);
		memset(view, 0, sizeof(*view));
	}
	pol_walk_free(&w);
	return rc;
}
