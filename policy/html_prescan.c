/*
 * html_prescan.c - will gumbo cope with this HTML?  A linear pre-scan that
 * estimates, from above, how deep and how large the tree gumbo would build
 * is, before gumbo ever sees the input.
 *
 * gumbo 0.10.1 has no limits of its own: deep nesting costs quadratic
 * time, misnested formatting tags (<div><b></div> repeated) make it clone
 * elements without bound (66 KB gave 1.5 million nodes and 580 MB here),
 * and its duplicate-attribute check is quadratic in the attributes of a
 * tag.  The scan plays the parts of the HTML tree builder that decide
 * nesting: the stack of open elements, scope, implied closing (p, li, td,
 * ...), svg/math content, and the list of active formatting elements with
 * its reconstruction and Noah's Ark.  Where it simplifies, it errs towards
 * a deeper or larger estimate, never a smaller one.
 *
 * Owns: two arrays for the duration of one call.  Pure otherwise; no
 * globals but a constant table, so it may run in any thread.  Failure:
 * out of memory returns -1.  Never logs, no I/O.
 */
#include <gumbo.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../common/str.h"
#include "html.h"

/* What a tag means to the HTML tree builder, as far as nesting goes. */
enum {
	H_SPECIAL = 1 << 0,  /* "special" element, stops end-tag searches */
	H_SCOPE = 1 << 1,    /* boundary of "has an element in scope" */
	H_MARKER = 1 << 2,   /* puts a marker in the formatting list */
	H_FORMAT = 1 << 3,   /* formatting element (a, b, font, ...) */
	H_VOID = 1 << 4,     /* never has content */
	H_CLOSE_P = 1 << 5,  /* its start tag closes an open p */
	H_RAW = 1 << 6,	     /* raw text up to its end tag */
	H_RECON = 1 << 7,    /* special, yet reconstructs formatting */
	H_MERGE = 1 << 8,    /* html, head, body never nest */
	H_BREAKOUT = 1 << 9, /* its start tag leaves svg/math content */
	H_TEXTIP = 1 << 10   /* svg/math integration point */
};

#define H_BLK (H_SPECIAL | H_CLOSE_P)
#define H_VD (H_SPECIAL | H_VOID)

