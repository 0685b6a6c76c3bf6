/*
 * patterns.c - compile and match advertising pattern lists with PCRE2.
 *
 * Owns: the compiled pattern set (an array of pcre2_code plus the source
 * text of each, for messages).  Patterns are compiled UTF-8 and caseless,
 * with Unicode properties, so "RABATT" and "Rabatt" and "€" behave.  A set
 * is immutable after compiling; matching allocates its own match data, so
 * one set serves every thread.  Matching is bounded by PCRE2's match limit
 * and by a number of matches per pattern and text.  Patterns see the
 * normalised text of common/textnorm.c; each caller normalises a text once
 * and runs every pattern over that copy.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "patterns.h"

#include <pcre2.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "../common/textnorm.h"
#include "jit.h"

/* Matches of one pattern in one text taken into account at most. */
#define POL_PATTERN_MAX_MATCHES 64

struct pol_pattern {
	pcre2_code *code;
	char *source;
};

struct pol_patterns {
	struct pol_pattern *v;
	size_t n;
};

void
pol_patterns_free(struct pol_patterns *set)
{
	size_t i;

	if (set == NULL)
		return;
	for (i = 0; i < set->n; i++) {
		pcre2_code_free(set->v[i].code);
		free(set->v[i].source);
	}
	free(set->v);
	free(set);
}

static int
pol_patterns_add(struct pol_patterns *set, pcre2_code *code, const char *src,
		 size_t len)
{
	struct pol_pattern *v;
	char *dup;

	dup = strndup(src, len);
	v = realloc(set->v, (set->n + 1) * sizeof(*v));
	if (dup == NULL || v == NULL) {
		free(dup);
		if (v)
			set->v = v;
		return -1;
	}
	set->v = v;
	set->v[set->n].code = code;
	set->v[set->n].source = dup;
	set->n++;
	return 0;
}

/* Compile one pattern, with "ß" (and capital "ẞ") read as "ss" as the
 * normalised text writes it.  NULL on error (*err, *off say why). */
static pcre2_code *
pol_patterns_compile_one(const char *src, size_t len, int *err,
			 PCRE2_SIZE *off)
{
	struct buf b = BUF_INIT;
	pcre2_code *code;
	size_t i;

	for (i = 0; i < len; i++) {
		if (i + 1 < len && (unsigned char)src[i] == 0xc3 &&
		    (unsigned char)src[i + 1] == 0x9f) {
			buf_puts(&b, "ss");
			i++;
		} else if (i + 2 < len && memcmp(src + i, "\xe1\xba\x9e", 3) == 0) {
			buf_puts(&b, "ss");
			i += 2;
		} else {
			buf_putc(&b, src[i]);
		}
	}
	if (b.data == NULL) {
		*err = PCRE2_ERROR_NOMEMORY;
		*off = 0;
		return NULL;
	}
	code = pcre2_compile((PCRE2_SPTR)b.data, b.len,
			     PCRE2_UTF | PCRE2_UCP | PCRE2_CASELESS, err, off,
			     NULL);
	buf_free(&b);
	/* JIT is only a speed-up; the interpreter runs when it fails (and
	 * where JIT stops at a limit: pol_pattern_match). */
	if (code != NULL)
		pol_jit_compile(code);
	return code;
}

/* Compile one line; 0 ok or blank, -1 error (reported). */
static int
pol_patterns_line(struct pol_patterns *set, const char *name, unsigned lineno,
		  const char *line, size_t len, struct buf *errors)
{
	pcre2_code *code;
	PCRE2_UCHAR msg[256];
	PCRE2_SIZE off;
	int err;

	while (len && (line[len - 1] == '\r' || line[len - 1] == ' ' ||
		       line[len - 1] == '\t'))
		len--;
	while (len && (*line == ' ' || *line == '\t'))
		line++, len--;
	if (len == 0 || *line == '#')
		return 0;
	code = pol_patterns_compile_one(line, len, &err, &off);
	if (code == NULL) {
		pcre2_get_error_message(err, msg, sizeof(msg));
		if (errors)
			buf_printf(errors, "%s:%u: bad pattern at offset %zu: %s\n",
				   name, lineno, (size_t)off, (char *)msg);
		return -1;
	}
	if (pol_patterns_add(set, code, line, len) < 0) {
		pcre2_code_free(code);
		if (errors)
			buf_printf(errors, "%s:%u: out of memory\n", name, lineno);
		return -1;
	}
	return 0;
}

