/*
 * check.h - the evaluation `consentctl check` runs (cmd_check.c), shared
 * with `consentctl replay` (cmd_replay.c): one message's bytes through the
 * same cut, profile choice, classification, consent lookup, SPF and
 * pol_evaluate as the milter.
 */
#ifndef CG_CTL_CHECK_H
#define CG_CTL_CHECK_H

#include "../common/addr.h"
#include "../gate/config.h"
#include "../policy/policy.h"
#include "ctl.h"

#define CHECK_MAX_RCPTS 64

/* The options and state of a run (check's options; replay sets cfg and
 * store and leaves the rest zero, cls -1). */
struct ctl_check {
	const char *from;
	const char *profile; /* --profile, NULL: chosen from the mail */
	char *to[CHECK_MAX_RCPTS];
	size_t nto;
	int cls;      /* -1: classify */
	int tracking; /* assumed tracking consent without a store */
	int json;
	int explain;
	struct cfg *cfg;   /* the config judged with (one reference) */
	struct db_store *store; /* consent, or NULL: assumed */
	int nfiles;   /* files printed so far (JSON commas) */
	int spf_ready;
	double started_ms; /* CPU time when the current file began */
};

/* The envelope a message had, when known (replay: from its evidence);
 * NULL members fall back to check's options and the message. */
struct ctl_check_env {
	const char *sender;
	const char *const *rcpts; /* NULL: --to, else To and Cc */
	size_t nrcpts;
	const char *client_ip;
	int has_tls, tls;
};

/* One evaluation: the verdict, the model it was made on, the recipients
 * (addresses borrowed from the model, the options or the env) and the
 * profile's config (borrowed from the run's). */
struct ctl_check_result {
	struct pol_verdict v;
	struct pol_message *m;
	struct pol_recipient r[CHECK_MAX_RCPTS];
	size_t nrcpts;
	struct cfg *cfg;
	char sender[ADDR_MAX + 1];
};

/* Evaluate len bytes at data (kept unchanged until the result is
 * cleared).  0, or -1 with err set (no memory, store lookup failed);
 * clear res with ctl_check_result_clear either way. */
int ctl_check_eval(struct ctl_check *o, const char *data, size_t len,
		   const struct ctl_check_env *ev, struct ctl_check_result *res,
		   char *err, size_t errsz);
void ctl_check_result_clear(struct ctl_check_result *res);
/* Open o->store read-only from -d, or the ConsentDB of -c (NULL when
 * neither opens). */
void ctl_check_open_store(struct ctl_ctx *ctx, struct ctl_check *o);
/* Release what evaluations set up (SPF). */
void ctl_check_done(struct ctl_check *o);

#endif
