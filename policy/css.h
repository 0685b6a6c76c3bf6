/*
 * css.h - the little CSS a mail reader's view needs (css.c): the
 * declarations that hide content or generate it, url() references, and
 * <style> sheets with simple selectors.  Internal to policy/.
 */
#ifndef CG_POL_CSS_H
#define CG_POL_CSS_H

#include <stddef.h>

/* The properties the view cares about. */
enum pol_css_prop {
	POL_CSS_DISPLAY,
	POL_CSS_VISIBILITY,
	POL_CSS_OPACITY,
	POL_CSS_FONT_SIZE,
	POL_CSS_MAX_HEIGHT,
	POL_CSS_HEIGHT,
	POL_CSS_OVERFLOW,
	POL_CSS_MSO_HIDE,
	POL_CSS_DIRECTION,
	POL_CSS_UNICODE_BIDI,
	POL_CSS_COLOR,
	POL_CSS_BACKGROUND_COLOR,
	POL_CSS_BACKGROUND,
	POL_CSS_POSITION,
	POL_CSS_LEFT,
	POL_CSS_TOP,
	POL_CSS_TEXT_INDENT,
	POL_CSS_WIDTH,
	POL_CSS_MAX_WIDTH,
	POL_CSS_TRANSFORM,
	POL_CSS_NPROPS
};

#define POL_CSS_VALUE_MAX 32

/* A declaration's rank in the cascade: !important, then inline, then
 * selector specificity, then order in the sheet.  0 means "not set". */
#define POL_CSS_RANK_IMPORTANT (1ul << 40)
#define POL_CSS_RANK_INLINE (1ul << 39)

/* The winning value (lower-cased, trimmed, without !important) of each
 * property for one element, and the raw content of its ::before and
 * ::after rules (borrowed from the sheet, NULL when none). */
struct pol_css_computed {
	char value[POL_CSS_NPROPS][POL_CSS_VALUE_MAX];
	unsigned long rank[POL_CSS_NPROPS];
	const char *content[2]; /* 0: ::before, 1: ::after */
	size_t content_len[2];
	unsigned long content_rank[2];
};

/* Called for each url() (and @import "...") found: url is the raw
 * reference, n bytes, not NUL-terminated.  Returns 0, or <0 to stop. */
typedef int (*pol_css_url_fn)(void *ud, const char *url, size_t n);

/*
 * Fold the relevant declarations of an inline style or rule block (len
 * bytes at s) into c with rank (POL_CSS_RANK_IMPORTANT is added for
 * "!important" ones).  A higher rank replaces a lower one.  Linear.
 */
void pol_css_apply_decls(const char *s, size_t len, unsigned long rank,
			 struct pol_css_computed *c);

/* The longest url() reference read. */
#define POL_CSS_URL_MAX 8192

/* End of the comment or string starting at s[i] (one past it), or i when
 * there is none there.  Unterminated: len.  (css.c, css_urls.c) */
size_t pol_css_skip(const char *s, size_t len, size_t i);

/* Every url() in len bytes at s, to fn.  Returns 0 or what fn returned
 * when it stopped the scan.  Linear. */
int pol_css_urls(const char *s, size_t len, pol_css_url_fn fn, void *ud);

struct pol_css_sheet;

/* The value of attribute name (NUL-terminated) of element el, or NULL:
 * how css.c reads an element's attributes for [attr] selectors and
 * attr() in content. */
typedef const char *(*pol_css_attr_fn)(const void *el, const char *name);

/*
 * Parse the text of all <style> elements of a document (len bytes at css,
 * copied) into *out (free with pol_css_sheet_free), giving every url() and
 * @import reference to fn.  Only rules whose selector is a list of simple
 * selectors (tag, .class, #id, up to two [attr], [attr=v], [attr~=v],
 * [attr^=v], [attr$=v], [attr*=v], [attr|=v], combinations without
 * spaces, optional ::before/::after) and whose block sets one of the properties above or
 * content are kept; rules inside @media and other at-rules are not (what
 * they apply to depends on the client).  Linear in len; at most
 * POL_CSS_MAX_RULES rules are kept.  Returns 0, -1 when out of memory, or
 * what fn returned when it stopped.
 */
#define POL_CSS_MAX_RULES 2048
int pol_css_sheet_parse(const char *css, size_t len, pol_css_url_fn fn,
			void *ud, struct pol_css_sheet **out);
void pol_css_sheet_free(struct pol_css_sheet *sheet);
/* 1 when the sheet had more rules than it keeps. */
int pol_css_sheet_overflow(const struct pol_css_sheet *sheet);

/*
 * Fold the rules of sheet that match an element (tag: lower-case tag
 * name; id and class: its attributes or NULL; attr and el: how to read
 * its other attributes, attr may be NULL) into c.  At most 32 class
 * names are looked at.  *budget is decremented per rule looked at; when
 * it reaches 0 nothing more matches (hostile sheets).
 */
void pol_css_sheet_match(const struct pol_css_sheet *sheet, const char *tag,
			 const char *id, const char *cls, pol_css_attr_fn attr,
			 const void *el, struct pol_css_computed *c,
			 long *budget);

/* The text of a content value ("a" "b" attr(x) -> "ab" and x's value of
 * element el, read through attr; NULL attr reads none), CSS escapes
 * decoded, into out (outsz bytes, NUL-terminated, cut at a character
 * boundary).  Returns the length. */
size_t pol_css_content_text(const char *v, size_t len, char *out,
			    size_t outsz, pol_css_attr_fn attr,
			    const void *el);

/* "0", "0px", "0.0em", "0%": a zero length in any unit. */
int pol_css_is_zero(const char *v);

/* A pixel length: "1", "1px", "1.5px" give 1; zero in any unit gives 0;
 * other units, percentages and keywords give -1. */
int pol_css_length(const char *v);

/* The value of the last declaration of prop in an inline style, into val
 * (lower-cased, trimmed, without !important).  Returns 1 when found. */
int pol_css_get(const char *style, const char *prop, char *val, size_t valsz);

/* Colours (css_color.c): 0xRRGGBB, or one of these. */
#define POL_COLOR_NONE (-1L)  /* not set, or not a colour we know */
#define POL_COLOR_IMAGE (-2L) /* a background image: colour unknown */
#define POL_COLOR_CLEAR (-3L) /* transparent (alpha 0) */

/* A colour value (CSS or HTML attribute) to 0xRRGGBB or POL_COLOR_*. */
long pol_css_color(const char *v);

/* The colour a background (or background-color) value paints, or
 * POL_COLOR_IMAGE when it holds an image or gradient (or, with cut, was
 * cut short and might have), POL_COLOR_NONE when it sets no colour. */
long pol_css_background(const char *v, int cut);

/* 1 when text of colour fg cannot be told from background bg (each
 * channel within 16 of the other); 0 when either is not a colour. */
int pol_css_color_close(long fg, long bg);

/* 1 when a value leaves nothing to read: a font-size under 3px (2.25pt,
 * 0.2em); an opacity under 0.1; a transform scaling to (almost) zero; an
 * offset of -500px (-30em, -100%) or further. */
int pol_css_font_tiny(const char *v);
int pol_css_faint(const char *v);
int pol_css_scaled_away(const char *v);
int pol_css_offscreen(const char *v);

/* A byte of a CSS identifier (letters, digits, -, _, non-ASCII). */
int pol_css_ident_char(char c);

#endif
