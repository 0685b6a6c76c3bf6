/*
 * restscan.c - find ConfirmURL in the unparsed rest of an oversize message
 * (see restscan.h).
 *
 * Three views of the same bytes are matched at once, each with its own
 * incremental matcher: the raw bytes, their quoted-printable decoding and
 * their base64 decoding.  The base64 view decodes characters of lines that
 * hold nothing but base64 characters and carries the bit state across such
 * lines (a base64 body), and starts again after any other line, so header
 * lines and text never shift the alignment of a following base64 body.
 * Owns nothing; every state lives in the caller's struct.
 */
#include "restscan.h"

#include <string.h>
#include <strings.h>

#include "../common/base64.h"
#include "../common/hex.h"

static unsigned char
pol_rs_lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
}

/* KMP prefix function of the needle. */
static void
pol_rs_prepare(struct pol_restscan *s)
{
	size_t i, k = 0;

	s->fail[0] = 0;
	for (i = 1; i < s->nlen; i++) {
		while (k > 0 && s->needle[i] != s->needle[k])
			k = s->fail[k - 1];
		if (s->needle[i] == s->needle[k])
			k++;
		s->fail[i] = (unsigned short)k;
	}
}

static void
pol_rs_match(struct pol_restscan *s, struct pol_restscan_match *m,
	     unsigned char b)
{
	char c = (char)pol_rs_lower(b);

	while (m->state > 0 && s->needle[m->state] != c)
		m->state = s->fail[m->state - 1];
	if (s->needle[m->state] == c)
		m->state++;
	if (m->state == s->nlen) {
		s->found = 1;
		m->state = s->fail[s->nlen - 1];
	}
}

void
pol_restscan_init(struct pol_restscan *s, const char *confirm_url)
{
	const char *p = confirm_url ? confirm_url : "";
	size_t i;

	memset(s, 0, sizeof(*s));
	s->b64_line_clean = 1;
	if (strncasecmp(p, "https://", 8) == 0)
		p += 8;
	else if (strncasecmp(p, "http://", 7) == 0)
		p += 7;
	for (i = 0; p[i] && i < POL_RESTSCAN_NEEDLE_MAX; i++)
		s->needle[i] = (char)pol_rs_lower((unsigned char)p[i]);
	s->needle[i] = '\0';
	s->nlen = i;
	if (s->nlen > 0)
		pol_rs_prepare(s);
}

/* Quoted-printable view: soft line breaks vanish, =XX is one byte, any
 * other '=' stays as written. */
static void
pol_rs_qp(struct pol_restscan *s, unsigned char b)
{
	switch (s->qp_state) {
	case 1:
		if (b == '\r') {
			s->qp_state = 3;
			return;
		}
		if (b == '\n') {
			s->qp_state = 0;
			return;
		}
		if (hex_value(b) >= 0) {
			s->qp_hex = b;
			s->qp_state = 2;
			return;
		}
		pol_rs_match(s, &s->qp, '=');
		break;
	case 2:
		if (hex_value(b) >= 0) {
			pol_rs_match(s, &s->qp, (unsigned char)(hex_value(s->qp_hex) * 16 +
								 hex_value(b)));
			s->qp_state = 0;
			return;
		}
		pol_rs_match(s, &s->qp, '=');
		pol_rs_match(s, &s->qp, s->qp_hex);
		break;
	case 3:
		s->qp_state = 0;
		if (b == '\n')
			return;
		break;
	default:
		break;
	}
	s->qp_state = 0;
	if (b == '=')
		s->qp_state = 1;
	else
		pol_rs_match(s, &s->qp, b);
}

static void
pol_rs_b64_restart(struct pol_restscan *s)
{
	s->b64_bits = 0;
	s->b64_nbits = 0;
	s->b64.state = 0;
}

/* Base64 view: see the top of the file. */
static void
pol_rs_b64(struct pol_restscan *s, unsigned char b)
{
	int v;

	if (b == '\n') {
		if (!s->b64_line_clean || s->b64_line_len == 0)
			pol_rs_b64_restart(s);
		s->b64_line_clean = 1;
		s->b64_line_len = 0;
		return;
	}
	if (b == '\r')
		return;
	s->b64_line_len++;
	if (!s->b64_line_clean)
		return;
	if (b == '=') {
		/* Padding ends the encoded data; what follows starts anew. */
		s->b64_bits = 0;
		s->b64_nbits = 0;
		return;
	}
	v = base64_value(b, 0);
	if (v < 0) {
		s->b64_line_clean = 0;
		pol_rs_b64_restart(s);
		return;
	}
	s->b64_bits = ((s->b64_bits << 6) | (unsigned)v) & 0xffffu;
	s->b64_nbits += 6;
	if (s->b64_nbits >= 8) {
		s->b64_nbits -= 8;
		pol_rs_match(s, &s->b64,
			     (unsigned char)((s->b64_bits >> s->b64_nbits) & 0xffu));
	}
}

void
pol_restscan_feed(struct pol_restscan *s, const void *p, size_t n)
{
	const unsigned char *b = p;
	size_t i;

	if (s->nlen == 0 || s->found)
		return;
	for (i = 0; i < n && !s->found; i++) {
		pol_rs_match(s, &s->raw, b[i]);
		pol_rs_qp(s, b[i]);
		pol_rs_b64(s, b[i]);
	}
}

void
pol_restscan_prime(struct pol_restscan *s, const char *kept, size_t len)
{
	size_t from = len > 1024 ? len - 1024 : 0;

	while (from > 0 && kept[from - 1] != '\n')
		from--;
	pol_restscan_feed(s, kept + from, len - from);
}

/* Offset of the first body byte: after the first empty line. */
static size_t
pol_rs_body_start(const char *data, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (data[i] != '\n')
			continue;
		if (i + 1 < len && data[i + 1] == '\n')
			return i + 2;
		if (i + 2 < len && data[i + 1] == '\r' && data[i + 2] == '\n')
			return i + 3;
	}
	return len;
}

size_t
pol_restscan_split(struct pol_restscan *s, const char *data, size_t len,
		   size_t max_body)
{
	size_t cut = pol_rs_body_start(data, len);

	if (len - cut <= max_body)
		return len;
	cut += max_body;
	pol_restscan_prime(s, data, cut);
	pol_restscan_feed(s, data + cut, len - cut);
	return cut;
}

int
pol_restscan_found(const struct pol_restscan *s)
{
	return s->found;
}
