/*
 * adfeatures.c - the features of one normalised sentence for the
 * advertising detector (adscore.h): hashed word unigrams and bigrams,
 * character 4-grams of the words, and structural signals.
 *
 * Words are runs of letters and digits (any non-ASCII byte but general
 * punctuation and currency signs counts as a letter); every run of digits
 * reads as "#", so "sommer20" and "sommer15" are one word.  The n n-gram
 * features of a sentence each have the value n^(-1/4), so a long sentence
 * weighs little more than a short one (chosen by cross-validation over
 * 1/sqrt(n) and a constant); a structural signal is worth 1.  Owns nothing; cannot
 * fail (words longer than ADF_WORD_MAX bytes are cut).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "adscore.h"

#define ADF_WORD_MAX 40
#define ADF_WORDS_MAX 160

struct adf_word {
	char s[ADF_WORD_MAX + 1];
	size_t off; /* byte offset in the sentence */
};

static uint32_t
adf_hash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 16777619u;
	}
	h ^= h >> 15;
	h *= 0x2c1b3c6du;
	h ^= h >> 12;
	return h & ((1u << POL_AD_BITS) - 1);
}

/* Length of the separator (punctuation, space, currency sign) at p, or 0
 * when p starts a word character. */
static size_t
adf_sep(const unsigned char *p, const unsigned char *e)
{
	if (*p < 0x80)
		return (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
			       (*p >= 'A' && *p <= 'Z')
			   ? 0
			   : 1;
	/* U+2000-U+20CF: spaces, dashes, quotes, ellipsis, currency. */
	if (*p == 0xe2 && p + 2 < e && (p[1] == 0x80 || p[1] == 0x81 ||
					p[1] == 0x82))
		return 3;
	if (*p == 0xc2 && p + 1 < e && (p[1] == 0xab || p[1] == 0xbb ||
					p[1] == 0xa3 || p[1] == 0xa5 ||
					p[1] == 0xb7))
		return 2; /* « » £ ¥ · */
	return 0;
}

static size_t
adf_words(const char *norm, size_t len, struct adf_word *w, size_t max)
{
	const unsigned char *p = (const unsigned char *)norm, *e = p + len;
	size_t n = 0, k;

	while (p < e && n < max) {
		size_t s = adf_sep(p, e);

		if (s) {
			p += s;
			continue;
		}
		w[n].off = (size_t)((const char *)p - norm);
		k = 0;
		while (p < e && adf_sep(p, e) == 0) {
			int digit = *p >= '0' && *p <= '9';

			if (k < ADF_WORD_MAX && !(digit && k > 0 &&
						  w[n].s[k - 1] == '#'))
				w[n].s[k++] = digit ? '#' : (char)*p;
			p++;
		}
		/* Do not end inside a UTF-8 sequence. */
		while (k > 0 && ((unsigned char)w[n].s[k - 1] & 0xc0) == 0x80 &&
		       k == ADF_WORD_MAX)
			k--;
		if (k > 0 && ((unsigned char)w[n].s[k - 1] & 0xc0) == 0xc0)
			k--;
		w[n].s[k] = '\0';
		n += k > 0;
	}
	return n;
}

/* The first byte is compared first: most words start differently. */
static int
adf_in(const char *w, const char *const *list)
{
	for (; *list; list++)
		if ((*list)[0] == w[0] && strcmp(w, *list) == 0)
			return 1;
	return 0;
}

static int
adf_prefix_in(const char *w, const char *const *list)
{
	for (; *list; list++)
		if ((*list)[0] == w[0] &&
		    strncmp(w, *list, strlen(*list)) == 0)
			return 1;
	return 0;
}

static const char *const adf_currency[] = {
	"eur", "euro", "euros", "usd", "dollar", "chf", "gbp", "cent", NULL};
static const char *const adf_percent[] = {"prozent", "percent", "pct", NULL};
static const char *const adf_until[] = {
	"bis", "until", "till", "ends", "endet", "letzte", "last", "noch",
	"only", "nur", "before", "vor", "ab", "from", "starting", NULL};
static const char *const adf_when[] = {
	"montag", "dienstag", "mittwoch", "donnerstag", "freitag", "samstag",
	"sonntag", "monday", "tuesday", "wednesday", "thursday", "friday",
	"saturday", "sunday", "heute", "morgen", "today", "tomorrow",
	"tonight", "mitternacht", "midnight", "wochenende", "weekend",
	"monatsende", "jahresende", "ostern", "weihnachten", "christmas",
	"january", "januar", "dezember", "december", NULL};
static const char *const adf_for[] = {"für", "fur", "for", "zum", "x", NULL};
static const char *const adf_buy[] = {
	"bestell", "kauf", "shoppe", "buch", "sicher", "entdeck", "schau",
	"spar", "hol", "gönn", "probier", "teste", "stöber", "order", "buy",
	"shopping", "book", "grab", "discover", "check", "save", "get", "claim",
	"treat", "browse", "explore", "try", "reserv", "upgrade", "redeem",
	"lös", "nutz", "profitier", NULL};
static const char *const adf_shop[] = {
	"shop", "filiale", "store", "partner", "sponsor", "sortiment",
	"marktplatz", "marketplace", "kollektion", "collection", "katalog",
	"catalog", "warenkorb", "cart", "checkout", "produkt", "product", NULL};

static void
adf_emit(void (*fn)(void *, uint32_t, double, const char *), void *arg,
	 const char *name, double value)
{
	fn(arg, adf_hash(name), value, name);
}

/* The structural signals of the words (and the raw sentence). */
static void
adf_signals(const char *norm, size_t len, const struct adf_word *w, size_t n,
	    void (*fn)(void *, uint32_t, double, const char *), void *arg)
{
	int price = 0, pct = 0, deadline = 0, qty = 0, buy = 0, shop = 0;
	size_t i, k;

	for (i = 0; i < n; i++) {
		int num = w[i].s[0] == '#' && w[i].s[1] == '\0';
		const char *after = norm + w[i].off + strlen(w[i].s);

		if (num && i + 1 < n && adf_in(w[i + 1].s, adf_currency))
			price = 1;
		if (num && i + 1 < n && adf_in(w[i + 1].s, adf_percent))
			pct = 1;
		if (w[i].s[0] == '#' && after < norm + len) {
			/* "20%", "20 %", "9,99 €", "€ 5" */
			const char *q = after + (*after == ' ');

			if (*q == '%')
				pct = 1;
			if (!strncmp(q, "€", 3) || *q == '$' ||
			    !strncmp(q, "£", 2) || !strncmp(q, ",-", 2))
				price = 1;
		}
		if (num && w[i].off >= 1 && norm[w[i].off - 1] == '$')
			price = 1;
		if (num && w[i].off >= 3) {
			size_t b = w[i].off - (norm[w[i].off - 1] == ' ' &&
					       w[i].off >= 4 ? 4 : 3);

			if (!strncmp(norm + b, "€", 3))
				price = 1;
		}
		if (adf_in(w[i].s, adf_until))
			for (k = i + 1; k < n && k <= i + 3; k++)
				if (adf_in(w[k].s, adf_when) ||
				    adf_prefix_in(w[k].s, adf_when))
					deadline = 1;
		if (num && i + 2 < n && adf_in(w[i + 1].s, adf_for) &&
		    w[i + 2].s[0] == '#')
			qty = 1;
		if (adf_prefix_in(w[i].s, adf_shop) || strstr(w[i].s, "shop"))
			shop = 1;
	}
	for (i = 0; i < n && i < 3; i++)
		if (adf_prefix_in(w[i].s, adf_buy))
			buy = 1;
	if (price)
		adf_emit(fn, arg, "[price]", 1);
	if (pct)
		adf_emit(fn, arg, "[percent]", 1);
	if (deadline)
		adf_emit(fn, arg, "[deadline]", 1);
	if (qty)
		adf_emit(fn, arg, "[quantity deal]", 1);
	if (buy)
		adf_emit(fn, arg, "[buy verb]", 1);
	if (shop)
		adf_emit(fn, arg, "[shop or partner]", 1);
	if (memchr(norm, '!', len))
		adf_emit(fn, arg, "[!]", 1);
}

void
pol_adscore_features(const char *norm, size_t len,
		     void (*fn)(void *arg, uint32_t index, double value,
				const char *name),
		     void *arg)
{
	struct adf_word w[ADF_WORDS_MAX];
	char name[2 * ADF_WORD_MAX + 8];
	size_t n = adf_words(norm, len, w, ADF_WORDS_MAX), i, ngrams = 0;
	double v;

	for (i = 0; i < n; i++)
		ngrams += 2 + (strlen(w[i].s) + 2 >= 4 ? strlen(w[i].s) - 1 : 0);
	if (n == 0)
		return;
	v = 1.0 / sqrt(sqrt((double)ngrams));
	for (i = 0; i < n; i++) {
		const char *prev = i ? w[i - 1].s : "^";
		size_t wl = strlen(w[i].s), pl = strlen(prev), k;
		char pad[ADF_WORD_MAX + 3];

		adf_emit(fn, arg, w[i].s, v);
		/* "prev word" and "~" + each 4 bytes of "<word>", built with
		 * memcpy: this loop is the detector's hot path. */
		memcpy(name, prev, pl);
		name[pl] = ' ';
		memcpy(name + pl + 1, w[i].s, wl + 1);
		adf_emit(fn, arg, name, v);
		pad[0] = '<';
		memcpy(pad + 1, w[i].s, wl);
		pad[wl + 1] = '>';
		name[0] = '~';
		name[5] = '\0';
		for (k = 0; k + 4 <= wl + 2; k++) {
			memcpy(name + 1, pad + k, 4);
			adf_emit(fn, arg, name, v);
		}
	}
	adf_signals(norm, len, w, n, fn, arg);
}