static const uint16_t pol_tag_flags[GUMBO_TAG_LAST + 1] = {
    [GUMBO_TAG_HTML] = H_MERGE | H_SPECIAL | H_SCOPE,
    [GUMBO_TAG_HEAD] = H_MERGE | H_SPECIAL | H_BREAKOUT,
    [GUMBO_TAG_BODY] = H_MERGE | H_SPECIAL | H_BREAKOUT,
    [GUMBO_TAG_TITLE] = H_SPECIAL | H_RAW | H_SCOPE | H_TEXTIP,
    [GUMBO_TAG_STYLE] = H_SPECIAL | H_RAW,
    [GUMBO_TAG_SCRIPT] = H_SPECIAL | H_RAW,
    [GUMBO_TAG_NOSCRIPT] = H_SPECIAL,
    [GUMBO_TAG_TEMPLATE] = H_SPECIAL | H_SCOPE | H_MARKER,
    [GUMBO_TAG_IFRAME] = H_SPECIAL | H_RAW,
    [GUMBO_TAG_NOEMBED] = H_SPECIAL | H_RAW,
    [GUMBO_TAG_NOFRAMES] = H_SPECIAL | H_RAW,
    [GUMBO_TAG_TEXTAREA] = H_SPECIAL | H_RAW,
    [GUMBO_TAG_XMP] = H_BLK | H_RAW | H_RECON,
    [GUMBO_TAG_PLAINTEXT] = H_BLK,
    [GUMBO_TAG_ADDRESS] = H_BLK,
    [GUMBO_TAG_ARTICLE] = H_BLK,
    [GUMBO_TAG_ASIDE] = H_BLK,
    [GUMBO_TAG_BLOCKQUOTE] = H_BLK | H_BREAKOUT,
    [GUMBO_TAG_CENTER] = H_BLK | H_BREAKOUT,
    [GUMBO_TAG_DETAILS] = H_BLK,
    [GUMBO_TAG_DIR] = H_BLK,
    [GUMBO_TAG_DIV] = H_BLK | H_BREAKOUT,
    [GUMBO_TAG_DL] = H_BLK | H_BREAKOUT,
    [GUMBO_TAG_FIELDSET] = H_BLK,
    [GUMBO_TAG_FIGCAPTION] = H_BLK,
    [GUMBO_TAG_FIGURE] = H_BLK,
    [GUMBO_TAG_FOOTER] = H_BLK,
    [GUMBO_TAG_HEADER] = H_BLK,
    [GUMBO_TAG_HGROUP] = H_BLK,
    [GUMBO_TAG_MAIN] = H_BLK,
    [GUMBO_TAG_MENU] = H_BLK | H_BREAKOUT,
    [GUMBO_TAG_NAV] = H_BLK,
    [GUMBO_TAG_OL] = H_BLK | H_BREAKOUT,
    [GUMBO_TAG_UL] = H_BLK | H_BREAKOUT,
    [GUMBO_TAG_SECTION] = H_BLK,
    [GUMBO_TAG_SUMMARY] = H_BLK,
    [GUMBO_TAG_P] = H_BLK | H_BREAKOUT,
    [GUMBO_TAG_H1] = H_BLK | H_BREAKOUT,
    [GUMBO_TAG_H2] = H_BLK | H_BREAKOUT,
    [GUMBO_TAG_H3] = H_BLK | H_BREAKOUT,
    [GUMBO_TAG_H4] = H_BLK | H_BREAKOUT,
    [GUMBO_TAG_H5] = H_BLK | H_BREAKOUT,
    [GUMBO_TAG_H6] = H_BLK | H_BREAKOUT,
    [GUMBO_TAG_PRE] = H_BLK | H_BREAKOUT,
    [GUMBO_TAG_LISTING] = H_BLK | H_BREAKOUT,
    [GUMBO_TAG_FORM] = H_BLK,
    [GUMBO_TAG_LI] = H_BLK | H_BREAKOUT,
    [GUMBO_TAG_DD] = H_BLK | H_BREAKOUT,
    [GUMBO_TAG_DT] = H_BLK | H_BREAKOUT,
    /* <table> closes an open p only in no-quirks mode: never assume it. */
    [GUMBO_TAG_TABLE] = H_SPECIAL | H_SCOPE | H_BREAKOUT,
    [GUMBO_TAG_CAPTION] = H_SPECIAL | H_SCOPE | H_MARKER,
    [GUMBO_TAG_COLGROUP] = H_SPECIAL,
    [GUMBO_TAG_TBODY] = H_SPECIAL,
    [GUMBO_TAG_THEAD] = H_SPECIAL,
    [GUMBO_TAG_TFOOT] = H_SPECIAL,
    [GUMBO_TAG_TR] = H_SPECIAL,
    [GUMBO_TAG_TD] = H_SPECIAL | H_SCOPE | H_MARKER,
    [GUMBO_TAG_TH] = H_SPECIAL | H_SCOPE | H_MARKER,
    [GUMBO_TAG_HR] = H_VD | H_CLOSE_P | H_BREAKOUT,
    [GUMBO_TAG_BR] = H_VD | H_RECON | H_BREAKOUT,
    [GUMBO_TAG_IMG] = H_VD | H_RECON | H_BREAKOUT,
    [GUMBO_TAG_IMAGE] = H_VD | H_RECON,
    [GUMBO_TAG_INPUT] = H_VD | H_RECON,
    [GUMBO_TAG_KEYGEN] = H_VD | H_RECON,
    [GUMBO_TAG_WBR] = H_VD | H_RECON,
    [GUMBO_TAG_AREA] = H_VD | H_RECON,
    [GUMBO_TAG_EMBED] = H_VD | H_RECON | H_BREAKOUT,
    [GUMBO_TAG_COL] = H_VD,
    [GUMBO_TAG_BASE] = H_VD,
    [GUMBO_TAG_LINK] = H_VD,
    [GUMBO_TAG_META] = H_VD | H_BREAKOUT,
    [GUMBO_TAG_PARAM] = H_VD,
    [GUMBO_TAG_SOURCE] = H_VD,
    [GUMBO_TAG_TRACK] = H_VD,
    [GUMBO_TAG_BASEFONT] = H_VD,
    [GUMBO_TAG_BGSOUND] = H_VD,
    [GUMBO_TAG_FRAME] = H_VD,
    [GUMBO_TAG_FRAMESET] = H_SPECIAL,
    [GUMBO_TAG_BUTTON] = H_SPECIAL | H_RECON,
    [GUMBO_TAG_SELECT] = H_SPECIAL | H_RECON,
    [GUMBO_TAG_APPLET] = H_SPECIAL | H_SCOPE | H_MARKER | H_RECON,
    [GUMBO_TAG_MARQUEE] = H_SPECIAL | H_SCOPE | H_MARKER | H_RECON,
    [GUMBO_TAG_OBJECT] = H_SPECIAL | H_SCOPE | H_MARKER | H_RECON,
    [GUMBO_TAG_A] = H_FORMAT,
    [GUMBO_TAG_B] = H_FORMAT | H_BREAKOUT,
    [GUMBO_TAG_BIG] = H_FORMAT | H_BREAKOUT,
    [GUMBO_TAG_CODE] = H_FORMAT | H_BREAKOUT,
    [GUMBO_TAG_EM] = H_FORMAT | H_BREAKOUT,
    /* <font> leaves svg only with some attributes: never assume it. */
    [GUMBO_TAG_FONT] = H_FORMAT,
    [GUMBO_TAG_I] = H_FORMAT | H_BREAKOUT,
    [GUMBO_TAG_NOBR] = H_FORMAT | H_BREAKOUT,
    [GUMBO_TAG_S] = H_FORMAT | H_BREAKOUT,
    [GUMBO_TAG_SMALL] = H_FORMAT | H_BREAKOUT,
    [GUMBO_TAG_STRIKE] = H_FORMAT | H_BREAKOUT,
    [GUMBO_TAG_STRONG] = H_FORMAT | H_BREAKOUT,
    [GUMBO_TAG_TT] = H_FORMAT | H_BREAKOUT,
    [GUMBO_TAG_U] = H_FORMAT | H_BREAKOUT,
    [GUMBO_TAG_SPAN] = H_BREAKOUT,
    [GUMBO_TAG_SUB] = H_BREAKOUT,
    [GUMBO_TAG_SUP] = H_BREAKOUT,
    [GUMBO_TAG_VAR] = H_BREAKOUT,
    [GUMBO_TAG_RUBY] = H_BREAKOUT,
    [GUMBO_TAG_MI] = H_SPECIAL | H_SCOPE | H_TEXTIP,
    [GUMBO_TAG_MO] = H_SPECIAL | H_SCOPE | H_TEXTIP,
    [GUMBO_TAG_MN] = H_SPECIAL | H_SCOPE | H_TEXTIP,
    [GUMBO_TAG_MS] = H_SPECIAL | H_SCOPE | H_TEXTIP,
    [GUMBO_TAG_MTEXT] = H_SPECIAL | H_SCOPE | H_TEXTIP,
    [GUMBO_TAG_ANNOTATION_XML] = H_SPECIAL | H_SCOPE | H_TEXTIP,
    [GUMBO_TAG_FOREIGNOBJECT] = H_SPECIAL | H_SCOPE | H_TEXTIP,
    [GUMBO_TAG_DESC] = H_SPECIAL | H_SCOPE | H_TEXTIP,
};

