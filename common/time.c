/*
 * time.c - ISO 8601 times and unix seconds to UTC seconds and back (see
 * time.h).  The calendar arithmetic is Howard Hinnant's days_from_civil,
 * so no time zone database or locale is consulted.
 * Owns nothing; a text that is not a valid time gives -1.
 */
#include "time.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

/* Latest time accepted: 9999-12-31T23:59:59Z. */
#define TIME_LAST INT64_C(253402300799)

/* n digits at s as a number, or -1 when one is not a digit. */
static int
time_digits(const char *s, int n)
{
	int v = 0;

	for (; n > 0; n--, s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (*s - '0');
	}
	return v;
}

static int64_t
time_days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int
time_days_in_month(int y, int m)
{
	static const int days[12] = {31, 28, 31, 30, 31, 30,
				     31, 31, 30, 31, 30, 31};

	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return days[m - 1];
}

/* Decimal unix seconds: 1 parsed, 0 not all digits, -1 out of range. */
static int
time_unix(const char *s, int64_t *out)
{
	int64_t v = 0;

	for (; *s >= '0' && *s <= '9'; s++)
		if ((v = v * 10 + (*s - '0')) > TIME_LAST)
			return -1;
	if (*s != '\0')
		return 0;
	*out = v;
	return 1;
}

/* "YYYY-MM-DD" at s into days since the epoch; -1 when it is not one. */
static int
time_date(const char *s, int64_t *days)
{
	int y = time_digits(s, 4), m = time_digits(s + 5, 2);
	int d = time_digits(s + 8, 2);

	if (y < 1970 || s[4] != '-' || s[7] != '-' || m < 1 || m > 12 ||
	    d < 1 || d > time_days_in_month(y, m))
		return -1;
	*days = time_days_from_civil(y, m, d);
	return 0;
}

/* The zone at z: "Z" (any form), or with TIME_ISO "z", "+HH:MM", "+HHMM",
 * "+HH" or the same with '-', as seconds east of UTC.  0 or -1. */
static int
time_zone(const char *z, enum time_forms forms, int *off)
{
	int sign, h, m = 0;

	*off = 0;
	if (z[0] == 'Z' && z[1] == '\0')
		return 0;
	if (forms != TIME_ISO)
		return -1;
	if (z[0] == 'z' && z[1] == '\0')
		return 0;
	if (z[0] != '+' && z[0] != '-')
		return -1;
	sign = z[0] == '-' ? -1 : 1;
	if ((h = time_digits(z + 1, 2)) < 0 || h > 23)
		return -1;
	z += 3;
	if (*z == ':')
		z++;
	if (*z && ((m = time_digits(z, 2)) < 0 || m > 59 || z[2] != '\0'))
		return -1;
	*off = sign * (h * 3600 + m * 60);
	return 0;
}

/* "THH:MM:SS" and a zone at p (the part after the date) into seconds
 * after midnight, less the zone's offset.  0 or -1. */
static int
time_of_day(const char *p, enum time_forms forms, int64_t *secs)
{
	int h, mi, sec = 0, off;

	if (*p != 'T' && (forms != TIME_ISO || (*p != 't' && *p != ' ')))
		return -1;
	if ((h = time_digits(p + 1, 2)) < 0 || h > 23 || p[3] != ':' ||
	    (mi = time_digits(p + 4, 2)) < 0 || mi > 59)
		return -1;
	p += 6;
	if (*p == ':') {
		if ((sec = time_digits(p + 1, 2)) < 0 || sec > 59)
			return -1;
		p += 3;
	} else if (forms != TIME_ISO) {
		return -1;
	}
	if (time_zone(p, forms, &off) < 0)
		return -1;
	*secs = h * 3600 + mi * 60 + sec - off;
	return 0;
}

int
time_parse(const char *s, enum time_forms forms, int64_t *out)
{
	int64_t days, secs = 0, t;
	int rc;

	if (s == NULL || *s == '\0')
		return -1;
	if ((rc = time_unix(s, out)) != 0)
		return rc > 0 ? 0 : -1;
	if (strnlen(s, 10) < 10 || time_date(s, &days) < 0)
		return -1;
	if (s[10] == '\0' ? forms != TIME_ISO
			  : time_of_day(s + 10, forms, &secs) < 0)
		return -1;
	t = days * 86400 + secs;
	if (t < 0 || t > TIME_LAST)
		return -1;
	*out = t;
	return 0;
}

char *
time_format(int64_t t, char *out, size_t outsz)
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (outsz == 0)
		return out;
	out[0] = '\0';
	if (t < 0 || t > TIME_LAST || gmtime_r(&tt, &tm) == NULL ||
	    strftime(out, outsz, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, outsz, "%lld", (long long)t);
	return out;
}
