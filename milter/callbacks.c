/*
 * callbacks.c - the libmilter callbacks: collect the envelope, macros,
 * headers and body of each message into the connection context, refuse
 * recipients at RCPT time when the envelope already makes the mail
 * marketing (within the refusal budget of refusal.c; beyond it, and for
 * non-SMTP submissions, the refusal waits for the end of the message), and
 * hand the message to mf_eom() at the end.
 *
 * Owns: the struct mf_ctx of each connection (smfi_setpriv), created at
 * negotiate/connect and freed at close.  Negotiation drops every protocol
 * step and reply the gate does not need (HELO, DATA, unknown commands; no
 * replies to connect, header, end of headers and body), because on a busy
 * MTA each round trip costs more than the policy itself.
 * Failures: out of memory or a store error at RCPT answer 451 4.3.0.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "../common/log.h"
#include "mf.h"

/* Protocol steps whose reply was negotiated away must answer NOREPLY. */
#define MF_NOREPLY(c, flag)                                                    \
	(((c)->pflags & (flag)) ? SMFIS_NOREPLY : SMFIS_CONTINUE)

static struct mf_ctx *
mf_ctx_get(SMFICTX *ctx)
{
	struct mf_ctx *c = smfi_getpriv(ctx);

	if (c == NULL) {
		c = calloc(1, sizeof(*c));
		if (c == NULL)
			return NULL;
		smfi_setpriv(ctx, c);
	}
	return c;
}

static sfsistat
mf_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
	     unsigned long f2, unsigned long f3, unsigned long *pf0,
	     unsigned long *pf1, unsigned long *pf2, unsigned long *pf3)
{
	const unsigned long want_actions = SMFIF_ADDHDRS | SMFIF_CHGHDRS |
					   SMFIF_ADDRCPT | SMFIF_QUARANTINE |
					   SMFIF_SETSYMLIST;
	const unsigned long drop = SMFIP_NOHELO | SMFIP_NOUNKNOWN |
				   SMFIP_NODATA;
	const unsigned long noreply = SMFIP_NR_CONN | SMFIP_NR_HELO |
				      SMFIP_NR_MAIL | SMFIP_NR_HDR |
				      SMFIP_NR_EOH | SMFIP_NR_BODY |
				      SMFIP_NR_DATA | SMFIP_NR_UNKN;

	(void)f2;
	(void)f3;
	if ((f0 & (SMFIF_ADDHDRS | SMFIF_ADDRCPT)) !=
	    (SMFIF_ADDHDRS | SMFIF_ADDRCPT)) {
		log_err("MTA does not offer the add-header and add-recipient "
			"actions; refusing the connection");
		return SMFIS_REJECT;
	}
	if (mf_conn_open() < 0) {
		log_info("stopping: refusing a new connection from the MTA");
		return SMFIS_TEMPFAIL;
	}
	if (mf_ctx_get(ctx) == NULL) {
		mf_conn_close();
		return SMFIS_TEMPFAIL;
	}
	mf_ctx_get(ctx)->counted = 1; /* mf_close gives it back */
	*pf0 = f0 & want_actions;
	*pf1 = f1 & (drop | noreply);
	*pf2 = *pf3 = 0;
	mf_ctx_get(ctx)->pflags = *pf1;
	if (*pf0 & SMFIF_SETSYMLIST) {
		smfi_setsymlist(ctx, SMFIM_ENVFROM,
				"i {tls_version} {auth_type} {daemon_name}");
		smfi_setsymlist(ctx, SMFIM_EOM, "i");
	}
	return SMFIS_CONTINUE;
}

/* Text form of the client address; IPv4-mapped IPv6 becomes IPv4. */
static void
mf_addr_text(const struct sockaddr *sa, char *out, size_t outsz)
{
	const struct sockaddr_in6 *s6;

	out[0] = '\0';
	if (sa == NULL)
		return;
	if (sa->sa_family == AF_INET) {
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr,
			  out, (socklen_t)outsz);
	} else if (sa->sa_family == AF_INET6) {
		s6 = (const struct sockaddr_in6 *)sa;
		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr))
			inet_ntop(AF_INET, &s6->sin6_addr.s6_addr[12], out,
				  (socklen_t)outsz);
		else
			inet_ntop(AF_INET6, &s6->sin6_addr, out, (socklen_t)outsz);
	}
}

