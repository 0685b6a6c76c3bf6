/*
 * message.c - the parsed message model: raw bytes in, struct pol_message
 * out (see message.h).
 *
 * GMime 3 parses the message from memory: headers (unfolded, RFC 2047
 * decoded), addresses and the MIME tree, walked with GMimePartIter so that
 * message/rfc822 parts are entered.  Text parts are transfer-decoded and
 * converted to UTF-8 here; html.c turns HTML into visible text, links and
 * images, links.c finds URLs in plain text.  Limits (parts, depth, HTML
 * size and nesting) only flag and cut the walk short; hostile input never
 * makes the parse fail.
 *
 * Owns: every string and array of the model, released by
 * pol_message_free(); the GMime objects of one parse, released before
 * pol_message_parse() returns.  Failure: out of memory returns
 * POL_ERR_NOMEM and no model.  Never logs, no I/O.
 */
#include "../common/utf8.h"
#include "message.h"

#include <errno.h>
#include <gmime/gmime.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../common/addr.h"
#include "../common/buf.h"
#include "html.h"
#include "links.h"

#define POL_MAX_PARTS_DEFAULT 500
#define POL_MAX_DEPTH_DEFAULT 32

/* One parse: the model being built and the limits in force. */
struct pol_parse {
	struct pol_message *m;
	const struct pol_limits *lim;
	size_t max_parts;
	unsigned max_depth;
	size_t text_bytes; /* decoded text inspected so far */
	int attached;	   /* the part being added is not a main body */
	char *in_message;  /* path of the attached message being walked */
};

/* Decoded text inspected per message, across all parts: more is a
 * "zip bomb" of repeated parts, flagged truncated (and refused as
 * message.limit for DOI and marketing mail) rather than scanned. */
#define POL_TEXT_BUDGET (8u * 1024 * 1024)

void
pol_init(void)
{
	g_mime_init();
}

void
pol_shutdown(void)
{
	g_mime_shutdown();
}

/* windows-1252 for 0x80-0x9f; the undefined five become U+FFFD. */
static const uint16_t pol_cp1252[32] = {
    0x20ac, 0xfffd, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021,
    0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0xfffd, 0x017d, 0xfffd,
    0xfffd, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014,
    0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0xfffd, 0x017e, 0x0178,
};



/*
 * A new NUL-terminated, valid UTF-8 copy of len bytes at in: valid UTF-8
 * stays as it is, a NUL becomes a space, and any other byte is read as
 * windows-1252 (latin-1 for 0xa0-0xff), which is what undeclared 8-bit
 * mail text nearly always is.  With oneline, CR, LF and TAB become spaces
 * (header values).  *outlen gets the length.  Returns NULL when out of
 * memory.
 */
static char *
pol_utf8_clean(const char *in, size_t len, int oneline, size_t *outlen)
{
	const unsigned char *s = (const unsigned char *)in;
	char *out, *o;
	size_t i = 0, k;

	if (len > (SIZE_MAX - 1) / 3 || (out = malloc(len * 3 + 1)) == NULL)
		return NULL;
	o = out;
	while (i < len) {
		unsigned char c = s[i];

		if (c >= 0x20 && c < 0x80) { /* a run of printable ASCII */
			for (k = i + 1; k < len && s[k] >= 0x20 && s[k] < 0x80; k++)
				;
			memcpy(o, s + i, k - i);
			o += k - i;
			i = k;
			continue;
		}
		if (c == '\0' ||
		    (oneline && (c == '\r' || c == '\n' || c == '\t'))) {
			*o++ = ' ';
			i++;
		} else if ((k = utf8_seq_len(s + i, len - i)) > 0) {
			memcpy(o, s + i, k);
			o += k;
			i += k;
		} else {
			o += utf8_encode(o,
					  c < 0xa0 ? pol_cp1252[c - 0x80] : c);
			i++;
		}
	}
	*o = '\0';
	if (outlen)
		*outlen = (size_t)(o - out);
	return out;
}

static char *
pol_clean_str(const char *s, int oneline)
{
	return pol_utf8_clean(s ? s : "", s ? strlen(s) : 0, oneline, NULL);
}

static void
pol_text_part_clear(struct pol_text_part *p)
{
	free(p->path);
	free(p->content_type);
	free(p->text);
	free(p->html);
	free(p->hidden);
	free(p->extra);
	free(p->line_start);
}

