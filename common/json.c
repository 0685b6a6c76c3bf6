/*
 * json.c - the one JSON string escaper of consentgate, used by the
 * evidence records, exports and `consentctl check --format json`.
 * Invalid UTF-8 becomes U+FFFD, so the output is always valid JSON.
 * Owns nothing; returns -1 when the buffer cannot grow.
 */
#include <stdint.h>

#include "json.h"
#include "utf8.h"


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
		} else if ((n = utf8_seq_len(p, 4)) == 0) {
			r = buf_puts(b, "\\ufffd");
			p++;
		} else {
			r = buf_append(b, p, n);
			p += n;
		}
	}
	return r == 0 ? buf_putc(b, '"') : -1;
}

