/*
 * time.h - the one parser and formatter of times in consentgate.
 *
 * Accepted forms (years 1970-9999; the result is UTC seconds):
 *   TIME_CANONICAL  what consentgate writes: "2026-01-02T03:04:05Z", or
 *                   decimal unix seconds.
 *   TIME_ISO        also ISO 8601 with an offset or a date alone:
 *                   "2026-01-02T04:04:05+01:00" (offset "+HH:MM", "+HHMM",
 *                   "+HH", '-' as well, or "Z"; 't' or a space for 'T';
 *                   seconds may be left out) and "2026-01-02" (midnight
 *                   UTC).  A time of day without a zone is refused: it
 *                   names no instant.
 * Pure functions; nothing is allocated or logged.
 */
#ifndef CG_TIME_H
#define CG_TIME_H

#include <stddef.h>
#include <stdint.h>

/* Room for a formatted time: "2026-01-02T03:04:05Z" and its NUL. */
#define TIME_TEXT_MAX 21

enum time_forms { TIME_CANONICAL = 0, TIME_ISO = 1 };

/* Parse s in the given forms into *out.  0, or -1 when s is none of them
 * or names a time outside 1970-01-01T00:00:00Z..9999-12-31T23:59:59Z. */
int time_parse(const char *s, enum time_forms forms, int64_t *out);

/* t as "2026-01-02T03:04:05Z" into out (outsz >= TIME_TEXT_MAX); times
 * outside years 1970-9999 as decimal seconds.  Returns out. */
char *time_format(int64_t t, char *out, size_t outsz);

#endif
