/*
 * urlscan.h - read a URL the way a tracker or a leaking template writes it:
 * every component, decoded again and again (percent, HTML entities, JSON
 * escapes, base64, base64url, hex, base32, "(at)"/"(dot)" spelled out)
 * until nothing new comes out, so the rules can look for a recipient's
 * address, a uid or another URL inside.
 */
#ifndef CG_RULES_URLSCAN_H
#define CG_RULES_URLSCAN_H

#include <stddef.h>

/* Bounds of one scan: the work per URL is at most POL_SCAN_MAX_PIECES
 * pieces of at most POL_SCAN_MAX_LEN bytes, each decoded at most
 * POL_SCAN_MAX_DEPTH times in a row. */
#define POL_SCAN_MAX_PIECES 256
#define POL_SCAN_MAX_LEN 4096
#define POL_SCAN_MAX_DEPTH 8

struct pol_scan {
	char *v[POL_SCAN_MAX_PIECES];     /* malloc'd pieces, distinct */
	/* Each piece in ASCII lower case, in v[i]'s allocation (searches
	 * with a lower-case needle use strstr, not strcasestr). */
	const char *lv[POL_SCAN_MAX_PIECES];
	unsigned char depth[POL_SCAN_MAX_PIECES];
	unsigned char whole[POL_SCAN_MAX_PIECES]; /* 1: the whole URL decoded */
	size_t n;
	int truncated; /* a bound stopped the scan */
};

/*
 * Fill s (zeroed by the call) with url and every piece decoded from it:
 * the whole URL, its components split at URL, query and JSON delimiters,
 * and each piece percent-, entity-, JSON-, base64-, base64url-, hex- and
 * base32-decoded, and "(at)", "[at]", " at ", "(dot)"... read as @ and .,
 * as long as that yields new printable text.  Free with
 * pol_scan_free.  Returns 0, or -1 when memory ran out.
 */
int pol_scan_url(const char *url, struct pol_scan *s);
void pol_scan_free(struct pol_scan *s);

/*
 * 1 when addr (a normalised address, local@domain) is in the scan: whole
 * (any case), with a +tag added to its local part, or split over two
 * pieces (the local part, with or without a +tag or a trailing @, in one;
 * the domain or @domain in another) unless that domain is the URL's own
 * host; each also ROT13-encoded, written backwards, or both; or, with
 * hashes set, as the hex MD5, SHA-1 or SHA-256 of the lower-case address
 * (addresses longer than POL_SCAN_ADDR_MAX only as written).
 */
#define POL_SCAN_ADDR_MAX 320
int pol_scan_has_address(const struct pol_scan *s, const char *addr,
			 const char *url_host, int hashes);

/* 1 when token (at least 6 bytes) occurs in a piece, any case. */
int pol_scan_has_token(const struct pol_scan *s, const char *token);

/*
 * Another http(s) URL the scanned URL carries in its path or a parameter
 * (in any of the encodings above), into out.  Returns 1 when there is one,
 * 0 otherwise.
 */
int pol_scan_inner_url(const struct pol_scan *s, const char *url, char *out,
		       size_t outsz);

/* The same for an inner http:// URL only (one a redirect would lead to
 * in clear text). */
int pol_scan_inner_http(const struct pol_scan *s, char *out, size_t outsz);

#endif
