/*
 * css.c - the CSS a reader's view needs: which declarations hide an
 * element, what ::before/::after content a <style> sheet generates, and
 * every url() a client would load.  Not a CSS engine: selectors are
 * simple ones only (tag, .class, #id, [attr], [attr=v] and the other
 * attribute operators, and their combinations without combinators),
 * anything else is ignored rather than guessed.
 *
 * Every scan is a single forward pass with bounded look-ahead (comments,
 * strings and blocks are skipped by counting, never by searching again
 * from each position), so hostile sheets cost time linear in their size.
 * A sheet keeps at most POL_CSS_MAX_RULES rules, indexed by id, first
 * class or tag, and matching stops when the caller's budget is spent.
 *
 * Owns: a sheet's copy of the CSS text and its rule array, released by
 * pol_css_sheet_free().  Failure: out of memory returns -1.  Never logs,
 * no I/O, no globals.
 */
#include "css.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../common/str.h"


#define POL_CSS_BUCKETS 256
#define POL_CSS_MAX_CLASSES 4
#define POL_CSS_MAX_ATTRS 2

static const char *const pol_css_names[POL_CSS_NPROPS] = {
    [POL_CSS_DISPLAY] = "display",
    [POL_CSS_VISIBILITY] = "visibility",
    [POL_CSS_OPACITY] = "opacity",
    [POL_CSS_FONT_SIZE] = "font-size",
    [POL_CSS_MAX_HEIGHT] = "max-height",
    [POL_CSS_HEIGHT] = "height",
    [POL_CSS_OVERFLOW] = "overflow",
    [POL_CSS_MSO_HIDE] = "mso-hide",
    [POL_CSS_DIRECTION] = "direction",
    [POL_CSS_UNICODE_BIDI] = "unicode-bidi",
    [POL_CSS_COLOR] = "color",
    [POL_CSS_BACKGROUND_COLOR] = "background-color",
    [POL_CSS_BACKGROUND] = "background",
    [POL_CSS_POSITION] = "position",
    [POL_CSS_LEFT] = "left",
    [POL_CSS_TOP] = "top",
    [POL_CSS_TEXT_INDENT] = "text-indent",
    [POL_CSS_WIDTH] = "width",
    [POL_CSS_MAX_WIDTH] = "max-width",
    [POL_CSS_TRANSFORM] = "transform",
};


/* End of the comment or string starting at s[i] (one past it), or i when
 * there is none there.  Unterminated: len. */
size_t
pol_css_skip(const char *s, size_t len, size_t i)
{
	char q;

	if (i + 1 < len && s[i] == '/' && s[i + 1] == '*') {
		for (i += 2; i + 1 < len; i++)
			if (s[i] == '*' && s[i + 1] == '/')
				return i + 2;
		return len;
	}
	if (s[i] != '"' && s[i] != '\'')
		return i;
	q = s[i];
	for (i++; i < len && s[i] != q; i++)
		if (s[i] == '\\')
			i++;
	return i < len ? i + 1 : len;
}

/* ------------------------------------------------------------------ */
/* Declarations.                                                       */
/* ------------------------------------------------------------------ */

typedef void (*pol_css_decl_fn)(void *ud, const char *name, size_t nlen,
				const char *val, size_t vlen, int important);

/* Each "name: value" of a declaration list, split at ; outside strings,
 * comments and brackets. */
static void
pol_css_decls(const char *s, size_t len, pol_css_decl_fn fn, void *ud)
{
	size_t i = 0;

	while (i < len) {
		size_t start = i, colon = 0, end, k, n, v;
		int depth = 0, important = 0;

		while (i < len && (s[i] != ';' || depth > 0)) {
			size_t j = pol_css_skip(s, len, i);

			if (j != i) {
				i = j;
				continue;
			}
			if (s[i] == '(')
				depth++;
			else if (s[i] == ')' && depth > 0)
				depth--;
			else if (s[i] == ':' && colon == 0)
				colon = i + 1;
			i++;
		}
		end = i++;
		if (colon == 0)
			continue;
		for (k = start; k < colon - 1 && str_is_space(s[k]); k++)
			;
		for (n = colon - 1; n > k && str_is_space(s[n - 1]); n--)
			;
		for (v = colon; v < end && str_is_space(s[v]); v++)
			;
		while (end > v && str_is_space(s[end - 1]))
			end--;
		if (end - v >= 10 &&
		    strncasecmp(s + end - 9, "important", 9) == 0) {
			size_t b = end - 9;

			while (b > v && str_is_space(s[b - 1]))
				b--;
			if (b > v && s[b - 1] == '!') {
				important = 1;
				for (end = b - 1;
				     end > v && str_is_space(s[end - 1]); end--)
					;
			}
		}
		fn(ud, s + k, n - k, s + v, end - v, important);
	}
}

