/*
 * html.c - visible text, links and images of an HTML part, with gumbo.
 *
 * gumbo 0.10.1 has no limits of its own (see html_prescan.c), so a part
 * reaches it only when it is within max_html and the pre-scan finds it
 * neither too deep nor too large.  As a second guard gumbo allocates from a
 * per-parse arena with a byte budget; when the budget runs out the
 * allocator longjmp()s back to pol_html_gumbo(), which frees the whole
 * arena (gumbo keeps no state outside it).  A refused part keeps the
 * empty string as text and sets POL_MSG_TRUNCATED.  The tree is walked with
 * an explicit stack; gumbo_destroy_output() recurses, which is safe since
 * the depth is capped.
 *
 * Owns: the arena and the output of each parse (both freed before
 * returning) and the visible-text buffer, handed to the caller.  Links and
 * images are appended to the message, which owns them.  Failure: out of
 * memory returns POL_ERR_NOMEM.  Never logs, no I/O.
 */
#include "html.h"

#include <gumbo.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../common/buf.h"
#include "links.h"
/* How a tag shows in the visible text. */
enum { W_BLOCK = 1, W_HIDE = 2 };

static const uint8_t pol_walk_flags[GUMBO_TAG_LAST + 1] = {
    [GUMBO_TAG_HEAD] = W_HIDE,	    [GUMBO_TAG_TITLE] = W_HIDE,
    [GUMBO_TAG_STYLE] = W_HIDE,	    [GUMBO_TAG_SCRIPT] = W_HIDE,
    [GUMBO_TAG_TEMPLATE] = W_HIDE,  [GUMBO_TAG_IFRAME] = W_HIDE,
    [GUMBO_TAG_NOEMBED] = W_HIDE,   [GUMBO_TAG_NOFRAMES] = W_HIDE,
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

static int
pol_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

/* ------------------------------------------------------------------ */
/* gumbo with an arena: a byte budget and a way out.                   */
/* ------------------------------------------------------------------ */

union pol_arena_head {
	struct {
		union pol_arena_head *prev, *next;
		size_t size;
	} h;
	max_align_t align;
};

/*
 * The arena budget: gumbo needs 3-8 bytes per input byte for mail HTML and
 * up to about 50 for dense tag soup ("<p>" repeated); the pre-scan has
 * already refused input that makes it clone elements.  (Overridable at
 * compile time so that a test can reach the way out.)
 */
#ifndef POL_ARENA_PER_BYTE
#define POL_ARENA_PER_BYTE 64
#endif
#ifndef POL_ARENA_BASE
#define POL_ARENA_BASE ((size_t)16 << 20)
#endif

struct pol_arena {
	union pol_arena_head list; /* circular, list is the sentinel */
	size_t live, limit;
	jmp_buf fail;
	GumboOptions opts;
};

static void *
pol_arena_alloc(void *ud, size_t n)
{
	struct pol_arena *a = ud;
	union pol_arena_head *b;

	if (n > a->limit - a->live)
		longjmp(a->fail, 1);
	if ((b = malloc(sizeof(*b) + n)) == NULL)
		longjmp(a->fail, 2);
	b->h.size = n;
	b->h.next = a->list.h.next;
	b->h.prev = &a->list;
	a->list.h.next->h.prev = b;
	a->list.h.next = b;
	a->live += n;
	return b + 1;
}

static void
pol_arena_free(void *ud, void *p)
{
	struct pol_arena *a = ud;
	union pol_arena_head *b;

	if (p == NULL)
		return;
	b = (union pol_arena_head *)p - 1;
	b->h.prev->h.next = b->h.next;
	b->h.next->h.prev = b->h.prev;
	a->live -= b->h.size;
	free(b);
}

static void
pol_arena_release(struct pol_arena *a)
{
	while (a->list.h.next != &a->list)
		pol_arena_free(a, a->list.h.next + 1);
}

/*
 * Parse with gumbo inside arena a.  Returns the output (free with
 * gumbo_destroy_output(&a->opts, ..) and then pol_arena_release) or NULL
 * when the budget ran out (a is then already released).
 */
static GumboOutput *
pol_html_gumbo(struct pol_arena *a, const char *html, size_t len)
{
	a->list.h.next = a->list.h.prev = &a->list;
	a->live = 0;
	a->limit = len > (SIZE_MAX / 2 - POL_ARENA_BASE) / POL_ARENA_PER_BYTE
		       ? SIZE_MAX / 2
		       : len * POL_ARENA_PER_BYTE + POL_ARENA_BASE;
	a->opts = kGumboDefaultOptions;
	a->opts.max_errors = 0; /* each stored error copies the stack */
	a->opts.allocator = pol_arena_alloc;
	a->opts.deallocator = pol_arena_free;
	a->opts.userdata = a;
	if (setjmp(a->fail) != 0) {
		pol_arena_release(a);
		return NULL;
	}
	return gumbo_parse_with_options(&a->opts, html, len);
}

/* ------------------------------------------------------------------ */
/* Inline style and size attributes.                                   */
/* ------------------------------------------------------------------ */

/*
 * The value of the last declaration of prop in an inline style, copied to
 * val (lower-cased, trimmed, "!important" dropped).  Returns 1 when found.
 */
static int
pol_css_get(const char *style, const char *prop, char *val, size_t valsz)
{
	size_t plen = strlen(prop);
	const char *s = style;
	int found = 0;

	while (*s) {
		const char *d = s, *colon, *end = strchr(s, ';');
		size_t n, i;

		if (end == NULL)
			end = s + strlen(s);
		s = *end ? end + 1 : end;
		while (d < end && pol_is_space(*d))
			d++;
		colon = memchr(d, ':', (size_t)(end - d));
		if (colon == NULL)
			continue;
		n = (size_t)(colon - d);
		while (n > 0 && pol_is_space(d[n - 1]))
			n--;
		if (n != plen || strncasecmp(d, prop, plen) != 0)
			continue;
		for (d = colon + 1; d < end && pol_is_space(*d); d++)
			;
		for (i = 0; d < end && *d != '!' && i + 1 < valsz; d++)
			val[i++] =
			    (*d >= 'A' && *d <= 'Z') ? (char)(*d + 32) : *d;
		while (i > 0 && pol_is_space(val[i - 1]))
			i--;
		val[i] = '\0';
		found = 1;
	}
	return found;
}

/*
 * A pixel length: "1", "1px", "1.5px" give 1; zero in any unit gives 0;
 * "100%", "auto" or other units give -1.
 */
static int
pol_css_length(const char *v)
{
	long n = 0;
	int digits = 0, nonzero = 0;

	while (pol_is_space(*v))
		v++;
	for (; *v >= '0' && *v <= '9'; v++, digits++)
		if (n < 100000)
			n = n * 10 + (*v - '0');
	if (*v == '.')
		for (v++; *v >= '0' && *v <= '9'; v++, digits++)
			nonzero |= *v != '0';
	if (digits == 0)
		return -1;
	if (n == 0 && !nonzero)
		return 0;
	while (pol_is_space(*v))
		v++;
	if (*v == '\0' || strncmp(v, "px", 2) == 0)
		return (int)n;
	return -1;
}

/* Is a CSS number zero ("0", "0.0", ".0", "0%")? */
static int
pol_css_is_zero(const char *v)
{
	int digits = 0;

	for (; *v == '0' || *v == '.'; v++)
		digits += *v == '0';
	return digits > 0 && (*v == '\0' || *v == '%' || pol_is_space(*v));
}

/* Does an inline style hide the element and its content? */
static int
pol_style_hides(const char *style)
{
	char v[64];

	if (style == NULL)
		return 0;
	if (pol_css_get(style, "display", v, sizeof(v)) &&
	    strncmp(v, "none", 4) == 0)
		return 1;
	if (pol_css_get(style, "visibility", v, sizeof(v)) &&
	    (strcmp(v, "hidden") == 0 || strcmp(v, "collapse") == 0))
		return 1;
	return pol_css_get(style, "opacity", v, sizeof(v)) &&
	       pol_css_is_zero(v);
}

/* ------------------------------------------------------------------ */
/* The walk.                                                           */
/* ------------------------------------------------------------------ */

#define POL_LINK_TEXT_MAX 1024

struct pol_frame {
	GumboNode *node;
	unsigned next;	   /* next child to visit */
	size_t text_start; /* visible text offset when the element opened */
	int hidden;	   /* an ancestor or the element is hidden */
};

struct pol_walk {
	struct pol_message *m;
	size_t part;
	struct buf text;
	struct buf mso; /* contents of MSO conditional comments */
	int want_mso;	/* collect MSO comments (not in a re-parse) */
	int pre;	/* inside <pre> */
	struct pol_frame *stack;
	size_t depth, cap;
	int status;
};

static const char *
pol_attr(const GumboElement *el, const char *name)
{
	const GumboAttribute *a = gumbo_get_attribute(&el->attributes, name);

	return a ? a->value : NULL;
}

/* End the current line (at most one empty line when hard). */
static void
pol_text_newline(struct pol_walk *w, int hard)
{
	struct buf *b = &w->text;

	while (b->len > 0 && b->data[b->len - 1] == ' ')
		b->len--;
	if (b->len == 0 ||
	    (b->data[b->len - 1] == '\n' &&
	     (!hard || (b->len > 1 && b->data[b->len - 2] == '\n'))))
		return;
	if (buf_putc(b, '\n') < 0)
		w->status = POL_ERR_NOMEM;
}

/* Append text with white space collapsed (kept inside <pre>). */
static void
pol_text_add(struct pol_walk *w, const char *s)
{
	struct buf *b = &w->text;

	while (*s && w->status == POL_OK) {
		size_t n = 0;

		if (pol_is_space(*s)) {
			if (w->pre && *s == '\n')
				pol_text_newline(w, 1);
			else if (b->len > 0 && b->data[b->len - 1] != ' ' &&
				 b->data[b->len - 1] != '\n' &&
				 buf_putc(b, ' ') < 0)
				w->status = POL_ERR_NOMEM;
			s++;
			continue;
		}
		while (s[n] && !pol_is_space(s[n]))
			n++;
		if (buf_append(b, s, n) < 0)
			w->status = POL_ERR_NOMEM;
		s += n;
	}
}

/*
 * The visible text since start, trimmed, line breaks as spaces, at most
 * POL_LINK_TEXT_MAX bytes (cut at a character boundary): svg links can
 * nest, and each would otherwise copy all the text of the ones inside.
 */
static char *
pol_text_since(const struct pol_walk *w, size_t start)
{
	const char *s = w->text.data ? w->text.data + start : "";
	size_t n = w->text.len - start, i;
	char *t;

	while (n > 0 && pol_is_space(*s)) {
		s++;
		n--;
	}
	if (n > POL_LINK_TEXT_MAX) {
		n = POL_LINK_TEXT_MAX;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	while (n > 0 && pol_is_space(s[n - 1]))
		n--;
	if ((t = malloc(n + 1)) == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		t[i] = s[i] == '\n' ? ' ' : s[i];
	t[n] = '\0';
	return t;
}

static int
pol_image_dim(const GumboElement *el, const char *style, const char *name)
{
	char v[64];
	const char *a;

	if (style != NULL && pol_css_get(style, name, v, sizeof(v)) &&
	    pol_css_length(v) >= 0)
		return pol_css_length(v);
	a = pol_attr(el, name);
	return a ? pol_css_length(a) : -1;
}

static void
pol_walk_image(struct pol_walk *w, const GumboElement *el, int hidden)
{
	struct pol_message *m = w->m;
	struct pol_image *imgs, *im;
	const char *style = pol_attr(el, "style");
	const char *src = pol_attr(el, "src"), *alt = pol_attr(el, "alt");

	imgs = pol_array_grow(m->images, m->nimages, sizeof(*m->images));
	if (imgs == NULL) {
		w->status = POL_ERR_NOMEM;
		return;
	}
	m->images = imgs;
	im = &imgs[m->nimages];
	memset(im, 0, sizeof(*im));
	im->width = pol_image_dim(el, style, "width");
	im->height = pol_image_dim(el, style, "height");
	im->hidden = hidden || pol_style_hides(style) ||
		     pol_attr(el, "hidden") != NULL || im->width == 0 ||
		     im->height == 0;
	im->part = w->part;
	im->src = strdup(src ? src + strspn(src, " \t\r\n\f") : "");
	im->alt = strdup(alt ? alt : "");
	if (im->src == NULL || im->alt == NULL) {
		free(im->src);
		free(im->alt);
		w->status = POL_ERR_NOMEM;
		return;
	}
	m->nimages++;
}

static void
pol_walk_link(struct pol_walk *w, const char *href, const char *text)
{
	if (href != NULL && text != NULL && w->status == POL_OK)
		w->status =
		    pol_link_add(w->m, href, strlen(href), text, w->part, 0);
	else if (href != NULL && text == NULL)
		w->status = POL_ERR_NOMEM;
}

/* An element closes: line breaks, <a> links. */
static void
pol_walk_close(struct pol_walk *w, const struct pol_frame *f)
{
	const GumboElement *el = &f->node->v.element;
	char *text;

	if (f->node->type != GUMBO_NODE_ELEMENT)
		return;
	if (el->tag == GUMBO_TAG_PRE && w->pre > 0)
		w->pre--;
	if (el->tag == GUMBO_TAG_A && pol_attr(el, "href") != NULL) {
		text = pol_text_since(w, f->text_start);
		pol_walk_link(w, pol_attr(el, "href"), text);
		free(text);
	}
	if (pol_walk_flags[el->tag] & W_BLOCK)
		pol_text_newline(w, 0);
}

/* Outlook's VML: <v:roundrect href=...> buttons and <v:fill src=...>,
 * <v:image src=...>, <v:imagedata src=...> backgrounds are links and
 * images like any other, and Outlook users click exactly those. */
static void
pol_walk_vml(struct pol_walk *w, const GumboElement *el, int hidden)
{
	GumboStringPiece name = el->original_tag;
	char tag[32];
	size_t n;

	if (name.data == NULL || name.length < 3)
		return;
	gumbo_tag_from_original_text(&name);
	n = name.length < sizeof(tag) - 1 ? name.length : sizeof(tag) - 1;
	memcpy(tag, name.data, n);
	tag[n] = '\0';
	if (strncasecmp(tag, "v:", 2) != 0)
		return;
	if (pol_attr(el, "href") != NULL)
		pol_walk_link(w, pol_attr(el, "href"), "");
	if (pol_attr(el, "src") != NULL &&
	    (strcasecmp(tag, "v:fill") == 0 || strcasecmp(tag, "v:image") == 0 ||
	     strcasecmp(tag, "v:imagedata") == 0))
		pol_walk_image(w, el, hidden);
}

/* An element opens.  Returns 1 when its children are to be visited. */
static int
pol_walk_open(struct pol_walk *w, GumboNode *node, int hidden)
{
	const GumboElement *el = &node->v.element;
	const char *alt;

	if (node->type == GUMBO_NODE_TEMPLATE ||
	    (pol_walk_flags[el->tag] & W_HIDE))
		return 0;
	if (pol_walk_flags[el->tag] & W_BLOCK)
		pol_text_newline(w, 0);
	switch (el->tag) {
	case GUMBO_TAG_BR:
		pol_text_newline(w, 1);
		break;
	case GUMBO_TAG_IMG:
		pol_walk_image(w, el, hidden);
		break;
	case GUMBO_TAG_AREA:
		alt = pol_attr(el, "alt");
		pol_walk_link(w, pol_attr(el, "href"), alt ? alt : "");
		break;
	case GUMBO_TAG_PRE:
		w->pre++;
		break;
	case GUMBO_TAG_UNKNOWN:
		pol_walk_vml(w, el, hidden);
		break;
	default:
		break;
	}
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

	while (pol_is_space(*c))
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

static int
pol_walk_push(struct pol_walk *w, GumboNode *node, int hidden)
{
	struct pol_frame *f;

	if (w->depth == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 64;

		f = realloc(w->stack, cap * sizeof(*f));
		if (f == NULL)
			return POL_ERR_NOMEM;
		w->stack = f;
		w->cap = cap;
	}
	f = &w->stack[w->depth++];
	f->node = node;
	f->next = 0;
	f->text_start = w->text.len;
	f->hidden = hidden;
	return POL_OK;
}

static void
pol_walk_child(struct pol_walk *w, GumboNode *c, int hidden)
{
	switch (c->type) {
	case GUMBO_NODE_TEXT:
	case GUMBO_NODE_WHITESPACE:
	case GUMBO_NODE_CDATA:
		pol_text_add(w, c->v.text.text);
		break;
	case GUMBO_NODE_COMMENT:
		pol_walk_comment(w, c->v.text.text);
		break;
	case GUMBO_NODE_ELEMENT:
	case GUMBO_NODE_TEMPLATE:
		if (c->type == GUMBO_NODE_ELEMENT && !hidden)
			hidden =
			    pol_style_hides(pol_attr(&c->v.element, "style")) ||
			    pol_attr(&c->v.element, "hidden") != NULL;
		if (!pol_walk_open(w, c, hidden))
			break;
		if (c->v.element.children.length > 0) {
			if (pol_walk_push(w, c, hidden) != POL_OK)
				w->status = POL_ERR_NOMEM;
		} else {
			struct pol_frame f = {c, 0, w->text.len, hidden};

			pol_walk_close(w, &f);
		}
		break;
	default:
		break;
	}
}

/* Walk the tree iteratively: text, links, images, MSO comments. */
static void
pol_walk_tree(struct pol_walk *w, GumboNode *root)
{
	if (pol_walk_push(w, root, 0) != POL_OK) {
		w->status = POL_ERR_NOMEM;
		return;
	}
	while (w->depth > 0 && w->status == POL_OK) {
		struct pol_frame *f = &w->stack[w->depth - 1];
		const GumboVector *kids = f->node->type == GUMBO_NODE_DOCUMENT
					      ? &f->node->v.document.children
					      : &f->node->v.element.children;

		if (f->next < kids->length) {
			GumboNode *c = kids->data[f->next++];

			pol_walk_child(w, c, f->hidden);
		} else {
			struct pol_frame done = *f;

			w->depth--;
			pol_walk_close(w, &done);
		}
	}
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
	if ((out = pol_html_gumbo(&arena, html, len)) == NULL) {
		*refused = 1;
		return POL_OK;
	}
	pol_walk_tree(w, out->document);
	gumbo_destroy_output(&arena.opts, out);
	pol_arena_release(&arena);
	return w->status;
}

static void
pol_walk_free(struct pol_walk *w)
{
	buf_free(&w->text);
	buf_free(&w->mso);
	free(w->stack);
}

/* Links and images of the collected MSO comments, in a second parse. */
static int
pol_html_mso(struct pol_message *m, size_t part, const struct buf *mso,
	     const struct pol_limits *lim)
{
	struct pol_walk w;
	int rc, refused;

	memset(&w, 0, sizeof(w));
	w.m = m;
	w.part = part;
	rc = pol_html_run(&w, mso->data, mso->len, lim, &refused);
	if (refused)
		m->flags |= POL_MSG_TRUNCATED | POL_MSG_OVER_HTML;
	pol_walk_free(&w);
	return rc;
}

int
pol_html_scan(struct pol_message *m, size_t part, const char *html, size_t len,
	      const struct pol_limits *lim, char **text, size_t *text_len)
{
	struct pol_walk w;
	int rc, refused;

	*text = NULL;
	*text_len = 0;
	memset(&w, 0, sizeof(w));
	w.m = m;
	w.part = part;
	w.want_mso = 1;
	rc = pol_html_run(&w, html, len, lim, &refused);
	if (rc == POL_OK && refused) {
		m->flags |= POL_MSG_TRUNCATED | POL_MSG_OVER_HTML;
		buf_reset(&w.text);
	}
	if (rc == POL_OK && !refused && w.mso.len > 0)
		rc = pol_html_mso(m, part, &w.mso, lim);
	if (rc == POL_OK) {
		while (w.text.len > 0 &&
		       pol_is_space(w.text.data[w.text.len - 1]))
			w.text.len--;
		if (w.text.data)
			w.text.data[w.text.len] = '\0';
		*text_len = w.text.len;
		if ((*text = buf_steal(&w.text)) == NULL)
			rc = POL_ERR_NOMEM;
	}
	pol_walk_free(&w);
	return rc;
}
