/*
 * textnorm.c - the normalised copy of a text for matching, with a map back
 * to the original (see textnorm.h).
 *
 * Owns: the copy and its two offset arrays (caller frees with
 * textnorm_free).  The text is walked once: ASCII goes a fast path; any
 * other character, with the combining marks that follow it, goes through
 * GLib's NFKC (g_utf8_normalize), the look-alike table and full case
 * folding (g_utf8_casefold).  The look-alike table is applied before case
 * folding, so an upper-case Greek Eta (looks like H) and a lower-case eta
 * (looks like n) keep their own letters.  Fails only for memory (-1);
 * invalid UTF-8 is dropped, never an error.
 */
#include "textnorm.h"

#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"

/* Default_Ignorable_Code_Point (Unicode DerivedCoreProperties), the ones a
 * mail can carry: the reader sees nothing there. */
int
textnorm_is_ignorable(uint32_t cp)
{
	static const uint32_t r[][2] = {
		{0x00ad, 0x00ad},   {0x034f, 0x034f},   {0x061c, 0x061c},
		{0x115f, 0x1160},   {0x17b4, 0x17b5},   {0x180b, 0x180f},
		{0x200b, 0x200f},   {0x202a, 0x202e},   {0x2060, 0x206f},
		{0x3164, 0x3164},   {0xfe00, 0xfe0f},   {0xfeff, 0xfeff},
		{0xffa0, 0xffa0},   {0xfff0, 0xfff8},   {0x1bca0, 0x1bca3},
		{0x1d173, 0x1d17a}, {0xe0000, 0xe0fff},
	};
	size_t i;

	if (cp < 0x00ad)
		return 0; /* ASCII and most of Latin-1: the common case */
	for (i = 0; i < sizeof(r) / sizeof(r[0]); i++)
		if (cp >= r[i][0] && cp <= r[i][1])
			return 1;
	return 0;
}

/* White space of any kind: ASCII, NEL, and the separators Zs, Zl, Zp
 * (no-break, en/em/thin/hair, narrow no-break, ideographic...). */
int
textnorm_is_space(uint32_t cp)
{
	if (cp == ' ' || (cp >= 0x09 && cp <= 0x0d) || cp == 0x85)
		return 1;
	return cp >= 0x80 && g_unichar_isspace((gunichar)cp);
}

/* Letters of other scripts that look like a Latin letter (after UTS #39
 * confusables, the ones used to disguise words), by case. */
static const uint32_t textnorm_alike[][2] = {
	/* Greek capitals and small letters */
	{0x0391, 'A'}, {0x0392, 'B'}, {0x0395, 'E'}, {0x0396, 'Z'},
	{0x0397, 'H'}, {0x0399, 'I'}, {0x039a, 'K'}, {0x039c, 'M'},
	{0x039d, 'N'}, {0x039f, 'O'}, {0x03a1, 'P'}, {0x03a4, 'T'},
	{0x03a5, 'Y'}, {0x03a7, 'X'}, {0x03b1, 'a'}, {0x03b3, 'y'},
	{0x03b5, 'e'}, {0x03b7, 'n'}, {0x03b9, 'i'}, {0x03ba, 'k'},
	{0x03bd, 'v'}, {0x03bf, 'o'}, {0x03c1, 'p'}, {0x03c4, 't'},
	{0x03c5, 'u'}, {0x03c7, 'x'},
	/* Cyrillic capitals */
	{0x0405, 'S'}, {0x0406, 'I'}, {0x0408, 'J'}, {0x0410, 'A'},
	{0x0412, 'B'}, {0x0415, 'E'}, {0x041a, 'K'}, {0x041c, 'M'},
	{0x041d, 'H'}, {0x041e, 'O'}, {0x0420, 'P'}, {0x0421, 'C'},
	{0x0422, 'T'}, {0x0423, 'Y'}, {0x0425, 'X'}, {0x04ae, 'Y'},
	{0x04ba, 'H'}, {0x04c0, 'I'}, {0x051a, 'Q'}, {0x051c, 'W'},
	/* Cyrillic small letters */
	{0x0430, 'a'}, {0x0432, 'b'}, {0x0435, 'e'}, {0x043a, 'k'},
	{0x043c, 'm'}, {0x043d, 'h'}, {0x043e, 'o'}, {0x0440, 'p'},
	{0x0441, 'c'}, {0x0442, 't'}, {0x0443, 'y'}, {0x0445, 'x'},
	{0x0455, 's'}, {0x0456, 'i'}, {0x0458, 'j'}, {0x04af, 'y'},
	{0x04bb, 'h'}, {0x04cf, 'l'}, {0x0501, 'd'}, {0x051b, 'q'},
	{0x051d, 'w'},
	/* Latin and Armenian letters that pass for plain ones */
	{0x0131, 'i'}, {0x0251, 'a'}, {0x0261, 'g'}, {0x0585, 'o'},
	{0x0578, 'n'}, {0x057d, 'u'},
};