/* ------------------------------------------------------------------ */
/* Pre-scan: an estimate from above of what gumbo would build.         */
/* ------------------------------------------------------------------ */

#define PS_UNKNOWN 0x80000000u /* key bit: a tag gumbo does not know */
#define PS_MARKER (-2)	       /* formatting list: a scope marker */
#define PS_DETACHED (-1)       /* formatting list: not on the stack */
#define POL_PS_MAX_ATTRS 256   /* per tag, and for <html>/<body> together */

struct pol_ps_entry {
	uint32_t key;	 /* GumboTag, or PS_UNKNOWN | hash of the name */
	uint16_t flags;	 /* pol_tag_flags of the tag */
	uint8_t foreign; /* element of svg or math content */
};

struct pol_ps_fmt {
	uint32_t key;
	uint32_t attrs; /* hash of the raw attribute text (Noah's Ark) */
	int pos;	/* stack index, PS_DETACHED or PS_MARKER */
};

struct pol_prescan {
	struct pol_ps_entry *stack;
	unsigned depth, cap;
	struct pol_ps_fmt *fmt;
	unsigned nfmt, fmtcap, detached;
	unsigned np;	     /* p elements on the stack */
	size_t merged_attrs; /* attributes of all <html> and <body> tags */
	size_t elements, budget;
	int over;
};

