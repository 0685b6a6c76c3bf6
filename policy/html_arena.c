/*
 * html_arena.c - the arena gumbo parses in (see html_arena.h).
 *
 * The budget counts the bytes gumbo holds at a time (as asked for), as it
 * always did.  Blocks up to 4 KiB are cut from 64 KiB chunks, rounded up
 * to a power of two; one gumbo frees goes on the free list of its size
 * class and serves the next request of that class.  The memory held
 * (chunks and large blocks) may not pass twice the budget: a new chunk
 * past that is the budget running out.  Larger blocks are malloc'd and
 * freed one by one.  Owns every chunk and block until pol_arena_release.  Failure: the budget or malloc running out
 * longjmp()s back to pol_arena_parse, which releases the arena and
 * returns NULL.  Never logs, no I/O.
 */
#include "html_arena.h"

#include <stdint.h>
#include <stdlib.h>

/*
 * The arena budget: gumbo needs 3-8 bytes per input byte for mail HTML and
 * up to about 50 for dense tag soup ("<p>" repeated); the pre-scan has
 * already refused input that makes it clone elements.  (Overridable at
 * compile time so that a test can reach the way out.)
 */
#ifndef POL_ARENA_PER_BYTE
#define POL_ARENA_PER_BYTE 64
#endif
#ifndef POL_ARENA_BASE
#define POL_ARENA_BASE ((size_t)16 << 20)
#endif

/* The size class of n bytes, POL_ARENA_CLASSES when too large. */
static unsigned
pol_arena_class(size_t n)
{
	unsigned c = 0;
	size_t sz = 16;

	while (sz < n && c < POL_ARENA_CLASSES) {
		sz <<= 1;
		c++;
	}
	return c;
}

/* Unlink large block b from the held list and give it back to malloc. */
static void
pol_arena_drop(struct pol_arena *a, union pol_arena_head *b)
{
	b->h.prev->h.next = b->h.next;
	b->h.next->h.prev = b->h.prev;
	a->held -= b->h.size;
	free(b);
}

/* A new small block of class cls, from the free list or the chunk. */
static union pol_arena_head *
pol_arena_small(struct pol_arena *a, unsigned cls)
{
	size_t need = sizeof(union pol_arena_head) + ((size_t)16 << cls);
	struct pol_arena_chunk *c;
	union pol_arena_head *b;

	if ((b = a->freel[cls]) != NULL) {
		a->freel[cls] = b->h.free_next;
		return b;
	}
	if ((size_t)(a->end - a->pos) < need) {
		if (a->held > 2 * a->limit)
			longjmp(a->fail, 1);
		if ((c = malloc(sizeof(*c) + POL_ARENA_CHUNK)) == NULL)
			longjmp(a->fail, 2);
		c->next = a->chunks;
		a->chunks = c;
		a->pos = (char *)c->first;
		a->end = a->pos + POL_ARENA_CHUNK;
		a->held += POL_ARENA_CHUNK;
	}
	b = (union pol_arena_head *)(void *)a->pos;
	a->pos += need;
	b->h.cls = cls;
	return b;
}

static void *
pol_arena_alloc(void *ud, size_t n)
{
	struct pol_arena *a = ud;
	union pol_arena_head *b;
	unsigned cls = pol_arena_class(n);

	if (n > a->limit - a->live)
		longjmp(a->fail, 1);
	if (cls < POL_ARENA_CLASSES) {
		b = pol_arena_small(a, cls);
	} else {
		if ((b = malloc(sizeof(*b) + n)) == NULL)
			longjmp(a->fail, 2);
		b->h.cls = cls;
		b->h.next = a->list.h.next;
		b->h.prev = &a->list;
		a->list.h.next->h.prev = b;
		a->list.h.next = b;
		a->held += n;
	}
	b->h.size = n;
	a->live += n;
	return b + 1;
}

static void
pol_arena_free(void *ud, void *p)
{
	struct pol_arena *a = ud;
	union pol_arena_head *b;

	if (p == NULL)
		return;
	b = (union pol_arena_head *)p - 1;
	a->live -= b->h.size;
	if (b->h.cls >= POL_ARENA_CLASSES) {
		pol_arena_drop(a, b);
		return;
	}
	b->h.size = 0;
	b->h.free_next = a->freel[b->h.cls];
	a->freel[b->h.cls] = b;
}

void
pol_arena_release(struct pol_arena *a)
{
	struct pol_arena_chunk *c;
	union pol_arena_head *b;
	unsigned k;

	while ((b = a->list.h.next) != &a->list) {
		a->list.h.next = b->h.next;
		free(b);
	}
	a->list.h.prev = &a->list;
	while ((c = a->chunks) != NULL) {
		a->chunks = c->next;
		free(c);
	}
	a->pos = a->end = NULL;
	for (k = 0; k < POL_ARENA_CLASSES; k++)
		a->freel[k] = NULL;
	a->live = a->held = 0;
}

GumboOutput *
pol_arena_parse(struct pol_arena *a, const char *html, size_t len)
{
	unsigned c;

	a->list.h.next = a->list.h.prev = &a->list;
	a->chunks = NULL;
	a->pos = a->end = NULL;
	for (c = 0; c < POL_ARENA_CLASSES; c++)
		a->freel[c] = NULL;
	a->live = a->held = 0;
	a->limit = len > (SIZE_MAX / 2 - POL_ARENA_BASE) / POL_ARENA_PER_BYTE
		       ? SIZE_MAX / 2
		       : len * POL_ARENA_PER_BYTE + POL_ARENA_BASE;
	a->opts = kGumboDefaultOptions;
	a->opts.max_errors = 0; /* each stored error copies the stack */
	a->opts.allocator = pol_arena_alloc;
	a->opts.deallocator = pol_arena_free;
	a->opts.userdata = a;
	if (setjmp(a->fail) != 0) {
		pol_arena_release(a);
		return NULL;
	}
	return gumbo_parse_with_options(&a->opts, html, len);
}
