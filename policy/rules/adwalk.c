/*
 * adwalk.c - walk every text of a message sentence by sentence with the
 * advertising detector (policy/adwalk.h).
 *
 * The threshold is AdvertisingThreshold when set, else the one the model
 * file carries.  A sentence holding a phrase of AdvertisingAllowList (both
 * compared in their normalised form) never counts, nor one that lies
 * wholly inside an ImprintText entry.  Owns nothing beyond one call;
 * fails only when memory runs out.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/textnorm.h"
#include "../settings.h"
#include "../adwalk.h"
#include "util.h"

struct adw {
	const struct pol_settings *ps;
	const struct pol_message *m;
	const char *where;
	int lines;
	size_t line_pos;  /* the line count of text[0..line_pos) is line_no */
	unsigned line_no;
	double threshold;
	int (*cb)(void *, const struct pol_ad_seen *);
	void *arg;
	char **imprint; /* ImprintText entries normalised, on first need */
};

double
pol_ad_threshold(const struct pol_settings *ps)
{
	const struct pol_admodel *m = pol_admodel_builtin();

	if (ps && ps->advertising_threshold > 0)
		return ps->advertising_threshold;
	return m ? pol_admodel_threshold(m) : 1.0;
}

void
pol_ad_quote(const char *text, size_t os, size_t oe, char *out, size_t outsz)
{
	size_t n = oe - os, i;

	if (n >= outsz)
		n = outsz - 1;
	while (n > 0 && n < oe - os && ((unsigned char)text[os + n] & 0xc0) == 0x80)
		n--;
	for (i = 0; i < n; i++)
		out[i] = text[os + i] == '\n' || text[os + i] == '\r' ||
				 text[os + i] == '\t'
			 ? ' '
			 : text[os + i];
	out[n] = '\0';
}

/* Does the normalised sentence hold an allow-listed phrase?  -1 memory. */
static int
adw_allowed(const struct pol_settings *ps, const char *norm)
{
	size_t i;
	int r;

	if (ps == NULL)
		return 0;
	for (i = 0; i < ps->advertising_allow.n; i++)
		if ((r = pol_norm_contains(norm, ps->advertising_allow.v[i])) != 0)
			return r;
	return 0;
}

/* Does the normalised sentence lie wholly inside one ImprintText entry?
 * The rules require that text in every mail, so it is never advertising
 * (a street and town the model misreads); an entry inside a longer
 * sentence does not exempt the rest.  -1 memory. */
static int
adw_imprint(struct adw *w, const char *norm)
{
	const struct pol_settings *ps = w->ps;
	size_t i;
	const char *p;
	char *n;
	int r = 0;

	if (ps == NULL || norm == NULL || ps->imprint_text.n == 0)
		return 0;
	for (p = norm; *p == ' '; p++)
		;
	if (*p == '\0')
		return 0;
	if (w->imprint == NULL) {
		w->imprint = calloc(ps->imprint_text.n, sizeof(*w->imprint));
		if (w->imprint == NULL)
			return -1;
		for (i = 0; i < ps->imprint_text.n; i++)
			if ((w->imprint[i] = textnorm_string(
				     ps->imprint_text.v[i])) == NULL)
				return -1;
	}
	/* pol_norm_contains for each entry, the needle normalised once. */
	if ((n = pol_norm_needle(norm)) == NULL)
		return -1;
	for (i = 0; i < ps->imprint_text.n && !r; i++)
		r = n[0] == '\0' || strstr(w->imprint[i], n) != NULL;
	free(n);
	return r;
}

static int
adw_sentence(void *arg, const char *text, const struct pol_ad_sentence *s)
{
	struct adw *w = arg;
	struct pol_ad_seen seen;
	char place[240];
	size_t i;
	int allowed = 0;

	if (w->lines) {
		/* Sentences come in text order: count on from the last. */
		for (i = w->line_pos; i < s->start; i++)
			w->line_no += text[i] == '\n';
		w->line_pos = i;
		snprintf(place, sizeof(place), "%s line %u", w->where,
			 w->line_no);
	} else
		snprintf(place, sizeof(place), "%s", w->where);
	if (s->score >= w->threshold &&
	    ((allowed = adw_allowed(w->ps, s->norm)) < 0 ||
	     (!allowed && (allowed = adw_imprint(w, s->norm)) < 0)))
		return -1;
	seen.where = place;
	seen.text = text;
	seen.s = s;
	seen.counts = s->score >= w->threshold && !allowed;
	seen.threshold = w->threshold;
	return w->cb(w->arg, &seen);
}

static int
adw_text(struct adw *w, const char *text, size_t len, const char *where,
	 int lines)
{
	if (text == NULL || len == 0)
		return 0;
	w->where = where;
	w->lines = lines;
	w->line_pos = 0;
	w->line_no = 1;
	return pol_adscore_text(pol_admodel_builtin(), text, len, adw_sentence, w);
}

static int
adw_part(struct adw *w, size_t i)
{
	const struct pol_text_part *p = &w->m->parts[i];
	char where[200];
	int r;

	pol_where_part(w->m, i, 0, where, sizeof(where));
	if ((r = adw_text(w, p->text, p->text_len, where, 1)) != 0)
		return r;
	snprintf(where, sizeof(where), "hidden text of part %s %s", p->path,
		 p->content_type);
	if ((r = adw_text(w, p->hidden, p->hidden_len, where, 1)) != 0)
		return r;
	snprintf(where, sizeof(where),
		 "title, alt or generated text of part %s %s", p->path,
		 p->content_type);
	return adw_text(w, p->extra, p->extra_len, where, 1);
}

static int
adw_alt(void *arg, const char *alt, size_t len, const char *where)
{
	return adw_text(arg, alt, len, where, 0);
}

int
pol_ad_walk(const struct pol_settings *ps, const struct pol_message *m,
	    int (*cb)(void *arg, const struct pol_ad_seen *seen), void *arg)
{
	struct adw w = {ps, m, NULL, 0, 0, 1, pol_ad_threshold(ps), cb, arg,
			NULL};
	size_t i;
	int r;

	if (pol_admodel_builtin() == NULL)
		return 0;
	/* The From display name is a name, not a sentence: the patterns
	 * read it, the model does not (a shop's name would weigh as an
	 * offer). */
	r = adw_text(&w, m->subject, strlen(m->subject), "header Subject", 0);
	for (i = 0; r == 0 && i < m->nparts; i++)
		r = adw_part(&w, i);
	if (r == 0)
		r = pol_each_image_alt(m, adw_alt, &w);
	if (w.imprint != NULL) {
		for (i = 0; i < ps->imprint_text.n; i++)
			free(w.imprint[i]);
		free(w.imprint);
	}
	return r;
}
