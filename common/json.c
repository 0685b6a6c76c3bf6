/*
 * json.c - the one JSON string escaper of consentgate, used by the
 * evidence records, exports and `consentctl check --format json`.
 * Invalid UTF-8 becomes U+FFFD, so the output is always valid JSON.
 * Owns nothing; returns -1 when the buffer cannot grow.
 */
#include <stdint.h>

#include "json.h"

/* Length of the valid UTF-8 sequence at s (1-4), or 0 when invalid. */
static size_t
json_utf8_len(const unsigned char *s)
{
	size_t n, i;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates and values past U+10FFFF. */
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return n;
}

int
json_put_string(struct buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t n;
	int r = buf_putc(b, '"');

	while (r == 0 && *p) {
		if (*p == '"' || *p == '\\') {
			r = buf_putc(b, '\\');
			if (r == 0)
				r = buf_putc(b, (char)*p++);
		} else if (*p == '\n') {
			r = buf_puts(b, "\\n");
			p++;
		} else if (*p < 0x20 || *p == 0x7f) {
			r = buf_printf(b, "\\u%04x", *p++);
		} else if ((n = json_utf8_len(p)) == 0) {
			r = buf_puts(b, "\\ufffd");
			p++;
		} else {
			r = buf_append(b, p, n);
			p += n;
		}
	}
	return r == 0 ? buf_putc(b, '"') : -1;
}

