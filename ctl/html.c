/*
 * html.c - text escaping for consentctl's HTML report: every string from
 * the evidence goes through these before it reaches the page.
 *
 * Owns nothing; writes to the caller's stream and never fails on its own
 * (a write error shows in ferror, which the report checks).
 */
#include <stdio.h>
#include <string.h>

#include "ctl.h"

/* Write s (n bytes) escaped for HTML text and attribute values.  Control
 * characters become spaces (newline, tab) or U+FFFD. */
void
ctl_html_n(FILE *out, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i;

	for (i = 0; i < n && p[i]; i++) {
		if (p[i] == '&')
			fputs("&amp;", out);
		else if (p[i] == '<')
			fputs("&lt;", out);
		else if (p[i] == '>')
			fputs("&gt;", out);
		else if (p[i] == '"')
			fputs("&quot;", out);
		else if (p[i] == '\'')
			fputs("&#39;", out);
		else if (p[i] == '\n' || p[i] == '\t' || p[i] == '\r')
			fputc(' ', out);
		else if (p[i] < 0x20 || p[i] == 0x7f)
			fputs("\xef\xbf\xbd", out); /* U+FFFD */
		else
			fputc(p[i], out);
	}
}

void
ctl_html(FILE *out, const char *s)
{
	ctl_html_n(out, s, strlen(s));
}

/* s escaped, cut after max characters (UTF-8) with an ellipsis. */
void
ctl_html_cut(FILE *out, const char *s, size_t max)
{
	size_t i, chars = 0;

	for (i = 0; s[i]; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80 && chars++ == max)
			break;
	ctl_html_n(out, s, i);
	if (s[i])
		fputs("\xe2\x80\xa6", out);
}
