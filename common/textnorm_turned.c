/*
 * textnorm_turned.c - upside-down text read the right way up.
 *
 * "ʇʇɐqɐᴚ" is "Rabatt" turned by 180 degrees: the letters are turned
 * (U+0250 ɐ, U+0287 ʇ, U+1D1A ᴚ ...) and, read by a person, the order is
 * reversed.  textnorm_unturn() works on the normalised copy textnorm_make()
 * built (case folded, look-alikes folded): a word with a turned letter is
 * turned; a run of such words (with words of digits, signs or the glyphs
 * that stand in for turned digits and capitals between them) is rewritten
 * in reverse order with every letter turned back (and the letters that are
 * turned forms of one another swapped: b/q, d/p, n/u, 6/9, M/W); the case
 * of a Latin letter is read from the original text.  A run needs one
 * letter that only turned text uses, so Hebrew, Hangul or IPA words alone
 * are left as they are.  The map still leads from every byte to the
 * original character.  Owns nothing after a call; fails only when memory
 * runs out (the text is then left unchanged).
 */
#include <stdlib.h>
#include <string.h>

#include "textnorm.h"
#include "utf8.h"

/* Letters only turned text uses (after case folding), and what they are. */
static const uint32_t textnorm_turned[][2] = {
	{0x0183, 'g'}, {0x01dd, 'e'}, {0x0250, 'a'}, {0x0254, 'c'},
	{0x025f, 'f'}, {0x0265, 'h'}, {0x026f, 'm'}, {0x0279, 'r'},
	{0x027e, 'j'}, {0x0287, 't'}, {0x028c, 'v'}, {0x028d, 'w'},
	{0x028e, 'y'}, {0x029e, 'k'}, {0x02e5, 'l'}, {0x1d09, 'i'},
	{0x1d1a, 'r'}, {0x214e, 'f'}, {0x2200, 'a'}, {0xa781, 'l'},
};

/* Glyphs that stand in for turned letters, digits and signs, read as such
 * only inside a turned run. */
static const uint32_t textnorm_standin[][2] = {
	{0x00a1, '!'}, {0x00bf, '?'}, {0x025b, '3'}, {0x03bb, 'v'},
	{0x03db, '5'}, {0x05e4, 'g'}, {0x1105, '2'}, {0x15e1, 'd'},
	{0x2229, 'u'}, {0x22a5, 't'}, {0x2534, 't'}, {0x3123, '4'},
	{0x3125, '7'},
};

/* The code point of the valid n-byte sequence at s. */
static uint32_t
tn_decode(const unsigned char *s, size_t n)
{
	static const unsigned char lead[] = {0, 0x7f, 0x1f, 0x0f, 0x07};
	uint32_t cp = s[0] & lead[n];
	size_t i;

	for (i = 1; i < n; i++)
		cp = (cp << 6) | (s[i] & 0x3f);
	return cp;
}

static uint32_t
textnorm_lookup(const uint32_t (*t)[2], size_t n, uint32_t cp)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (t[i][0] == cp)
			return t[i][1];
	return 0;
}

#define TN_TURNED(cp)                                                     \
	textnorm_lookup(textnorm_turned,                                  \
			sizeof(textnorm_turned) / sizeof(textnorm_turned[0]), \
			(cp))
#define TN_STANDIN(cp)                                                      \
	textnorm_lookup(textnorm_standin,                                   \
			sizeof(textnorm_standin) / sizeof(textnorm_standin[0]), \
			(cp))

/* A Latin letter or digit of the copy turned back; upper: the original
 * was a capital. */
static char
textnorm_turn_ascii(char c, int upper)
{
	static const char swap[] = "bqqbdppdnuun6996";
	size_t i;

	if (upper)
		return c == 'm' ? 'w' : c == 'w' ? 'm' : c;
	for (i = 0; swap[i] && swap[i + 1]; i += 2)
		if (swap[i] == c)
			return swap[i + 1];
	return c;
}

/* The word t[i..e) (no spaces): the number of its turned letters; 0 for
 * stand-ins or no letter at all; -1 for plain letters only. */
