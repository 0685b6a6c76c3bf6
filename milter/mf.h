/*
 * mf.h - shared declarations of the milter glue (milter/): the per-message
 * context, the runtime state (config snapshot and store), and the steps of
 * the end-of-message decision.  Only milter/ calls smfi_* functions.
 */
#ifndef CG_MF_H
#define CG_MF_H

#include <libmilter/mfapi.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/addr.h"
#include "../common/buf.h"
#include "../gate/config.h"
#include "../db/consent_sm.h"
#include "../db/store.h"
#include "../policy/policy.h"
#include "../policy/restscan.h"
#include "../gate/consent.h"

#define MF_REF_MAX 32

/* One envelope recipient the gate accepted at RCPT time. */
struct mf_rcpt {
	char addr[ADDR_MAX + 1];
};

/* A recipient the policy refuses whose refusal waits for the end of the
 * message (refusal budget used up, or a non-SMTP submission). */
struct mf_deferred {
	char addr[ADDR_MAX + 1];
	enum pol_rule rule;
	char detail[64]; /* "consent state is none" */
};

/*
 * Per-connection context (smfi_setpriv).  Owns: everything in it.  The
 * message part is reset at MAIL FROM and after end of message or abort.
 */
struct mf_ctx {
	char client_ip[64];
	int tls;
	unsigned long pflags;   /* negotiated SMFIP_* flags */
	int non_smtp;          /* connect without a client port: cleanup's
				* emulation for sendmail/pickup mail */
	long refusals;         /* refusals the MTA counted in this connection
				* since the last accepted message */
	struct cfg *cfg;       /* snapshot held for the current message: the
				* brand profile applied, else snap */
	struct cfg *snap;      /* the whole snapshot (its profiles), held */
	/* message */
	char sender[ADDR_MAX + 1];
	char queue_id[64];
	enum pol_class env_class;
	struct mf_rcpt *rcpts;
	size_t nrcpts, caprcpts;
	size_t refused_rcpts;  /* refused at RCPT time */
	struct mf_deferred *deferred; /* refusals kept for end of message */
	size_t ndeferred, capdeferred;
	struct buf raw;        /* headers + body as received */
	size_t body_len;       /* body bytes kept in raw */
	int oversize;          /* 1: over MaxMessageSize, 2: out of memory */
	struct pol_restscan rest; /* ConfirmURL in the part past the limit */
	int gate_headers;      /* X-Consent-Gate headers that came from outside */
	int in_message;
	int withdraw;          /* recipients that are the UnsubscribeAddress */
	char **withdraw_uids;  /* their uids ("" for the plain address) */
	int counted;           /* 1: counted by mf_conn_open() */
};

/* runtime.c: the current config, the store, the open connections. */
int mf_runtime_init(struct cfg *cfg, struct db_store *store); /* 0 or -1 */
struct cfg *mf_cfg_acquire(void); /* a reference; cfg_unref when done */
void mf_cfg_swap(struct cfg *fresh); /* takes ownership of fresh */
/* A counted use of the current store (NULL after shutdown): every db/ call
 * of the milter runs between mf_store_get() and mf_store_put() of the same
 * pointer, so a reload never closes a store under a running call. */
struct db_store *mf_store_get(void);
void mf_store_put(struct db_store *store);
/* Make fresh (opened from dir, a directory other than the current store's)
 * and cfg the current store and configuration in one step; takes ownership
 * of both.  The old store is closed when its last use is given back, or by
 * mf_store_reap() when it has none now.  0 ok, -1 out of memory (nothing
 * changed, the caller still owns both). */
int mf_store_swap(struct db_store *fresh, const char *dir, struct cfg *cfg);
void mf_store_reap(void);
/* Is dir (by device and inode) the current store (1), a retired store still
 * in use (2), or neither (0)?  -1 when dir cannot be stat()ed (errno set). */
int mf_store_which(const char *dir);
/* Connection count for SIGTERM: mf_conn_open() is 0, or -1 once the drain
 * began (refuse the connection); mf_conn_drain() begins it and returns the
 * number of connections open. */
int mf_conn_open(void);
void mf_conn_close(void);
long mf_conn_drain(void);
void mf_runtime_shutdown(void);

/* ref.c: a new evidence reference into ref (MF_REF_MAX bytes). */
void mf_ref_new(char *ref, size_t refsz);

/* lookup.c: consent of one normalised address as policy data, and
 * gate_evidence_write (gate/evwriter.h), both on the current store.  0 ok,
 * <0 store failure (the caller tempfails). */
int mf_consent_lookup(const char *addr, struct pol_consent *out);
int mf_evidence_write(const struct db_evidence *e);

/* evidence.c: e reset and filled with what the connection and envelope of
 * c say (time now, queue id, sender, client IP, TLS) plus ref and kind;
 * strings borrowed from c and the arguments. */
void mf_evidence_init(struct db_evidence *e, const struct mf_ctx *c,
		      const char *ref, const char *kind);
/* evidence.c: record one decision durably.  0 ok, <0 failure. */
int mf_evidence_decision(struct mf_ctx *c, const char *ref, const char *cls,
			 const char *const *rcptv, size_t nrcpt,
			 const struct pol_verdict *v,
			 const char *action, const char *message_id,
			 const char *sha256);


