/*
 * html_arena.h - the memory gumbo parses in: a per-parse arena with a byte
 * budget and a way out (longjmp back to pol_arena_parse), and free lists
 * by size so the parser's many small blocks come from a few chunks
 * and its short-lived buffers are used again.  Internal to policy/ (html.c).
 */
#ifndef CG_POL_HTML_ARENA_H
#define CG_POL_HTML_ARENA_H

#include <gumbo.h>
#include <setjmp.h>
#include <stddef.h>

/* Size classes of the free lists: 16, 32, ... 4096 bytes, cut from
 * chunks; larger blocks are malloc'd and go straight back to free(). */
#define POL_ARENA_CLASSES 9

union pol_arena_head {
	struct {
		union pol_arena_head *prev, *next; /* large blocks held */
		union pol_arena_head *free_next;   /* on a free list */
		size_t size;                       /* bytes asked for, 0 free */
		unsigned cls;                      /* POL_ARENA_CLASSES: none */
	} h;
	max_align_t align;
};

/* Small blocks are cut from chunks of POL_ARENA_CHUNK bytes. */
#define POL_ARENA_CHUNK ((size_t)64 << 10)

struct pol_arena_chunk {
	struct pol_arena_chunk *next;
	union pol_arena_head first[]; /* blocks cut in order */
};

struct pol_arena {
	union pol_arena_head list; /* large blocks; circular, the sentinel */
	struct pol_arena_chunk *chunks;
	char *pos, *end;           /* the rest of the newest chunk */
	union pol_arena_head *freel[POL_ARENA_CLASSES];
	size_t live, limit; /* bytes in use (asked for), the budget */
	size_t held;        /* bytes of all blocks held, free ones included */
	jmp_buf fail;
	GumboOptions opts;
};

/*
 * Parse len bytes of html with gumbo inside arena a.  Returns the output
 * or NULL when the budget ran out or memory did (a is then released).
 * The output lives in the arena: pol_arena_release frees it with every
 * block (no gumbo_destroy_output needed).
 */
GumboOutput *pol_arena_parse(struct pol_arena *a, const char *html, size_t len);
void pol_arena_release(struct pol_arena *a);

#endif