static uint16_t
pol_ps_flags(uint32_t key)
{
	return (key & PS_UNKNOWN) || key > GUMBO_TAG_LAST ? 0
							  : pol_tag_flags[key];
}

static void
pol_ps_push(struct pol_prescan *ps, uint32_t key, uint16_t flags, int foreign)
{
	if (ps->depth > ps->cap || ++ps->elements > ps->budget) {
		ps->over = 1;
		return;
	}
	ps->stack[ps->depth].key = key;
	ps->stack[ps->depth].flags = flags;
	ps->stack[ps->depth].foreign = (uint8_t)foreign;
	ps->np += key == GUMBO_TAG_P;
	if (++ps->depth > ps->cap)
		ps->over = 1;
}

static void
pol_ps_fmt_remove(struct pol_prescan *ps, unsigned k)
{
	if (ps->fmt[k].pos == PS_DETACHED)
		ps->detached--;
	memmove(&ps->fmt[k], &ps->fmt[k + 1],
		(ps->nfmt - k - 1) * sizeof(*ps->fmt));
	ps->nfmt--;
}

/* Pop stack entries down to (and including) index i. */
static void
pol_ps_pop_to(struct pol_prescan *ps, unsigned i)
{
	unsigned k;

	while (ps->depth > i) {
		ps->depth--;
		ps->np -= ps->stack[ps->depth].key == GUMBO_TAG_P;
		if (ps->stack[ps->depth].flags & H_MARKER) {
			/* Closing a cell clears the list back to its marker. */
			while (ps->nfmt > 0) {
				k = ps->nfmt - 1;
				if (ps->fmt[k].pos == PS_MARKER) {
					ps->nfmt--;
					break;
				}
				pol_ps_fmt_remove(ps, k);
			}
		}
	}
	/* Formatting elements popped this way stay in the list, detached,
	 * and come back at the next reconstruction. */
	for (k = ps->nfmt; k-- > 0;) {
		int pos = ps->fmt[k].pos;

		if (pos == PS_MARKER || (pos >= 0 && (unsigned)pos < i))
			break;
		if (pos >= 0) {
			ps->fmt[k].pos = PS_DETACHED;
			ps->detached++;
		}
	}
}

/* First list index after the last marker. */
static unsigned
pol_ps_fmt_start(const struct pol_prescan *ps)
{
	unsigned k = ps->nfmt;

	while (k > 0 && ps->fmt[k - 1].pos != PS_MARKER)
		k--;
	return k;
}

/* Reconstruct the active formatting elements: every detached entry after
 * the last marker goes back on the stack (gumbo only reopens the trailing
 * run, so this is an upper bound). */
static void
pol_ps_reconstruct(struct pol_prescan *ps)
{
	unsigned k;

	if (ps->detached == 0)
		return;
	for (k = pol_ps_fmt_start(ps); k < ps->nfmt && !ps->over; k++) {
		if (ps->fmt[k].pos != PS_DETACHED)
			continue;
		pol_ps_push(ps, ps->fmt[k].key, H_FORMAT, 0);
		ps->fmt[k].pos = (int)ps->depth - 1;
		ps->detached--;
	}
}

static void
pol_ps_fmt_append(struct pol_prescan *ps, uint32_t key, uint32_t attrs, int pos)
{
	if (ps->nfmt >= ps->fmtcap) {
		ps->over = 1;
		return;
	}
	ps->fmt[ps->nfmt].key = key;
	ps->fmt[ps->nfmt].attrs = attrs;
	ps->fmt[ps->nfmt].pos = pos;
	ps->nfmt++;
}

/* Add a formatting element just pushed; Noah's Ark keeps three alike. */
static void
pol_ps_fmt_add(struct pol_prescan *ps, uint32_t key, uint32_t attrs)
{
	unsigned k, first = 0, same = 0;

	for (k = pol_ps_fmt_start(ps); k < ps->nfmt; k++) {
		if (ps->fmt[k].key == key && ps->fmt[k].attrs == attrs) {
			if (same++ == 0)
				first = k;
		}
	}
	if (same >= 3)
		pol_ps_fmt_remove(ps, first);
	pol_ps_fmt_append(ps, key, attrs, (int)ps->depth - 1);
}

/* Does any stack entry above index pos carry one of flags? */
static int
pol_ps_above(const struct pol_prescan *ps, unsigned pos, uint16_t flags)
{
	unsigned i;

	for (i = pos + 1; i < ps->depth; i++)
		if (ps->stack[i].flags & flags)
			return 1;
	return 0;
}

