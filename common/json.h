/*
 * json.h - write a C string as a quoted, escaped JSON string.
 */
#ifndef CG_JSON_H
#define CG_JSON_H

#include "buf.h"

/* Append s (NULL means "") as a JSON string to b.  0, or -1 (no memory). */
int json_put_string(struct buf *b, const char *s);

#endif
