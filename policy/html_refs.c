/*
 * html_refs.c - every URL an HTML part makes a mail client follow or load,
 * appended to the message as links (followed: area, form action and the
 * URL a GET form builds from its fields, a link's ping URLs, meta
 * refresh; <a> is added by html.c with its text) or images (loaded: img
 * src and srcset, background attributes, CSS url(), <link> stylesheets
 * and icons, input type=image, SVG <image>, VML, video poster, iframe,
 * embed, object, media sources, amp-img).  Relative URLs are resolved
 * against the document's <base href>.
 *
 * srcset and url() are read by single forward scans; each reference
 * costs time linear in its length.  Owns nothing beyond one call:
 * resolved URLs are handed to the message, which owns them.  Failure: out
 * of memory sets w->status to POL_ERR_NOMEM.  Never logs, no I/O.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../common/buf.h"
#include "../common/textnorm.h"
#include "html_walk.h"
#include "links.h"

static int
pol_refs_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

void
pol_refs_link(struct pol_walk *w, const char *url, const char *text,
	      int hidden)
{
	struct pol_message *m = w->m;
	size_t before = m->nlinks;
	char *abs;

	if (url == NULL || w->status != POL_OK)
		return;
	if ((abs = pol_url_resolve(w->base, url, strlen(url))) == NULL) {
		w->status = POL_ERR_NOMEM;
		return;
	}
	w->status = pol_link_add(m, abs, strlen(abs), text ? text : "",
				 w->part, 0);
	if (m->nlinks > before)
		m->links[before].hidden = hidden;
	free(abs);
}

void
pol_refs_image(struct pol_walk *w, const char *src, size_t n,
	       const char *alt, int width, int height, int hidden)
{
	struct pol_message *m = w->m;
	struct pol_image *imgs, *im;

	if (w->status != POL_OK)
		return;
	imgs = pol_array_grow(m->images, m->nimages, sizeof(*m->images));
	if (imgs == NULL) {
		w->status = POL_ERR_NOMEM;
		return;
	}
	m->images = imgs;
	im = &imgs[m->nimages];
	memset(im, 0, sizeof(*im));
	im->width = width;
	im->height = height;
	im->hidden = hidden || width == 0 || height == 0;
	im->part = w->part;
	im->src = pol_url_resolve(w->base, src, n);
	im->alt = strdup(alt ? alt : "");
	if (im->src == NULL || im->alt == NULL) {
		free(im->src);
		free(im->alt);
		w->status = POL_ERR_NOMEM;
		return;
	}
	m->nimages++;
	/* An image shows a link only with an alt text: many clients block
	 * images, and a reader then sees nothing to click. */
	if (!im->hidden && !textnorm_blank(im->alt))
		w->visible_images++;
}

/* A size from the computed style (prop, when c is not NULL), else the
 * inline style, else the attribute: pixels, 0, or -1. */
static int
pol_refs_dim(const GumboElement *el, const char *style,
	     const struct pol_css_computed *c, int prop, const char *name)
{
	char v[64];
	const char *a;

	if (c != NULL && c->rank[prop] != 0 &&
	    pol_css_length(c->value[prop]) >= 0)
		return pol_css_length(c->value[prop]);
	if (style != NULL && pol_css_get(style, name, v, sizeof(v)) &&
	    pol_css_length(v) >= 0)
		return pol_css_length(v);
	a = pol_attr(el, name);
	return a ? pol_css_length(a) : -1;
}

/* An image of an element's attribute, when present and not empty. */
static void
pol_refs_attr_image(struct pol_walk *w, const GumboElement *el,
		    const char *name, int width, int height, int hidden)
{
	const char *v = pol_attr(el, name);

	if (v != NULL && v[strspn(v, " \t\r\n\f")] != '\0')
		pol_refs_image(w, v, strlen(v), "", width, height, hidden);
}

/* Each candidate URL of a srcset: "a.png 1x, b.png 2x", "c.png". */
static void
pol_refs_srcset(struct pol_walk *w, const char *s, int width, int height,
		int hidden)
{
	while (s != NULL && *s && w->status == POL_OK) {
		size_t n = 0;
		int comma = 0;

		while (pol_refs_space(*s) || *s == ',')
			s++;
		while (s[n] && !pol_refs_space(s[n]))
			n++;
		if (n == 0)
			break;
		while (n > 0 && s[n - 1] == ',') {
			n--;
			comma = 1;
		}
		if (n > 0)
			pol_refs_image(w, s, n, "", width, height, hidden);
		s += n;
		if (comma) /* no descriptors: the comma ended it */
			continue;
		while (*s && *s != ',')
			s++;
	}
}