uint32_t
textnorm_skeleton(uint32_t cp)
{
	size_t i;

	if (cp < 0x0131)
		return cp;
	for (i = 0; i < sizeof(textnorm_alike) / sizeof(textnorm_alike[0]); i++)
		if (textnorm_alike[i][0] == cp)
			return textnorm_alike[i][1];
	return cp;
}

/* The output being built. */
struct textnorm_out {
	char *text;
	uint32_t *start, *end;
	size_t len, cap;
	int space; /* the last byte written is a folded space */
	int nomap; /* 1: the text only, no offset map (textnorm_string) */
};

static int
textnorm_grow(struct textnorm_out *o, size_t n)
{
	size_t cap = o->cap ? o->cap : 64;
	void *p;

	if (o->len + n + 1 <= o->cap)
		return 0;
	while (cap < o->len + n + 1)
		cap *= 2;
	if ((p = realloc(o->text, cap)) == NULL)
		return -1;
	o->text = p;
	if (o->nomap) {
		o->cap = cap;
		return 0;
	}
	if ((p = realloc(o->start, cap * sizeof(uint32_t))) == NULL)
		return -1;
	o->start = p;
	if ((p = realloc(o->end, cap * sizeof(uint32_t))) == NULL)
		return -1;
	o->end = p;
	o->cap = cap;
	return 0;
}

/* Append cp (already folded), coming from original bytes [os, oe). */
static int
textnorm_put(struct textnorm_out *o, uint32_t cp, size_t os, size_t oe)
{
	char u[4];
	size_t n, i;

	if (textnorm_is_ignorable(cp))
		return 0;
	if (textnorm_is_space(cp)) {
		if (o->space) { /* one space stands for the whole run */
			if (!o->nomap)
				o->end[o->len - 1] = (uint32_t)oe;
			return 0;
		}
		cp = ' ';
	}
	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else {
		n = utf8_encode(u, cp);
	}
	if (textnorm_grow(o, n) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		o->text[o->len] = u[i];
		if (!o->nomap) {
			o->start[o->len] = (uint32_t)os;
			o->end[o->len] = (uint32_t)oe;
		}
		o->len++;
	}
	o->space = cp == ' ';
	return 0;
}

/* Code point of the valid sequence at s (n bytes left) and its length in
 * *len; *len is 0 for an invalid byte. */
static uint32_t
textnorm_decode(const char *s, size_t n, size_t *len)
{
	*len = utf8_seq_len((const unsigned char *)s, n);
	if (*len == 0)
		return 0;
	return (uint32_t)g_utf8_get_char(s);
}

/*
 * The Latin-1 letters U+00C0-U+00FF (but the signs U+00D7 and U+00F7)
 * without a combining mark: NFKC leaves them as they are, none is a
 * look-alike of another script, and case folding is plain except for
 * U+00DF, which folds to "ss".  The common case of German and French
 * text, done without the three allocations of the general path; the
 * result is the same.  1 done, 0 not such a letter, -1 out of memory.
 */
