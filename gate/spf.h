/*
 * spf.h - does SpfEgressAddress pass SPF for an envelope domain?  libspf2
 * behind a per-domain cache.  In gate/ because both programs use it: the
 * milter for its verdicts and consentctl check, so a template lint gives
 * the gate's SPF verdict.
 */
#ifndef CG_GATE_SPF_H
#define CG_GATE_SPF_H

/*
 * Create the SPF server once at start.  Normally libspf2's resolver; when
 * the environment variable CONSENTGATE_SPF_ZONE names a file (tests only),
 * a zone of "domain TXT text" or "domain TEMPFAIL" lines answers instead
 * and nothing else is asked, so tests need no network.  0 ok, -1 failure.
 */
int gate_spf_init(void);
void gate_spf_shutdown(void);

/*
 * The SPF result for egress_ip sending as sender (null sender: helo
 * domain), as libspf2 names it: "pass", "fail", "softfail", "neutral",
 * "none", "permerror" or "temperror".  Results are cached per domain for
 * ttl seconds (temperror is never cached).  Returns a static string.
 */
const char *gate_spf_check(const char *egress_ip, const char *sender,
			 const char *helo, long ttl);

#endif
