/*
 * adscore.c - sentence splitting, the advertising model and its scoring
 * (adscore.h; the features are adfeatures.c's).
 *
 * Splitting, in one pass over the original text: a sentence ends at '.',
 * '!' or '?' followed by white space and not by a lower-case letter or a
 * digit (so "ca. 5" stays whole), not after a single letter ("Z. B.",
 * "u. a.") and not after a day
 * of one or two digits ("am 24. November"), at a blank line, at a
 * line break after a short line (a heading, a button, a list item) or
 * before a list bullet, and after POL_AD_SENTENCE_MAX bytes; a line break
 * inside a wrapped paragraph does not end one.  Each sentence is
 * normalised on its own, so the whole is linear in the text.
 *
 * Owns the parsed models (the shipped one lives until exit).  Fails only
 * when memory runs out (-1) or the model text is malformed (NULL).
 */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/textnorm.h"
#include "adscore.h"

/* A line shorter than this that ends in a line break ends a sentence. */
#define ADS_SHORT_LINE 60

struct pol_admodel {
	double bias, threshold;
	float *w; /* 1 << POL_AD_BITS weights */
};

static int
ads_perr(struct buf *errors, const char *name, unsigned line, const char *msg)
{
	if (errors)
		buf_printf(errors, "%s:%u: %s\n", name, line, msg);
	return -1;
}

/* One line of the model: 0, or -1 with the error added. */
static int
ads_parse_line(struct pol_admodel *m, const char *l, const char *name,
	       unsigned ln, struct buf *errors, int *have)
{
	unsigned long idx;
	double d;
	int bits;

	if (l[0] == '#' || l[0] == '\0')
		return 0;
	/* Weight lines are nearly all of the file: read them first, without
	 * sscanf (start-up time). */
	if (l[0] == 'w' && l[1] == ' ') {
		char *e1, *e2;

		idx = strtoul(l + 2, &e1, 10);
		if (e1 != l + 2 && *e1 == ' ') {
			d = strtod(e1 + 1, &e2);
			if (e2 != e1 + 1 && *e2 == '\0' &&
			    idx < (1ul << POL_AD_BITS) && isfinite(d))
				return m->w[idx] = (float)d, 0;
		}
		return ads_perr(errors, name, ln, "not a model line");
	}
	if (strcmp(l, "admodel 1") == 0)
		return (*have |= 1), 0;
	if (sscanf(l, "bits %d", &bits) == 1)
		return bits == POL_AD_BITS ? (*have |= 2), 0
					   : ads_perr(errors, name, ln,
						      "bits differ from the detector's");
	if (sscanf(l, "bias %lf", &d) == 1 && isfinite(d))
		return m->bias = d, (*have |= 4), 0;
	if (sscanf(l, "threshold %lf", &d) == 1 && d > 0 && d < 1)
		return m->threshold = d, (*have |= 8), 0;
	return ads_perr(errors, name, ln, "not a model line");
}

struct pol_admodel *
pol_admodel_parse(const char *name, const char *text, size_t len,
		  struct buf *errors)
{
	struct pol_admodel *m = calloc(1, sizeof(*m));
	const char *p = text, *e = text + len;
	char line[128];
	unsigned ln = 0;
	int have = 0, bad = 0;

