/*
 * patterns.c - compile and match advertising pattern lists with PCRE2.
 *
 * Owns: the compiled pattern set (an array of pcre2_code plus the source
 * text of each, for messages).  Patterns are compiled UTF-8 and caseless,
 * with Unicode properties, so "RABATT" and "Rabatt" and "€" behave.  A set
 * is immutable after compiling; matching allocates its own match data, so
 * one set serves every thread.  Matching is bounded by PCRE2's match limit.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "patterns.h"

#include <pcre2.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

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
	code = pcre2_compile((PCRE2_SPTR)line, len,
			     PCRE2_UTF | PCRE2_UCP | PCRE2_CASELESS, &err, &off,
			     NULL);
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

int
pol_patterns_match(const struct pol_patterns *set, const char *text,
		   size_t len, char *what, size_t whatsz)
{
	pcre2_match_data *md;
	PCRE2_SIZE *ov;
	size_t i, n;
	int rc, found = 0;

	if (set == NULL || set->n == 0)
		return 0;
	for (i = 0; i < set->n && !found; i++) {
		md = pcre2_match_data_create_from_pattern(set->v[i].code, NULL);
		if (md == NULL)
			return -1;
		rc = pcre2_match(set->v[i].code, (PCRE2_SPTR)text, len, 0,
				 PCRE2_NO_UTF_CHECK, md, pol_patterns_mctx());
		if (rc > 0) {
			ov = pcre2_get_ovector_pointer(md);
			n = ov[1] - ov[0];
			if (whatsz) {
				if (n >= whatsz)
					n = whatsz - 1;
				memcpy(what, text + ov[0], n);
				what[n] = '\0';
			}
			found = 1;
		} else if (rc != PCRE2_ERROR_NOMATCH && rc < 0 &&
			   rc != PCRE2_ERROR_MATCHLIMIT &&
			   rc != PCRE2_ERROR_DEPTHLIMIT) {
			pcre2_match_data_free(md);
			return -1;
		}
		pcre2_match_data_free(md);
	}
	return found;
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

size_t
pol_patterns_count(const struct pol_patterns *set)
{
	return set ? set->n : 0;
}
