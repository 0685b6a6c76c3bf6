/*
 * hex.c - hexadecimal digits to values and back (see hex.h).  Used by the
 * JSON \u escapes, URL percent-encoding, CSS escapes and the
 * quoted-printable view of the oversize scan.
 * Owns nothing; never fails beyond returning -1 for a non-digit.
 */
#include "hex.h"

int
hex_value(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
hex_byte(const char *p)
{
	int hi, lo;

	if ((hi = hex_value((unsigned char)p[0])) < 0 ||
	    (lo = hex_value((unsigned char)p[1])) < 0)
		return -1;
	return hi << 4 | lo;
}

void
hex_put_upper(unsigned char c, char out[2])
{
	static const char digits[] = "0123456789ABCDEF";

	out[0] = digits[c >> 4];
	out[1] = digits[c & 15];
}