static int
textnorm_latin1(struct textnorm_out *o, const char *s, size_t i, size_t j)
{
	uint32_t cp;

	if (j - i != 2 || (unsigned char)s[i] != 0xc3)
		return 0;
	cp = 0xc0u + ((unsigned char)s[i + 1] & 0x3fu);
	if (cp == 0xd7 || cp == 0xf7)
		return 0;
	if (cp == 0xdf)
		return textnorm_put(o, 's', i, j) < 0 ||
		       textnorm_put(o, 's', i, j) < 0 ? -1 : 1;
	if (cp >= 0xc0 && cp <= 0xde)
		cp += 0x20;
	return textnorm_put(o, cp, i, j) < 0 ? -1 : 1;
}

/* One non-ASCII character with its combining marks, [i, j) of s. */
static int
textnorm_cluster(struct textnorm_out *o, const char *s, size_t i, size_t j)
{
	gchar *nf, *skel, *fold, *p;
	GString *g;
	int rc;

	if ((rc = textnorm_latin1(o, s, i, j)) != 0)
		return rc < 0 ? -1 : 0;
	rc = 0;
	nf = g_utf8_normalize(s + i, (gssize)(j - i), G_NORMALIZE_NFKC);
	if (nf == NULL)
		return 0;
	g = g_string_sized_new(j - i + 8);
	for (p = nf; *p; p = g_utf8_next_char(p))
		g_string_append_unichar(g, textnorm_skeleton(g_utf8_get_char(p)));
	skel = g_string_free(g, FALSE);
	fold = g_utf8_casefold(skel, -1);
	for (p = fold; *p && rc == 0; p = g_utf8_next_char(p))
		rc = textnorm_put(o, g_utf8_get_char(p), i, j);
	g_free(fold);
	g_free(skel);
	g_free(nf);
	return rc;
}

/*
 * ASCII bytes [i, e) of s, none followed by a combining mark (the caller
 * stops before the last ASCII byte ahead of a non-ASCII one): what
 * textnorm_put does for each, in one loop with one growth check.
 */
static int
textnorm_ascii_run(struct textnorm_out *o, const char *s, size_t i, size_t e)
{
	if (textnorm_grow(o, e - i) < 0)
		return -1;
	for (; i < e; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == 0)
			continue;
		if (c == ' ' || (c >= 0x09 && c <= 0x0d)) {
			if (o->space) { /* one space stands for the whole run */
				if (!o->nomap)
					o->end[o->len - 1] = (uint32_t)(i + 1);
				continue;
			}
			c = ' ';
		} else if (c >= 'A' && c <= 'Z') {
			c += 32;
		}
		o->text[o->len] = (char)c;
		if (!o->nomap) {
			o->start[o->len] = (uint32_t)i;
			o->end[o->len] = (uint32_t)(i + 1);
		}
		o->len++;
		o->space = c == ' ';
	}
	return 0;
}

static int
textnorm_walk(struct textnorm_out *o, const char *s, size_t len)
{
	size_t i = 0, j, n, m;
	uint32_t cp;

	while (i < len) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x80) { /* an ASCII run: all but a last byte that a
				 * non-ASCII byte follows (it may combine) */
			for (j = i + 1; j < len && (unsigned char)s[j] < 0x80; j++)
				;
			if (j < len)
				j--;
			if (j > i) {
				if (textnorm_ascii_run(o, s, i, j) < 0)
					return -1;
				i = j;
				continue;
			}
		}
		if (c == 0) {
			i++;
			continue;
		}
		if (c < 0x80 && (i + 1 == len || (unsigned char)s[i + 1] < 0x80)) {
			if (textnorm_put(o, c >= 'A' && c <= 'Z' ? c + 32u : c,
					 i, i + 1) < 0)
				return -1;
			i++;
			continue;
		}
		cp = textnorm_decode(s + i, len - i, &n);
		if (n == 0 || cp == 0) {
			i++; /* invalid or NUL: nothing a reader sees */
			continue;
		}
		if (textnorm_is_ignorable(cp) || textnorm_is_space(cp)) {
			if (textnorm_put(o, cp, i, i + n) < 0)
				return -1;
			i += n;
			continue;
		}
		for (j = i + n; j < len; j += m) {
			cp = textnorm_decode(s + j, len - j, &m);
			if (m == 0 || g_unichar_combining_class((gunichar)cp) == 0)
				break;
		}
		if (textnorm_cluster(o, s, i, j) < 0)
			return -1;
		i = j;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Words a sender spread out or spelled with digits.                   */