int
pol_patterns_compile(const char *name, const char *text, size_t len,
		     struct buf *errors, struct pol_patterns **set)
{
	const char *p = text, *end = text + len, *nl;
	unsigned lineno = 0;
	int rc = 0;

	if (*set == NULL) {
		*set = calloc(1, sizeof(**set));
		if (*set == NULL)
			return -1;
	}
	while (p < end) {
		lineno++;
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		if (pol_patterns_line(*set, name, lineno, p, (size_t)(nl - p),
				      errors) < 0)
			rc = -1;
		p = nl + 1;
	}
	return rc;
}

/* A match context bounding the work of one match, so no pattern can turn
 * hostile text into minutes of backtracking; hitting the bound counts as
 * no match for that pattern. */
static pcre2_match_context *pol_mctx;
static pthread_once_t pol_mctx_once = PTHREAD_ONCE_INIT;

static void
pol_mctx_init(void)
{
	pol_mctx = pcre2_match_context_create(NULL);
	if (pol_mctx) {
		pcre2_set_match_limit(pol_mctx, 2000000);
		pcre2_set_depth_limit(pol_mctx, 10000);
	}
}

static pcre2_match_context *
pol_patterns_mctx(void)
{
	pthread_once(&pol_mctx_once, pol_mctx_init);
	return pol_mctx;
}

/* The hits found so far (grows; merged and sorted at the end). */
struct pol_hitlist {
	struct pol_pattern_hit *v;
	size_t n, cap;
};

static int
pol_hitlist_add(struct pol_hitlist *l, size_t start, size_t end)
{
	struct pol_pattern_hit *v;

	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 16;
		v = realloc(l->v, l->cap * sizeof(*v));
		if (v == NULL)
			return -1;
		l->v = v;
	}
	l->v[l->n].start = start;
	l->v[l->n].end = end;
	l->n++;
	return 0;
}

/* One match from at.  JIT, when the pattern has it, counts its match
 * limit its own way and has no depth limit but a stack of its own; a
 * match stopped by one of those runs again in the interpreter, so a
 * limit cuts where it always did. */
static int
pol_pattern_match(const struct pol_pattern *p, const char *norm, size_t len,
		  size_t at, pcre2_match_data *md)
{
	int r = pcre2_match(p->code, (PCRE2_SPTR)norm, len, at,
			    PCRE2_NO_UTF_CHECK, md, pol_patterns_mctx());

	if (r == PCRE2_ERROR_JIT_STACKLIMIT || r == PCRE2_ERROR_MATCHLIMIT)
		r = pcre2_match(p->code, (PCRE2_SPTR)norm, len, at,
				PCRE2_NO_UTF_CHECK | PCRE2_NO_JIT, md,
				pol_patterns_mctx());
	return r;
}

/* All matches of one pattern in norm, at most POL_PATTERN_MAX_MATCHES. */
static int
pol_pattern_scan(const struct pol_pattern *p, const char *norm, size_t len,
		 struct pol_hitlist *l)
{
	pcre2_match_data *md;
	PCRE2_SIZE *ov;
	size_t at = 0, k;
	int rc = 0, r;

	md = pcre2_match_data_create_from_pattern(p->code, NULL);
	if (md == NULL)
		return -1;
	ov = pcre2_get_ovector_pointer(md);
	for (k = 0; k < POL_PATTERN_MAX_MATCHES && at <= len; k++) {
		r = pol_pattern_match(p, norm, len, at, md);
		if (r == PCRE2_ERROR_NOMATCH || r == PCRE2_ERROR_MATCHLIMIT ||
		    r == PCRE2_ERROR_DEPTHLIMIT)
			break;
		if (r < 0) {
			rc = -1;
			break;
		}
		if (ov[1] > ov[0] && pol_hitlist_add(l, ov[0], ov[1]) < 0) {
			rc = -1;
			break;
		}
		/* Go on after the match; past an empty one by a character. */
		at = ov[1] > ov[0] ? ov[1] : ov[1] + 1;
		while (at < len && ((unsigned char)norm[at] & 0xc0) == 0x80)
			at++;
	}
	pcre2_match_data_free(md);
	return rc;
}

