/*
 * export.c - write every consent record as CSV or as JSON (see export.h),
 * one record at a time from db_consent_foreach.
 * Owns: one line buffer per export (freed before return).  Never logs;
 * returns DB_ERR_IO when writing fails, DB_ERR_NOMEM, or a store error.
 */
#include "export.h"

#include <string.h>

#include "../common/buf.h"
#include "../common/json.h"
#include "../common/time.h"
#include "../db/consent_sm.h"
#include "columns.h"
#include "csv.h"

/* Export state shared by the record callbacks. */
struct fmt_export {
	FILE *out;
	int json;
	size_t n;
	struct buf b;
};

/* A time for export: "" (or JSON null) when unset. */
static const char *
fmt_export_time(int64_t t, char *out, size_t outsz)
{
	if (t == 0) {
		out[0] = '\0';
		return out;
	}
	return time_format(t, out, outsz);
}

/*
 * The lists of c for an export: in_state the lists in the record's state
 * (every list of a withdrawn record), withdrawn_alone the lists withdrawn
 * on their own while the record is not; each as names separated by sep
 * (JSON: quoted strings).  A list pending beside a confirmed one is not
 * written (it holds no consent).
 */
static int
fmt_export_lists(struct buf *b, const struct db_consent *c, int withdrawn_alone,
		 int json)
{
	struct db_consent m;
	unsigned int i;
	int r = 0, n = 0, st, rec = db_consent_effective_state(c);

	db_consent_lists_of(c, &m);
	for (i = 0; i < m.nlists; i++) {
		st = db_consent_list_state(&m, m.lists[i].name);
		if (withdrawn_alone ? !(st == DB_STATE_WITHDRAWN &&
					rec != DB_STATE_WITHDRAWN)
				    : st != rec)
			continue;
		if (n++)
			r |= buf_putc(b, json ? ',' : ';');
		if (json)
			r |= json_put_string(b, m.lists[i].name);
		else
			r |= buf_puts(b, m.lists[i].name);
	}
	return r;
}

static int
fmt_export_csv_row(struct buf *b, const char *addr, const struct db_consent *c)
{
	struct buf l = BUF_INIT, w = BUF_INIT;
	char t[4][TIME_TEXT_MAX];
	int r;

	/* created is always written, so an unknown one (0) re-imports as
	 * 0 rather than as the time of the import. */
	time_format(c->created, t[0], sizeof(t[0]));
	fmt_export_time(c->confirmed, t[1], sizeof(t[1]));
	fmt_export_time(c->withdrawn, t[2], sizeof(t[2]));
	fmt_export_time(c->doi_sent, t[3], sizeof(t[3]));
	r = fmt_csv_put(b, addr, 1);
	r |= fmt_csv_put(b, db_state_name(c->state), 0);
	r |= fmt_csv_put(b, c->uid, 0);
	r |= fmt_csv_put(b, c->ip, 0);
	r |= fmt_csv_put(b, t[0], 0);
	r |= fmt_csv_put(b, t[1], 0);
	r |= fmt_csv_put(b, t[2], 0);
	r |= fmt_csv_put(b, c->source, 0);
	r |= fmt_csv_put(b, c->tracking ? "yes" : "no", 0);
	r |= fmt_csv_put(b, t[3], 0);
	r |= fmt_csv_put(b, c->doi_msgid, 0);
	r |= fmt_export_lists(&l, c, 0, 0) | fmt_export_lists(&w, c, 1, 0);
	r |= fmt_csv_put(b, l.data ? l.data : "", 0);
	r |= fmt_csv_put(b, w.data ? w.data : "", 0);
	buf_free(&l);
	buf_free(&w);
	return r | buf_puts(b, "\r\n");
}

/* Append ,"name":"time" or ,"name":null. */
static int
fmt_export_json_time(struct buf *b, const char *name, int64_t t)
{
	char when[TIME_TEXT_MAX];

	if (t == 0)
		return buf_printf(b, ",\"%s\":null", name);
	return buf_printf(b, ",\"%s\":\"%s\"", name,
			  time_format(t, when, sizeof(when)));
}

static int
fmt_export_json_row(struct buf *b, const char *addr, const struct db_consent *c)
{
	int r;

	r = buf_puts(b, "{\"address\":");
	r |= json_put_string(b, addr);
	r |= buf_printf(b,
			",\"state\":\"%s\",\"uid\":", db_state_name(c->state));
	r |= json_put_string(b, c->uid);
	r |= buf_puts(b, ",\"ip\":");
	r |= json_put_string(b, c->ip);
	r |= fmt_export_json_time(b, "created", c->created);
	r |= fmt_export_json_time(b, "confirmed", c->confirmed);
	r |= fmt_export_json_time(b, "withdrawn", c->withdrawn);
	r |= buf_puts(b, ",\"source\":");
	r |= json_put_string(b, c->source);
	r |= buf_printf(b, ",\"tracking\":%s", c->tracking ? "true" : "false");
	r |= fmt_export_json_time(b, "doi_sent", c->doi_sent);
	r |= buf_puts(b, ",\"doi_msgid\":");
	r |= json_put_string(b, c->doi_msgid);
	r |= buf_puts(b, ",\"lists\":[");
	r |= fmt_export_lists(b, c, 0, 1);
	r |= buf_puts(b, "],\"withdrawn_lists\":[");
	r |= fmt_export_lists(b, c, 1, 1);
	return r | buf_puts(b, "]}");
}

static int
fmt_export_cb(const char *addr, const struct db_consent *c, void *arg)
{
	struct fmt_export *x = arg;
	int r;

	buf_reset(&x->b);
	if (x->json) {
		r = buf_puts(&x->b, x->n ? ",\n" : "[\n");
		if (r == 0)
			r = fmt_export_json_row(&x->b, addr, c);
	} else
		r = fmt_export_csv_row(&x->b, addr, c);
	if (r != 0)
		return DB_ERR_NOMEM;
	x->n++;
	if (fwrite(x->b.data, 1, x->b.len, x->out) != x->b.len)
		return DB_ERR_IO;
	return 0;
}

int
fmt_export(struct db_store *s, FILE *out, int json)
{
	struct fmt_export x;
	int c, rc;

	memset(&x, 0, sizeof(x));
	x.out = out;
	x.json = json;
	if (!json)
		for (c = 0; c < FMT_COL_COUNT; c++)
			fprintf(out, "%s%s", c ? "," : "", fmt_col_name(c));
	if (!json)
		fputs("\r\n", out);
	rc = db_consent_foreach(s, fmt_export_cb, &x);
	if (json && rc == DB_OK)
		fputs(x.n ? "\n]\n" : "[]\n", out);
	buf_free(&x.b);
	if (rc == DB_OK && (fflush(out) != 0 || ferror(out)))
		rc = DB_ERR_IO;
	return rc;
}