/* ------------------------------------------------------------------ */

/* Length of the letter at t[i] (len bytes in t), 0 when none. */
static size_t
textnorm_letter(const char *t, size_t i, size_t len)
{
	unsigned char c = (unsigned char)t[i];
	size_t n;

	if (c >= 'a' && c <= 'z')
		return 1;
	if (c < 0x80)
		return 0;
	n = utf8_seq_len((const unsigned char *)t + i, len - i);
	return n && g_unichar_isalpha(g_utf8_get_char(t + i)) ? n : 0;
}

/* The letter a digit (or '(') stands for inside a word, 0 none. */
static char
textnorm_leet(char c)
{
	static const char from[] = "013457(", to[] = "oieastc";
	const char *p = c ? strchr(from, c) : NULL;

	return p ? to[p - from] : 0;
}

/* Letters spread by one separator, at least TEXTNORM_SPREAD of them:
 * "r a b a t t", "r.a.b.a.t.t", "r-a-b-a-t-t". */
#define TEXTNORM_SPREAD 4
static void
textnorm_mark_spread(char *t, size_t len)
{
	size_t i = 0;

	while (i < len) {
		size_t n = textnorm_letter(t, i, len), pos, m, count = 1;
		char sep;

		if (n == 0 || (i > 0 && (textnorm_letter(t, i - 1, len) ||
					 (t[i - 1] >= '0' && t[i - 1] <= '9')))) {
			i++;
			continue;
		}
		pos = i + n;
		sep = pos < len ? t[pos] : '\0';
		if (sep == '\0' || strchr(" .-_*|/", sep) == NULL) {
			i = pos;
			continue;
		}
		while (pos + 1 < len && t[pos] == sep &&
		       (m = textnorm_letter(t, pos + 1, len)) != 0 &&
		       (pos + 1 + m >= len || !textnorm_letter(t, pos + 1 + m, len))) {
			count++;
			pos += 1 + m;
		}
		if (count >= TEXTNORM_SPREAD)
			for (m = i + n; m < pos; m++)
				if (t[m] == sep)
					t[m] = '\0';
		i = pos > i + n ? pos : i + n;
	}
}

/*
 * Join what a sender spread out to hide a word from matchers: a digit or
 * '(' between two letters becomes the letter it imitates ("r4b4tt",
 * "guts(h3in"), and a run of at least TEXTNORM_SPREAD single letters with
 * one separator between them becomes one word.  Works on the folded text
 * t of len bytes in place, with its map (start and end, NULL for none).
 * Returns the new length.  Only for word matching (textnorm_make_words):
 * the advertising model reads the text as textnorm_make gives it.
 */
static size_t
textnorm_unspread(char *t, uint32_t *start, uint32_t *end, size_t len)
{
	size_t i, w = 0;
	char l;

	for (i = 1; i + 1 < len; i++)
		if ((l = textnorm_leet(t[i])) != 0 && t[i - 1] >= 'a' &&
		    t[i - 1] <= 'z' &&
		    ((t[i + 1] >= 'a' && t[i + 1] <= 'z') ||
		     (textnorm_leet(t[i + 1]) && i + 2 < len && t[i + 2] >= 'a' &&
		      t[i + 2] <= 'z')))
			t[i] = l;
	textnorm_mark_spread(t, len);
	for (i = 0; i < len; i++) {
		if (t[i] == '\0')
			continue;
		t[w] = t[i];
		if (start != NULL) {
			start[w] = start[i];
			end[w] = end[i];
		}
		w++;
	}
	t[w] = '\0';
	return w;
}