static int
pol_css_prop_of(const char *name, size_t n)
{
	int p;

	for (p = 0; p < POL_CSS_NPROPS; p++)
		if (strlen(pol_css_names[p]) == n &&
		    strncasecmp(name, pol_css_names[p], n) == 0)
			return p;
	return -1;
}

static void
pol_css_copy_value(char out[POL_CSS_VALUE_MAX], const char *v, size_t n)
{
	size_t i;

	if (n >= POL_CSS_VALUE_MAX)
		n = POL_CSS_VALUE_MAX - 1;
	for (i = 0; i < n; i++)
		out[i] = (v[i] >= 'A' && v[i] <= 'Z') ? (char)(v[i] + 32)
						      : v[i];
	out[n] = '\0';
}

struct pol_css_apply {
	struct pol_css_computed *c;
	unsigned long rank;
};

static void
pol_css_apply_one(void *ud, const char *name, size_t nlen, const char *val,
		  size_t vlen, int important)
{
	struct pol_css_apply *a = ud;
	unsigned long rank = a->rank + (important ? POL_CSS_RANK_IMPORTANT : 0);
	int p = pol_css_prop_of(name, nlen);

	if (p < 0 || rank < a->c->rank[p])
		return;
	a->c->rank[p] = rank;
	pol_css_copy_value(a->c->value[p], val, vlen);
}

void
pol_css_apply_decls(const char *s, size_t len, unsigned long rank,
		    struct pol_css_computed *c)
{
	struct pol_css_apply a = {c, rank};

	pol_css_decls(s, len, pol_css_apply_one, &a);
}

int
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
		while (d < end && str_is_space(*d))
			d++;
		colon = memchr(d, ':', (size_t)(end - d));
		if (colon == NULL)
			continue;
		n = (size_t)(colon - d);
		while (n > 0 && str_is_space(d[n - 1]))
			n--;
		if (n != plen || strncasecmp(d, prop, plen) != 0)
			continue;
		for (d = colon + 1; d < end && str_is_space(*d); d++)
			;
		for (i = 0; d < end && *d != '!' && i + 1 < valsz; d++)
			val[i++] =
			    (*d >= 'A' && *d <= 'Z') ? (char)(*d + 32) : *d;
		while (i > 0 && str_is_space(val[i - 1]))
			i--;
		val[i] = '\0';
		found = 1;
	}
	return found;
}

int
pol_css_length(const char *v)
{
	long n = 0;
	int digits = 0, nonzero = 0;

	while (str_is_space(*v))
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
	while (str_is_space(*v))
		v++;
	if (*v == '\0' || strncmp(v, "px", 2) == 0)
		return (int)n;
	return -1;
}

int
pol_css_is_zero(const char *v)
{
	int digits = 0;

	while (str_is_space(*v))
		v++;
	if (*v == '+' || *v == '-')
		v++;
	for (; *v == '0' || *v == '.'; v++)
		digits += *v == '0';
	if (digits == 0)
		return 0;
	/* Any unit or none: 0, 0px, 0em, 0%, 0pt. */
	while ((*v >= 'a' && *v <= 'z') || *v == '%')
		v++;
	return *v == '\0' || str_is_space(*v);
}

/* ------------------------------------------------------------------ */
/* Sheets.                                                             */
/* ------------------------------------------------------------------ */

struct pol_css_piece {
	const char *s;
	size_t n;
};

/* [name], [name=value], [name~=value] (op '~', '^', '$', '*', '|'). */
struct pol_css_attrsel {
	struct pol_css_piece name, value;
	char op; /* 0: present */
};

