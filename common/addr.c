/*
 * addr.c - the one e-mail address normaliser of consentgate and the
 * sender-list matcher built on it.
 *
 * The rules (README "Addresses"): surrounding spaces, angle brackets and a
 * "mailto:" prefix go; the address splits at its last '@'.  The domain is
 * mapped with UTS #46 to lower-case A-labels (url_domain_normalise, the
 * same mapping as URL hosts), so "bücher.example" and
 * "xn--bcher-kva.example" are one domain; an ASCII domain without an
 * "xn--" label is only lower-cased, exactly as before, and an address
 * literal ("[192.0.2.1]") is kept lower-cased.  The local part must be
 * UTF-8; it is put in Unicode NFC and lower-cased: ASCII letters as before
 * (existing stores keep their keys), other letters by Unicode's simple
 * lower-case mapping ("Jürgen" -> "jürgen"), not full case folding ("ß"
 * stays "ß", it is not "ss").
 *
 * Owns nothing beyond the GLib strings of one call, freed before return.
 * Never logs: a malformed address is -1.
 */
#include "addr.h"

#include <ctype.h>
#include <glib.h>
#include <string.h>
#include <strings.h>

#include "str.h"
#include "url.h"

/* Trim, drop brackets and mailto: the span [*sp, *ep) of in; -1 when the
 * brackets do not pair. */
static int
addr_trim(const char *in, const char **sp, const char **ep)
{
	const char *s = in, *e;

	while (str_is_space((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && str_is_space((unsigned char)e[-1]))
		e--;
	if (e > s && *s == '<' && e[-1] == '>') {
		s++;
		e--;
	} else if (e > s && (*s == '<' || e[-1] == '>')) {
		return -1;
	}
	while (s < e && (*s == ' ' || *s == '\t'))
		s++;
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	if ((size_t)(e - s) >= 7 && (*s == 'm' || *s == 'M') &&
	    strncasecmp(s, "mailto:", 7) == 0)
		s += 7;
	*sp = s;
	*ep = e;
	return 0;
}

/* Check the bytes of the span [s, e) and copy it into out. */
static int
addr_copy_span(const char *s, const char *e, char *out, size_t outsz)
{
	size_t n, i;

	if (outsz == 0)
		return -1;
	out[0] = '\0';
	n = (size_t)(e - s);
	if (n > ADDR_MAX || n + 1 > outsz)
		return -1;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= ' ' || c == 0x7f || c == '<' || c == '>')
			return -1;
		out[i] = (char)c;
	}
	out[n] = '\0';
	return (int)n;
}

static int
addr_is_ascii(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s >= 0x80)
			return 0;
	return 1;
}

/* The local part (NUL-terminated) in NFC, lower-cased, into out. */
static int
addr_local_normalise(const char *local, char *out, size_t outsz)
{
	char *nfc, *low;
	GString *g;
	size_t n;

	if (addr_is_ascii(local)) {
		n = strlen(local);
		if (n + 1 > outsz)
			return -1;
		for (size_t i = 0; i <= n; i++)
			out[i] = (char)tolower((unsigned char)local[i]);
		return 0;
	}
	if (!g_utf8_validate(local, -1, NULL))
		return -1;
	nfc = g_utf8_normalize(local, -1, G_NORMALIZE_NFC);
	if (nfc == NULL)
		return -1;
	/* Simple per-character mapping: locale-independent, unlike
	 * g_utf8_strdown, and never changes the number of characters. */
	g = g_string_sized_new(strlen(nfc));
	for (const char *p = nfc; *p; p = g_utf8_next_char(p))
		g_string_append_unichar(g, g_unichar_tolower(
						   g_utf8_get_char(p)));
	g_free(nfc);
	/* Lower-casing may leave a sequence that NFC composes further. */
	low = g_utf8_normalize(g->str, -1, G_NORMALIZE_NFC);
	g_string_free(g, TRUE);
	if (low == NULL || strlen(low) + 1 > outsz) {
		g_free(low);
		return -1;
	}
	memcpy(out, low, strlen(low) + 1);
	g_free(low);
	return 0;
}

/* The domain (after '@') as A-labels, lower case, into out. */
static int
addr_domain_normalise(const char *dom, char *out, size_t outsz)
{
	size_t n;
	int plain = 1; /* ASCII and no "xn--" (any case) so far */
	unsigned char c;

	/* One pass (every consent lookup comes here): reject '%' and '@',
	 * note non-ASCII bytes and A-labels, and lower-case into out as long
	 * as it fits. */
	for (n = 0; (c = (unsigned char)dom[n]) != '\0'; n++) {
		if (c == '%' || c == '@')
			return -1;
		if (c >= 0x80)
			plain = 0;
		if (n + 1 < outsz) {
			out[n] = (char)tolower(c);
			if (n >= 3 && out[n] == '-' && out[n - 1] == '-' &&
			    out[n - 2] == 'n' && out[n - 3] == 'x')
				plain = 0;
		}
	}
	if (n == 0)
		return -1;
	if ((dom[0] == '[' && dom[n - 1] == ']') || plain) {
		if (n + 1 > outsz)
			return -1;
		out[n] = '\0';
		return 0;
	}
	if (!g_utf8_validate(dom, -1, NULL) || dom[0] == '.' ||
	    url_domain_normalise(dom, out, outsz) < 0)
		return -1;
	/* UTS #46 keeps empty labels and maps some characters to nothing
	 * ("a..b", a lone zero-width space): neither is a mailbox domain. */
	if (out[0] == '\0' || out[0] == '.' || strstr(out, "..") ||
	    out[strlen(out) - 1] == '.') {
		out[0] = '\0';
		return -1;
	}
	return 0;
}

