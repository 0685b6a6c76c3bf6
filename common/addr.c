/*
 * addr.c - e-mail address normalisation and sender-list matching.
 *
 * Owns nothing: pure functions over caller buffers.  Never logs.
 */
#include "addr.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

static int
addr_copy_trimmed(const char *in, char *out, size_t outsz)
{
	const char *s = in, *e;
	size_t n, i;

	if (outsz == 0)
		return -1;
	out[0] = '\0';
	while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' ||
			 e[-1] == '\n'))
		e--;
	if (e > s && *s == '<' && e[-1] == '>') {
		s++;
		e--;
	} else if (e > s && (*s == '<' || e[-1] == '>')) {
		return -1;
	}
	while (s < e && (*s == ' ' || *s == '\t'))
		s++;
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	if ((size_t)(e - s) >= 7 && strncasecmp(s, "mailto:", 7) == 0)
		s += 7;
	n = (size_t)(e - s);
	if (n > ADDR_MAX || n + 1 > outsz)
		return -1;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= ' ' || c == 0x7f || c == '<' || c == '>')
			return -1;
		out[i] = (char)tolower(c);
	}
	out[n] = '\0';
	return (int)n;
}

int
addr_normalise(const char *in, char *out, size_t outsz)
{
	int n;
	char *at;

	if (in == NULL)
		return -1;
	n = addr_copy_trimmed(in, out, outsz);
	if (n <= 0)
		goto bad;
	at = strrchr(out, '@');
	if (at == NULL || at == out || at[1] == '\0')
		goto bad;
	return n;
bad:
	if (outsz)
		out[0] = '\0';
	return -1;
}

int
addr_normalise_sender(const char *in, char *out, size_t outsz)
{
	const char *s = in;

	if (in == NULL)
		return -1;
	while (*s == ' ' || *s == '\t')
		s++;
	if (strcmp(s, "<>") == 0 || *s == '\0') {
		if (outsz)
			out[0] = '\0';
		return 0;
	}
	return addr_normalise(in, out, outsz);
}

const char *
addr_domain(const char *addr)
{
	const char *at = strrchr(addr, '@');

	return at ? at + 1 : "";
}

int
addr_match_list(const char *addr, char *const *list, size_t n)
{
	const char *dom;
	size_t i;

	if (addr == NULL || *addr == '\0')
		return 0;
	dom = addr_domain(addr);
	for (i = 0; i < n; i++) {
		const char *e = list[i];

		if (e[0] == '@') {
			if (strcasecmp(dom, e + 1) == 0)
				return 1;
		} else if (strcasecmp(addr, e) == 0) {
			return 1;
		}
	}
	return 0;
}
