/*
 * html_walk.h - the state of one walk over a gumbo tree, shared by the
 * walk itself (html.c) and the collection of references it meets
 * (html_refs.c).  Internal to policy/.
 */
#ifndef CG_POL_HTML_WALK_H
#define CG_POL_HTML_WALK_H

#include <gumbo.h>
#include <stddef.h>

#include "../common/buf.h"
#include "css.h"
#include "message.h"

/* Whether a reader sees an element.  hard: display:none, opacity under
 * 0.1, clipped by overflow:hidden to a box of at most 1px, scaled to
 * nothing, mso-hide:all, positioned or indented far off the screen, the hidden attribute, <template> (no descendant comes
 * back); vis: visibility:hidden (a descendant may say visible); fsz:
 * font-size zero or too small to read (under 3px; text only; a
 * descendant with a readable absolute size comes back; images stay
 * visible); lowc: the text's colour is transparent or cannot be told
 * from the background painted behind it (text only; fg and bg, the
 * inherited text and background colours as css.h's POL_COLOR_*, say
 * which); notext: inside <head>, where text is neither shown nor hidden
 * content. */
struct pol_vis {
	unsigned char hard, vis, fsz, notext, lowc;
	long fg, bg;
};

/* The state of the document's root: nothing hidden, no colour known. */
#define POL_VIS_ROOT {0, 0, 0, 0, 0, POL_COLOR_NONE, POL_COLOR_NONE}

/* Text of an element is hidden; the element's box (images, links) is. */
#define POL_VIS_TEXT_HIDDEN(v) ((v).hard || (v).vis || (v).fsz || (v).lowc)
#define POL_VIS_BOX_HIDDEN(v) ((v).hard || (v).vis)

struct pol_frame {
	GumboNode *node;
	unsigned next;	     /* next child to visit */
	size_t text_start;   /* w->text.len when the element opened */
	size_t hidden_start; /* w->hidden.len when the element opened */
	size_t images_start; /* visible images when the element opened */
	struct pol_vis vis;
	int rtl_override; /* <bdo dir=rtl> or bidi-override rtl */
	const char *after; /* ::after content (borrowed from the sheet) */
	size_t after_len;
};

struct pol_walk {
	struct pol_message *m;
	size_t part;
	struct buf text;   /* visible text */
	struct buf hidden; /* text in the DOM a reader does not see */
	struct buf extra;  /* titles, alt texts, generated content */
	struct buf mso;	   /* contents of MSO conditional comments */
	int want_mso;	   /* collect MSO comments (not in a re-parse) */
	int pre;	   /* inside <pre> */
	struct pol_frame *stack;
	size_t depth, cap;
	char *base;			/* <base href>, or NULL */
	struct pol_css_sheet *sheet;	/* the <style> rules, or NULL */
	long css_budget;		/* rule look-ups left */
	size_t generated;		/* bytes of ::before/::after so far */
	size_t visible_images;		/* images appended not hidden, with alt */
	const struct buf *last_put;	/* the buffer text went to last */
	int status;
};

/* The value of attribute name of el, or NULL. */
const char *pol_attr(const GumboElement *el, const char *name);

/*
 * References of one element a reader's client follows or loads (all but
 * the <a> link, which needs its text): images (src, srcset, background,
 * CSS url() in the style attribute, <link> stylesheets and icons, input
 * type=image, SVG <image>, VML, video poster, iframe/embed/object, media
 * sources) and links (area, form action, meta refresh).  style is the
 * element's style attribute or NULL; vis says whether it is hidden; c is
 * its computed style (<style> rules and inline), which sizes images.  Each
 * relative URL is resolved against w->base.  Sets w->status on failure.
 */
void pol_refs_element(struct pol_walk *w, const GumboElement *el,
		      const char *style, struct pol_vis vis,
		      const struct pol_css_computed *c);

/* Append a link (url resolved against w->base) with text ("" when NULL). */
void pol_refs_link(struct pol_walk *w, const char *url, const char *text,
		   int hidden);

/* Append an image of n bytes at src (resolved against w->base). */
void pol_refs_image(struct pol_walk *w, const char *src, size_t n,
		    const char *alt, int width, int height, int hidden);

/* The url() callback of css.c for <style> references: a visible image of
 * unknown size.  ud is the walk. */
int pol_refs_css_url(void *ud, const char *url, size_t n);

#endif