struct pol_css_rule {
	struct pol_css_piece tag, id, cls[POL_CSS_MAX_CLASSES];
	int ncls;
	struct pol_css_attrsel attr[POL_CSS_MAX_ATTRS];
	int nattr;
	int pseudo;	/* -1 none, 0 ::before, 1 ::after */
	unsigned long rank;	/* specificity and order */
	char value[POL_CSS_NPROPS][POL_CSS_VALUE_MAX];
	unsigned char set[POL_CSS_NPROPS]; /* 0 no, 1 yes, 2 !important */
	struct pol_css_piece content;
	unsigned char content_set;
	int next; /* next rule in the same bucket, -1 at the end */
};

struct pol_css_sheet {
	char *text;
	struct pol_css_rule *rules;
	size_t nrules, cap;
	int nomem;
	int overflow; /* rules beyond POL_CSS_MAX_RULES were dropped */
	int bucket[POL_CSS_BUCKETS]; /* first rule, -1 when empty */
	int universal;		     /* rules keyed by nothing */
};

/* The declarations of one block, before they are copied to the rules of
 * each of its selectors. */
struct pol_css_block {
	char value[POL_CSS_NPROPS][POL_CSS_VALUE_MAX];
	unsigned char set[POL_CSS_NPROPS];
	struct pol_css_piece content;
	unsigned char content_set;
	int any;
};

static void
pol_css_block_one(void *ud, const char *name, size_t nlen, const char *val,
		  size_t vlen, int important)
{
	struct pol_css_block *b = ud;
	unsigned char set = important ? 2 : 1;
	int p;

	if (nlen == 7 && strncasecmp(name, "content", 7) == 0) {
		if (set >= b->content_set) {
			b->content.s = val;
			b->content.n = vlen;
			b->content_set = set;
			b->any = 1;
		}
		return;
	}
	if ((p = pol_css_prop_of(name, nlen)) < 0 || set < b->set[p])
		return;
	pol_css_copy_value(b->value[p], val, vlen);
	b->set[p] = set;
	b->any = 1;
}

static unsigned
pol_css_hash(char kind, const char *s, size_t n)
{
	unsigned h = (unsigned char)kind * 31u;
	size_t i;

	for (i = 0; i < n; i++)
		h = h * 33u + (unsigned char)((s[i] >= 'A' && s[i] <= 'Z' &&
					       kind == 't')
						  ? s[i] + 32
						  : s[i]);
	return h % POL_CSS_BUCKETS;
}

int
pol_css_ident_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '_' ||
	       (unsigned char)c >= 0x80;
}

/* An attribute selector after the '[' at s[i-1] into a: returns the
 * index after its ']', or 0 when it is not one we match. */
static size_t
pol_css_attrsel(const char *s, size_t n, size_t i, struct pol_css_attrsel *a)
{
	size_t k;

	while (i < n && str_is_space(s[i]))
		i++;
	for (k = i; k < n && pol_css_ident_char(s[k]); k++)
		;
	if (k == i || k - i > 63)
		return 0;
	a->name.s = s + i;
	a->name.n = k - i;
	a->op = 0;
	a->value.n = 0;
	for (i = k; i < n && str_is_space(s[i]); i++)
		;
	if (i < n && s[i] != ']') {
		if (s[i] != '=' && (i + 1 >= n || s[i + 1] != '=' ||
				    !strchr("~^$*|", s[i])))
			return 0;
		a->op = s[i];
		i += s[i] == '=' ? 1 : 2;
		while (i < n && str_is_space(s[i]))
			i++;
		if (i < n && (s[i] == '"' || s[i] == '\'')) {
			k = pol_css_skip(s, n, i);
			if (k - i < 2 || s[k - 1] != s[i])
				return 0;
			a->value.s = s + i + 1;
			a->value.n = k - i - 2;
		} else {
			for (k = i; k < n && pol_css_ident_char(s[k]); k++)
				;
			a->value.s = s + i;
			a->value.n = k - i;
		}
		for (i = k; i < n && str_is_space(s[i]); i++)
			;
		if (i < n && (s[i] == 'i' || s[i] == 's')) /* a case flag */
			for (i++; i < n && str_is_space(s[i]); i++)
				;
	}
	return i < n && s[i] == ']' ? i + 1 : 0;
}

/* Parse one simple selector (trimmed, n bytes at s) into r.  Returns 0,
 * or -1 when it is not a selector we match. */
