/*
 * textnorm.h - the normalised copy of a text that every matcher reads.
 *
 * What a reader sees and what the bytes say differ: "Ra\u00ADbatt" shows as
 * "Rabatt", a narrow no-break space looks like a space, a Cyrillic "а" like
 * a Latin "a".  textnorm_make() builds, once per text, a copy for matching:
 * NFKC, default-ignorable code points dropped (soft hyphen, zero-width and
 * bidi controls, variation selectors...), every run of Unicode white space
 * as one ASCII space, full case folding (so "ß" is "ss"), and Cyrillic,
 * Greek and other look-alike letters folded to the Latin letter they
 * imitate (a small UTS #39-style skeleton).  Invalid UTF-8 bytes are
 * dropped.  A map leads from every byte of the copy back to the original,
 * so a match is quoted as written and placed where it is.
 */
#ifndef CG_TEXTNORM_H
#define CG_TEXTNORM_H

#include <stddef.h>
#include <stdint.h>

struct textnorm {
	char *text;      /* normalised UTF-8, NUL-terminated */
	size_t len;      /* bytes in text */
	uint32_t *start; /* start[i]: original offset of the character that
			  * produced byte i; start[len] = original length */
	uint32_t *end;   /* end[i]: original offset just past that character */
};

/*
 * Normalise len bytes at s into *tn (owned by the caller, released with
 * textnorm_free).  Returns 0, or -1 when memory ran out or the text is
 * longer than 4 GiB (*tn is then empty and safe to free).
 */
int textnorm_make(struct textnorm *tn, const char *s, size_t len);

/*
 * textnorm_make, then what a sender spread out to hide a word from word
 * lists joined again: a digit or '(' between two letters becomes the
 * letter it imitates ("R4b4tt", "Guts(h3in"), and four or more single
 * letters with one separator (space . - _ * | /) between them one word
 * ("R a b a t t", "R.a.b.a.t.t").  For matching words, not for the
 * advertising model's features.  Same returns; the map still leads back.
 */
int textnorm_make_words(struct textnorm *tn, const char *s, size_t len);
void textnorm_free(struct textnorm *tn);

/*
 * Upside-down text in tn (made by textnorm_make from orig) read the right
 * way up, in place: a run of words with turned letters ("ʇʇɐqɐᴚ") reversed
 * and turned back ("rabatt"); see textnorm_turned.c.  textnorm_make calls
 * it.  0, or -1 when memory ran out (tn unchanged).
 */
int textnorm_unturn(struct textnorm *tn, const char *orig);
/* Has the normalised text t (len bytes) a turned letter? */
int textnorm_has_turned_text(const char *t, size_t len);

/* Original byte span [*ostart, *oend) of the normalised span [start, end)
 * of tn (end > start, end <= tn->len). */
void textnorm_span(const struct textnorm *tn, size_t start, size_t end,
		   size_t *ostart, size_t *oend);

/* The normalised form of the NUL-terminated s as a new string (caller
 * frees with free()), or NULL when memory ran out. */
char *textnorm_string(const char *s);
/* The same of the len bytes at s (no NUL needed). */
char *textnorm_stringn(const char *s, size_t len);

/* 1 when the NUL-terminated UTF-8 s shows nothing: only white space and
 * default-ignorable code points (a zero-width space...), or empty. */
int textnorm_blank(const char *s);

/* The code point classes the normaliser uses, for tests and callers. */
int textnorm_is_ignorable(uint32_t cp);
int textnorm_is_space(uint32_t cp);
/* The Latin letter a look-alike letter imitates (lower case), or cp. */
uint32_t textnorm_skeleton(uint32_t cp);

#endif
