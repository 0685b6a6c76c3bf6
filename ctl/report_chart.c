/*
 * report_chart.c - the two SVG charts of consentctl's HTML report, built
 * with GLib strings: the refusals per rule and UTC day as stacked bars
 * (the rules by falling count, past eight one "other rules" series; at
 * most the latest 366 days), and the senders refused most often as
 * horizontal bars.  Every text from the evidence goes through
 * fmt_html_escape (fmt/template.c), the one escaping of the report.
 * Owns: the chart's day table while it is built.  Cannot fail (GLib
 * aborts when memory runs out).
 */
#include <stdio.h>
#include <string.h>

#include "../common/time.h"
#include "../fmt/template.h"
#include "report.h"

#define CTL_CHART_SERIES 8 /* rules with their own colour; then "other" */
#define CTL_CHART_DAYS 366 /* days at most in the chart (the latest) */

/* Colours of the chart series (the last one for "other rules"). */
static const char *const ctl_palette[CTL_CHART_SERIES + 1] = {
    "#4e79a7", "#e15759", "#f28e2b", "#59a14f", "#b07aa1",
    "#76b7b2", "#edc948", "#9c755f", "#bab0ac"};

/* The stacked chart: per series and day, the number of refusals. */
struct ctl_chart {
	size_t nseries, ndays;
	int64_t day0;
	const char *names[CTL_CHART_SERIES + 1];
	uint64_t totals[CTL_CHART_SERIES + 1];
	uint64_t *v;   /* v[s * ndays + d] */
	uint64_t ymax; /* top of the axis */
	uint64_t step; /* between grid lines */
};

/* Series: the rules by falling count; past CTL_CHART_SERIES, "other". */
static void
ctl_chart_build(struct ctl_chart *c, const struct ctl_agg *a,
		struct ctl_row *rows, size_t nrules)
{
	uint64_t top = 0, sum, target, p;
	char key[160];
	size_t k, s, d;
	int own;

	memset(c, 0, sizeof(*c));
	c->ndays = (size_t)(a->ref_day_max - a->ref_day_min + 1);
	if (c->ndays > CTL_CHART_DAYS)
		c->ndays = CTL_CHART_DAYS;
	c->day0 = a->ref_day_max - (int64_t)c->ndays + 1;
	c->nseries =
	    nrules <= CTL_CHART_SERIES + 1 ? nrules : CTL_CHART_SERIES + 1;
	c->v = g_new0(uint64_t, c->nseries * c->ndays + 1);
	for (k = 0; k < nrules; k++) {
		own = nrules == c->nseries || k < c->nseries - 1;
		s = own ? k : c->nseries - 1;
		c->names[s] = own ? rows[k].key : "other rules";
		c->totals[s] += rows[k].count;
		for (d = 0; d < c->ndays; d++) {
			snprintf(key, sizeof(key), "%lld %s",
				 (long long)(c->day0 + (int64_t)d),
				 rows[k].key);
			c->v[s * c->ndays + d] +=
			    ctl_tally_get(a->ref_rule_day, key);
		}
	}
	for (d = 0; d < c->ndays; d++) {
		for (sum = 0, s = 0; s < c->nseries; s++)
			sum += c->v[s * c->ndays + d];
		top = sum > top ? sum : top;
	}
	/* Grid lines at 1, 2 or 5 times a power of ten, about five. */
	target = top / 5 ? top / 5 : 1;
	for (p = 1; p * 10 <= target; p *= 10)
		;
	c->step = target <= p	    ? p
		  : target <= 2 * p ? 2 * p
		  : target <= 5 * p ? 5 * p
				    : 10 * p;
	c->ymax = (top + c->step - 1) / c->step * c->step;
	if (c->ymax == 0)
		c->ymax = c->step;
}

/* Chart geometry in SVG user units. */
#define CTL_CW 960.0 /* width */
#define CTL_CH 340.0 /* height */
#define CTL_CL 60.0  /* left margin: y labels */
#define CTL_CR 210.0 /* right margin: legend */
#define CTL_CT 16.0  /* top margin */
#define CTL_CB 58.0  /* bottom margin: x labels and title */
#define CTL_PW (CTL_CW - CTL_CL - CTL_CR)
#define CTL_PH (CTL_CH - CTL_CT - CTL_CB)

static double
ctl_chart_y(const struct ctl_chart *c, uint64_t v)
{
	return CTL_CT + CTL_PH - CTL_PH * (double)v / (double)c->ymax;
}

/* Grid, y labels, axis titles and the x labels. */
static void
ctl_chart_axes(GString *out, const struct ctl_chart *c)
{
	double slot = CTL_PW / (double)c->ndays, y;
	size_t d, every = 1;
	char day[TIME_TEXT_MAX];
	uint64_t v;

	while (slot * (double)every < 72) /* room for one label */
		every++;
	for (v = 0; v <= c->ymax; v += c->step) {
		y = ctl_chart_y(c, v);
		g_string_append_printf(
		    out,
		    "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
		    "y2=\"%.1f\" stroke=\"%s\"/>\n<text x=\"%.1f\" "
		    "y=\"%.1f\" text-anchor=\"end\">%llu</text>\n",
		    CTL_CL, y, CTL_CL + CTL_PW, y, v ? "#e4e7eb" : "#9aa5b1",
		    CTL_CL - 8, y + 4, (unsigned long long)v);
	}
	for (d = 0; d < c->ndays; d += every) {
		time_format((c->day0 + (int64_t)d) * 86400, day, sizeof(day));
		day[10] = '\0';
		g_string_append_printf(
		    out,
		    "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">"
		    "%s</text>\n",
		    CTL_CL + slot * ((double)d + 0.5), CTL_CT + CTL_PH + 18,
		    slot * (double)every >= 80 ? day : day + 5);
	}
	g_string_append_printf(
	    out,
	    "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" "
	    "font-weight=\"600\">Day (UTC)</text>\n<text transform=\""
	    "translate(16 %.1f) rotate(-90)\" text-anchor=\"middle\" "
	    "font-weight=\"600\">Refusals</text>\n",
	    CTL_CL + CTL_PW / 2, CTL_CH - 10, CTL_CT + CTL_PH / 2);
}