	if (m == NULL || (m->w = calloc(1u << POL_AD_BITS, sizeof(float))) == NULL) {
		free(m);
		return NULL;
	}
	while (p < e) {
		const char *nl = memchr(p, '\n', (size_t)(e - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(e - p);

		ln++;
		if (n >= sizeof(line))
			bad |= ads_perr(errors, name, ln, "line too long");
		else {
			memcpy(line, p, n);
			line[n] = '\0';
			bad |= ads_parse_line(m, line, name, ln, errors, &have);
		}
		p += n + (nl != NULL);
	}
	if (!bad && have != 15)
		bad = ads_perr(errors, name, ln,
			       "missing admodel, bits, bias or threshold line");
	if (bad) {
		pol_admodel_free(m);
		return NULL;
	}
	return m;
}

void
pol_admodel_free(struct pol_admodel *m)
{
	if (m == NULL)
		return;
	free(m->w);
	free(m);
}

double
pol_admodel_threshold(const struct pol_admodel *m)
{
	return m->threshold;
}

extern const char pol_builtin_admodel[];
static struct pol_admodel *ads_builtin;
static pthread_once_t ads_builtin_once = PTHREAD_ONCE_INIT;

static void
ads_builtin_parse(void)
{
	ads_builtin = pol_admodel_parse("admodel-builtin", pol_builtin_admodel,
					strlen(pol_builtin_admodel), NULL);
}

const struct pol_admodel *
pol_admodel_builtin(void)
{
	pthread_once(&ads_builtin_once, ads_builtin_parse);
	return ads_builtin;
}

/* Does a sentence end after the '.', '!' or '?' at text[i]? */
static int
ads_stop_ends(const char *t, size_t i, size_t len)
{
	size_t j = i + 1;

	/* "am 24. November": a day's ordinal, not a sentence's end. */
	if (t[i] == '.' && i > 0 && t[i - 1] >= '0' && t[i - 1] <= '9' &&
	    (i < 2 || t[i - 2] < '0' || t[i - 2] > '9' ||
	     i < 3 || t[i - 3] < '0' || t[i - 3] > '9') &&
	    j < len && (t[j] == ' ' || t[j] == '\n') && j + 1 < len &&
	    t[j + 1] >= 'A' &&
	    t[j + 1] <= 'Z')
		return 0;
	/* "Z. B.", "u. a.": a single letter and a dot abbreviate. */
	if (t[i] == '.' && i > 0 && ((t[i - 1] | 0x20) >= 'a' &&
				     (t[i - 1] | 0x20) <= 'z') &&
	    (i < 2 || t[i - 2] == ' ' || t[i - 2] == '\n' || t[i - 2] == '.'))
		return 0;
	while (j < len && (t[j] == '.' || t[j] == '!' || t[j] == '?' ||
			   t[j] == ')' || t[j] == '"'))
		j++;
	if (j >= len)
		return 1;
	if (t[j] != ' ' && t[j] != '\n' && t[j] != '\t' && t[j] != '\r')
		return 0;
	while (j < len && (t[j] == ' ' || t[j] == '\t'))
		j++;
	return !(j < len && ((t[j] >= 'a' && t[j] <= 'z') ||
			     (t[j] >= '0' && t[j] <= '9')));
}

/* Does the line break at text[i] end the sentence (line from ls)? */
static int
ads_break_ends(const char *t, size_t ls, size_t i, size_t len)
{
	size_t j = i + 1;

	if (i - ls < ADS_SHORT_LINE)
		return 1;
	while (j < len && (t[j] == ' ' || t[j] == '\t' || t[j] == '\r'))
		j++;
	if (j >= len || t[j] == '\n' || t[j] == '-' || t[j] == '*' ||
	    (j + 2 < len && !memcmp(t + j, "\xe2\x80\xa2", 3)))
		return 1;
	return i > 0 && t[i - 1] == ':';
}

int
pol_adscore_split(const char *t, size_t len,
		  int (*cb)(void *arg, size_t start, size_t end), void *arg)
{
	size_t s = 0, ls = 0, i;
	int r;

	for (i = 0; i < len; i++) {
		size_t end = 0;

		if (t[i] == '.' || t[i] == '!' || t[i] == '?') {
			if (ads_stop_ends(t, i, len))
				end = i + 1;
		} else if (t[i] == '\n') {
			if (ads_break_ends(t, ls, i, len))
				end = i;
			ls = i + 1;
		}
		/* Cut an over-long sentence on a character boundary. */
		if (!end && i - s >= POL_AD_SENTENCE_MAX &&
		    ((unsigned char)t[i] & 0xc0) != 0x80)
			end = i;
		if (!end)
			continue;
		if (end > s && (r = cb(arg, s, end)) != 0)
			return r;
		s = end;
	}
	if (len > s && (r = cb(arg, s, len)) != 0)
		return r;
	return 0;
}

unsigned
pol_adscore_words(const struct pol_ad_sentence *s)
{
	unsigned words = 1;
	size_t i;

	for (i = 0; i < s->norm_len; i++)
		words += s->norm[i] == ' ';
	return words;
}

struct ads_acc {
	const struct pol_admodel *m;
	double logit;
	struct pol_ad_feature top[POL_AD_TOP];
	unsigned ntop;
};

/* name without a broken UTF-8 sequence at either end, into out. */
static void
ads_clean_name(const char *name, char *out, size_t outsz)
{
	size_t n, k;

	while ((*name & 0xc0) == 0x80)
		name++;
	/* memcpy, not snprintf: this runs for most features of a sentence */
	n = strnlen(name, outsz - 1);
	memcpy(out, name, n);
	out[n] = '\0';
	for (k = n; k > 0 && ((unsigned char)out[k - 1] & 0xc0) == 0x80; k--)
		;
	if (k > 0 && ((unsigned char)out[k - 1] & 0x80)) {
		unsigned char c = (unsigned char)out[k - 1];
		size_t need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;

		if (n - (k - 1) < need)
			out[k - 1] = '\0';
	}
}

static void
ads_feature(void *arg, uint32_t idx, double value, const char *name)
{
	struct ads_acc *a = arg;
	double c = a->m->w[idx] * value;
	unsigned k, j;

	a->logit += c;
	if (c <= 0)
		return;
	for (k = 0; k < a->ntop; k++)
		if (c > a->top[k].weight)
			break;
	if (k >= POL_AD_TOP)
		return;
	if (a->ntop < POL_AD_TOP)
		a->ntop++;
	for (j = a->ntop - 1; j > k; j--)
		a->top[j] = a->top[j - 1];
	a->top[k].weight = c;
	ads_clean_name(name[0] == '~' ? name + 1 : name, a->top[k].name,
		       sizeof(a->top[k].name));
}

struct ads_walk {
	const struct pol_admodel *m;
	const char *text;
	pol_ad_cb cb;
	void *arg;
	int nomem;
};

static int
ads_sentence(void *arg, size_t s, size_t e)
{
	struct ads_walk *w = arg;
	struct pol_ad_sentence out;
	struct ads_acc a;
	char *norm;
	size_t nlen;
	int r;

	while (s < e && strchr(" \t\r\n-*|>", w->text[s]))
		s++;
	while (e > s && strchr(" \t\r\n", w->text[e - 1]))
		e--;
	if (s >= e)
		return 0;
	/* The sentence's own offsets are not needed: no offset map. */
	if ((norm = textnorm_stringn(w->text + s, e - s)) == NULL)
		return w->nomem = 1, -1;
	nlen = strlen(norm);
	memset(&a, 0, sizeof(a));
	a.m = w->m;
	a.logit = w->m->bias;
	pol_adscore_features(norm, nlen, ads_feature, &a);
	if (a.logit == w->m->bias && a.ntop == 0) {
		/* No word at all: nothing to judge. */
		int letters = 0;

		for (size_t i = 0; i < nlen && !letters; i++)
			letters = ((unsigned char)norm[i] >= 'a' &&
				   (unsigned char)norm[i] <= 'z') ||
				  (unsigned char)norm[i] >= 0x80;
		if (!letters) {
			free(norm);
			return 0;
		}
	}
	memset(&out, 0, sizeof(out));
	out.start = s;
	out.end = e;
	out.norm = norm;
	out.norm_len = nlen;
	out.score = 1.0 / (1.0 + exp(-a.logit));
	memcpy(out.top, a.top, sizeof(out.top));
	out.ntop = a.ntop;
	r = w->cb(w->arg, w->text, &out);
	free(norm);
	return r;
}

int
pol_adscore_text(const struct pol_admodel *model, const char *text,
		 size_t len, pol_ad_cb cb, void *arg)
{
	struct ads_walk w = {model, text, cb, arg, 0};
	int r;

	if (model == NULL || text == NULL || len == 0)
		return 0;
	r = pol_adscore_split(text, len, ads_sentence, &w);
	return w.nomem ? -1 : r;
}