/*
 * The adoption agency, simplified: a formatting end tag (or a new <a>
 * while one is open) removes the element from the list and, when nothing
 * special sits above it, pops it.  With a block above, gumbo moves and
 * clones nodes; the stack is then left as it is (an overestimate) and the
 * clones are counted.  Returns 0 when the list had no such element.
 */
static int
pol_ps_adopt(struct pol_prescan *ps, uint32_t key)
{
	unsigned k;
	int pos;

	for (k = ps->nfmt; k-- > 0;) {
		if (ps->fmt[k].pos == PS_MARKER)
			return 0;
		if (ps->fmt[k].key == key)
			break;
	}
	if (k == (unsigned)-1)
		return 0;
	pos = ps->fmt[k].pos;
	if (pos >= 0 && pol_ps_above(ps, (unsigned)pos, H_SCOPE))
		return 1; /* not in scope: gumbo ignores the tag */
	pol_ps_fmt_remove(ps, k);
	if (pos < 0)
		return 1;
	if (!pol_ps_above(ps, (unsigned)pos, H_SPECIAL))
		pol_ps_pop_to(ps, (unsigned)pos);
	else
		ps->elements += 3;
	return 1;
}

/* Rank of table-structure elements: a new one closes open ones of the
 * same or a higher rank in the same table. */
static int
pol_ps_table_rank(uint32_t key)
{
	switch (key) {
	case GUMBO_TAG_TBODY:
	case GUMBO_TAG_THEAD:
	case GUMBO_TAG_TFOOT:
	case GUMBO_TAG_CAPTION:
	case GUMBO_TAG_COLGROUP:
		return 1;
	case GUMBO_TAG_TR:
		return 2;
	case GUMBO_TAG_TD:
	case GUMBO_TAG_TH:
		return 3;
	default:
		return 0;
	}
}

/*
 * A table part starts: open parts of the same or a higher rank in the
 * current table close, and the tbody and tr gumbo implies are counted.
 * Outside a table gumbo ignores the tag; nothing closes then.
 */
static void
pol_ps_table_part(struct pol_prescan *ps, int rank)
{
	unsigned i, low = ps->depth;
	uint32_t top;

	for (i = ps->depth; i-- > 0;) {
		uint32_t k = ps->stack[i].key;

		if (k == GUMBO_TAG_TABLE)
			break;
		if (k == GUMBO_TAG_TEMPLATE)
			return;
		if (pol_ps_table_rank(k) >= rank ||
		    (rank > 1 &&
		     (k == GUMBO_TAG_CAPTION || k == GUMBO_TAG_COLGROUP)))
			low = i;
	}
	if (i == (unsigned)-1)
		return;
	if (low < ps->depth)
		pol_ps_pop_to(ps, low);
	top = ps->stack[ps->depth - 1].key;
	if (rank >= 2 && top == GUMBO_TAG_TABLE) {
		pol_ps_push(ps, GUMBO_TAG_TBODY, pol_tag_flags[GUMBO_TAG_TBODY],
			    0);
		top = GUMBO_TAG_TBODY;
	}
	if (rank == 3 && (top == GUMBO_TAG_TBODY || top == GUMBO_TAG_THEAD ||
			  top == GUMBO_TAG_TFOOT))
		pol_ps_push(ps, GUMBO_TAG_TR, pol_tag_flags[GUMBO_TAG_TR], 0);
}

/* li, dd and dt close an open sibling unless a special element (other
 * than address, div, p) is in between. */
static void
pol_ps_close_item(struct pol_prescan *ps, uint32_t a, uint32_t b)
{
	unsigned i;

	for (i = ps->depth; i-- > 0;) {
		const struct pol_ps_entry *e = &ps->stack[i];

		if (e->key == a || e->key == b) {
			pol_ps_pop_to(ps, i);
			return;
		}
		if ((e->flags & H_SPECIAL) && e->key != GUMBO_TAG_ADDRESS &&
		    e->key != GUMBO_TAG_DIV && e->key != GUMBO_TAG_P)
			return;
	}
}

