/*
 * util.h - small helpers the rules share: URL host and scheme, domain
 * matching, whitespace- and case-tolerant text search, and where a link or
 * part sits (for messages that tell the template author what to fix).
 */
#ifndef CG_RULES_UTIL_H
#define CG_RULES_UTIL_H

#include <stddef.h>

#include "rules.h"

#define POL_HOST_MAX 256
/* Each rule reports every cause it finds, up to this many hits. */
#define POL_RULE_MAX_HITS 10

/* Host of url, lower-cased, without user info or port, into host.  mailto:
 * URLs give the domain of the address.  Returns 0, or -1 when url has no
 * host (host is then ""). */
int pol_url_host(const char *url, char *host, size_t hostsz);
/* 1 when url starts with scheme (e.g. "https:"), case-insensitive. */
int pol_url_scheme_is(const char *url, const char *scheme);
/* 1 when host equals domain or is a subdomain of it. */
int pol_host_in_domain(const char *host, const char *domain);
/* 1 when host is the domain of the From address or of the envelope
 * sender, or a subdomain of one: names the sender controls. */
int pol_host_is_senders(const struct pol_ctx *x, const char *host);
/* 1 when host is within any domain of the list. */
int pol_host_in_list(const char *host, char *const *list, size_t n);
/* 1 when url starts with prefix (scheme and host case-insensitive). */
int pol_url_has_prefix(const char *url, const char *prefix);
/* 1 when needle occurs in haystack as a reader sees them: both compared
 * in their normalised form (common/textnorm.h: case folded, any run of
 * Unicode white space as one space, soft hyphens and zero-width characters
 * ignored, NFKC, look-alike letters folded).  Leading and trailing space of
 * needle does not count; an empty needle is always found.  0 also when
 * memory ran out. */
int pol_text_contains(const char *haystack, const char *needle);
/* The normalised needle without leading and trailing space, malloc'd
 * (NULL: no memory); pol_norm_contains compares with it. */
char *pol_norm_needle(const char *needle);

/* The same against a haystack normalised already (textnorm_string or
 * textnorm_make, so a text is normalised once for many needles):
 * 1 found, 0 not, -1 out of memory. */
int pol_norm_contains(const char *norm_haystack, const char *needle);
/* "part 1.2 text/html" style location of a part. */
void pol_where_part(const struct pol_message *m, size_t part, unsigned line,
		    char *out, size_t outsz);
/*
 * Call fn with the alt text of every image the reader sees (images of an
 * attached extra part are read with that part) and its place ("part 1.2
 * text/html image alt text").  Stops at and returns fn's first non-zero
 * result; 0 when every call returned 0.
 */
int pol_each_image_alt(const struct pol_message *m,
		       int (*fn)(void *arg, const char *alt, size_t len,
				 const char *where),
		       void *arg);
/* Do the message's parts include a part of this kind? */
int pol_has_part_kind(const struct pol_message *m, enum pol_part_kind k);
/* The text of line `line` (1-based) of part text into out (truncated). */
void pol_part_line(const struct pol_text_part *p, unsigned line, char *out,
		   size_t outsz);
/*
 * URIs in a List-* header value as RFC 2369 defines them: only those in
 * angle brackets, white space inside the brackets removed, comments in
 * parentheses skipped.  Calls cb for each; stops at and returns the first
 * non-zero cb result, else 0.
 */
int pol_header_uris(const char *value, int (*cb)(const char *uri, void *arg),
		    void *arg);
/* How many hits of rule v holds so far. */
size_t pol_rule_hits(const struct pol_verdict *v, enum pol_rule rule);
/* The raw value of header name (else the decoded one), borrowed, or NULL. */
const char *pol_header_value_raw(const struct pol_message *m,
				 const char *name);
/*
 * The target of a redirect link: when url carries another http(s) URL in
 * its path or a parameter (in any encoding urlscan.c reads), that URL,
 * unwrapped again up to four levels, goes into out and 1 is returned; else
 * url itself goes into out and 0 is returned.  -1 when memory ran out.
 * A privacy or unsubscribe link behind a click tracker is still that link.
 */
int pol_url_unwrap(const char *url, char *out, size_t outsz);
/* pol_url_unwrap() remembered for the evaluation x belongs to: content,
 * unsubscribe and tracking rules unwrap the same links. */
int pol_url_unwrap_x(const struct pol_ctx *x, const char *url, char *out,
		     size_t outsz);
/* pol_url_host() remembered for the evaluation x belongs to (hostsz of
 * at least POL_HOST_MAX; a smaller buffer is not remembered). */
int pol_url_host_x(const struct pol_ctx *x, const char *url, char *host,
		   size_t hostsz);
/* pol_url_has_prefix() with url normalised once for the evaluation. */
int pol_url_has_prefix_x(const struct pol_ctx *x, const char *url,
			 const char *prefix);
/* pol_doi_confirm_uid (policy.h) with the evaluation's memo (doi.c). */
int pol_doi_confirm_uid_x(const struct pol_ctx *x, char *out, size_t outsz);
/* tracking.no-consent: 1 when url's query carries a tool's per-recipient
 * click id, or a utm_* value holding one of tokens; why into what
 * (track_params.c). */
int pol_click_id(const char *url, const char *const *tokens, size_t ntokens,
		 char *what, size_t whatsz);
/* exposure.recipients: a hit when the body of a mail to several people
 * names one of their addresses (exposure_body.c). */
int pol_exposure_body_check(const struct pol_ctx *x, struct pol_verdict *v);
/* doi.confirm-link: a hit when the DOI mail goes to several people
 * (doi_proof.c). */
int pol_doi_proof_check(const struct pol_ctx *x, struct pol_verdict *v);
/* pol_scan_url() remembered for the evaluation: the scan of url, borrowed
 * from the memo, or tmp filled when nothing can be remembered; NULL when
 * memory ran out.  Hand it back with pol_scan_done(result, tmp). */
struct pol_scan;
const struct pol_scan *pol_scan_url_x(const struct pol_ctx *x, const char *url,
				      struct pol_scan *tmp);
void pol_scan_done(const struct pol_scan *s, struct pol_scan *tmp);
/* A memo for one evaluation (pol_evaluate), and its release. */
struct pol_memo *pol_memo_new(void);
void pol_memo_free(struct pol_memo *m);
/* Path and query of url as written (GUri, not decoded) into path and
 * query ("" when absent).  Returns 0, or -1 when url does not parse. */
int pol_url_path_query(const char *url, char *path, size_t pathsz, char *query,
		       size_t querysz);

#endif
