/*
 * css_color.c - the CSS values that decide the view's question "can the
 * reader see this?" (html.c) beyond display and visibility: a CSS or HTML
 * colour value to 0xRRGGBB, a background value to its colour (or "an
 * image: unknown"), whether two colours are too close to tell apart, and
 * whether a font size, an opacity, a transform or an offset leaves
 * anything to read.  Not a CSS engine: hex (3, 4, 6, 8 digits), rgb()/rgba() with
 * numbers or percentages, and the common named colours; anything else
 * is "not known", which never hides text.  An alpha of 0.1 or less is
 * transparent: nobody reads text at 10 % opacity.
 *
 * Owns nothing; no allocation, no I/O, cannot fail.
 */
#include "css.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../common/hex.h"

static const struct {
	const char *name;
	long rgb;
} pol_color_names[] = {
    {"white", 0xffffff},  {"black", 0x000000},	 {"silver", 0xc0c0c0},
    {"gray", 0x808080},	  {"grey", 0x808080},	 {"red", 0xff0000},
    {"maroon", 0x800000}, {"green", 0x008000},	 {"lime", 0x00ff00},
    {"blue", 0x0000ff},	  {"navy", 0x000080},	 {"yellow", 0xffff00},
    {"orange", 0xffa500}, {"whitesmoke", 0xf5f5f5}, {"snow", 0xfffafa},
    {"ivory", 0xfffff0},  {"ghostwhite", 0xf8f8ff}, {"linen", 0xfaf0e6},
    {"gainsboro", 0xdcdcdc}, {"lightgray", 0xd3d3d3},
    {"lightgrey", 0xd3d3d3},
};


/* #rgb, #rgba, #rrggbb, #rrggbbaa of n digits at h. */
static long
pol_color_hex(const char *h, size_t n)
{
	long v = 0;
	size_t i;

	for (i = 0; i < n; i++)
		if (hex_value(h[i]) < 0)
			return POL_COLOR_NONE;
	if (n == 3 || n == 4) {
		if (n == 4 && hex_value(h[3]) <= 1)
			return POL_COLOR_CLEAR;
		for (i = 0; i < 3; i++)
			v = v << 8 | (hex_value(h[i]) * 17);
		return v;
	}
	if (n == 6 || n == 8) {
		if (n == 8 && hex_value(h[6]) * 16 +
					  hex_value(h[7]) <= 25)
			return POL_COLOR_CLEAR;
		for (i = 0; i < 6; i++)
			v = v << 4 | hex_value(h[i]);
		return v;
	}
	return POL_COLOR_NONE;
}

/* rgb(r, g, b) or rgba(r g b / a) at s (after the "("). */
static long
pol_color_rgb(const char *s)
{
	long ch[4] = {0, 0, 0, 255};
	int i;

	for (i = 0; i < 4; i++) {
		char *end;
		double d;

		s += strspn(s, " \t,/");
		if (*s == ')' && i == 3)
			break;
		d = strtod(s, &end);
		if (end == s)
			return POL_COLOR_NONE;
		if (*end == '%')
			d = d * (i == 3 ? 2.55 : 2.55), end++;
		else if (i == 3)
			d *= 255;
		ch[i] = d < 0 ? 0 : d > 255 ? 255 : (long)(d + 0.5);
		s = end;
	}
	if (ch[3] <= 25) /* alpha 0.1 or less: nothing to read */
		return POL_COLOR_CLEAR;
	return ch[0] << 16 | ch[1] << 8 | ch[2];
}

long
pol_css_color(const char *v)
{
	size_t n, i;

	v += strspn(v, " \t\r\n\f");
	n = strcspn(v, " \t\r\n\f!;");
	if (*v == '#')
		return pol_color_hex(v + 1, n - 1);
	if (strncasecmp(v, "rgb(", 4) == 0)
		return pol_color_rgb(v + 4);
	if (strncasecmp(v, "rgba(", 5) == 0)
		return pol_color_rgb(v + 5);
	if (n == 11 && strncasecmp(v, "transparent", 11) == 0)
		return POL_COLOR_CLEAR;
	for (i = 0; i < sizeof(pol_color_names) / sizeof(pol_color_names[0]);
	     i++)
		if (strlen(pol_color_names[i].name) == n &&
		    strncasecmp(v, pol_color_names[i].name, n) == 0)
			return pol_color_names[i].rgb;
	/* An HTML attribute may leave out the '#'. */
	if (n == 6)
		return pol_color_hex(v, n);
	return POL_COLOR_NONE;
}

long
pol_css_background(const char *v, int cut)
{
	const char *s = v;

	if (strstr(v, "url(") || strstr(v, "gradient") || strstr(v, "var("))
		return POL_COLOR_IMAGE;
	while (*s) {
		long c;

		s += strspn(s, " \t\r\n\f,");
		if (*s == '\0')
			break;
		if ((c = pol_css_color(s)) != POL_COLOR_NONE)
			return c == POL_COLOR_CLEAR ? POL_COLOR_NONE : c;
		if (strncasecmp(s, "rgb", 3) == 0) /* rgb( a, b ) with spaces */
			s += strcspn(s, ")");
		s += strcspn(s, " \t\r\n\f,");
	}
	/* A value cut at POL_CSS_VALUE_MAX may have hidden an image. */
	return cut ? POL_COLOR_IMAGE : POL_COLOR_NONE;
}

int
pol_css_color_close(long fg, long bg)
{
	long d, k;

	if (fg < 0 || bg < 0)
		return 0;
	for (k = 0; k < 24; k += 8) {
		d = ((fg >> k) & 0xff) - ((bg >> k) & 0xff);
		if (d > 16 || d < -16)
			return 0;
	}
	return 1;
}

/* Is a font-size too small to read (under 3px, 2.25pt, 0.2em)? */
int
pol_css_font_tiny(const char *v)
{
	char *end;
	double d = strtod(v, &end);

	if (end == v || d <= 0)
		return 0;
	if (strncmp(end, "px", 2) == 0 || *end == '\0')
		return d < 3;
	if (strncmp(end, "pt", 2) == 0)
		return d < 2.25;
	if (strncmp(end, "em", 2) == 0 || strncmp(end, "rem", 3) == 0)
		return d < 0.2;
	return 0;
}

/* An opacity under 0.1 (nobody reads text at 5 %). */
int
pol_css_faint(const char *v)
{
	char *end;
	double d = strtod(v, &end);

	if (end == v)
		return 0;
	return *end == '%' ? d < 10 : d < 0.1;
}

/* A transform that scales the element to (almost) nothing: scale(0),
 * scaleX(0.01), scale(1, 0). */
int
pol_css_scaled_away(const char *v)
{
	const char *p;

	for (p = strstr(v, "scale"); p != NULL; p = strstr(p + 1, "scale")) {
		const char *a = strchr(p, '(');

		while (a != NULL && *a && *a != ')') {
			char *end;
			double d = strtod(a + 1, &end);

			if (end != a + 1 && d < 0.05 && d > -0.05)
				return 1;
			a = end != a + 1 ? end : a + 1;
			a += strspn(a, " ");
			if (*a != ',' && *a != ' ')
				break;
		}
	}
	return 0;
}

/* Does an offset put the element off the screen (-500px, -30em, -100%
 * or further)? */
int
pol_css_offscreen(const char *v)
{
	char *end;
	double d = strtod(v, &end);

	if (end == v || d >= 0)
		return 0;
	if (*end == '%')
		return d <= -100;
	if (strncmp(end, "em", 2) == 0 || strncmp(end, "rem", 3) == 0)
		return d <= -30;
	return d <= -500; /* px, pt, unitless */
}