void
pol_message_free(struct pol_message *m)
{
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; i < m->nheaders; i++) {
		free(m->headers[i].name);
		free(m->headers[i].value);
		free(m->headers[i].raw);
	}
	free(m->headers);
	free(m->subject);
	free(m->message_id);
	free(m->from_addr);
	free(m->from_name);
	for (i = 0; i < m->nto_cc; i++)
		free(m->to_cc[i]);
	free(m->to_cc);
	for (i = 0; i < m->nparts; i++)
		pol_text_part_clear(&m->parts[i]);
	free(m->parts);
	for (i = 0; i < m->nlinks; i++) {
		free(m->links[i].url);
		free(m->links[i].text);
	}
	free(m->links);
	for (i = 0; i < m->nimages; i++) {
		free(m->images[i].src);
		free(m->images[i].alt);
	}
	free(m->images);
	for (i = 0; i < m->nattachments; i++) {
		free(m->attachments[i].path);
		free(m->attachments[i].content_type);
		free(m->attachments[i].filename);
		free(m->attachments[i].content_id);
	}
	free(m->attachments);
	free(m);
}

const char *
pol_message_header(const struct pol_message *m, const char *name)
{
	size_t i;

	if (m == NULL || name == NULL)
		return NULL;
	for (i = 0; i < m->nheaders; i++)
		if (strcasecmp(m->headers[i].name, name) == 0)
			return m->headers[i].value;
	return NULL;
}

const char *
pol_message_header_raw(const struct pol_message *m, const char *name)
{
	size_t i;

	if (m == NULL || name == NULL)
		return NULL;
	for (i = 0; i < m->nheaders; i++)
		if (strcasecmp(m->headers[i].name, name) == 0)
			return m->headers[i].raw;
	return NULL;
}

/* Replace *dst (a model string) with a clean copy of s. */
static int
pol_set_str(char **dst, const char *s)
{
	char *c = pol_clean_str(s, 1);

	if (c == NULL)
		return POL_ERR_NOMEM;
	free(*dst);
	*dst = c;
	return POL_OK;
}

static int
pol_add_header(struct pol_message *m, GMimeHeader *h)
{
	struct pol_header *hs;
	char *name, *value, *raw;

	hs = pol_array_grow(m->headers, m->nheaders, sizeof(*hs));
	if (hs == NULL)
		return POL_ERR_NOMEM;
	m->headers = hs;
	name = pol_clean_str(g_mime_header_get_name(h), 1);
	value = pol_clean_str(g_mime_header_get_value(h), 1);
	/* The raw value, for rules that must see what was written (RFC
	 * 8058 compares List-Unsubscribe-Post byte for byte). */
	raw = pol_clean_str(g_mime_header_get_raw_value(h), 0);
	if (name == NULL || value == NULL || raw == NULL) {
		free(name);
		free(value);
		free(raw);
		return POL_ERR_NOMEM;
	}
	hs[m->nheaders].name = name;
	hs[m->nheaders].value = value;
	hs[m->nheaders].raw = raw;
	m->nheaders++;
	return POL_OK;
}

static gint
pol_header_cmp(gconstpointer a, gconstpointer b)
{
	gint64 x = g_mime_header_get_offset(*(GMimeHeader *const *)a);
	gint64 y = g_mime_header_get_offset(*(GMimeHeader *const *)b);

	return x < y ? -1 : x > y;
}

/*
 * Every header of the top message in the order written.  GMime keeps the
 * Content-* headers with the top MIME part, not the message, so both
 * lists are merged by their offset in the input.
 */
static int
pol_collect_headers(struct pol_message *m, GMimeMessage *msg)
{
	GMimeObject *top = g_mime_message_get_mime_part(msg);
	GMimeHeaderList *lists[2];
	GPtrArray *all = g_ptr_array_new();
	int i, k, n, rc = POL_OK;

	lists[0] = g_mime_object_get_header_list(GMIME_OBJECT(msg));
	lists[1] = top ? g_mime_object_get_header_list(top) : NULL;
	for (k = 0; k < 2; k++) {
		n = lists[k] ? g_mime_header_list_get_count(lists[k]) : 0;
		for (i = 0; i < n; i++) {
			GMimeHeader *h =
			    g_mime_header_list_get_header_at(lists[k], i);

			if (h != NULL)
				g_ptr_array_add(all, h);
		}
	}
	/* g_ptr_array_sort is a stable merge sort. */
	g_ptr_array_sort(all, pol_header_cmp);
	for (i = 0; i < (int)all->len && rc == POL_OK; i++)
		rc = pol_add_header(m, g_ptr_array_index(all, i));
	g_ptr_array_free(all, TRUE);
	return rc;
}

