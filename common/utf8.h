/*
 * utf8.h - the UTF-8 primitives every module shares: how long a valid
 * sequence is, and how a code point is written.
 */
#ifndef CG_UTF8_H
#define CG_UTF8_H

#include <stddef.h>

#include "buf.h"

/* Length (1-4) of the valid UTF-8 sequence at s, with n bytes left, or 0
 * when it is invalid: truncated, overlong, a surrogate or past U+10FFFF. */
size_t utf8_seq_len(const unsigned char *s, size_t n);
/* Write cp as UTF-8 into out; NUL, surrogates and values past U+10FFFF
 * become U+FFFD.  Returns the length (1-4). */
size_t utf8_encode(char out[4], unsigned cp);
/* Append cp to b as utf8_encode writes it.  0, or -1 (no memory). */
int utf8_put(struct buf *b, unsigned cp);

#endif