static int
textnorm_word_kind(const char *t, size_t i, size_t e)
{
	int turned = 0, plain = 0;
	size_t n;

	for (; i < e; i += n ? n : 1) {
		unsigned char c = (unsigned char)t[i];
		uint32_t cp;

		n = 1;
		if (c < 0x80) {
			plain += c >= 'a' && c <= 'z';
			continue;
		}
		n = utf8_seq_len((const unsigned char *)t + i, e - i);
		if (n == 0)
			continue;
		cp = tn_decode((const unsigned char *)t + i, n);
		if (TN_TURNED(cp))
			turned++;
		else if (!TN_STANDIN(cp))
			plain++;
	}
	return turned ? turned : plain ? -1 : 0;
}

/* End of the turned run that starts at word i (len bytes in t), or i
 * when the words from i on make none: it ends with its last word that has
 * a turned letter and needs two turned letters in all (one IPA letter in
 * a sentence is no upside-down text). */
static size_t
textnorm_run_end(const char *t, size_t i, size_t len)
{
	size_t end = i, w = i, e;
	int turned = 0, k;

	while (w < len) {
		e = w;
		while (e < len && t[e] != ' ')
			e++;
		if ((k = textnorm_word_kind(t, w, e)) < 0)
			break;
		if (k > 0) {
			turned += k;
			end = e;
		}
		w = e < len ? e + 1 : e;
	}
	return turned >= 2 ? end : i;
}

/* Write the run t[i..e) reversed and turned back at out (*o bytes so far),
 * with its map; orig is the original text. */
static void
textnorm_put_run(const char *t, const uint32_t *start, const uint32_t *end,
		 size_t i, size_t e, const char *orig, char *out,
		 uint32_t *ostart, uint32_t *oend, size_t *o)
{
	size_t j = e;

	while (j > i) {
		size_t k = j - 1, n, b;
		uint32_t cp, m;
		char c;

		while (k > i && ((unsigned char)t[k] & 0xc0) == 0x80)
			k--;
		n = j - k;
		c = t[k];
		if ((unsigned char)c < 0x80) {
			unsigned char oc = (unsigned char)orig[start[k]];

			c = textnorm_turn_ascii(c, oc >= 'A' && oc <= 'Z');
		} else if ((cp = tn_decode((const unsigned char *)t + k,
					     n)) != 0 &&
			   ((m = TN_TURNED(cp)) != 0 || (m = TN_STANDIN(cp)) != 0)) {
			c = (char)m;
		} else {
			c = 0;
		}
		for (b = 0; b < (c ? 1 : n); b++) {
			out[*o] = c ? c : t[k + b];
			ostart[*o] = start[k];
			oend[*o] = end[k];
			(*o)++;
		}
		j = k;
	}
}

/* Is there a turned letter in t at all?  (Most text has none.) */
int
textnorm_has_turned_text(const char *t, size_t len)
{
	size_t i, n;

	for (i = 0; i < len; i += n ? n : 1) {
		n = 1;
		if ((unsigned char)t[i] < 0x80)
			continue;
		n = utf8_seq_len((const unsigned char *)t + i, len - i);
		if (n && TN_TURNED(tn_decode((const unsigned char *)t + i, n)))
			return 1;
	}
	return 0;
}

int
textnorm_unturn(struct textnorm *tn, const char *orig)
{
	char *out;
	uint32_t *ostart, *oend;
	size_t i = 0, o = 0, e;

	if (tn->len == 0 || !textnorm_has_turned_text(tn->text, tn->len))
		return 0;
	out = malloc(tn->len + 1);
	ostart = malloc((tn->len + 1) * sizeof(uint32_t));
	oend = malloc((tn->len + 1) * sizeof(uint32_t));
	if (out == NULL || ostart == NULL || oend == NULL) {
		free(out);
		free(ostart);
		free(oend);
		return -1;
	}
	while (i < tn->len) {
		if (tn->text[i] != ' ' && (i == 0 || tn->text[i - 1] == ' ') &&
		    (e = textnorm_run_end(tn->text, i, tn->len)) > i) {
			textnorm_put_run(tn->text, tn->start, tn->end, i, e, orig,
					 out, ostart, oend, &o);
			i = e;
			continue;
		}
		out[o] = tn->text[i];
		ostart[o] = tn->start[i];
		oend[o++] = tn->end[i++];
	}
	out[o] = '\0';
	ostart[o] = tn->start[tn->len];
	oend[o] = tn->end[tn->len];
	free(tn->text);
	free(tn->start);
	free(tn->end);
	tn->text = out;
	tn->start = ostart;
	tn->end = oend;
	tn->len = o;
	return 0;
}