/* Message-ID without angle brackets: GMime's reading, else the raw value
 * trimmed. */
static int
pol_collect_message_id(struct pol_message *m, GMimeMessage *msg)
{
	const char *id = g_mime_message_get_message_id(msg), *raw;
	char *s, *e;

	if (id != NULL && *id != '\0')
		return pol_set_str(&m->message_id, id);
	if ((raw = pol_message_header(m, "Message-ID")) == NULL)
		return POL_OK;
	if (pol_set_str(&m->message_id, raw) != POL_OK)
		return POL_ERR_NOMEM;
	s = m->message_id + strspn(m->message_id, " <");
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '>'))
		e--;
	memmove(m->message_id, s, (size_t)(e - s));
	m->message_id[e - s] = '\0';
	return POL_OK;
}

static int
pol_add_rcpt(struct pol_message *m, InternetAddress *ia)
{
	const char *addr;
	char norm[ADDR_MAX + 1], **list;

	if (!INTERNET_ADDRESS_IS_MAILBOX(ia))
		return POL_OK;
	addr = internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(ia));
	if (addr == NULL || !g_utf8_validate(addr, -1, NULL) ||
	    addr_normalise(addr, norm, sizeof(norm)) < 0)
		return POL_OK; /* not an address we could ever match */
	list = pol_array_grow(m->to_cc, m->nto_cc, sizeof(*list));
	if (list == NULL)
		return POL_ERR_NOMEM;
	m->to_cc = list;
	if ((list[m->nto_cc] = strdup(norm)) == NULL)
		return POL_ERR_NOMEM;
	m->nto_cc++;
	return POL_OK;
}

/* Every mailbox of list, group members included, into to_cc. */
static int
pol_add_rcpt_list(struct pol_message *m, InternetAddressList *list)
{
	int i, j, n = list ? internet_address_list_length(list) : 0;

	for (i = 0; i < n; i++) {
		InternetAddress *ia =
		    internet_address_list_get_address(list, i);
		InternetAddressList *members;

		if (!INTERNET_ADDRESS_IS_GROUP(ia)) {
			if (pol_add_rcpt(m, ia) != POL_OK)
				return POL_ERR_NOMEM;
			continue;
		}
		members = internet_address_group_get_members(
		    INTERNET_ADDRESS_GROUP(ia));
		for (j = 0;
		     members && j < internet_address_list_length(members); j++)
			if (pol_add_rcpt(m, internet_address_list_get_address(
						members, j)) != POL_OK)
				return POL_ERR_NOMEM;
	}
	return POL_OK;
}

/* The first mailbox of list (looking into groups), or NULL. */
static InternetAddress *
pol_first_mailbox_ia(InternetAddressList *list)
{
	int i, j, n = list ? internet_address_list_length(list) : 0;

	for (i = 0; i < n; i++) {
		InternetAddress *ia =
		    internet_address_list_get_address(list, i);
		InternetAddressList *mem;

		if (INTERNET_ADDRESS_IS_MAILBOX(ia))
			return ia;
		if (!INTERNET_ADDRESS_IS_GROUP(ia))
			continue;
		mem = internet_address_group_get_members(
		    INTERNET_ADDRESS_GROUP(ia));
		for (j = 0; mem && j < internet_address_list_length(mem); j++) {
			ia = internet_address_list_get_address(mem, j);
			if (INTERNET_ADDRESS_IS_MAILBOX(ia))
				return ia;
		}
	}
	return NULL;
}

static const char *
pol_first_mailbox(InternetAddressList *list)
{
	InternetAddress *ia = pol_first_mailbox_ia(list);

	return ia ? internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(ia))
		  : NULL;
}

/* The display name of the first mailbox of list, or NULL. */
static const char *
pol_first_mailbox_name(InternetAddressList *list)
{
	InternetAddress *ia = pol_first_mailbox_ia(list);

	return ia ? internet_address_get_name(ia) : NULL;
}

