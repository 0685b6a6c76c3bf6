/*
 * codec.c - encode and decode consent records, write JSON strings, and
 * parse and format the UTC times used in the store, its CSV and its JSON.
 *
 * Owns nothing: pure functions over caller buffers (db_json_string grows
 * the caller's struct buf).  Never logs.  Failures are return codes:
 * DB_ERR_INVALID for a record that may not be stored, DB_ERR_CORRUPT or
 * DB_ERR_VERSION for a value that does not decode, -1 for out of memory.
 */
#include "../common/json.h"
#include "../common/time.h"
#include "codec.h"

#include <arpa/inet.h>
#include <endian.h>
#include <stdio.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>
#include <time.h>

/* The string fields in their stored order, with their limits: version 1
 * has the first four, version 2 all six. */
#define DB_CODEC_FIELDS 6
#define DB_CODEC_FIELDS_V1 4

_Static_assert(DB_UID_MAX <= 255 && DB_IP_MAX <= 255 &&
	       DB_SOURCE_MAX <= 255 && DB_MSGID_MAX <= 255 &&
	       DB_DOI_HASH_HEX <= 256 && DB_DOI_REF_MAX <= 255 &&
	       DB_HIST_SOURCE_MAX <= 255 && DB_HISTORY_MAX <= 255 &&
	       DB_LIST_NAME_MAX <= 255 && DB_LISTS_MAX <= 255,
	       "string lengths are stored in one byte");

void
db_be64_put(unsigned char out[8], uint64_t v)
{
	int i;

	for (i = 7; i >= 0; i--) {
		out[i] = (unsigned char)(v & 0xff);
		v >>= 8;
	}
}

uint64_t
db_be64_get(const unsigned char in[8])
{
	uint64_t v;

	/* One load and a byte swap, not eight shifts: every lookup decodes
	 * four to seven of these. */
	memcpy(&v, in, sizeof(v));
	return be64toh(v);
}

/* Length of s within an array of size bytes, or -1 when unterminated. */
static int
db_codec_strlen(const char *s, size_t size)
{
	size_t n = strnlen(s, size);

	return n == size ? -1 : (int)n;
}

static int
db_codec_has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

static int
db_codec_valid_ip(const char *ip)
{
	unsigned char addr[sizeof(struct in6_addr)];

	if (ip[0] == '\0')
		return 1;
	return inet_pton(AF_INET, ip, addr) == 1 ||
	       inet_pton(AF_INET6, ip, addr) == 1;
}

/* The confirmation history: count, strings, IPs, text. */
static const char *
db_history_check(const struct db_consent *c)
{
	const struct db_confirmation *h;
	unsigned int i;

	if (c->nhistory > DB_HISTORY_MAX)
		return "too many confirmations in the history";
	for (i = 0; i < c->nhistory; i++) {
		h = &c->history[i];
		if (db_codec_strlen(h->ip, sizeof(h->ip)) < 0 ||
		    db_codec_strlen(h->source, sizeof(h->source)) < 0)
			return "history entry too long";
		if (!db_codec_valid_ip(h->ip))
			return "history ip is not an IPv4 or IPv6 address";
		if (db_codec_has_control(h->source))
			return "history text contains a control character";
	}
	return NULL;
}

