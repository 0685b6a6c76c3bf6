/*
 * css_content.c - the text of a ::before/::after content value as a
 * reader sees it: its strings with CSS escapes decoded, and attr(name)
 * replaced by the element's attribute value (read through the caller's
 * pol_css_attr_fn).  Counters, quotes and images generate no text here.
 *
 * A single forward pass over the value; output bounded by the caller's
 * buffer.  Owns nothing; no allocation, no I/O, cannot fail.
 */
#include "css.h"

#include <string.h>
#include <strings.h>

#include "../common/str.h"

#include "../common/hex.h"
#include "../common/utf8.h"



/* Decode the string whose quote is at v[i] into out; returns the index
 * after it. */
static size_t
pol_css_string(const char *v, size_t len, size_t i, char *out, size_t outsz,
	       size_t *o)
{
	char q = v[i++], tmp[4];

	while (i < len && v[i] != q) {
		size_t n = 1;
		unsigned cp = 0;
		int h, k = 0;

		tmp[0] = v[i++];
		if (tmp[0] == '\\' && i < len) {
			while (k < 6 && i < len && (h = hex_value((unsigned char)v[i])) >= 0) {
				cp = cp * 16 + (unsigned)h;
				i++;
				k++;
			}
			if (k > 0) {
				n = utf8_encode(tmp, cp);
				if (i < len && str_is_space(v[i]))
					i++;
			} else if (v[i] == '\n') {
				i++;
				continue;
			} else {
				tmp[0] = v[i++];
			}
		}
		if (*o + n < outsz) {
			memcpy(out + *o, tmp, n);
			*o += n;
		}
	}
	return i < len ? i + 1 : len;
}

/* attr(name) at v[i] (i at the "attr("): the element's attribute value
 * into out; returns the index after the ")". */
static size_t
pol_css_attr_call(const char *v, size_t len, size_t i, char *out,
		  size_t outsz, size_t *o, pol_css_attr_fn attr, const void *el)
{
	char name[64];
	const char *a;
	size_t k, n;

	for (i += 5; i < len && str_is_space(v[i]); i++)
		;
	for (k = i; k < len && pol_css_ident_char(v[k]); k++)
		;
	if (k > i && k - i < sizeof(name) && attr != NULL) {
		memcpy(name, v + i, k - i);
		name[k - i] = '\0';
		if ((a = attr(el, name)) != NULL) {
			n = strlen(a);
			if (n > outsz - 1 - *o)
				n = outsz - 1 - *o;
			memcpy(out + *o, a, n);
			*o += n;
		}
	}
	while (k < len && v[k] != ')')
		k++;
	return k < len ? k + 1 : len;
}

size_t
pol_css_content_text(const char *v, size_t len, char *out, size_t outsz,
		     pol_css_attr_fn attr, const void *el)
{
	size_t i = 0, o = 0;

	if (outsz == 0)
		return 0;
	while (i < len) {
		if (v[i] == '"' || v[i] == '\'')
			i = pol_css_string(v, len, i, out, outsz, &o);
		else if (len - i > 5 && strncasecmp(v + i, "attr(", 5) == 0 &&
			 (i == 0 || !pol_css_ident_char(v[i - 1])))
			i = pol_css_attr_call(v, len, i, out, outsz, &o, attr,
					      el);
		else
			i++;
	}
	/* Cut at a character boundary. */
	while (o > 0 && o + 1 >= outsz &&
	       ((unsigned char)out[o - 1] & 0xc0) == 0x80)
		o--;
	if (o > 0 && o + 1 >= outsz && (unsigned char)out[o - 1] >= 0xc0)
		o--;
	out[o] = '\0';
	return o;
}

