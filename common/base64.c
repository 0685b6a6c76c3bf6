/*
 * base64.c - base64 character values (see base64.h), for the decoders of
 * the oversize scan and the URL scan.
 * Owns nothing; returns -1 for a character outside the alphabet.
 */
#include "base64.h"

int
base64_value(int c, int url_too)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+' || (url_too && c == '-'))
		return 62;
	if (c == '/' || (url_too && c == '_'))
		return 63;
	return -1;
}