/* Close a p in button scope. */
static void
pol_ps_close_p(struct pol_prescan *ps)
{
	unsigned i;

	if (ps->np == 0)
		return; /* the common case, without a walk down the stack */
	for (i = ps->depth; i-- > 0;) {
		const struct pol_ps_entry *e = &ps->stack[i];

		if (e->key == GUMBO_TAG_P) {
			pol_ps_pop_to(ps, i);
			return;
		}
		if ((e->flags & H_SCOPE) || e->key == GUMBO_TAG_BUTTON)
			return;
	}
}

/* Implied closing done by a start tag, exactly or less than gumbo does. */
static void
pol_ps_close_before(struct pol_prescan *ps, uint32_t key, uint16_t f)
{
	uint32_t top = ps->depth ? ps->stack[ps->depth - 1].key : 0;
	int rank = pol_ps_table_rank(key);

	if (f & H_CLOSE_P)
		pol_ps_close_p(ps);
	if (rank > 0)
		pol_ps_table_part(ps, rank);
	else if (key == GUMBO_TAG_LI)
		pol_ps_close_item(ps, GUMBO_TAG_LI, GUMBO_TAG_LI);
	else if (key == GUMBO_TAG_DD || key == GUMBO_TAG_DT)
		pol_ps_close_item(ps, GUMBO_TAG_DD, GUMBO_TAG_DT);
	else if ((key == GUMBO_TAG_OPTION || key == GUMBO_TAG_OPTGROUP) &&
		 top == GUMBO_TAG_OPTION)
		pol_ps_pop_to(ps, ps->depth - 1);
	else if (key >= GUMBO_TAG_H1 && key <= GUMBO_TAG_H6 &&
		 top >= GUMBO_TAG_H1 && top <= GUMBO_TAG_H6)
		pol_ps_pop_to(ps, ps->depth - 1);
	else if (key == GUMBO_TAG_A || key == GUMBO_TAG_NOBR)
		(void)pol_ps_adopt(ps, key);
}

static int
pol_ps_in_foreign(const struct pol_prescan *ps)
{
	const struct pol_ps_entry *top;

	if (ps->depth == 0)
		return 0;
	top = &ps->stack[ps->depth - 1];
	return top->foreign && !(top->flags & H_TEXTIP);
}

/* A start tag.  Returns 1 when raw text follows, 2 for <plaintext>. */
static int
pol_ps_start(struct pol_prescan *ps, uint32_t key, uint32_t attrs,
	     int selfclosing)
{
	uint16_t f = pol_ps_flags(key);

	if (pol_ps_in_foreign(ps)) {
		if (!(f & H_BREAKOUT)) {
			/* In svg and math "/>" really closes the element. */
			if (!selfclosing)
				pol_ps_push(
				    ps, key,
				    f & (H_SPECIAL | H_SCOPE | H_TEXTIP), 1);
			return 0;
		}
		while (pol_ps_in_foreign(ps))
			pol_ps_pop_to(ps, ps->depth - 1);
	}
	if (f & H_MERGE)
		return 0;
	pol_ps_close_before(ps, key, f);
	if (!(f & H_SPECIAL) || (f & H_RECON))
		pol_ps_reconstruct(ps);
	if (key == GUMBO_TAG_SVG || key == GUMBO_TAG_MATH) {
		if (!selfclosing)
			pol_ps_push(ps, key, f, 1);
		return 0;
	}
	if (key == GUMBO_TAG_PLAINTEXT)
		return 2;
	if (f & (H_VOID | H_RAW)) {
		ps->elements++;
		return (f & H_RAW) ? 1 : 0;
	}
	pol_ps_push(ps, key, f, 0);
	if (ps->over)
		return 0;
	if (f & H_MARKER)
		pol_ps_fmt_append(ps, 0, 0, PS_MARKER);
	if (f & H_FORMAT)
		pol_ps_fmt_add(ps, key, attrs);
	return 0;
}

/* Does stack entry e stop the search for the element an end tag closes? */
static int
pol_ps_end_stops(const struct pol_ps_entry *e, uint32_t key, uint16_t f)
{
	if (pol_ps_table_rank(key) > 0 || key == GUMBO_TAG_TABLE)
		return e->key == GUMBO_TAG_TEMPLATE ||
		       (key != GUMBO_TAG_TABLE && e->key == GUMBO_TAG_TABLE);
	if (key == GUMBO_TAG_LI)
		return (e->flags & H_SCOPE) || e->key == GUMBO_TAG_UL ||
		       e->key == GUMBO_TAG_OL;
	if (key == GUMBO_TAG_P)
		return (e->flags & H_SCOPE) || e->key == GUMBO_TAG_BUTTON;
	if (f & H_SPECIAL)
		return (e->flags & H_SCOPE) != 0;
	return (e->flags & H_SPECIAL) != 0;
}