/*
 * The common case in one pass over the trimmed span [s, e): ASCII, and a
 * domain without an A-label, so both parts are only lower-cased - what the
 * general path below makes of such an address, without its copies.  The
 * length, -1 when malformed, -2 when the general path must decide
 * (non-ASCII, an "xn--" label, no '@', too long).
 */
static int
addr_normalise_ascii(const char *s, const char *e, char *out, size_t outsz)
{
	size_t i, n = (size_t)(e - s), at = n;
	unsigned char c;
	int pct = 0, xn = 0; /* '%', "xn--" after the last '@' so far */

	if (n > ADDR_MAX || n + 1 > outsz)
		return -2;
	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		/* A space, control, non-ASCII byte or bracket: the general
		 * path refuses or maps it. */
		if ((unsigned int)(c - 0x21) > 0x7e - 0x21 || c == '<' ||
		    c == '>')
			return -2;
		if (c == '@') {
			at = i;
			pct = xn = 0;
		} else if (c == '%') {
			pct = 1;
		} else if (c == '-' && i >= at + 4 && out[i - 1] == '-' &&
			   out[i - 2] == 'n' && out[i - 3] == 'x') {
			xn = 1;
		}
		/* ASCII lower case: tolower() in the C locale the programs
		 * run in, as the general path. */
		out[i] = (char)(c | ((unsigned int)(c - 'A') < 26u) << 5);
	}
	if (at == n || at == 0 || at + 1 == n || n - at - 1 >= URL_HOST_MAX)
		return -2;
	if (pct)
		return -1;
	if (xn && !(s[at + 1] == '[' && s[n - 1] == ']'))
		return -2;
	out[n] = '\0';
	return (int)n;
}

int
addr_normalise(const char *in, char *out, size_t outsz)
{
	char raw[ADDR_MAX + 1], local[ADDR_MAX + 1], dom[URL_HOST_MAX];
	char *at;
	size_t ln, dn;
	const char *s, *e;
	int n;

	if (in == NULL || addr_trim(in, &s, &e) < 0 || s == e)
		goto bad;
	if ((n = addr_normalise_ascii(s, e, out, outsz)) >= 0)
		return n;
	if (n == -1 || addr_copy_span(s, e, raw, sizeof(raw)) <= 0)
		goto bad;
	at = strrchr(raw, '@');
	if (at == NULL || at == raw || at[1] == '\0')
		goto bad;
	*at = '\0';
	if (addr_local_normalise(raw, local, sizeof(local)) < 0 ||
	    addr_domain_normalise(at + 1, dom, sizeof(dom)) < 0)
		goto bad;
	ln = strlen(local);
	dn = strlen(dom);
	if (ln + 1 + dn > ADDR_MAX || ln + dn + 2 > outsz)
		goto bad;
	memcpy(out, local, ln);
	out[ln] = '@';
	memcpy(out + ln + 1, dom, dn + 1);
	return (int)(ln + 1 + dn);
bad:
	if (outsz)
		out[0] = '\0';
	return -1;
}

int
addr_normalise_sender(const char *in, char *out, size_t outsz)
{
	const char *s = in;

	if (in == NULL)
		return -1;
	while (*s == ' ' || *s == '\t')
		s++;
	if (strcmp(s, "<>") == 0 || *s == '\0') {
		if (outsz)
			out[0] = '\0';
		return 0;
	}
	return addr_normalise(in, out, outsz);
}

int
addr_domain_entry_normalise(const char *entry, char *out, size_t outsz)
{
	if (entry == NULL || entry[0] != '@' || entry[1] == '\0' || outsz < 2)
		return -1;
	out[0] = '@';
	if (addr_domain_normalise(entry + 1, out + 1, outsz - 1) < 0) {
		out[0] = '\0';
		return -1;
	}
	return (int)strlen(out);
}

const char *
addr_domain(const char *addr)
{
	const char *at = strrchr(addr, '@');

	return at ? at + 1 : "";
}

/* Does list entry e match addr (normalised) with domain dom? */
static int
addr_entry_matches(const char *addr, const char *dom, const char *e)
{
	char norm[ADDR_MAX + 2];

	/* Entries from the config are normalised when it is read; an entry
	 * from elsewhere is normalised here when it is not plain ASCII. */
	if (!addr_is_ascii(e) || strcasestr(e, "xn--")) {
		if (e[0] == '@' ? addr_domain_entry_normalise(e, norm,
							       sizeof(norm)) < 0
				: addr_normalise(e, norm, sizeof(norm)) < 0)
			return 0;
		e = norm;
	}
	if (e[0] == '@')
		return strcasecmp(dom, e + 1) == 0;
	return strcasecmp(addr, e) == 0;
}

int
addr_match_list(const char *addr, char *const *list, size_t n)
{
	char norm[ADDR_MAX + 1];
	size_t i;

	if (addr == NULL || *addr == '\0')
		return 0;
	if (!addr_is_ascii(addr) || strcasestr(addr, "xn--")) {
		if (addr_normalise(addr, norm, sizeof(norm)) < 0)
			return 0;
		addr = norm;
	}
	for (i = 0; i < n; i++)
		if (addr_entry_matches(addr, addr_domain(addr), list[i]))
			return 1;
	return 0;
}
