/*
 * withdrawals.h - the withdrawal audit shared by `consentctl audit
 * withdrawals`, `stats` and `report`: one pass over the evidence joins each
 * withdrawal (the moment of the click or mail that caused it) with the
 * marketing decisions for that address, and gives per withdrawal the time
 * until it was enforced and every marketing mail accepted after it.
 *
 * Owns: the withdrawals and the decisions they were joined with (GLib
 * arrays of owned strings), freed by ctl_wd_free.
 */
#ifndef CG_CTL_WITHDRAWALS_H
#define CG_CTL_WITHDRAWALS_H

#include <glib.h>
#include <stdint.h>

#include "ctl.h"
#include "evrec.h"

/* The deadline large mailbox providers set for honouring an unsubscribe. */
#define CTL_WD_LIMIT (48 * 3600)

/* One marketing decision for one address. */
struct ctl_wd_mail {
	int64_t time;
	int refused;       /* reject or tempfail */
	char *ref, *action, *message_id;
};

/* One withdrawal of one address. */
struct ctl_wd {
	char *addr;        /* normalised */
	char *ref;         /* its evidence record ("" when only the consent
			    * record shows it: replicated from the centre
			    * before the follower recorded such arrivals) */
	char *source;      /* "mail", "consentctl", "access log", "import",
			    * "replica" (its record, or only the consent
			    * record) */
	int64_t at;        /* the click or mail that caused it */
	int has_stored;    /* 1: stored known */
	int64_t stored;    /* when it reached this host's store (the time
			    * of its evidence record; for one replicated
			    * from the centre, when the follower applied
			    * it) */
	int has_refused;   /* 1: refused_* name the first refusal after at */
	int64_t refused_at;
	char *refused_ref;
	int has_enforced;  /* 1: enforced is known */
	int64_t enforced;  /* the earlier of stored and refused_at */
	GPtrArray *late;   /* struct ctl_wd_mail *: marketing mail accepted
			    * at or after at (must be empty) */
};

/* The audit of one store. */
struct ctl_wd_audit {
	GPtrArray *wds;    /* struct ctl_wd *, by at */
	uint64_t late;     /* marketing mails accepted after a withdrawal */
	uint64_t bad;      /* records that did not parse */
	/* The latency distribution (seconds from at to enforced) of the
	 * withdrawals whose enforcement is known. */
	size_t nlat;
	int64_t median, p95, max;
	size_t within_limit; /* enforced within CTL_WD_LIMIT */
	size_t honoured;     /* no marketing mail accepted after it */
};

/*
 * Audit the withdrawals of s whose moment lies in f's window (f may be
 * NULL; only its since and until are used; the decisions are read from
 * the whole store).  DB_OK (a->bad counts records that did not parse and
 * were named on stderr) or a DB_* error.  Free a with ctl_wd_free, also
 * after an error.
 */
int ctl_wd_run(struct db_store *s, const struct ctl_evfilter *f,
	       struct ctl_wd_audit *a);
void ctl_wd_free(struct ctl_wd_audit *a);
/* A duration as "2d 03:04:05" (or "03:04:05") into out (32 bytes). */
void ctl_wd_duration(int64_t secs, char out[32]);
/* The latency summary as text lines (stats). */
void ctl_wd_summary_text(FILE *out, const struct ctl_wd_audit *a);

/*
 * audit withdrawals --central (withdrawals_central.c): every withdrawal of
 * the centre's consent change log whose moment is in f's window, per host
 * (every host with evidence at the centre, conninfo) when its withdrawal
 * record arrived there, and every marketing mail a host accepted after it;
 * the addresses' hashes come from s's keys.  Prints text; CTL_EXIT_* (3
 * when a mail was accepted after a withdrawal).
 */
int ctl_wd_central(const char *conninfo, struct db_store *s,
		   const struct ctl_evfilter *f);

#endif