static int
pol_collect_envelope_headers(struct pol_message *m, GMimeMessage *msg)
{
	const char *from, *subject, *name;
	char norm[ADDR_MAX + 1];

	subject = pol_message_header(m, "Subject");
	if (subject != NULL && pol_set_str(&m->subject, subject) != POL_OK)
		return POL_ERR_NOMEM;
	if (pol_collect_message_id(m, msg) != POL_OK)
		return POL_ERR_NOMEM;
	name = pol_first_mailbox_name(g_mime_message_get_from(msg));
	if (name != NULL && *name) {
		char *clean = pol_clean_str(name, 1);

		if (clean == NULL)
			return POL_ERR_NOMEM;
		free(m->from_name);
		m->from_name = clean;
	}
	if ((name = pol_first_mailbox_name(g_mime_message_get_sender(msg))) &&
	    *name && strcmp(name, m->from_name) != 0) {
		size_t n = strlen(m->from_name) + strlen(name) + 2;
		char *both = malloc(n), *clean;

		if (both != NULL)
			snprintf(both, n, "%s%s%s", m->from_name,
				 *m->from_name ? "\n" : "", name);
		clean = both ? pol_clean_str(both, 0) : NULL;
		free(both);
		if (clean == NULL)
			return POL_ERR_NOMEM;
		free(m->from_name);
		m->from_name = clean;
	}
	from = pol_first_mailbox(g_mime_message_get_from(msg));
	if (from != NULL && g_utf8_validate(from, -1, NULL) &&
	    addr_normalise(from, norm, sizeof(norm)) >= 0 &&
	    pol_set_str(&m->from_addr, norm) != POL_OK)
		return POL_ERR_NOMEM;
	if (pol_add_rcpt_list(m, g_mime_message_get_to(msg)) != POL_OK ||
	    pol_add_rcpt_list(m, g_mime_message_get_cc(msg)) != POL_OK)
		return POL_ERR_NOMEM;
	return POL_OK;
}

/*
 * Append a text part.  decoded (dlen bytes, clean UTF-8) passes to the
 * model, even on failure.  Plain text is searched for URLs; HTML goes to
 * html.c for its visible, hidden and extra text, links and images.  The
 * part is marked attached when pp->attached says so.
 */
static int
pol_add_text(struct pol_parse *pp, enum pol_part_kind kind, const char *path,
	     const char *ctype, char *decoded, size_t dlen)
{
	struct pol_message *m = pp->m;
	struct pol_text_part *parts, *p;
	struct pol_html_view view;
	size_t idx = m->nparts;
	int rc;

	parts = pol_array_grow(m->parts, m->nparts, sizeof(*parts));
	if (parts == NULL) {
		free(decoded);
		return POL_ERR_NOMEM;
	}
	m->parts = parts;
	p = &parts[idx];
	memset(p, 0, sizeof(*p));
	p->kind = kind;
	p->attached = pp->attached;
	m->nparts++;
	if (kind == POL_PART_PLAIN) {
		p->text = decoded;
		p->text_len = dlen;
	} else {
		p->html = decoded;
	}
	p->path = strdup(path);
	p->content_type = strdup(ctype);
	if (decoded == NULL || p->path == NULL || p->content_type == NULL)
		return POL_ERR_NOMEM;
	if (kind == POL_PART_PLAIN)
		return pol_index_lines(p) < 0 ? POL_ERR_NOMEM
					      : pol_links_scan_text(m, idx, decoded, dlen);
	rc = pol_html_scan(m, idx, decoded, dlen, pp->lim, &view);
	p->text = view.text;
	p->text_len = view.text_len;
	p->hidden = view.hidden;
	p->hidden_len = view.hidden_len;
	p->extra = view.extra;
	p->extra_len = view.extra_len;
	/* A URL written out in the visible text is a link to the reader: mail
	 * clients make it one, and a privacy URL so written is shown. */
	if (rc == POL_OK && p->text)
		rc = pol_links_scan_text(m, idx, p->text, p->text_len);
	return rc;
}

/* A multipart without children keeps its body in the prologue (missing or
 * wrong boundary): scan that as plain text. */
static int
pol_add_prologue(struct pol_parse *pp, GMimeMultipart *mp, const char *path)
{
	const char *pro = g_mime_multipart_get_prologue(mp);
	size_t n = 0;
	char *text =
	    pol_utf8_clean(pro ? pro : "", pro ? strlen(pro) : 0, 0, &n);

	return pol_add_text(pp, POL_PART_PLAIN, path, "text/plain", text, n);
}