static void
pol_ps_end(struct pol_prescan *ps, uint32_t key)
{
	uint16_t f = pol_ps_flags(key);
	unsigned i;

	if (f & (H_MERGE | H_VOID))
		return;
	if ((f & H_FORMAT) && !pol_ps_in_foreign(ps) && pol_ps_adopt(ps, key))
		return;
	for (i = ps->depth; i-- > 0;) {
		if (ps->stack[i].key == key) {
			pol_ps_pop_to(ps, i);
			return;
		}
		if (pol_ps_end_stops(&ps->stack[i], key, f))
			return;
	}
}

static int
pol_is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* FNV-1a over n bytes, ASCII-lower-cased when lower is set. */
static uint32_t
pol_hash(const char *s, size_t n, int lower)
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (lower && c >= 'A' && c <= 'Z')
			c = (unsigned char)(c + 32);
		h = (h ^ c) * 16777619u;
	}
	return h;
}

/* The key of the tag name s[0..n). */
static uint32_t
pol_tag_key(const char *s, size_t n)
{
	char low[32];
	size_t i;
	GumboTag t;

	if (n < sizeof(low)) {
		for (i = 0; i < n; i++)
			low[i] = (s[i] >= 'A' && s[i] <= 'Z')
				     ? (char)(s[i] + 32)
				     : s[i];
		t = gumbo_tagn_enum(low, (unsigned)n);
		if (t != GUMBO_TAG_UNKNOWN && t < GUMBO_TAG_LAST)
			return (uint32_t)t;
	}
	return PS_UNKNOWN | (pol_hash(s, n, 1) & 0x7fffffffu);
}

/*
 * From just after a tag name at s[i], find the end of the tag the way the
 * HTML tokenizer does (quotes count only in attribute values).  Returns the
 * index after '>' or len; *selfclosing tells whether "/>" ended it and
 * *nattrs how many attributes the tag has.
 */
static size_t
pol_tag_end(const char *s, size_t len, size_t i, int *selfclosing,
	    unsigned *nattrs)
{
	enum {
		NAME_BEFORE,
		NAME,
		NAME_AFTER,
		VAL_BEFORE,
		VAL_UNQ
	} st = NAME_BEFORE;
	int slash = 0;

	*nattrs = 0;
	for (; i < len; i++) {
		char c = s[i];

		if (c == '>') { /* outside quotes, even "a=>", ends the tag */
			*selfclosing = slash;
			return i + 1;
		}
		slash = 0;
		if (st == VAL_BEFORE && (c == '"' || c == '\'')) {
			const char *q = memchr(s + i + 1, c, len - i - 1);

			if (q == NULL)
				return len;
			i = (size_t)(q - s);
			st = NAME_BEFORE;
		} else if (str_is_space(c)) {
			st = (st == NAME)      ? NAME_AFTER
			     : (st == VAL_UNQ) ? NAME_BEFORE
					       : st;
		} else if (c == '/' && st != VAL_UNQ && st != VAL_BEFORE) {
			slash = 1;
			st = NAME_BEFORE;
		} else if (c == '=' && (st == NAME || st == NAME_AFTER)) {
			st = VAL_BEFORE;
		} else if (st == VAL_BEFORE) {
			st = VAL_UNQ;
		} else if (st != VAL_UNQ && st != NAME) {
			st = NAME;
			(*nattrs)++;
		}
	}
	*selfclosing = 0;
	return len;
}

/* Skip raw text after <name>: the index of "</name" followed by a space,
 * '/' or '>', or len. */
static size_t
pol_skip_raw(const char *s, size_t len, size_t i, const char *name, size_t n)
{
	const char *p;

	while (i < len && (p = memchr(s + i, '<', len - i)) != NULL) {
		i = (size_t)(p - s);
		if (i + 2 + n < len && s[i + 1] == '/' &&
		    strncasecmp(s + i + 2, name, n) == 0 &&
		    (str_is_space(s[i + 2 + n]) || s[i + 2 + n] == '/' ||
		     s[i + 2 + n] == '>'))
			return i;
		i++;
	}
	return len;
}

