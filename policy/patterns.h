/*
 * patterns.h - advertising pattern lists (PCRE2, UTF-8, case-insensitive).
 *
 * A list is text, one pattern per line, '#' comments.  Compiling happens once
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

/*
 * Find the first pattern matching text (UTF-8, len bytes).  On a match,
 * returns 1 and writes the matched text (truncated) into what.  0 when none
 * matches, -1 on an internal error.
 */
int pol_patterns_match(const struct pol_patterns *set, const char *text,
		       size_t len, char *what, size_t whatsz);

#endif