/* The declared charset to convert from, or NULL for none, UTF-8 and
 * ASCII: stray 8-bit bytes in those are left to pol_utf8_clean, which
 * keeps the valid UTF-8 and reads the rest as windows-1252. */
static const char *
pol_charset_from(GMimeObject *obj)
{
	const char *cs =
	    g_mime_object_get_content_type_parameter(obj, "charset");
	const char *canon;

	if (cs == NULL || *cs == '\0')
		return NULL;
	canon = g_mime_charset_canon_name(cs);
	if (canon == NULL || g_ascii_strcasecmp(canon, "utf-8") == 0 ||
	    g_ascii_strcasecmp(canon, "us-ascii") == 0 ||
	    g_ascii_strcasecmp(canon, "ascii") == 0)
		return NULL;
	/* Mail labelled latin-1 is in practice windows-1252 (as in browsers).
	 */
	if (g_ascii_strcasecmp(canon, "iso-8859-1") == 0 ||
	    g_ascii_strcasecmp(canon, "latin1") == 0)
		return "CP1252";
	return g_mime_charset_iconv_name(cs);
}

/*
 * Convert len bytes from charset cs to UTF-8 into out.  A byte that does
 * not convert becomes U+FFFD and the conversion goes on after it.
 * Returns 1 when converted, 0 when iconv does not know cs (out is then
 * untouched), -1 when out of memory.
 */
static int
pol_iconv_utf8(const char *in, size_t len, const char *cs, struct buf *out)
{
	GIConv cd = g_iconv_open("UTF-8", cs);
	gchar *ip = (gchar *)in;
	gsize il = len;
	int rc = 1;

	if (cd == (GIConv)-1)
		return 0;
	while (il > 0 && rc == 1) {
		char tmp[4096];
		gchar *op = tmp;
		gsize ol = sizeof(tmp);
		gsize r = g_iconv(cd, &ip, &il, &op, &ol);
		int err = errno;

		if (buf_append(out, tmp, (size_t)(op - tmp)) < 0)
			rc = -1;
		else if (r == (gsize)-1 && err != E2BIG) {
			/* EILSEQ, or EINVAL for a sequence cut off at the end.
			 */
			if (buf_append(out, "\xef\xbf\xbd", 3) < 0)
				rc = -1;
			ip++;
			il--;
			g_iconv(cd, NULL, NULL, NULL, NULL);
		}
	}
	g_iconv_close(cd);
	return rc;
}

/*
 * The decoded content of a text part as clean UTF-8: transfer encoding
 * undone and the declared charset converted, as
 * g_mime_text_part_get_text() does, but keeping the length so that a NUL
 * inside cannot cut the text short, and never dropping the bytes of an
 * unknown charset.  Returns NULL when out of memory.
 */
static char *
pol_part_text(GMimePart *part, size_t *len)
{
	GMimeDataWrapper *content = g_mime_part_get_content(part);
	struct buf conv = BUF_INIT;
	GMimeStream *mem;
	GByteArray *bytes;
	const char *cs, *raw = "";
	size_t rawlen = 0;
	char *text = NULL;
	int rc = 0;

	if (content == NULL)
		return pol_utf8_clean("", 0, 0, len);
	mem = g_mime_stream_mem_new();
	g_mime_data_wrapper_write_to_stream(content, mem);
	bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
	if (bytes != NULL && bytes->len > 0) {
		raw = (const char *)bytes->data;
		rawlen = bytes->len;
	}
	if ((cs = pol_charset_from(GMIME_OBJECT(part))) != NULL)
		rc = pol_iconv_utf8(raw, rawlen, cs, &conv);
	if (rc == 1)
		text = pol_utf8_clean(conv.data ? conv.data : "", conv.len, 0,
				      len);
	else if (rc == 0)
		text = pol_utf8_clean(raw, rawlen, 0, len);
	buf_free(&conv);
	g_object_unref(mem);
	return text;
}

/* Decoded size of a part, counted without keeping the bytes. */
static size_t
pol_part_size(GMimePart *part)
{
	GMimeDataWrapper *content = g_mime_part_get_content(part);
	GMimeStream *null;
	size_t n;

	if (content == NULL)
		return 0;
	null = g_mime_stream_null_new();
	g_mime_data_wrapper_write_to_stream(content, null);
	n = GMIME_STREAM_NULL(null)->written;
	g_object_unref(null);
	return n;
}

