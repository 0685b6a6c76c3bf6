/*
 * adwalk.h - every sentence a reader of a message meets, scored by the
 * advertising detector (adscore.h): the Subject (not the From display
 * name, which the patterns read: a name is no sentence), each part's visible, hidden and extra text (title tooltips, CSS
 * generated content, image alt) and the alt text of images whose part has
 * no extra text.  doi.advertising refuses a DOI mail for each sentence at
 * or above the threshold; consentctl check --explain prints them all.
 */
#ifndef CG_ADWALK_H
#define CG_ADWALK_H

#include "adscore.h"
#include "message.h"

struct pol_settings;

/* One sentence: where it stands ("part 1 text/plain line 3"), the text it
 * was cut from, the scored sentence, whether it counts (score at or above
 * the threshold and no AdvertisingAllowList phrase in it) and the
 * threshold used. */
struct pol_ad_seen {
	const char *where;
	const char *text;
	const struct pol_ad_sentence *s;
	int counts;
	double threshold;
};

/* The threshold in force: AdvertisingThreshold, else the model's. */
double pol_ad_threshold(const struct pol_settings *ps);

/*
 * Call cb for every sentence of m.  A non-zero cb result stops the walk
 * and is returned; -1 also when memory ran out; 0 when the shipped model
 * is missing (nothing to score).
 */
int pol_ad_walk(const struct pol_settings *ps, const struct pol_message *m,
		int (*cb)(void *arg, const struct pol_ad_seen *seen),
		void *arg);

/* The sentence as written, cut at outsz bytes on a character boundary,
 * line breaks as spaces. */
void pol_ad_quote(const char *text, size_t start, size_t end, char *out,
		  size_t outsz);

/* The features that weighed most for s, quoted, as "\"a\", \"b\"". */
void pol_ad_top_features(const struct pol_ad_sentence *s, char *out,
			 size_t outsz);

#endif