static sfsistat
mf_connect(SMFICTX *ctx, char *host, _SOCK_ADDR *sa)
{
	struct mf_ctx *c = mf_ctx_get(ctx);

	(void)host;
	if (c == NULL)
		return SMFIS_TEMPFAIL;
	mf_addr_text(sa, c->client_ip, sizeof(c->client_ip));
	mf_refusal_connect(c, sa);
	return MF_NOREPLY(c, SMFIP_NR_CONN);
}

static sfsistat
mf_envfrom(SMFICTX *ctx, char **argv)
{
	struct mf_ctx *c = mf_ctx_get(ctx);
	const char *qid, *tls;

	if (c == NULL)
		return SMFIS_TEMPFAIL;
	mf_ctx_reset_message(c);
	c->in_message = 1;
	if (addr_normalise_sender(argv[0], c->sender, sizeof(c->sender)) < 0)
		snprintf(c->sender, sizeof(c->sender), "%s", argv[0]);
	/* The envelope sender's brand profile applies from here on; without
	 * one the From may still choose one at the end of the message. */
	c->snap = mf_cfg_acquire();
	c->cfg = cfg_profile_for(c->snap, c->sender);
	c->cfg = cfg_ref(c->cfg ? c->cfg : c->snap);
	qid = smfi_getsymval(ctx, "i");
	snprintf(c->queue_id, sizeof(c->queue_id), "%s", qid ? qid : "");
	tls = smfi_getsymval(ctx, "{tls_version}");
	c->tls = tls != NULL && *tls != '\0';
	c->env_class = pol_classify_envelope(cfg_pol(c->cfg), c->sender);
	pol_restscan_init(&c->rest, c->cfg->pol.confirm_url);
	return MF_NOREPLY(c, SMFIP_NR_MAIL);
}

/* Refuse one recipient for consent: evidence first, then the reply. */
static sfsistat
mf_refuse_rcpt(SMFICTX *ctx, struct mf_ctx *c, const char *addr,
	       struct pol_hit *hit)
{
	struct pol_verdict v = {c->env_class, hit, 1, POL_ACTION_REJECT};
	char ref[MF_REF_MAX], *text;
	enum pol_action a = cfg_rule_action(c->cfg, hit->rule);
	const char *action = a == POL_ACTION_TEMPFAIL ? "tempfail" : "reject";

	mf_ref_new(ref, sizeof(ref));
	hit->rcpt = 0; /* the record's one recipient */
	if (mf_evidence_decision(c, ref, pol_class_name(c->env_class), &addr,
				 1, &v, action, "", "") < 0) {
		log_err("%s: ref=%s: cannot record evidence; tempfail",
			mf_qid(c), ref);
		mf_setreply(ctx, "451", "4.3.0",
			    "Temporary failure recording evidence, try again later");
		return SMFIS_TEMPFAIL;
	}
	log_info("%s: ref=%s class=%s action=%s rules=%s%s%s%s%s", mf_qid(c),
		 ref, pol_class_name(c->env_class), action,
		 pol_rule_info(hit->rule)->id, c->cfg->profile_name ? " profile="
								     : "",
		 cfg_profile_name(c->cfg), c->cfg->log_addresses ? " rcpt=" : "",
		 c->cfg->log_addresses ? addr : "");
	text = pol_verdict_reply(&v, ref);
	if (a == POL_ACTION_TEMPFAIL)
		mf_setreply(ctx, "451", "4.7.1", text ? text : "Policy tempfail");
	else
		mf_setreply(ctx, "550", "5.7.1", text ? text : "Policy refusal");
	free(text);
	c->refused_rcpts++;
	c->refusals++;
	return a == POL_ACTION_TEMPFAIL ? SMFIS_TEMPFAIL : SMFIS_REJECT;
}

