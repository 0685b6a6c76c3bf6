/*
 * base64.h - the one base64 alphabet of consentgate (RFC 4648): the value
 * of a character, in the standard alphabet or also in the URL-safe one.
 * Pure functions; nothing is allocated or logged.
 */
#ifndef CG_BASE64_H
#define CG_BASE64_H

/* The 6-bit value of c in the standard alphabet (A-Z a-z 0-9 + /); with
 * url_too, '-' and '_' count as 62 and 63 as well.  -1 for any other
 * character, padding '=' included. */
int base64_value(int c, int url_too);

#endif
