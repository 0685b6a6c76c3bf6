/*
 * adscore.h - the sentence-level advertising detector.
 *
 * A text (the decoded visible, hidden or extra text of a part, a Subject)
 * is split into sentences in one pass; each sentence is normalised
 * (common/textnorm.h) and scored by a logistic-regression model over
 * hashed features: word unigrams and bigrams (the first word paired with a
 * start mark, so an opening imperative counts), character 4-grams of the
 * words, and structural signals (a price or currency amount, a percentage,
 * a deadline, a quantity deal like "3 für 2", a buy/order/book verb at the
 * start, a shop or partner reference, an exclamation mark).  The score is
 * the probability that the sentence advertises.
 *
 * The model is a text file (policy/admodel.txt, built into the binary;
 * tools/admodel-train.c writes it from data/admodel/): a header with the
 * hash size, the bias and the threshold chosen by cross-validation, then
 * one "w INDEX WEIGHT" line per non-zero weight.  A parsed model is
 * immutable and may be shared by all threads.  Splitting and scoring are
 * linear in the text; a sentence is cut at POL_AD_SENTENCE_MAX bytes.
 */
#ifndef CG_ADSCORE_H
#define CG_ADSCORE_H

#include <stddef.h>
#include <stdint.h>

#include "../common/buf.h"

#define POL_AD_SENTENCE_MAX 600
#define POL_AD_TOP 3
#define POL_AD_FEATURE_NAME 48

struct pol_admodel;

/* Parse the model text (len bytes, named name in messages); errors go to
 * errors as "name:line: message\n" when errors is not NULL.  NULL on a
 * malformed model or when memory ran out. */
struct pol_admodel *pol_admodel_parse(const char *name, const char *text,
				      size_t len, struct buf *errors);
void pol_admodel_free(struct pol_admodel *m);
/* The shipped model, parsed once (borrowed, static); NULL only when memory
 * ran out at the first call. */
const struct pol_admodel *pol_admodel_builtin(void);
/* The threshold the model file names (a score at or above it is a
 * finding). */
double pol_admodel_threshold(const struct pol_admodel *m);

/* A feature that weighed for the verdict: its readable name and its
 * contribution to the logit. */
struct pol_ad_feature {
	char name[POL_AD_FEATURE_NAME];
	double weight;
};

/* One scored sentence. */
struct pol_ad_sentence {
	size_t start, end; /* byte span in the original text */
	const char *norm;  /* normalised sentence (valid during the call) */
	size_t norm_len;
	double score;      /* 0..1 */
	struct pol_ad_feature top[POL_AD_TOP]; /* largest positive first */
	unsigned ntop;
};

/* Called for each sentence; a non-zero return stops the walk and is
 * returned by pol_adscore_text. */
typedef int (*pol_ad_cb)(void *arg, const char *text,
			 const struct pol_ad_sentence *s);

/*
 * Split len bytes of text into sentences, score each with model and call
 * cb.  Sentences without a letter are skipped.  Returns 0, cb's non-zero
 * result, or -1 when memory ran out.
 */
int pol_adscore_text(const struct pol_admodel *model, const char *text,
		     size_t len, pol_ad_cb cb, void *arg);

/* The sentence spans of text, for the trainer and tests: cb(arg, start,
 * end) per sentence, in order.  Returns 0 or cb's non-zero result. */
/* Words of a normalised sentence (one space between words). */
unsigned pol_adscore_words(const struct pol_ad_sentence *s);

int pol_adscore_split(const char *text, size_t len,
		      int (*cb)(void *arg, size_t start, size_t end), void *arg);

/* Hash bits of the feature space (the model's "bits" must equal it). */
#define POL_AD_BITS 17

/* The features of a normalised sentence: fn(arg, index, value, name) per
 * feature occurrence (index < 1 << POL_AD_BITS). */
void pol_adscore_features(const char *norm, size_t len,
			  void (*fn)(void *arg, uint32_t index, double value,
				     const char *name),
			  void *arg);

#endif
