/*
 * restscan.h - look for the ConfirmURL in the bytes of a message that were
 * not kept for parsing (everything past MaxMessageSize).
 *
 * A message too large to parse whole must still be classified by what
 * classification needs: a link to ConfirmURL makes unlisted mail DOI mail.
 * The scanner is fed the unparsed rest chunk by chunk, holds no more than a
 * few hundred bytes of state whatever the message size, and reports whether
 * ConfirmURL's host and path (scheme dropped, ASCII case ignored) occurred
 * in the raw bytes, in their quoted-printable decoding (soft line breaks
 * joined, =XX decoded) or in their base64 decoding (runs of base64 lines).
 * Pure: no I/O, no allocation after init.
 */
#ifndef CG_RESTSCAN_H
#define CG_RESTSCAN_H

#include <stddef.h>

#define POL_RESTSCAN_NEEDLE_MAX 512

/* An incremental case-insensitive substring matcher (KMP). */
struct pol_restscan_match {
	size_t state; /* bytes of the needle matched so far */
};

struct pol_restscan {
	char needle[POL_RESTSCAN_NEEDLE_MAX + 1]; /* lower case */
	size_t nlen;                              /* 0: nothing to look for */
	unsigned short fail[POL_RESTSCAN_NEEDLE_MAX];
	struct pol_restscan_match raw, qp, b64;
	int qp_state;       /* 0 text, 1 after '=', 2 after '=X', 3 after "=\r" */
	unsigned char qp_hex;
	unsigned b64_bits;  /* pending decoded bits */
	int b64_nbits;
	int b64_line_clean; /* the current line holds only base64 characters */
	size_t b64_line_len;
	int found;
};

/*
 * Prepare s to look for confirm_url (an https URL; NULL or "" looks for
 * nothing and never reports a find).  A URL longer than the needle buffer is
 * cut to its first POL_RESTSCAN_NEEDLE_MAX bytes, still a strict prefix.
 */
void pol_restscan_init(struct pol_restscan *s, const char *confirm_url);
/* Scan the next n bytes of the rest. */
void pol_restscan_feed(struct pol_restscan *s, const void *p, size_t n);
/*
 * Start scanning at a cut: feed the last bytes kept for parsing (from the
 * start of the line that holds the byte 1 KiB before the cut), so a URL or a
 * base64 line cut in two is still seen whole.
 */
void pol_restscan_prime(struct pol_restscan *s, const char *kept, size_t len);
/*
 * For a whole message in memory: the number of its len bytes to parse (the
 * headers whole and at most max_body bytes of body); when that is less than
 * len, the rest has been scanned with s (primed as above).
 */
size_t pol_restscan_split(struct pol_restscan *s, const char *data, size_t len,
			  size_t max_body);
/* 1 when the needle was seen in any of the decodings, else 0. */
int pol_restscan_found(const struct pol_restscan *s);

#endif