static int
pol_hit_cmp(const void *a, const void *b)
{
	const struct pol_pattern_hit *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->end < y->end ? 1 : x->end > y->end ? -1 : 0;
}

int
pol_patterns_find(const struct pol_patterns *set, const char *norm,
		  size_t len, struct pol_pattern_hit *hits, size_t maxhits)
{
	struct pol_hitlist l = {NULL, 0, 0};
	size_t i, n = 0;

	if (set == NULL || set->n == 0 || norm == NULL || len == 0)
		return 0;
	for (i = 0; i < set->n; i++)
		if (pol_pattern_scan(&set->v[i], norm, len, &l) < 0) {
			free(l.v);
			return -1;
		}
	if (l.n)
		qsort(l.v, l.n, sizeof(*l.v), pol_hit_cmp);
	/* Merge overlapping matches into one place each. */
	for (i = 0; i < l.n; i++) {
		if (n > 0 && l.v[i].start < hits[n - 1].end) {
			if (l.v[i].end > hits[n - 1].end)
				hits[n - 1].end = l.v[i].end;
			continue;
		}
		if (n == maxhits)
			break;
		hits[n++] = l.v[i];
	}
	free(l.v);
	return (int)n;
}

int
pol_patterns_match(const struct pol_patterns *set, const char *text,
		   size_t len, char *what, size_t whatsz)
{
	struct pol_pattern_hit h;
	struct textnorm tn;
	size_t os, oe, n;
	int r;

	if (set == NULL || set->n == 0)
		return 0;
	if (textnorm_make_words(&tn, text, len) < 0)
		return -1;
	r = pol_patterns_find(set, tn.text, tn.len, &h, 1);
	if (r == 1 && whatsz) {
		textnorm_span(&tn, h.start, h.end, &os, &oe);
		n = oe - os;
		if (n >= whatsz)
			n = whatsz - 1;
		while (n > 0 && n < oe - os &&
		       ((unsigned char)text[os + n] & 0xc0) == 0x80)
			n--; /* do not cut a character in two */
		memcpy(what, text + os, n);
		what[n] = '\0';
	}
	textnorm_free(&tn);
	return r;
}

/* The shipped lists (policy/advertising-de.txt and -en.txt), embedded at
 * build time by scripts/embed.sh. */
extern const char pol_builtin_advertising[];

static struct pol_patterns *pol_builtin;
static pthread_once_t pol_builtin_once = PTHREAD_ONCE_INIT;

static void
pol_builtin_compile(void)
{
	/* The lists are tested at build time (test_doi), so this cannot
	 * fail but for memory; then the set holds what compiled. */
	pol_patterns_compile("advertising-builtin", pol_builtin_advertising,
			     strlen(pol_builtin_advertising), NULL, &pol_builtin);
}

const struct pol_patterns *
pol_patterns_builtin(void)
{
	pthread_once(&pol_builtin_once, pol_builtin_compile);
	return pol_builtin;
}

/* Words in an image's file name that say campaign picture, not logo. */
static const char pol_image_name_words[] =
	"\\b(banner|hero|teaser|header ?bild|kampagne|campaign|aktion|promo)\n"
	"\\b(fr(ü|ue)hjahr|fr(ü|ue)hling|spring|sommer|summer|herbst|autumn)\n"
	"\\b(winter|weihnacht\\w*|xmas|christmas|ostern|easter|valentin\\w*)\n"
	"\\b(produkte?|products?|kollektion|collection|angebote?|offers?)\\b\n";

static struct pol_patterns *pol_image_names;
static pthread_once_t pol_image_names_once = PTHREAD_ONCE_INIT;

static void
pol_image_names_compile(void)
{
	pol_patterns_compile("image-names", pol_image_name_words,
			     strlen(pol_image_name_words), NULL,
			     &pol_image_names);
}

const struct pol_patterns *
pol_patterns_image_names(void)
{
	pthread_once(&pol_image_names_once, pol_image_names_compile);
	return pol_image_names;
}

size_t
pol_patterns_count(const struct pol_patterns *set)
{
	return set ? set->n : 0;
}
