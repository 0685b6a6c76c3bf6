/*
 * str.c - ASCII white space and trimming (see str.h): the set the HTML
 * parser, the CSS reader, the config reader and the CSV import share.
 * Owns nothing; cannot fail.
 */
#include "str.h"

#include <string.h>

int
str_is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

char *
str_trim(char *s)
{
	size_t n;

	while (str_is_space((unsigned char)*s))
		s++;
	n = strlen(s);
	while (n > 0 && str_is_space((unsigned char)s[n - 1]))
		n--;
	s[n] = '\0';
	return s;
}
