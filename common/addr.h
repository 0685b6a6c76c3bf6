/*
 * addr.h - the one e-mail address normaliser, shared by db/, policy/,
 * milter/, ctl/ and the config reader.
 *
 * The consent store is keyed by the normalised address: surrounding spaces,
 * angle brackets and a "mailto:" prefix removed; the domain mapped with
 * UTS #46 to lower-case IDNA A-labels ("Bücher.Example" ->
 * "xn--bcher-kva.example"); the local part in Unicode NFC and lower-cased
 * (ASCII as always; other letters by Unicode's simple lower-case mapping,
 * not full case folding).  Everything that compares addresses goes through
 * addr_normalise() so the store, the rules, the config lists, import,
 * ingest-log, replication and consentctl agree on what "the same address"
 * means.
 */
#ifndef CG_ADDR_H
#define CG_ADDR_H

#include <stddef.h>

#define ADDR_MAX 320 /* 64 local part + @ + 255 domain */

/*
 * Normalise in (NUL-terminated) into out (size outsz, at least ADDR_MAX+1).
 * Returns the length written, or -1 when the result is empty, longer than
 * ADDR_MAX, contains control characters or spaces, has no '@' with text
 * on both sides, is not UTF-8, or its domain is not a valid IDNA (UTS #46)
 * domain name.  out is always NUL-terminated when outsz > 0.
 */
int addr_normalise(const char *in, char *out, size_t outsz);

/* Like addr_normalise but accepts the null sender "<>" as "" (returns 0). */
int addr_normalise_sender(const char *in, char *out, size_t outsz);

/*
 * A list entry "@domain" normalised like an address's domain into out
 * ("@Bücher.example" -> "@xn--bcher-kva.example").  Returns the length or
 * -1 when entry is not "@" followed by a valid domain.
 */
int addr_domain_entry_normalise(const char *entry, char *out, size_t outsz);

/* The domain part of a normalised address (borrowed pointer into addr), or
 * "" when there is none. */
const char *addr_domain(const char *addr);

/*
 * Does addr (normalised) match an entry of a sender list?  An entry is a
 * full address ("news@example.com") or a domain ("@example.com"); both
 * sides are compared in normalised form, so a U-label entry matches an
 * A-label address and the other way round.  Returns 1 on a match, 0 otherwise.
 */
int addr_match_list(const char *addr, char *const *list, size_t n);

#endif
