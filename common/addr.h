/*
 * addr.h - e-mail address normalisation, shared by db/, policy/ and milter/.
 *
 * The consent store is keyed by the normalised address: surrounding spaces
 * and angle brackets removed, a "mailto:" prefix removed, lower-cased
 * (ASCII; UTF-8 bytes are kept as they are).  Everything that compares
 * addresses goes through addr_normalise() so the store, the rules and
 * consentctl agree on what "the same address" means.
 */
#ifndef CG_ADDR_H
#define CG_ADDR_H

#include <stddef.h>

#define ADDR_MAX 320 /* 64 local part + @ + 255 domain */

/*
 * Normalise in (NUL-terminated) into out (size outsz, at least ADDR_MAX+1).
 * Returns the length written, or -1 when the result is empty, longer than
 * ADDR_MAX, contains control characters or spaces, or has no '@' with text
 * on both sides.  out is always NUL-terminated when outsz > 0.
 */
int addr_normalise(const char *in, char *out, size_t outsz);

/* Like addr_normalise but accepts the null sender "<>" as "" (returns 0). */
int addr_normalise_sender(const char *in, char *out, size_t outsz);

/* The domain part of a normalised address (borrowed pointer into addr), or
 * "" when there is none. */
const char *addr_domain(const char *addr);

/*
 * Does addr (normalised) match an entry of a sender list?  An entry is a
 * full address ("news@example.com") or a domain ("@example.com"), compared
 * case-insensitively.  Returns 1 on a match, 0 otherwise.
 */
int addr_match_list(const char *addr, char *const *list, size_t n);

#endif