int
textnorm_make(struct textnorm *tn, const char *s, size_t len)
{
	struct textnorm_out o = {NULL, NULL, NULL, 0, 0, 0, 0};

	memset(tn, 0, sizeof(*tn));
	if (s == NULL)
		len = 0;
	if (len >= UINT32_MAX || textnorm_grow(&o, 0) < 0 ||
	    textnorm_walk(&o, s, len) < 0) {
		free(o.text);
		free(o.start);
		free(o.end);
		return -1;
	}
	o.text[o.len] = '\0';
	o.start[o.len] = (uint32_t)len;
	o.end[o.len] = (uint32_t)len;
	tn->text = o.text;
	tn->len = o.len;
	tn->start = o.start;
	tn->end = o.end;
	if (textnorm_unturn(tn, s) < 0) {
		textnorm_free(tn);
		memset(tn, 0, sizeof(*tn));
		return -1;
	}
	return 0;
}

int
textnorm_make_words(struct textnorm *tn, const char *s, size_t len)
{
	if (textnorm_make(tn, s, len) < 0)
		return -1;
	tn->len = textnorm_unspread(tn->text, tn->start, tn->end, tn->len);
	tn->start[tn->len] = (uint32_t)(s ? len : 0);
	tn->end[tn->len] = (uint32_t)(s ? len : 0);
	return 0;
}

int
textnorm_blank(const char *s)
{
	size_t n, len = s ? strlen(s) : 0, i;

	for (i = 0; i < len; i += n) {
		uint32_t cp = textnorm_decode(s + i, len - i, &n);

		if (n == 0 || (!textnorm_is_space(cp) && !textnorm_is_ignorable(cp)))
			return 0;
	}
	return 1;
}

void
textnorm_free(struct textnorm *tn)
{
	free(tn->text);
	free(tn->start);
	free(tn->end);
	memset(tn, 0, sizeof(*tn));
}

void
textnorm_span(const struct textnorm *tn, size_t start, size_t end,
	      size_t *ostart, size_t *oend)
{
	if (end > tn->len)
		end = tn->len;
	if (start >= end) {
		*ostart = *oend = tn->start[start < tn->len ? start : tn->len];
		return;
	}
	/* The smallest start and the largest end: upside-down text
	 * (textnorm_unturn) maps a span backwards. */
	*ostart = tn->start[start];
	*oend = tn->end[end - 1];
	for (; start < end; start++) {
		if (tn->start[start] < *ostart)
			*ostart = tn->start[start];
		if (tn->end[start] > *oend)
			*oend = tn->end[start];
	}
}

/* textnorm_string() of pure ASCII, without the offset map: the same
 * folding (case, runs of space, ignorables, NUL) in one pass. */
static char *
textnorm_ascii(const char *s, size_t len)
{
	char *out = malloc(len + 1), *w = out;
	int space = 0;
	size_t i;

	if (out == NULL)
		return NULL;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == 0 || textnorm_is_ignorable(c))
			continue;
		if (textnorm_is_space(c)) {
			if (!space)
				*w++ = ' ';
			space = 1;
			continue;
		}
		*w++ = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
		space = 0;
	}
	*w = '\0';
	return out;
}

char *
textnorm_string(const char *s)
{
	return textnorm_stringn(s, s ? strlen(s) : 0);
}

char *
textnorm_stringn(const char *s, size_t len)
{
	struct textnorm_out o = {NULL, NULL, NULL, 0, 0, 0, 1};
	size_t i;

	for (i = 0; i < len && (unsigned char)s[i] < 0x80; i++)
		;
	if (i == len)
		return textnorm_ascii(s ? s : "", len);
	/* The same walk, without the offset map nobody will read. */
	if (len >= UINT32_MAX || textnorm_grow(&o, 0) < 0 ||
	    textnorm_walk(&o, s, len) < 0) {
		free(o.text);
		return NULL;
	}
	o.text[o.len] = '\0';
	if (textnorm_has_turned_text(o.text, o.len)) {
		/* Upside-down text: the full path, whose map gives the case. */
		struct textnorm tn;

		free(o.text);
		if (textnorm_make(&tn, s, len) < 0)
			return NULL;
		free(tn.start);
		free(tn.end);
		return tn.text;
	}
	return o.text;
}