static int
pol_add_attachment(struct pol_parse *pp, GMimePart *part, const char *path,
		   const char *ctype)
{
	struct pol_message *m = pp->m;
	struct pol_attachment *list, *a;

	list = pol_array_grow(m->attachments, m->nattachments, sizeof(*list));
	if (list == NULL)
		return POL_ERR_NOMEM;
	m->attachments = list;
	a = &list[m->nattachments];
	memset(a, 0, sizeof(*a));
	m->nattachments++;
	a->size = pol_part_size(part);
	a->path = strdup(path);
	a->content_type = strdup(ctype);
	a->filename = pol_clean_str(g_mime_part_get_filename(part), 1);
	a->content_id = pol_clean_str(
	    g_mime_object_get_content_id(GMIME_OBJECT(part)), 1);
	if (a->path == NULL || a->content_type == NULL || a->filename == NULL ||
	    a->content_id == NULL)
		return POL_ERR_NOMEM;
	return POL_OK;
}

/* The kind a text leaf is read as, or -1 for none.  *body is 1 for the
 * message's own bodies (text/plain, text/html), 0 for text read besides
 * them (calendar invitations, the AMP and the Apple Watch alternatives). */
static int
pol_leaf_kind(const char *ctype, int *body)
{
	*body = 1;
	if (strcmp(ctype, "text/plain") == 0)
		return POL_PART_PLAIN;
	if (strcmp(ctype, "text/html") == 0)
		return POL_PART_HTML;
	*body = 0;
	if (strcmp(ctype, "text/calendar") == 0)
		return POL_PART_PLAIN;
	if (strcmp(ctype, "text/x-amp-html") == 0 ||
	    strcmp(ctype, "text/watch-html") == 0)
		return POL_PART_HTML;
	return -1;
}

/* A leaf: text/plain and text/html that are not attachments become the
 * body's text parts; text attachments, text/calendar, text/x-amp-html and
 * text/watch-html become attached text parts (and stay attachments). */
static int
pol_add_leaf(struct pol_parse *pp, GMimePart *part, const char *path)
{
	GMimeContentType *ct =
	    g_mime_object_get_content_type(GMIME_OBJECT(part));
	char *mime = ct ? g_mime_content_type_get_mime_type(ct) : NULL;
	char *ctype =
	    pol_clean_str(mime ? mime : "application/octet-stream", 1);
	const char *fn = g_mime_part_get_filename(part);
	int rc = POL_OK, kind, attached, body;
	char *text, *c;
	size_t n;

	g_free(mime);
	if (ctype == NULL)
		return POL_ERR_NOMEM;
	for (c = ctype; *c; c++)
		*c = g_ascii_tolower(*c);
	attached = g_mime_part_is_attachment(part) && fn != NULL && *fn != '\0';
	kind = pol_leaf_kind(ctype, &body);
	if (kind < 0 || attached || !body)
		rc = pol_add_attachment(pp, part, path, ctype);
	if (rc != POL_OK || kind < 0) {
		/* nothing to read */
	} else if (pp->text_bytes >= POL_TEXT_BUDGET) {
		pp->m->flags |= POL_MSG_TRUNCATED | POL_MSG_OVER_TEXT;
		rc = POL_OK;
	} else {
		text = pol_part_text(part, &n);
		pp->text_bytes += n;
		pp->attached = pp->in_message != NULL || attached || !body;
		rc = pol_add_text(pp, (enum pol_part_kind)kind, path, ctype,
				  text, n);
		pp->attached = 0;
	}
	free(ctype);
	return rc;
}

/* The multipart with no children that obj is, or that a message/rfc822
 * obj holds at its top (the iterator never visits that one), or NULL. */
static GMimeMultipart *
pol_empty_multipart(GMimeObject *obj)
{
	if (GMIME_IS_MESSAGE_PART(obj)) {
		GMimeMessage *inner =
		    g_mime_message_part_get_message(GMIME_MESSAGE_PART(obj));

		obj = inner ? g_mime_message_get_mime_part(inner) : NULL;
	}
	if (obj != NULL && GMIME_IS_MULTIPART(obj) &&
	    g_mime_multipart_get_count(GMIME_MULTIPART(obj)) == 0)
		return GMIME_MULTIPART(obj);
	return NULL;
}