static sfsistat
mf_envrcpt(SMFICTX *ctx, char **argv)
{
	struct mf_ctx *c = mf_ctx_get(ctx);
	char addr[ADDR_MAX + 1], uid[DB_UID_MAX + 1];
	struct pol_recipient r;
	struct pol_hit hit;
	sfsistat st;
	int rc;

	if (c == NULL || c->cfg == NULL)
		return SMFIS_TEMPFAIL;
	if (addr_normalise(argv[0], addr, sizeof(addr)) < 0 &&
	    addr_normalise_sender(argv[0], addr, sizeof(addr)) < 0)
		snprintf(addr, sizeof(addr), "%s", argv[0]);
	if (mf_withdraw_match(c->cfg, addr, argv[0], uid, sizeof(uid)) &&
	    mf_ctx_add_withdraw(c, uid) < 0) {
		mf_setreply(ctx, "451", "4.3.0", "Out of memory, try again later");
		return SMFIS_TEMPFAIL;
	}
	if (c->env_class == POL_CLASS_MARKETING &&
	    c->cfg->mode == CFG_MODE_ENFORCE) {
		r.addr = addr;
		if (mf_consent_lookup(addr, &r.consent) < 0) {
			log_err("%s: consent store lookup failed; tempfail",
				mf_qid(c));
			mf_setreply(ctx, "451", "4.3.0",
				    "Consent store unavailable, try again later");
			return SMFIS_TEMPFAIL;
		}
		/* A list decided by a header (List-Id, ClassHeader) is
		 * checked at the end of the message. */
		rc = pol_check_recipient(cfg_pol(c->cfg), c->env_class,
					 pol_mail_list(cfg_pol(c->cfg), c->sender, NULL,
						       NULL), &r, &hit);
		if (rc < 0)
			return SMFIS_TEMPFAIL;
		if (rc == 1) {
			enum pol_action a = cfg_rule_action(c->cfg, hit.rule);

			if ((a == POL_ACTION_REJECT || a == POL_ACTION_TEMPFAIL) &&
			    mf_refusal_deferred(c)) {
				/* The MTA could not carry out (non-SMTP) or
				 * survive (error limit) one more refusal
				 * here: accept the recipient now, refuse it
				 * at the end of the message. */
				rc = mf_ctx_add_deferred(c, addr, &hit);
				pol_hit_clear(&hit);
				if (rc < 0) {
					mf_setreply(ctx, "451", "4.3.0",
						    "Out of memory, try again later");
					return SMFIS_TEMPFAIL;
				}
				return SMFIS_CONTINUE;
			}
			/* Quarantine and tag act on the whole message at its end. */
			if (a == POL_ACTION_REJECT || a == POL_ACTION_TEMPFAIL) {
				st = mf_refuse_rcpt(ctx, c, addr, &hit);
				pol_hit_clear(&hit);
				return st;
			}
			pol_hit_clear(&hit);
		}
	}
	if (mf_ctx_add_rcpt(c, addr) < 0) {
		mf_setreply(ctx, "451", "4.3.0", "Out of memory, try again later");
		return SMFIS_TEMPFAIL;
	}
	return SMFIS_CONTINUE;
}

/*
 * Headers are kept whole (up to MaxMessageSize of header text: the MTA's
 * own limits come first); the body up to MaxMessageSize.  What lies past
 * the limit is not kept but scanned for ConfirmURL, so classification still
 * sees a confirmation link placed after the cut.
 */
static sfsistat
mf_header(SMFICTX *ctx, char *name, char *value)
{
	struct mf_ctx *c = mf_ctx_get(ctx);
	size_t n;

	if (c == NULL)
		return SMFIS_TEMPFAIL;
	if (strcasecmp(name, "X-Consent-Gate") == 0)
		c->gate_headers++;
	if (c->oversize || c->cfg == NULL)
		return MF_NOREPLY(c, SMFIP_NR_HDR);
	n = strlen(name) + strlen(value) + 4;
	if (c->raw.len + n > (size_t)c->cfg->pol.max_message_size) {
		c->oversize = 1;
		pol_restscan_prime(&c->rest, c->raw.data ? c->raw.data : "",
				   c->raw.len);
		pol_restscan_feed(&c->rest, value, strlen(value));
	} else if (buf_printf(&c->raw, "%s: %s\r\n", name, value) < 0) {
		c->oversize = 2;
	}
	return MF_NOREPLY(c, SMFIP_NR_HDR);
}

