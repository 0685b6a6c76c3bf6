/*
 * json.h - write a C string as a quoted, escaped JSON string.
 */
#ifndef CG_JSON_H
#define CG_JSON_H

#include "buf.h"

/* Append s (NULL means "") as a JSON string to b.  0, or -1 (no memory). */
int json_put_string(struct buf *b, const char *s);
/* The four hex digits of a \\uXXXX escape at p (end bounds the text) into
 * *cp.  0, or -1 when they are not four hex digits. */
int json_hex4(const char *p, const char *end, unsigned *cp);

#endif