/* The stacked bars, each segment with a tooltip, and the day totals. */
static void
ctl_chart_bars(GString *out, const struct ctl_chart *c)
{
	double slot = CTL_PW / (double)c->ndays, bw = slot * 0.64, x, y0, y1;
	char day[TIME_TEXT_MAX];
	uint64_t base, n;
	size_t d, s;

	if (bw > 56)
		bw = 56;
	for (d = 0; d < c->ndays; d++) {
		time_format((c->day0 + (int64_t)d) * 86400, day, sizeof(day));
		day[10] = '\0';
		x = CTL_CL + slot * (double)d + (slot - bw) / 2;
		for (base = 0, s = 0; s < c->nseries; s++) {
			if ((n = c->v[s * c->ndays + d]) == 0)
				continue;
			y0 = ctl_chart_y(c, base);
			y1 = ctl_chart_y(c, base + n);
			g_string_append_printf(
			    out,
			    "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
			    "height=\"%.1f\" fill=\"%s\"><title>%s: ",
			    x, y1, bw, y0 - y1, ctl_palette[s], day);
			fmt_html_escape(out, c->names[s], strlen(c->names[s]));
			g_string_append_printf(out,
					       " &#8211; %llu</title></rect>\n",
					       (unsigned long long)n);
			base += n;
		}
		if (base > 0 && slot >= 22)
			g_string_append_printf(
			    out,
			    "<text x=\"%.1f\" y=\"%.1f\" text-anchor="
			    "\"middle\" font-weight=\"600\" fill=\"#1f2933\">"
			    "%llu</text>\n",
			    x + bw / 2, ctl_chart_y(c, base) - 5,
			    (unsigned long long)base);
	}
}

static void
ctl_chart_legend(GString *out, const struct ctl_chart *c)
{
	double x = CTL_CW - CTL_CR + 24, y;
	size_t s;

	g_string_append_printf(
	    out,
	    "<text x=\"%.1f\" y=\"%.1f\" font-weight=\"600\">Rule "
	    "(refusals)</text>\n",
	    x, CTL_CT + 10);
	for (s = 0; s < c->nseries; s++) {
		y = CTL_CT + 30 + 22 * (double)s;
		g_string_append_printf(
		    out,
		    "<rect x=\"%.1f\" y=\"%.1f\" width=\"12\" "
		    "height=\"12\" rx=\"2\" fill=\"%s\"/>\n<text x=\"%.1f\" "
		    "y=\"%.1f\">",
		    x, y - 10, ctl_palette[s], x + 20, y);
		fmt_html_cut(out, c->names[s], 22);
		g_string_append_printf(out, " (%llu)</text>\n",
				       (unsigned long long)c->totals[s]);
	}
}

void
ctl_report_chart_svg(GString *out, const struct ctl_agg *a)
{
	struct ctl_chart c;
	struct ctl_row *rows;
	size_t nrules;

	if (!a->has_ref_day)
		return;
	rows = ctl_tally_rows(a->ref_rule, 0, &nrules);
	ctl_chart_build(&c, a, rows, nrules);
	g_string_append_printf(out,
			       "<svg viewBox=\"0 0 %.0f %.0f\" "
			       "role=\"img\" aria-label=\"Stacked bar chart "
			       "of refusals per rule and day\">\n",
			       CTL_CW, CTL_CH);
	ctl_chart_axes(out, &c);
	ctl_chart_bars(out, &c);
	ctl_chart_legend(out, &c);
	g_string_append(out, "</svg>\n");
	g_free(c.v);
	g_free(rows);
}

void
ctl_report_senders_svg(GString *out, const struct ctl_row *rows, size_t n)
{
	const double w = 520, label = 210, row = 30, barmax = w - label - 50;
	double bw, y;
	size_t i;

	g_string_append_printf(out,
			       "<svg viewBox=\"0 0 %.0f %.0f\" "
			       "role=\"img\" aria-label=\"Senders refused "
			       "most often\">\n",
			       w, row * (double)n + 8);
	for (i = 0; i < n; i++) {
		bw = barmax * (double)rows[i].count / (double)rows[0].count;
		bw = bw > 2 ? bw : 2;
		y = row * (double)i;
		g_string_append_printf(out,
				       "<text x=\"%.1f\" y=\"%.1f\" "
				       "text-anchor=\"end\"><title>",
				       label - 10, y + 20);
		fmt_html_escape(out, rows[i].key, strlen(rows[i].key));
		g_string_append(out, "</title>");
		fmt_html_cut(out, rows[i].key, 28);
		g_string_append_printf(
		    out,
		    "</text>\n<rect x=\"%.1f\" "
		    "y=\"%.1f\" width=\"%.1f\" height=\"18\" "
		    "rx=\"3\" fill=\"#c2413a\"/>\n",
		    label, y + 6, bw);
		g_string_append_printf(out,
				       "<text x=\"%.1f\" y=\"%.1f\" "
				       "fill=\"#1f2933\" font-weight=\"600\">"
				       "%llu</text>\n",
				       label + bw + 6, y + 20,
				       (unsigned long long)rows[i].count);
	}
	g_string_append(out, "</svg>\n");
}