struct pol_refs_css {
	struct pol_walk *w;
	int width, height, hidden;
};

static int
pol_refs_inline_url(void *ud, const char *url, size_t n)
{
	struct pol_refs_css *c = ud;

	pol_refs_image(c->w, url, n, "", c->width, c->height, c->hidden);
	return c->w->status == POL_OK ? 0 : -1;
}

int
pol_refs_css_url(void *ud, const char *url, size_t n)
{
	struct pol_walk *w = ud;

	pol_refs_image(w, url, n, "", -1, -1, 0);
	return w->status == POL_OK ? 0 : -1;
}

/* <meta http-equiv=refresh content="5; url=https://..."> */
static void
pol_refs_refresh(struct pol_walk *w, const GumboElement *el, int hidden)
{
	const char *he = pol_attr(el, "http-equiv");
	const char *c = pol_attr(el, "content"), *e;
	char *url;

	if (he == NULL || strcasecmp(he, "refresh") != 0 || c == NULL)
		return;
	c += strspn(c, " \t\r\n\f0123456789.");
	c += strspn(c, ";, \t\r\n\f");
	if (strncasecmp(c, "url", 3) == 0 &&
	    c[3 + strspn(c + 3, " \t\r\n\f")] == '=') {
		c += 3 + strspn(c + 3, " \t\r\n\f") + 1;
		c += strspn(c, " \t\r\n\f");
	}
	e = c + strlen(c);
	if (*c == '"' || *c == '\'') {
		const char *q = strchr(c + 1, *c);

		e = q ? q : e;
		c++;
	}
	if (e == c)
		return;
	if ((url = strndup(c, (size_t)(e - c))) == NULL) {
		w->status = POL_ERR_NOMEM;
		return;
	}
	pol_refs_link(w, url, "", hidden);
	free(url);
}

/* The lower-case original tag name of an unknown element, "" if none. */
static void
pol_refs_tag_name(const GumboElement *el, char *tag, size_t tagsz)
{
	GumboStringPiece name = el->original_tag;
	size_t n, i;

	tag[0] = '\0';
	if (name.data == NULL || name.length < 3)
		return;
	gumbo_tag_from_original_text(&name);
	n = name.length < tagsz - 1 ? name.length : tagsz - 1;
	for (i = 0; i < n; i++)
		tag[i] = (name.data[i] >= 'A' && name.data[i] <= 'Z')
			     ? (char)(name.data[i] + 32)
			     : name.data[i];
	tag[n] = '\0';
}

/* Outlook's VML: <v:roundrect href=...> buttons and <v:fill src=...>,
 * <v:image src=...>, <v:imagedata src=...> backgrounds, which Outlook
 * users click and load; AMP's amp-img and amp-anim. */
static void
pol_refs_unknown(struct pol_walk *w, const GumboElement *el, int hidden)
{
	char tag[32];

	pol_refs_tag_name(el, tag, sizeof(tag));
	if (strncmp(tag, "v:", 2) == 0) {
		if (pol_attr(el, "href") != NULL)
			pol_refs_link(w, pol_attr(el, "href"), "", hidden);
		if (strcmp(tag, "v:fill") == 0 || strcmp(tag, "v:image") == 0 ||
		    strcmp(tag, "v:imagedata") == 0)
			pol_refs_attr_image(w, el, "src", -1, -1, hidden);
	} else if (strcmp(tag, "use") == 0 || strcmp(tag, "feimage") == 0) {
		/* SVG: an external sprite or filter image is loaded; a local
		 * "#id" is not. */
		const char *h = pol_attr(el, "href");

		if (h != NULL && h[strspn(h, " \t\r\n\f")] != '#')
			pol_refs_attr_image(w, el, "href", -1, -1, hidden);
	} else if (strcmp(tag, "amp-img") == 0 || strcmp(tag, "amp-anim") == 0) {
		int wd = pol_refs_dim(el, NULL, NULL, POL_CSS_WIDTH, "width");
		int ht = pol_refs_dim(el, NULL, NULL, POL_CSS_HEIGHT, "height");

		pol_refs_attr_image(w, el, "src", wd, ht, hidden);
		pol_refs_srcset(w, pol_attr(el, "srcset"), wd, ht, hidden);
	}
}