/* Skip "<!--" ... "-->" (or "--!>"); i is at '<'.  Unclosed: len. */
static size_t
pol_skip_comment(const char *s, size_t len, size_t i)
{
	const char *p;

	for (i += 2; i + 2 < len; i = (size_t)(p - s) + 1) {
		p = memchr(s + i, '-', len - i);
		if (p == NULL || (size_t)(p - s) + 2 >= len)
			return len;
		if (p[1] == '-' && p[2] == '>')
			return (size_t)(p - s) + 3;
		if (p[1] == '-' && p[2] == '!' && (size_t)(p - s) + 3 < len &&
		    p[3] == '>')
			return (size_t)(p - s) + 4;
	}
	return len;
}

static size_t
pol_skip_to_gt(const char *s, size_t len, size_t i)
{
	const char *p = memchr(s + i, '>', len - i);

	return p ? (size_t)(p - s) + 1 : len;
}

/* One piece of markup at s[i] == '<'.  Returns the index after it. */
static size_t
pol_ps_markup(struct pol_prescan *ps, const char *s, size_t len, size_t i)
{
	size_t name, n, end;
	int sc, rc, close = 0;
	unsigned nattrs;
	uint32_t key;

	if (i + 1 >= len)
		return len;
	if (s[i + 1] == '!')
		return (i + 3 < len && s[i + 2] == '-' && s[i + 3] == '-')
			   ? pol_skip_comment(s, len, i)
			   : pol_skip_to_gt(s, len, i);
	if (s[i + 1] == '?')
		return pol_skip_to_gt(s, len, i);
	if (s[i + 1] == '/') {
		if (i + 2 >= len || !pol_is_alpha(s[i + 2]))
			return pol_skip_to_gt(s, len, i);
		close = 1;
	} else if (!pol_is_alpha(s[i + 1])) {
		pol_ps_reconstruct(ps); /* a literal '<' is text */
		return i + 1;
	}
	name = i + 1 + (size_t)close;
	for (n = 0; name + n < len && !str_is_space(s[name + n]) &&
		    s[name + n] != '/' && s[name + n] != '>';
	     n++)
		;
	key = pol_tag_key(s + name, n);
	end = pol_tag_end(s, len, name + n, &sc, &nattrs);
	/* gumbo checks each attribute against the others of its tag, and
	 * <html>/<body> repeated merge theirs into one element: both are
	 * quadratic in the number of attributes. */
	if (pol_ps_flags(key) & H_MERGE)
		ps->merged_attrs += nattrs;
	if (nattrs > POL_PS_MAX_ATTRS || ps->merged_attrs > POL_PS_MAX_ATTRS) {
		ps->over = 1;
		return len;
	}
	if (close) {
		pol_ps_end(ps, key);
		return end;
	}
	rc = pol_ps_start(ps, key, pol_hash(s + name + n, end - name - n, 0),
			  sc);
	if (rc == 2)
		return len;
	return rc == 1 ? pol_skip_raw(s, len, end, s + name, n) : end;
}

/*
 * Would gumbo build something deeper than cap, or far more elements than
 * the size suggests?  Returns 1 when the HTML is too complex, 0 when it is
 * fine, -1 when memory ran out.
 */
int
pol_html_too_complex(const char *s, size_t len, unsigned cap)
{
	struct pol_prescan ps;
	size_t i = 0;
	const char *p;
	int over;

	memset(&ps, 0, sizeof(ps));
	ps.cap = cap;
	ps.fmtcap = 2 * cap + 16;
	/* Every element costs at least three bytes ("<b>"); a few more come
	 * from implied and reconstructed elements in ordinary mail. */
	ps.budget = len / 2 + 4096;
	ps.stack = malloc(((size_t)cap + 2) * sizeof(*ps.stack));
	ps.fmt = malloc(ps.fmtcap * sizeof(*ps.fmt));
	if (ps.stack == NULL || ps.fmt == NULL) {
		free(ps.stack);
		free(ps.fmt);
		return -1;
	}
	while (i < len && !ps.over) {
		p = memchr(s + i, '<', len - i);
		if (p == NULL || p > s + i)
			pol_ps_reconstruct(&ps); /* text */
		if (p == NULL)
			break;
		i = pol_ps_markup(&ps, s, len, (size_t)(p - s));
	}
	over = ps.over;
	free(ps.stack);
	free(ps.fmt);
	return over;
}