static int
pol_css_selector(const char *s, size_t n, struct pol_css_rule *r)
{
	size_t i = 0, k;

	r->ncls = r->nattr = 0;
	r->pseudo = -1;
	r->tag.n = r->id.n = 0;
	if (i < n && s[i] == '*')
		i++;
	for (k = i; k < n && pol_css_ident_char(s[k]); k++)
		;
	r->tag.s = s + i;
	r->tag.n = k - i;
	for (i = k; i < n && (s[i] == '.' || s[i] == '#' || s[i] == '[');) {
		char kind = s[i++];
		struct pol_css_piece *p;

		if (kind == '[') {
			if (r->nattr == POL_CSS_MAX_ATTRS ||
			    (i = pol_css_attrsel(s, n, i, &r->attr[r->nattr++])) ==
				0)
				return -1;
			continue;
		}

		for (k = i; k < n && pol_css_ident_char(s[k]); k++)
			;
		if (k == i)
			return -1;
		if (kind == '#') {
			if (r->id.n > 0)
				return -1;
			p = &r->id;
		} else {
			if (r->ncls == POL_CSS_MAX_CLASSES)
				return -1;
			p = &r->cls[r->ncls++];
		}
		p->s = s + i;
		p->n = k - i;
		i = k;
	}
	if (i < n && s[i] == ':') {
		i += (i + 1 < n && s[i + 1] == ':') ? 2 : 1;
		if (n - i == 6 && strncasecmp(s + i, "before", 6) == 0)
			r->pseudo = 0;
		else if (n - i == 5 && strncasecmp(s + i, "after", 5) == 0)
			r->pseudo = 1;
		else
			return -1;
		i = n;
	}
	return i == n ? 0 : -1;
}

/* Add a rule for sel (n bytes) with block b to the sheet. */
static void
pol_css_add_rule(struct pol_css_sheet *sh, const char *sel, size_t n,
		 const struct pol_css_block *b, size_t order)
{
	struct pol_css_rule *r;
	unsigned spec, h;
	int *head;

	while (n > 0 && str_is_space(*sel)) {
		sel++;
		n--;
	}
	while (n > 0 && str_is_space(sel[n - 1]))
		n--;
	if (n == 0)
		return;
	if (sh->nrules >= POL_CSS_MAX_RULES) {
		sh->overflow = 1;
		return;
	}
	if (sh->nrules == sh->cap) {
		size_t cap = sh->cap ? sh->cap * 2 : 16;

		r = realloc(sh->rules, cap * sizeof(*r));
		if (r == NULL) {
			sh->nomem = 1;
			return;
		}
		sh->rules = r;
		sh->cap = cap;
	}
	r = &sh->rules[sh->nrules];
	if (pol_css_selector(sel, n, r) != 0)
		return;
	/* ::before/::after hide only themselves: keep just the content. */
	if (r->pseudo >= 0 ? !b->content_set : b->content_set && !b->any)
		return;
	memcpy(r->value, b->value, sizeof(r->value));
	memcpy(r->set, b->set, sizeof(r->set));
	if (r->pseudo >= 0)
		memset(r->set, 0, sizeof(r->set));
	r->content = b->content;
	r->content_set = r->pseudo >= 0 ? b->content_set : 0;
	spec = (r->id.n ? 64u : 0u) + 8u * (unsigned)(r->ncls + r->nattr) +
	       (r->tag.n ? 1u : 0u);
	r->rank = ((unsigned long)spec << 20) + order;
	if (r->id.n)
		h = pol_css_hash('#', r->id.s, r->id.n);
	else if (r->ncls)
		h = pol_css_hash('.', r->cls[0].s, r->cls[0].n);
	else if (r->tag.n)
		h = pol_css_hash('t', r->tag.s, r->tag.n);
	else
		h = POL_CSS_BUCKETS;
	head = h < POL_CSS_BUCKETS ? &sh->bucket[h] : &sh->universal;
	r->next = *head;
	*head = (int)sh->nrules++;
}

/* The selectors of prelude (n bytes), split at commas outside brackets. */
static void
pol_css_add_rules(struct pol_css_sheet *sh, const char *pre, size_t n,
		  const struct pol_css_block *b, size_t order)
{
	size_t i, start = 0;
	int depth = 0;

	for (i = 0; i <= n; i++) {
		if (i < n && (pre[i] == '(' || pre[i] == '['))
			depth++;
		else if (i < n && (pre[i] == ')' || pre[i] == ']') && depth > 0)
			depth--;
		else if (i == n || (pre[i] == ',' && depth == 0)) {
			pol_css_add_rule(sh, pre + start, i - start, b, order);
			start = i + 1;
		}
	}
}