static sfsistat
mf_eoh(SMFICTX *ctx)
{
	struct mf_ctx *c = mf_ctx_get(ctx);

	if (c == NULL)
		return SMFIS_TEMPFAIL;
	if (!c->oversize && buf_puts(&c->raw, "\r\n") < 0)
		c->oversize = 2;
	return MF_NOREPLY(c, SMFIP_NR_EOH);
}

static sfsistat
mf_body(SMFICTX *ctx, unsigned char *chunk, size_t len)
{
	struct mf_ctx *c = mf_ctx_get(ctx);
	size_t room;

	if (c == NULL)
		return SMFIS_TEMPFAIL;
	if (c->cfg == NULL || c->oversize == 2)
		return MF_NOREPLY(c, SMFIP_NR_BODY);
	if (c->oversize == 1) {
		pol_restscan_feed(&c->rest, chunk, len);
		return MF_NOREPLY(c, SMFIP_NR_BODY);
	}
	room = (size_t)c->cfg->pol.max_message_size - c->body_len;
	if (len <= room) {
		if (buf_append(&c->raw, chunk, len) < 0)
			c->oversize = 2;
		c->body_len += len;
		return MF_NOREPLY(c, SMFIP_NR_BODY);
	}
	if (buf_append(&c->raw, chunk, room) < 0) {
		c->oversize = 2;
		return MF_NOREPLY(c, SMFIP_NR_BODY);
	}
	c->body_len += room;
	c->oversize = 1;
	pol_restscan_prime(&c->rest, c->raw.data ? c->raw.data : "", c->raw.len);
	pol_restscan_feed(&c->rest, chunk + room, len - room);
	return MF_NOREPLY(c, SMFIP_NR_BODY);
}

static sfsistat
mf_eom_cb(SMFICTX *ctx)
{
	struct mf_ctx *c = mf_ctx_get(ctx);
	sfsistat st;

	if (c == NULL || c->cfg == NULL) {
		mf_setreply(ctx, "451", "4.3.0", "Internal error, try again later");
		return SMFIS_TEMPFAIL;
	}
	st = mf_eom(ctx, c);
	mf_ctx_reset_message(c);
	return st;
}

static sfsistat
mf_abort(SMFICTX *ctx)
{
	struct mf_ctx *c = smfi_getpriv(ctx);

	if (c)
		mf_ctx_reset_message(c);
	return SMFIS_CONTINUE;
}

static sfsistat
mf_close(SMFICTX *ctx)
{
	struct mf_ctx *c = smfi_getpriv(ctx);

	if (c && c->counted)
		mf_conn_close();
	mf_ctx_free(c);
	smfi_setpriv(ctx, NULL);
	return SMFIS_CONTINUE;
}

struct smfiDesc mf_desc = {
	.xxfi_name = "consentgate",
	.xxfi_version = SMFI_VERSION,
	.xxfi_flags = SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_ADDRCPT |
		      SMFIF_QUARANTINE | SMFIF_SETSYMLIST,
	.xxfi_connect = mf_connect,
	.xxfi_helo = NULL,
	.xxfi_envfrom = mf_envfrom,
	.xxfi_envrcpt = mf_envrcpt,
	.xxfi_header = mf_header,
	.xxfi_eoh = mf_eoh,
	.xxfi_body = mf_body,
	.xxfi_eom = mf_eom_cb,
	.xxfi_abort = mf_abort,
	.xxfi_close = mf_close,
	.xxfi_unknown = NULL,
	.xxfi_data = NULL,
	.xxfi_negotiate = mf_negotiate,
};