static void
pol_note_depth(struct pol_parse *pp, unsigned depth)
{
	if (depth > pp->m->depth)
		pp->m->depth = depth;
	if (depth > pp->max_depth)
		pp->m->flags |= POL_MSG_OVER_DEPTH;
}

/*
 * Is the object at path inside an attached message (message/rfc822)?
 * The iterator goes depth first, so the outermost attached message's path
 * is kept until a path outside it comes; everything below it is read as
 * attached text.
 */
static int
pol_note_message(struct pol_parse *pp, GMimeObject *obj, const char *path)
{
	size_t n;

	if (pp->in_message != NULL) {
		n = strlen(pp->in_message);
		if (strncmp(path, pp->in_message, n) == 0 && path[n] == '.')
			return POL_OK;
		free(pp->in_message);
		pp->in_message = NULL;
	}
	if (GMIME_IS_MESSAGE_PART(obj) &&
	    (pp->in_message = strdup(path)) == NULL)
		return POL_ERR_NOMEM;
	return POL_OK;
}

/* One object the iterator reached, at path ("0" for a lone part). */
static int
pol_visit(struct pol_parse *pp, GMimeObject *obj, const char *path)
{
	GMimeMultipart *empty;
	const char *p;
	unsigned depth = 1;
	char *sub;
	int rc;

	if (strcmp(path, "0") == 0)
		path = "1";
	for (p = path; *p; p++)
		depth += *p == '.';
	pol_note_depth(pp, depth);
	if ((rc = pol_note_message(pp, obj, path)) != POL_OK)
		return rc;
	if (GMIME_IS_PART(obj))
		return pol_add_leaf(pp, GMIME_PART(obj), path);
	if ((empty = pol_empty_multipart(obj)) == NULL)
		return POL_OK;
	pp->attached = pp->in_message != NULL;
	if (GMIME_IS_MULTIPART(obj)) {
		rc = pol_add_prologue(pp, empty, path);
		pp->attached = 0;
		return rc;
	}
	/* The iterator skips the top of an attached message; its own
	 * children would be numbered path.1, so its prologue is too. */
	sub = g_strconcat(path, ".1", NULL);
	pol_note_depth(pp, depth + 1);
	rc = pol_add_prologue(pp, empty, sub);
	pp->attached = 0;
	g_free(sub);
	return rc;
}

static int
pol_walk_parts(struct pol_parse *pp, GMimeMessage *msg)
{
	struct pol_message *m = pp->m;
	GMimeObject *top = g_mime_message_get_mime_part(msg);
	GMimeMultipart *empty;
	GMimePartIter *it;
	int rc = POL_OK;

	if (top == NULL)
		return POL_OK;
	if ((empty = pol_empty_multipart(top)) != NULL) {
		/* The iterator has nothing to visit here. */
		m->total_parts = 1;
		pol_note_depth(pp, 1);
		return pol_add_prologue(pp, empty, "1");
	}
	it = g_mime_part_iter_new(GMIME_OBJECT(msg));
	do {
		GMimeObject *cur = g_mime_part_iter_get_current(it);
		char *path;

		if (cur == NULL)
			break;
		if (m->total_parts >= pp->max_parts) {
			m->flags |= POL_MSG_OVER_PARTS | POL_MSG_TRUNCATED;
			break;
		}
		m->total_parts++;
		path = g_mime_part_iter_get_path(it);
		rc = pol_visit(pp, cur, path ? path : "1");
		g_free(path);
	} while (rc == POL_OK && g_mime_part_iter_next(it));
	g_mime_part_iter_free(it);
	free(pp->in_message);
	pp->in_message = NULL;
	return rc;
}

/* Critical parser warnings mean parts of the input were skipped or
 * guessed; they flag the message as broken. */
static void
pol_parser_warning(gint64 offset, GMimeParserWarning code, const gchar *item,
		   gpointer ud)
{
	unsigned *flags = ud;

	(void)offset;
	(void)item;
	switch (code) {
	case GMIME_CRIT_NESTING_OVERFLOW:
		*flags |= POL_MSG_OVER_DEPTH | POL_MSG_TRUNCATED;
		/* FALLTHROUGH */
	case GMIME_CRIT_INVALID_HEADER_NAME:
	case GMIME_CRIT_CONFLICTING_HEADER:
	case GMIME_CRIT_CONFLICTING_PARAMETER:
	case GMIME_CRIT_MULTIPART_WITHOUT_BOUNDARY:
	case GMIME_CRIT_PART_WITHOUT_HEADERS_OR_CONTENT:
		*flags |= POL_MSG_BROKEN;
		break;
	default:
		break;
	}
}