/* From s[i] on, the index of the first stop character outside strings,
 * comments and (for '}') nested blocks, or len. */
static size_t
pol_css_find(const char *s, size_t len, size_t i, const char *stops)
{
	int depth = 0;

	while (i < len) {
		size_t j = pol_css_skip(s, len, i);

		if (j != i) {
			i = j;
			continue;
		}
		if (s[i] == '{' && strchr(stops, '{') == NULL)
			depth++;
		else if (s[i] == '}' && depth > 0) {
			depth--;
			i++;
			continue;
		}
		if (depth == 0 && strchr(stops, s[i]) != NULL)
			return i;
		i++;
	}
	return len;
}

/* @import "x" (without url()): the string. */
static int
pol_css_import(const char *s, size_t len, pol_css_url_fn fn, void *ud)
{
	size_t i = 7, e;

	while (i < len && str_is_space(s[i]))
		i++;
	if (i >= len || (s[i] != '"' && s[i] != '\''))
		return 0;
	e = pol_css_skip(s, len, i);
	if (e - i < 2 || s[e - 1] != s[i] || e - i - 2 > POL_CSS_URL_MAX)
		return 0;
	return fn(ud, s + i + 1, e - i - 2);
}

/* One at-rule at s[i]: its references; returns the index after it. */
static size_t
pol_css_at_rule(const char *s, size_t len, size_t i, pol_css_url_fn fn,
		void *ud, int *rc)
{
	size_t e = pol_css_find(s, len, i, ";{");

	if (e < len && s[e] == '{')
		e = pol_css_find(s, len, e + 1, "}");
	if (len - i >= 7 && strncasecmp(s + i, "@import", 7) == 0)
		*rc = pol_css_import(s + i, e - i, fn, ud);
	if (*rc == 0)
		*rc = pol_css_urls(s + i, e - i, fn, ud);
	return e < len ? e + 1 : len;
}

/* "@media" whose query holds for every screen a mail is read on ("screen",
 * "all", "only screen", or a list with one of them): its rules apply as
 * if written outside; *in and *end get its block.  Queries with features
 * (max-width, prefers-color-scheme...) are not guessed at. */
static int
pol_css_media_always(const char *s, size_t len, size_t i, size_t *in,
		     size_t *end)
{
	size_t open, p, q;

	if (len - i < 6 || strncasecmp(s + i, "@media", 6) != 0)
		return 0;
	open = pol_css_find(s, len, i, ";{");
	if (open >= len || s[open] != '{')
		return 0;
	for (p = i + 6; p < open; p = q + 1) {
		char item[32];
		size_t a, b, k = 0;

		for (q = p; q < open && s[q] != ','; q++)
			;
		for (a = p; a < q && str_is_space(s[a]); a++)
			;
		for (b = q; b > a && str_is_space(s[b - 1]); b--)
			;
		if (b - a >= sizeof(item))
			continue;
		for (; a < b; a++)
			item[k++] = (char)(str_is_space(s[a]) ? ' ' : s[a]);
		item[k] = '\0';
		if (strcasecmp(item, "screen") == 0 || strcasecmp(item, "all") == 0 ||
		    strcasecmp(item, "only screen") == 0 ||
		    strcasecmp(item, "only all") == 0) {
			*in = open + 1;
			*end = pol_css_find(s, len, open + 1, "}");
			return 1;
		}
	}
	return 0;
}

/* The rules of s[i..len) (the sheet, or the block of an @media that
 * always applies, media != 0) into sh; *order counts them. */
