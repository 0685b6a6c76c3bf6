/*
 * hex.h - the one hexadecimal codec of consentgate: a digit's value, a
 * byte from two digits, and a byte as two digits.
 * Pure functions; nothing is allocated or logged.
 */
#ifndef CG_HEX_H
#define CG_HEX_H

/* The value (0-15) of the hex digit c, either case; -1 when c is not one. */
int hex_value(int c);

/* The byte (0-255) the two hex digits at p spell; -1 when either is not a
 * hex digit.  Reads p[1] only when p[0] is a digit, so a NUL stops it. */
int hex_byte(const char *p);

/* c as two upper-case hex digits into out[0] and out[1] (no NUL). */
void hex_put_upper(unsigned char c, char out[2]);

#endif
