/*
 * message.h - the parsed message model every rule reads.
 *
 * pol_message_parse() turns the raw bytes of a message (headers + body, as
 * the MTA handed them over) into this model with GMime 3 (MIME structure,
 * transfer and charset decoding) and gumbo (HTML: visible text, links,
 * images).  All strings in the model are valid UTF-8 and NUL-terminated; the
 * model owns them and pol_message_free() releases everything.  The model is
 * read-only after parsing, so rules may read it from any thread.
 */
#ifndef CG_MESSAGE_H
#define CG_MESSAGE_H

#include <stddef.h>

enum pol_part_kind { POL_PART_PLAIN, POL_PART_HTML };

struct pol_header {
	char *name;  /* as written ("List-Unsubscribe") */
	char *value; /* unfolded, RFC 2047-decoded UTF-8 */
	char *raw;   /* as written: not decoded, folding kept, UTF-8 cleaned */
};

struct pol_text_part {
	enum pol_part_kind kind;
	char *path;         /* MIME part path, "1" for a single part, "1.2"... */
	char *content_type; /* "text/plain", "text/html" */
	char *text;         /* decoded text; for HTML the visible text */
	size_t text_len;
	char *html;         /* HTML only: decoded source (UTF-8), else NULL */
	/* HTML only, NULL when there is none: text in the DOM that common
	 * clients do not show (display:none, visibility:hidden, opacity:0,
	 * font-size:0, zero height with overflow hidden, mso-hide:all, the
	 * hidden attribute, <template>), and text a client shows besides the
	 * DOM text (title tooltips, CSS generated content, image alt), each
	 * piece on a line of its own. */
	char *hidden;
	size_t hidden_len;
	char *extra;
	size_t extra_len;
	/* 0: one of the message's own bodies, the text a client shows as the
	 * message (text/plain, text/html).  1: text read besides them: a text
	 * attachment (text/plain, text/html with a file name), text/calendar,
	 * the AMP alternative text/x-amp-html, or any text part of an attached
	 * message (message/rfc822).  Rules that require content in the text
	 * bodies (imprint, privacy and unsubscribe links) look at parts with
	 * attached 0 only; rules about what the mail contains read all. */
	int attached;
	/* Plain parts: the offset in text of each line's start (line 1 at
	 * [0]), built once with the view so a line is found in O(1)
	 * (pol_part_line); NULL when not built (then found by a walk). */
	size_t *line_start;
	size_t nlines;
};

struct pol_link {
	char *url;    /* entity-decoded, surrounding spaces removed */
	char *text;   /* visible link text (HTML), or NULL for plain-text URLs */
	size_t part;  /* index into pol_message.parts */
	unsigned line; /* 1-based line in the part's text (plain) or 0 */
	int hidden;    /* 1: the reader does not see the link (hidden element) */
};

struct pol_image {
	char *src;   /* entity-decoded src, may be "" */
	char *alt;   /* "" when absent */
	int width;   /* from the attribute or inline style, -1 unknown */
	int height;
	int hidden;  /* display:none, visibility:hidden, opacity:0 */
	size_t part;
};

struct pol_attachment {
	char *path;
	char *content_type;
	char *filename; /* "" when absent */
	size_t size;    /* decoded size in bytes */
	char *content_id; /* Content-ID without angle brackets, "" when absent */
};

/* Flags about how the parse went. */
#define POL_MSG_UNPARSED 0x01 /* not MIME at all: body kept as one plain part */
/* A limit cut the walk short.  The parser sets it with one of the OVER_
 * flags naming its limit. */
#define POL_MSG_TRUNCATED 0x02
#define POL_MSG_OVER_DEPTH 0x04
#define POL_MSG_OVER_PARTS 0x08
#define POL_MSG_BROKEN 0x10   /* parser warnings of a critical kind */
#define POL_MSG_OVER_HTML 0x80 /* HTML too large or too deep for gumbo */
#define POL_MSG_OVER_TEXT 0x100 /* text beyond the inspected budget */
/* Set by the caller that cut the message at MaxMessageSize (the milter,
 * consentctl check), never by the parser: */
#define POL_MSG_OVER_SIZE 0x20    /* only the first MaxMessageSize bytes parsed */
#define POL_MSG_REST_CONFIRM 0x40 /* ConfirmURL seen in the unparsed rest */

/* Room for a SHA-256 in hex and its NUL. */
#define POL_HASH_HEX 65

struct pol_message {
	struct pol_header *headers;
	size_t nheaders;
	char *subject;     /* "" when absent */
	char *message_id;  /* without angle brackets, "" when absent */
	char *from_addr;   /* normalised first From mailbox, "" when none */
	char *from_name;   /* its display name, decoded, "" when none; a
			    * Sender display name that differs follows on a
			    * line of its own (Outlook shows both) */
	char **to_cc;      /* normalised mailboxes of To and Cc, in order */
	size_t nto_cc;
	struct pol_text_part *parts;
	size_t nparts;
	struct pol_link *links;
	size_t nlinks;
	struct pol_image *images;
	size_t nimages;
	struct pol_attachment *attachments;
	size_t nattachments;
	/* SHA-256 hex of the message without trace header fields (see
	 * pol_message_content_hash): computed on first use by
	 * pol_message_sha256 (only DOI mail needs it) from the bytes the
	 * message was parsed from, which the caller keeps until the message
	 * is freed.  Read it through pol_message_sha256 only. */
	char content_sha256[POL_HASH_HEX];
	int content_hashed; /* 1 once content_sha256 is computed */
	const char *raw;    /* the bytes given to pol_message_parse */
	size_t raw_len;
	unsigned depth;    /* deepest MIME nesting seen */
	size_t total_parts;
	unsigned flags;
};

struct pol_limits {
	size_t max_parts;   /* stop walking after this many MIME parts */
	unsigned max_depth; /* flag messages nested deeper */
	size_t max_html;    /* largest HTML part given to gumbo (bytes) */
	unsigned max_html_depth; /* deepest tag nesting given to gumbo */
};

#define POL_OK 0
#define POL_ERR_NOMEM (-1)

/* Call once from main before threads start (GMime's init is not locked). */
void pol_init(void);
void pol_shutdown(void);

/*
 * Parse len bytes at data into a new model (*out, free with
 * pol_message_free).  Never fails on hostile input: anything unparseable
 * becomes flags and an UNPARSED plain part.  Returns POL_OK or POL_ERR_NOMEM.
 */
int pol_message_parse(const char *data, size_t len,
		      const struct pol_limits *lim, struct pol_message **out);
void pol_message_free(struct pol_message *m);

/*
 * SHA-256 (lower-case hex) of len bytes at data without the header fields
 * Received, Return-Path and X-Consent-Gate, into out: the same for a mail
 * the sender's MTA hands over again after a temporary failure, different
 * for any other change (msghash.c).  out is "" when memory ran out.
 */
void pol_message_content_hash(const char *data, size_t len,
			      char out[POL_HASH_HEX]);

/*
 * The content hash of m (pol_message_content_hash over the bytes m was
 * parsed from), computed on the first call and kept in m; "" when memory
 * ran out.  The caller of pol_message_parse keeps those bytes unchanged
 * until it frees m.  Not thread-safe for one m (a message belongs to one
 * thread).
 */
const char *pol_message_sha256(const struct pol_message *m);

/* First header named name (case-insensitive), borrowed, or NULL. */
const char *pol_message_header(const struct pol_message *m, const char *name);
/* Its raw value (no RFC 2047 decoding, folding kept), borrowed, or NULL. */
const char *pol_message_header_raw(const struct pol_message *m,
				   const char *name);

#endif
