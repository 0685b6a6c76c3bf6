/*
 * reply.c - set an SMTP reply through libmilter safely: '%' doubled (the
 * MTA formats the text), control characters replaced, length bounded below
 * libmilter's 980-character limit.  Owns nothing.
 */
#include <string.h>

#include "mf.h"

int
mf_setreply(SMFICTX *ctx, const char *code, const char *xcode,
	    const char *text)
{
	char out[900];
	size_t i, o = 0;

	for (i = 0; text[i] && o + 3 < sizeof(out); i++) {
		unsigned char ch = (unsigned char)text[i];

		if (ch == '%') {
			out[o++] = '%';
			out[o++] = '%';
		} else {
			out[o++] = (ch < 0x20 || ch > 0x7e) ? '?' : (char)ch;
		}
	}
	out[o] = '\0';
	return smfi_setreply(ctx, (char *)code, (char *)xcode, out) ==
			       MI_SUCCESS
		       ? 0
		       : -1;
}
