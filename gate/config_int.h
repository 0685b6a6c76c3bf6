/*
 * config_int.h - what the parts of the config parser share (gate/config.c
 * and gate/config_lists.c); not for use outside gate/config*.c.
 */
#ifndef CG_CONFIG_INT_H
#define CG_CONFIG_INT_H

#include "config.h"


/* Where the parser is, for error messages. */
struct cfg_ctx {
	const char *file;
	unsigned line;
	struct buf *errors;
	int nerrors;
};

/* Append "file:line: message\n" to the errors. */
void cfg_error(struct cfg_ctx *x, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Append a copy of s to l.  0 or -1 (out of memory). */
int cfg_list_add(struct pol_list *l, const char *s);
void cfg_list_free(struct pol_list *l);
/* An address or @domain of list key k normalised into norm; the text to
 * store, or NULL (reported). */
const char *cfg_list_address(struct cfg_ctx *x, const struct cfg_key *k,
			     char *tok, char *norm, size_t normsz);

/* config_lists.c: ConsentList lines, and their release. */
int cfg_set_consent_list(struct cfg_ctx *x, struct cfg *c,
			 const struct cfg_key *k, char *value);
void cfg_consent_lists_free(struct cfg *c);

/* config.c: a profile snapshot: base_text parsed as the file base_name,
 * then the profile's lines (ptext, modified) as the file px->file.
 * NULL on errors (reported through px). */
struct cfg *cfg_parse_overlay(const char *base_name, const char *base_text,
			      struct cfg_ctx *px, char *ptext);

/* config_profiles.c: read ProfileDirectory into c->profiles, each profile
 * the base text overlaid with its file.  0, or -1 (reported). */
int cfg_profiles_load(struct cfg_ctx *x, struct cfg *c, const char *base_text);
/* config_profiles.c: free c's profiles and profile data. */
void cfg_profiles_free(struct cfg *c);
/* config_classes.c: the per-class keys (ArchiveClasses, ArchiveSenders,
 * FaultActionTransactional, FaultActionOther),
 * checked and turned into their derived fields after all lines are read;
 * errors reported. */
void cfg_classes_finish(struct cfg_ctx *x, struct cfg *c);

#endif