/* <img>: src (kept even when empty, as always), then srcset. */
static void
pol_refs_img(struct pol_walk *w, const GumboElement *el, const char *style,
	     const struct pol_css_computed *cs, int hidden)
{
	const char *src = pol_attr(el, "src"), *alt = pol_attr(el, "alt");
	int wd = pol_refs_dim(el, style, cs, POL_CSS_WIDTH, "width");
	int ht = pol_refs_dim(el, style, cs, POL_CSS_HEIGHT, "height");

	pol_refs_image(w, src ? src : "", src ? strlen(src) : 0, alt, wd, ht,
		       hidden);
	pol_refs_srcset(w, pol_attr(el, "srcset"), wd, ht, hidden);
}

/* <link rel=stylesheet|icon|preload|prefetch href=...>: loaded. */
static void
pol_refs_link_element(struct pol_walk *w, const GumboElement *el,
		      int hidden)
{
	const char *rel = pol_attr(el, "rel");

	if (rel != NULL &&
	    (strcasestr(rel, "stylesheet") || strcasestr(rel, "icon") ||
	     strcasestr(rel, "preload") || strcasestr(rel, "prefetch")))
		pol_refs_attr_image(w, el, "href", -1, -1, hidden);
}

/* <a ping="URL URL">: each URL is requested when the link is clicked;
 * the reader never sees it (a hidden link). */
static void
pol_refs_ping(struct pol_walk *w, const GumboElement *el)
{
	const char *s = pol_attr(el, "ping");
	char *u;

	while (s != NULL && *s && w->status == POL_OK) {
		size_t n;

		s += strspn(s, " \t\r\n\f");
		if ((n = strcspn(s, " \t\r\n\f")) == 0)
			break;
		if ((u = strndup(s, n)) == NULL) {
			w->status = POL_ERR_NOMEM;
			return;
		}
		pol_refs_link(w, u, "", 1);
		free(u);
		s += n;
	}
}

/* The named fields of a form with their values, "n=v&..." into q
 * (percent-encoding left out: the scan reads them either way).  The
 * descendants are visited depth-first, at most POL_FORM_NODES of them. */
#define POL_FORM_NODES 512
#define POL_FORM_DEPTH 16
static int
pol_refs_form_fields(const GumboElement *form, struct buf *q)
{
	const GumboVector *stack[POL_FORM_DEPTH];
	unsigned next[POL_FORM_DEPTH], seen = 0;
	int d = 0;

	stack[0] = &form->children;
	next[0] = 0;
	while (d >= 0 && seen++ < POL_FORM_NODES) {
		const GumboNode *n;
		const char *name, *val;

		if (next[d] >= stack[d]->length) {
			d--;
			continue;
		}
		n = stack[d]->data[next[d]++];
		if (n->type != GUMBO_NODE_ELEMENT)
			continue;
		if (n->v.element.tag == GUMBO_TAG_INPUT &&
		    (name = pol_attr(&n->v.element, "name")) != NULL &&
		    (val = pol_attr(&n->v.element, "value")) != NULL &&
		    (buf_puts(q, q->len ? "&" : "") < 0 ||
		     buf_puts(q, name) < 0 || buf_putc(q, '=') < 0 ||
		     buf_puts(q, val) < 0))
			return -1;
		if (d + 1 < POL_FORM_DEPTH && n->v.element.children.length) {
			stack[++d] = &n->v.element.children;
			next[d] = 0;
		}
	}
	return 0;
}

/* <form action=...>: followed when sent.  A GET form (the default) sends
 * its fields in the URL's query: that URL is a link too. */
static void
pol_refs_form(struct pol_walk *w, const GumboElement *el, int hidden)
{
	const char *action = pol_attr(el, "action"), *method;
	struct buf u = BUF_INIT, q = BUF_INIT;

	if (action == NULL)
		return;
	pol_refs_link(w, action, "", hidden);
	method = pol_attr(el, "method");
	if (w->status != POL_OK ||
	    (method != NULL && strcasecmp(method, "get") != 0))
		return;
	if (pol_refs_form_fields(el, &q) < 0 ||
	    (q.len > 0 &&
	     (buf_append(&u, action, strcspn(action, "?#")) < 0 ||
	      buf_putc(&u, '?') < 0 || buf_puts(&u, q.data) < 0)))
		w->status = POL_ERR_NOMEM;
	else if (q.len > 0)
		pol_refs_link(w, u.data, "", 1);
	buf_free(&u);
	buf_free(&q);
}

