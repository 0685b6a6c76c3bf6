/*
 * patterns.h - advertising pattern lists (PCRE2, UTF-8, case-insensitive).
 *
 * A list is text, one pattern per line, '#' comments.  Patterns match the
 * normalised text (common/textnorm.h): lower case, "ß" as "ss", one space
 * for any run of white space, no soft hyphens or zero-width characters,
 * look-alike letters as Latin ones.  A "ß" in a pattern is read as "ss".  Compiling happens once
 * at config load, so a bad pattern is an error at start with file:line, never
 * at the first mail.  The compiled set is immutable and may be shared by all
 * threads (each match uses its own match data).
 */
#ifndef CG_PATTERNS_H
#define CG_PATTERNS_H

#include <stddef.h>

#include "../common/buf.h"

struct pol_patterns;

/*
 * Compile the lines of text (len bytes, named name in messages) and append
 * them to *set (created when NULL).  Errors go to errors as
 * "name:line: message\n".  Returns 0, or -1 when any line failed (the set is
 * then left unchanged in meaning but may hold the good lines).
 */
int pol_patterns_compile(const char *name, const char *text, size_t len,
			 struct buf *errors, struct pol_patterns **set);
/* The shipped German and English lists, compiled once (borrowed, static). */
const struct pol_patterns *pol_patterns_builtin(void);
void pol_patterns_free(struct pol_patterns *set);
/* Number of compiled patterns in set (0 for NULL). */
size_t pol_patterns_count(const struct pol_patterns *set);

/* The built-in words that make an image's file name a campaign picture
 * rather than a logo (banner, hero, teaser, seasons...), matched like the
 * advertising lists (borrowed, static). */
const struct pol_patterns *pol_patterns_image_names(void);

/* One match, as byte offsets into the normalised text. */
struct pol_pattern_hit {
	size_t start, end;
};

/*
 * Every place where some pattern of set matches norm (normalised text,
 * len bytes, as textnorm_make builds it): overlapping matches of
 * different patterns are merged into one, the result is sorted by start
 * and at most maxhits are written into hits.  Returns how many were
 * written, or -1 on an internal error (memory).
 */
int pol_patterns_find(const struct pol_patterns *set, const char *norm,
		      size_t len, struct pol_pattern_hit *hits, size_t maxhits);

/*
 * Normalise text (UTF-8, len bytes) and find its first match.  On a match,
 * returns 1 and writes the matched text as written in text (truncated)
 * into what.  0 when none matches, -1 on an internal error.
 */
int pol_patterns_match(const struct pol_patterns *set, const char *text,
		       size_t len, char *what, size_t whatsz);

#endif