/* reply.c: set an SMTP reply (escapes '%', bounds the length). */
int mf_setreply(SMFICTX *ctx, const char *code, const char *xcode,
		const char *text);

/* doi.c: archive copy and DOI-send records.  0 ok, -1 failure. */
int mf_doi_archive(SMFICTX *ctx, struct mf_ctx *c);
int mf_doi_record(struct mf_ctx *c, const struct pol_message *msg,
		  const char *ref, const char *sha256, int64_t now);

/* archive.c: add the ArchiveAddress envelope recipient when ArchiveClasses
 * names cls or ArchiveSenders the sender or From of msg.  0 ok (also when
 * not wanted), -1 failure. */
int mf_archive(SMFICTX *ctx, struct mf_ctx *c, enum pol_class cls,
	       const struct pol_message *msg);

/* withdraw.c: is rcpt the UnsubscribeAddress (or its +uid form)?  1 and
 * uid filled ("" for the plain address), else 0. */
int mf_withdraw_match(const struct cfg *cfg, const char *rcpt, const char *raw,
		      char *uid, size_t uidsz);
/* Withdraw the consent named by uid (or the sender when uid is "").
 * 0 ok (also for an unknown one), -1 store failure. */
int mf_withdraw_apply(struct mf_ctx *c, const char *uid, const char *ref);

/* refusal.c: RCPT-time refusals within what the MTA can carry out.
 * Must the refusal of one more recipient wait for the end of the message
 * (non-SMTP submission, or RcptRefusalLimit used up)?  1 yes, 0 no. */
int mf_refusal_deferred(const struct mf_ctx *c);
/* Was the client address of this connection one an SMTP server passes
 * (a port)?  Sets c->non_smtp from the connect information sa. */
void mf_refusal_connect(struct mf_ctx *c, const struct sockaddr *sa);
/* Fold the deferred refusals into v (hits, each naming its recipient's
 * index) and rcptv (the evidence's recipients: *nrcpt used, room for
 * c->ndeferred more; the addresses are borrowed from c).  1 when they
 * decide the answer (mf_refusal_reply), 0 when there are none or v
 * refuses the whole message anyway, -1 no memory. */
int mf_refusal_fold(struct mf_ctx *c, struct pol_verdict *v,
		    const char **rcptv, size_t *nrcpt);
/* The answer to a message with deferred refusals: 451 4.5.3 for SMTP
 * (refuse them at RCPT on the retry), 550 5.7.1 for the whole message
 * otherwise.  Returns SMFIS_TEMPFAIL or SMFIS_REJECT. */
sfsistat mf_refusal_reply(SMFICTX *ctx, struct mf_ctx *c, const char *ref);
/* Count the end-of-message answer st as the MTA does (an accepted message
 * forgives earlier errors). */
void mf_refusal_account(struct mf_ctx *c, sfsistat st);

/* signals.c: run the milter until SIGTERM/SIGINT, reloading on SIGHUP.
 * Returns the exit status; *drained is 1 when no connection is open any
 * more (the caller may then close the store), 0 when the drain bound ran
 * out with connections still open. */
int mf_run(const char *config_path, int *drained);

/* reload.c: SIGHUP.  Load config_path and apply it whole, or refuse it
 * whole and log why; every outcome is logged. */
void mf_reload(const char *config_path);
/* How a reload treats a config key (name as in the config table). */
enum mf_reload_kind {
	MF_RELOAD_APPLY,   /* the new snapshot applies to the next message */
	MF_RELOAD_STORE,   /* ConsentDB: open the new store, then switch */
	MF_RELOAD_RESTART, /* bound at start: a change refuses the reload */
};
/* The enum mf_reload_kind of key, or -1 for a key not classified (treated
 * as MF_RELOAD_RESTART). */
int mf_reload_kind(const char *key);
/* Compare running and fresh key by key: appends the names of changed keys a
 * reload applies to changed ("A, B"), and one line per changed key it
 * cannot apply to refused ("Key cannot change ... (running X, file Y)\n").
 * Returns the number of refused keys. */
int mf_reload_check(const struct cfg *running, const struct cfg *fresh,
		    struct buf *changed, struct buf *refused);

/* callbacks.c */
extern struct smfiDesc mf_desc;

/* eom.c */
sfsistat mf_eom(SMFICTX *ctx, struct mf_ctx *c);

/* ctx.c */
void mf_ctx_reset_message(struct mf_ctx *c);
void mf_ctx_free(struct mf_ctx *c);
int mf_ctx_add_rcpt(struct mf_ctx *c, const char *addr);
int mf_ctx_add_withdraw(struct mf_ctx *c, const char *uid);
/* Remember a refusal for the end of the message (hit borrowed).  0 or -1. */
int mf_ctx_add_deferred(struct mf_ctx *c, const char *addr,
			const struct pol_hit *hit);
/* The queue id for log lines, "NOQUEUE" before the MTA assigned one. */
const char *mf_qid(const struct mf_ctx *c);

#endif