static void
pol_refs_tag(struct pol_walk *w, const GumboElement *el, const char *style,
	     const struct pol_css_computed *cs, int hidden)
{
	const char *v;

	switch (el->tag) {
	case GUMBO_TAG_IMG:
		pol_refs_img(w, el, style, cs, hidden);
		break;
	case GUMBO_TAG_IMAGE: /* SVG: href or xlink:href */
		pol_refs_attr_image(
		    w, el, "href",
		    pol_refs_dim(el, style, cs, POL_CSS_WIDTH, "width"),
		    pol_refs_dim(el, style, cs, POL_CSS_HEIGHT, "height"),
		    hidden);
		break;
	case GUMBO_TAG_INPUT:
		if ((v = pol_attr(el, "type")) && strcasecmp(v, "image") == 0)
			pol_refs_img(w, el, style, cs, hidden);
		/* FALLTHROUGH */
	case GUMBO_TAG_BUTTON: /* formaction: where the click sends the form */
		if ((v = pol_attr(el, "formaction")) != NULL)
			pol_refs_link(w, v, "", hidden);
		break;
	case GUMBO_TAG_LINK:
		pol_refs_link_element(w, el, hidden);
		break;
	case GUMBO_TAG_VIDEO:
		pol_refs_attr_image(w, el, "poster", -1, -1, hidden);
		/* FALLTHROUGH */
	case GUMBO_TAG_AUDIO:
	case GUMBO_TAG_IFRAME:
		/* srcdoc: a document of its own, parsed with the MSO comments
		 * for its links and images (html.c). */
		if ((v = pol_attr(el, "srcdoc")) != NULL && w->want_mso &&
		    (buf_puts(&w->mso, v) < 0 || buf_putc(&w->mso, '\n') < 0))
			w->status = POL_ERR_NOMEM;
		/* FALLTHROUGH */
	case GUMBO_TAG_EMBED:
		pol_refs_attr_image(w, el, "src", -1, -1, hidden);
		break;
	case GUMBO_TAG_TRACK: /* captions, loaded with the video */
		pol_refs_attr_image(w, el, "src", -1, -1, hidden);
		break;
	case GUMBO_TAG_SOURCE:
		pol_refs_attr_image(w, el, "src", -1, -1, hidden);
		pol_refs_srcset(w, pol_attr(el, "srcset"), -1, -1, hidden);
		break;
	case GUMBO_TAG_OBJECT:
		pol_refs_attr_image(w, el, "data", -1, -1, hidden);
		break;
	case GUMBO_TAG_AREA:
		v = pol_attr(el, "alt");
		if (pol_attr(el, "href") != NULL)
			pol_refs_link(w, pol_attr(el, "href"), v ? v : "",
				      hidden);
		break;
	case GUMBO_TAG_FORM:
		pol_refs_form(w, el, hidden);
		break;
	case GUMBO_TAG_A: /* the <a> itself comes from html.c, with text */
		pol_refs_ping(w, el);
		break;
	case GUMBO_TAG_META:
		pol_refs_refresh(w, el, hidden);
		break;
	case GUMBO_TAG_UNKNOWN:
		pol_refs_unknown(w, el, hidden);
		break;
	default:
		break;
	}
}

void
pol_refs_element(struct pol_walk *w, const GumboElement *el,
		 const char *style, struct pol_vis vis,
		 const struct pol_css_computed *cs)
{
	int hidden = POL_VIS_BOX_HIDDEN(vis);
	struct pol_refs_css c;

	pol_refs_tag(w, el, style, cs, hidden);
	if (w->status != POL_OK)
		return;
	c.w = w;
	c.width = pol_refs_dim(el, style, cs, POL_CSS_WIDTH, "width");
	c.height = pol_refs_dim(el, style, cs, POL_CSS_HEIGHT, "height");
	c.hidden = hidden;
	pol_refs_attr_image(w, el, "background", c.width, c.height, hidden);
	if (style != NULL && w->status == POL_OK)
		(void)pol_css_urls(style, strlen(style), pol_refs_inline_url,
				   &c);
}