/* Parse with GMime; NULL when the bytes are not a message at all.  The
 * warning callback writes into *flags while the message lives. */
static GMimeMessage *
pol_gmime_parse(const char *data, size_t len, unsigned *flags)
{
	static const char *fallback[] = {"utf-8", "windows-1252", NULL};
	GMimeParserOptions *opts;
	GMimeStream *stream;
	GMimeParser *parser;
	GMimeMessage *msg;

	stream = g_mime_stream_mem_new_with_buffer(data, len);
	parser = g_mime_parser_new_with_stream(stream);
	g_object_unref(stream);
	opts = g_mime_parser_options_new();
	g_mime_parser_options_set_warning_callback(opts, pol_parser_warning,
						   flags);
	g_mime_parser_options_set_fallback_charsets(opts, fallback);
	msg = g_mime_parser_construct_message(parser, opts);
	g_object_unref(parser);
	g_mime_parser_options_free(opts);
	return msg;
}

/* Copies of messages sometimes start with blank or indented lines, which
 * GMime takes for a missing header; try once more without them. */
static GMimeMessage *
pol_gmime_retry(const char *data, size_t len, unsigned *flags)
{
	size_t skip = 0;

	while (skip < len && (data[skip] == ' ' || data[skip] == '\t' ||
			      data[skip] == '\r' || data[skip] == '\n'))
		skip++;
	if (skip == 0 || skip == len)
		return NULL;
	return pol_gmime_parse(data + skip, len - skip, flags);
}

/* Not a message: the raw bytes, cleaned, as one plain part. */
static int
pol_fill_unparsed(struct pol_parse *pp, const char *data, size_t len)
{
	size_t n = 0;
	char *text = pol_utf8_clean(data, len, 0, &n);

	pp->m->flags |= POL_MSG_UNPARSED;
	pp->m->total_parts = 1;
	pp->m->depth = 1;
	return pol_add_text(pp, POL_PART_PLAIN, "1", "text/plain", text, n);
}

static struct pol_message *
pol_message_new(void)
{
	struct pol_message *m = calloc(1, sizeof(*m));

	if (m == NULL)
		return NULL;
	m->subject = strdup("");
	m->message_id = strdup("");
	m->from_addr = strdup("");
	m->from_name = strdup("");
	if (m->subject == NULL || m->message_id == NULL ||
	    m->from_addr == NULL || m->from_name == NULL) {
		pol_message_free(m);
		return NULL;
	}
	return m;
}

int
pol_message_parse(const char *data, size_t len, const struct pol_limits *lim,
		  struct pol_message **out)
{
	struct pol_parse pp;
	GMimeMessage *msg = NULL;
	int rc;

	*out = NULL;
	memset(&pp, 0, sizeof(pp));
	if ((pp.m = pol_message_new()) == NULL)
		return POL_ERR_NOMEM;
	pp.lim = lim;
	pp.max_parts =
	    lim && lim->max_parts ? lim->max_parts : POL_MAX_PARTS_DEFAULT;
	pp.max_depth =
	    lim && lim->max_depth ? lim->max_depth : POL_MAX_DEPTH_DEFAULT;
	if (data == NULL)
		len = 0;
	/* The content hash waits for pol_message_sha256: only DOI mail
	 * needs it (a SHA-256 over every message was a tenth of the policy's
	 * CPU). */
	pp.m->raw = data ? data : "";
	pp.m->raw_len = len;
	/* GMime must never see a NULL buffer, and has nothing to say about
	 * zero bytes anyway. */
	if (len > 0)
		msg = pol_gmime_parse(data, len, &pp.m->flags);
	if (msg == NULL && len > 0)
		msg = pol_gmime_retry(data, len, &pp.m->flags);
	if (msg == NULL) {
		rc = pol_fill_unparsed(&pp, len > 0 ? data : "", len);
	} else {
		rc = pol_collect_headers(pp.m, msg);
		if (rc == POL_OK)
			rc = pol_collect_envelope_headers(pp.m, msg);
		if (rc == POL_OK)
			rc = pol_walk_parts(&pp, msg);
		g_object_unref(msg);
	}
	if (rc != POL_OK) {
		pol_message_free(pp.m);
		return rc;
	}
	*out = pp.m;
	return POL_OK;
}
