/*
 * buf.h - growable byte strings.
 *
 * The only place in consentgate that grows a string.  A struct buf owns its
 * data; buf_free() releases it.  data is always NUL-terminated (when non-NULL)
 * so it can be used as a C string; it may also hold NUL bytes inside (len
 * counts them).  Functions return 0 on success, -1 when memory ran out or the
 * size would overflow; after a failure the buffer keeps its previous content.
 */
#ifndef CG_BUF_H
#define CG_BUF_H

#include <stddef.h>

struct buf {
	char *data;
	size_t len;
	size_t cap;
};

#define BUF_INIT {NULL, 0, 0}

int buf_reserve(struct buf *b, size_t extra);
int buf_append(struct buf *b, const void *p, size_t n);
int buf_puts(struct buf *b, const char *s);
int buf_putc(struct buf *b, char c);
int buf_printf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void buf_reset(struct buf *b);
/* Hand the data to the caller (free() it); the buffer is empty afterwards.
 * Returns an empty string rather than NULL for an empty buffer, or NULL when
 * memory ran out. */
char *buf_steal(struct buf *b);
void buf_free(struct buf *b);

#endif