static void
pol_css_parse_range(struct pol_css_sheet *sh, size_t i, size_t len,
		    int media, size_t *order, pol_css_url_fn fn, void *ud,
		    int *rc)
{
	const char *s = sh->text;

	while (i < len && *rc == 0 && !sh->nomem) {
		struct pol_css_block b;
		size_t j = pol_css_skip(s, len, i), open, close, in, end;

		if (j != i || str_is_space(s[i]) || s[i] == '}') {
			i = j != i ? j : i + 1;
			continue;
		}
		if (len - i >= 4 && (strncmp(s + i, "<!--", 4) == 0)) {
			i += 4;
			continue;
		}
		if (len - i >= 3 && strncmp(s + i, "-->", 3) == 0) {
			i += 3;
			continue;
		}
		if (s[i] == '@' && !media &&
		    pol_css_media_always(s, len, i, &in, &end)) {
			pol_css_parse_range(sh, in, end, 1, order, fn, ud, rc);
			i = end < len ? end + 1 : len;
			continue;
		}
		if (s[i] == '@') {
			i = pol_css_at_rule(s, len, i, fn, ud, rc);
			continue;
		}
		open = pol_css_find(s, len, i, "{");
		if (open >= len)
			break;
		close = pol_css_find(s, len, open + 1, "}");
		*rc = pol_css_urls(s + open + 1, close - open - 1, fn, ud);
		memset(&b, 0, sizeof(b));
		pol_css_decls(s + open + 1, close - open - 1, pol_css_block_one,
			      &b);
		if (b.any && *order < (1u << 20))
			pol_css_add_rules(sh, s + i, open - i, &b, (*order)++);
		i = close < len ? close + 1 : len;
	}
}

static void
pol_css_parse_rules(struct pol_css_sheet *sh, pol_css_url_fn fn, void *ud,
		    int *rc)
{
	size_t order = 0;

	pol_css_parse_range(sh, 0, strlen(sh->text), 0, &order, fn, ud, rc);
}

int
pol_css_sheet_parse(const char *css, size_t len, pol_css_url_fn fn, void *ud,
		    struct pol_css_sheet **out)
{
	struct pol_css_sheet *sh;
	size_t i;
	int rc = 0;

	*out = NULL;
	if ((sh = calloc(1, sizeof(*sh))) == NULL)
		return -1;
	if ((sh->text = malloc(len + 1)) == NULL) {
		pol_css_sheet_free(sh);
		return -1;
	}
	/* A NUL inside would end the text early: make it a space. */
	for (i = 0; i < len; i++)
		sh->text[i] = css[i] ? css[i] : ' ';
	sh->text[len] = '\0';
	for (i = 0; i < POL_CSS_BUCKETS; i++)
		sh->bucket[i] = -1;
	sh->universal = -1;
	pol_css_parse_rules(sh, fn, ud, &rc);
	if (rc == 0 && sh->nomem)
		rc = -1;
	if (rc != 0) {
		pol_css_sheet_free(sh);
		return rc;
	}
	*out = sh;
	return 0;
}

int
pol_css_sheet_overflow(const struct pol_css_sheet *sheet)
{
	return sheet->overflow;
}

void
pol_css_sheet_free(struct pol_css_sheet *sheet)
{
	if (sheet == NULL)
		return;
	free(sheet->text);
	free(sheet->rules);
	free(sheet);
}

/* ------------------------------------------------------------------ */
/* Matching.                                                           */
/* ------------------------------------------------------------------ */

struct pol_css_element {
	const char *tag, *id;
	size_t taglen, idlen;
	struct pol_css_piece cls[32];
	int ncls;
	pol_css_attr_fn attr;
	const void *el;
};

/* Does the element's attribute satisfy a? */
static int
pol_css_attr_matches(const struct pol_css_element *e,
		     const struct pol_css_attrsel *a)
{
	char name[64];
	const char *v, *p;
	size_t vn, n = a->value.n;

	memcpy(name, a->name.s, a->name.n);
	name[a->name.n] = '\0';
	if (e->attr == NULL || (v = e->attr(e->el, name)) == NULL)
		return 0;
	vn = strlen(v);
	switch (a->op) {
	case 0:
		return 1;
	case '=':
		return vn == n && memcmp(v, a->value.s, n) == 0;
	case '^':
		return n > 0 && vn >= n && memcmp(v, a->value.s, n) == 0;
	case '$':
		return n > 0 && vn >= n && memcmp(v + vn - n, a->value.s, n) == 0;
	case '|':
		return vn >= n && memcmp(v, a->value.s, n) == 0 &&
		       (vn == n || v[n] == '-');
	default: /* '*' anywhere, '~' a whole word */
		for (p = v; n > 0 && *p; p++)
			if (strncmp(p, a->value.s, n) == 0 &&
			    (a->op == '*' ||
			     ((p == v || str_is_space(p[-1])) &&
			      (p[n] == '\0' || str_is_space(p[n])))))
				return 1;
		return 0;
	}
}