int
db_list_name_valid(const char *name)
{
	size_t n;
	unsigned char c;

	/* A loop, not strspn: every decoded record checks its lists. */
	for (n = 0; (c = (unsigned char)name[n]) != '\0'; n++)
		if (n >= DB_LIST_NAME_MAX ||
		    !((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return 0;
	return n > 0;
}

/* The lists: count, names (valid, each once), states. */
static const char *
db_lists_check(const struct db_consent *c)
{
	unsigned int i, j;

	if (c->nlists > DB_LISTS_MAX)
		return "too many lists";
	for (i = 0; i < c->nlists; i++) {
		if (db_codec_strlen(c->lists[i].name,
				    sizeof(c->lists[i].name)) < 0 ||
		    !db_list_name_valid(c->lists[i].name))
			return "list name is not 1-32 of a-z, 0-9, '.', '_', '-'";
		if (c->lists[i].state < DB_STATE_PENDING ||
		    c->lists[i].state > DB_STATE_CUSTOMER)
			return "unknown list state";
		for (j = 0; j < i; j++)
			if (strcmp(c->lists[i].name, c->lists[j].name) == 0)
				return "a list is named twice";
	}
	return NULL;
}

const char *
db_consent_check(const struct db_consent *c)
{
	const char *p;

	if (c->state < DB_STATE_PENDING || c->state > DB_STATE_CUSTOMER)
		return "unknown state";
	if (c->tracking != 0 && c->tracking != 1)
		return "tracking must be 0 or 1";
	if (db_codec_strlen(c->uid, sizeof(c->uid)) < 0)
		return "uid too long";
	if (db_codec_strlen(c->ip, sizeof(c->ip)) < 0)
		return "ip too long";
	if (db_codec_strlen(c->source, sizeof(c->source)) < 0)
		return "source too long";
	if (db_codec_strlen(c->doi_msgid, sizeof(c->doi_msgid)) < 0)
		return "DOI message-id too long";
	if (db_codec_strlen(c->doi_ref, sizeof(c->doi_ref)) < 0)
		return "DOI evidence ref too long";
	if (db_codec_strlen(c->doi_hash, sizeof(c->doi_hash)) < 0 ||
	    strspn(c->doi_hash, "0123456789abcdef") != strlen(c->doi_hash))
		return "DOI content hash is not lower-case hex";
	for (p = c->uid; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f || *p == '@')
			return "uid contains a space, control character or '@'";
	if (!db_codec_valid_ip(c->ip))
		return "ip is not an IPv4 or IPv6 address";
	if (db_codec_has_control(c->source) ||
	    db_codec_has_control(c->doi_msgid) ||
	    db_codec_has_control(c->doi_ref))
		return "text contains a control character";
	if ((p = db_history_check(c)) != NULL)
		return p;
	return db_lists_check(c);
}

/* One length-prefixed string. */
static size_t
db_codec_put_str(unsigned char *out, size_t pos, const char *s)
{
	size_t n = strlen(s);

	out[pos++] = (unsigned char)n;
	memcpy(out + pos, s, n);
	return pos + n;
}

/* One length-prefixed string of at most max bytes into dst; the new
 * position, or 0 when it does not fit. */
static size_t
db_codec_get_str(const unsigned char *in, size_t len, size_t pos, char *dst,
		 size_t max)
{
	size_t n;

	if (pos >= len)
		return 0;
	n = in[pos++];
	if (n > max || n > len - pos || memchr(in + pos, 0, n))
		return 0;
	memcpy(dst, in + pos, n);
	dst[n] = '\0';
	return pos + n;
}

/* Version 3's history after pos; the end position or 0 when corrupt. */
static size_t
db_codec_get_history(const unsigned char *in, size_t len, size_t pos,
		     struct db_consent *out)
{
	struct db_confirmation *h;
	unsigned int i;

	if (pos >= len || in[pos] > DB_HISTORY_MAX)
		return 0;
	out->nhistory = in[pos++];
	for (i = 0; i < out->nhistory; i++) {
		h = &out->history[i];
		memset(h, 0, sizeof(*h));
		if (len - pos < 8)
			return 0;
		h->at = (int64_t)db_be64_get(in + pos);
		pos += 8;
		if ((pos = db_codec_get_str(in, len, pos, h->ip, DB_IP_MAX)) ==
			0 ||
		    (pos = db_codec_get_str(in, len, pos, h->source,
					    DB_HIST_SOURCE_MAX)) == 0)
			return 0;
	}
	return pos;
}

/* Version 4's lists after pos; the end position or 0 when corrupt. */
static size_t
db_codec_get_lists(const unsigned char *in, size_t len, size_t pos,
		   struct db_consent *out)
{
	struct db_list *l;
	unsigned int i;

	if (pos >= len || in[pos] > DB_LISTS_MAX)
		return 0;
	out->nlists = in[pos++];
	for (i = 0; i < out->nlists; i++) {
		l = &out->lists[i];
		memset(l, 0, sizeof(*l));
		if ((pos = db_codec_get_str(in, len, pos, l->name,
					    DB_LIST_NAME_MAX)) == 0 ||
		    len - pos < 1 + 3 * 8)
			return 0;
		l->state = in[pos++];
		l->confirmed = (int64_t)db_be64_get(in + pos);
		l->withdrawn = (int64_t)db_be64_get(in + pos + 8);
		l->doi_sent = (int64_t)db_be64_get(in + pos + 16);
		pos += 24;
	}
	return db_lists_check(out) == NULL ? pos : 0;
}

/* The lists at pos; the end position. */
static size_t
db_codec_put_lists(const struct db_consent *c, unsigned char *out, size_t pos)
{
	unsigned int i;

	out[pos++] = (unsigned char)c->nlists;
	for (i = 0; i < c->nlists; i++) {
		pos = db_codec_put_str(out, pos, c->lists[i].name);
		out[pos++] = (unsigned char)c->lists[i].state;
		db_be64_put(out + pos, (uint64_t)c->lists[i].confirmed);
		db_be64_put(out + pos + 8, (uint64_t)c->lists[i].withdrawn);
		db_be64_put(out + pos + 16, (uint64_t)c->lists[i].doi_sent);
		pos += 24;
	}
	return pos;
}

int
db_codec_encode(const struct db_consent *c, unsigned char *out, size_t outsz)
{
	const char *str[DB_CODEC_FIELDS] = {c->uid,       c->ip,
					    c->source,    c->doi_msgid,
					    c->doi_hash, c->doi_ref};
	int64_t times[4] = {c->created, c->confirmed, c->withdrawn,
			    c->doi_sent};
	size_t pos = 0, n;
	int i;

	if (outsz < DB_CODEC_MAX || db_consent_check(c) != NULL)
		return DB_ERR_INVALID;
	out[pos++] = DB_CODEC_VERSION;
	out[pos++] = (unsigned char)c->state;
	out[pos++] = (unsigned char)c->tracking;
	for (i = 0; i < 4; i++) {
		db_be64_put(out + pos, (uint64_t)times[i]);
		pos += 8;
	}
	for (i = 0; i < DB_CODEC_FIELDS; i++)
		pos = db_codec_put_str(out, pos, str[i]);
	out[pos++] = (unsigned char)c->nhistory;
	for (n = 0; n < c->nhistory; n++) {
		db_be64_put(out + pos, (uint64_t)c->history[n].at);
		pos += 8;
		pos = db_codec_put_str(out, pos, c->history[n].ip);
		pos = db_codec_put_str(out, pos, c->history[n].source);
	}
	pos = db_codec_put_lists(c, out, pos);
	return (int)pos;
}

int
db_codec_decode(const void *p, size_t len, struct db_consent *out)
{
	const unsigned char *in = p;
	char *str[DB_CODEC_FIELDS] = {out->uid,      out->ip,
				      out->source,   out->doi_msgid,
				      out->doi_hash, out->doi_ref};
	const size_t max[DB_CODEC_FIELDS] = {
	    DB_UID_MAX,   DB_IP_MAX,           DB_SOURCE_MAX,
	    DB_MSGID_MAX, DB_DOI_HASH_HEX - 1, DB_DOI_REF_MAX};
	int nfields;
	int64_t *times[4] = {&out->created, &out->confirmed, &out->withdrawn,
			     &out->doi_sent};
	size_t pos = 3;
	int i;

	/* The scalars and strings, and below each slot used (not all 5 KB
	 * of history and list slots: every lookup decodes).  Slots past
	 * nhistory and nlists are left as they were; whoever appends one
	 * clears it. */
	memset(out, 0, offsetof(struct db_consent, history));
	out->nlists = 0;
	if (len < 3 + 4 * 8 + DB_CODEC_FIELDS_V1 || in[0] == 0)
		return DB_ERR_CORRUPT;
	if (in[0] > DB_CODEC_VERSION)
		return DB_ERR_VERSION;
	nfields = in[0] == 1 ? DB_CODEC_FIELDS_V1 : DB_CODEC_FIELDS;
	if (in[1] < DB_STATE_PENDING || in[1] > DB_STATE_CUSTOMER || in[2] > 1)
		return DB_ERR_CORRUPT;
	out->state = in[1];
	out->tracking = in[2];
	for (i = 0; i < 4; i++) {
		*times[i] = (int64_t)db_be64_get(in + pos);
		pos += 8;
	}
	for (i = 0; i < nfields; i++)
		if ((pos = db_codec_get_str(in, len, pos, str[i], max[i])) == 0)
			goto corrupt;
	if (in[0] >= 3 && (pos = db_codec_get_history(in, len, pos, out)) == 0)
		goto corrupt;
	if (in[0] >= 4 && (pos = db_codec_get_lists(in, len, pos, out)) == 0)
		goto corrupt;
	if (pos != len)
		goto corrupt;
	return DB_OK;
corrupt:
	memset(out, 0, sizeof(*out));
	return DB_ERR_CORRUPT;
}

int
db_json_string(struct buf *b, const char *s)
{
	return json_put_string(b, s);
}

/* The store's times are the canonical form of common/time.c. */
int
db_time_parse(const char *s, int64_t *out)
{
	return time_parse(s, TIME_CANONICAL, out) == 0 ? DB_OK :
							  DB_ERR_INVALID;
}

char *
db_time_format(int64_t t, char *out, size_t outsz)
{
	return time_format(t, out, outsz);
}