static int
pol_css_has_class(const struct pol_css_element *e,
		  const struct pol_css_piece *c)
{
	int i;

	for (i = 0; i < e->ncls; i++)
		if (e->cls[i].n == c->n && memcmp(e->cls[i].s, c->s, c->n) == 0)
			return 1;
	return 0;
}

static int
pol_css_rule_matches(const struct pol_css_rule *r,
		     const struct pol_css_element *e)
{
	int i;

	if (r->tag.n && (r->tag.n != e->taglen ||
			 strncasecmp(r->tag.s, e->tag, e->taglen) != 0))
		return 0;
	if (r->id.n && (e->id == NULL || r->id.n != e->idlen ||
			memcmp(r->id.s, e->id, e->idlen) != 0))
		return 0;
	for (i = 0; i < r->ncls; i++)
		if (!pol_css_has_class(e, &r->cls[i]))
			return 0;
	for (i = 0; i < r->nattr; i++)
		if (!pol_css_attr_matches(e, &r->attr[i]))
			return 0;
	return 1;
}

static void
pol_css_fold(const struct pol_css_rule *r, struct pol_css_computed *c)
{
	int p;

	for (p = 0; p < POL_CSS_NPROPS; p++) {
		unsigned long rank;

		if (!r->set[p])
			continue;
		rank = r->rank + (r->set[p] == 2 ? POL_CSS_RANK_IMPORTANT : 0);
		if (rank >= c->rank[p]) {
			c->rank[p] = rank;
			memcpy(c->value[p], r->value[p], POL_CSS_VALUE_MAX);
		}
	}
	if (r->content_set && r->pseudo >= 0) {
		unsigned long rank =
		    r->rank + (r->content_set == 2 ? POL_CSS_RANK_IMPORTANT : 0);

		if (rank >= c->content_rank[r->pseudo]) {
			c->content_rank[r->pseudo] = rank;
			c->content[r->pseudo] = r->content.s;
			c->content_len[r->pseudo] = r->content.n;
		}
	}
}

static void
pol_css_chain(const struct pol_css_sheet *sh, int k,
	      const struct pol_css_element *e, struct pol_css_computed *c,
	      long *budget)
{
	for (; k >= 0 && *budget > 0; k = sh->rules[k].next) {
		--*budget;
		if (pol_css_rule_matches(&sh->rules[k], e))
			pol_css_fold(&sh->rules[k], c);
	}
}

void
pol_css_sheet_match(const struct pol_css_sheet *sheet, const char *tag,
		    const char *id, const char *cls, pol_css_attr_fn attr,
		    const void *el, struct pol_css_computed *c, long *budget)
{
	struct pol_css_element e;
	unsigned seen[POL_CSS_BUCKETS / 32] = {0}, h;
	int i;

	if (sheet == NULL || sheet->nrules == 0)
		return;
	memset(&e, 0, sizeof(e));
	e.tag = tag ? tag : "";
	e.taglen = strlen(e.tag);
	e.id = id;
	e.idlen = id ? strlen(id) : 0;
	e.attr = attr;
	e.el = el;
	while (cls && *cls && e.ncls < 32) {
		size_t n = 0;

		while (str_is_space(*cls))
			cls++;
		while (cls[n] && !str_is_space(cls[n]))
			n++;
		if (n == 0)
			break;
		e.cls[e.ncls].s = cls;
		e.cls[e.ncls++].n = n;
		cls += n;
	}
	/* Each bucket once, so that a rule is looked at once. */
	for (i = -2; i < e.ncls; i++) {
		if (i == -2)
			h = e.id ? pol_css_hash('#', e.id, e.idlen)
				 : POL_CSS_BUCKETS;
		else if (i == -1)
			h = e.taglen ? pol_css_hash('t', e.tag, e.taglen)
				     : POL_CSS_BUCKETS;
		else
			h = pol_css_hash('.', e.cls[i].s, e.cls[i].n);
		if (h >= POL_CSS_BUCKETS || (seen[h / 32] & (1u << (h % 32))))
			continue;
		seen[h / 32] |= 1u << (h % 32);
		pol_css_chain(sheet, sheet->bucket[h], &e, c, budget);
	}
	pol_css_chain(sheet, sheet->universal, &e, c, budget);
}
