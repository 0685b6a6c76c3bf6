/*
 * import.c - read a consent CSV file and hand its checked rows to the
 * store's import (db_import_*, db/store.h); see import.h for what a row
 * means.
 *
 * The file streams: it is read record by record (fmt/csv.c tokenizes it)
 * once per pass the store's import asks for (db_import_next): the first
 * pass checks every row, and the first bad line stops the import with
 * "name:LINE: reason" before anything is written; the last pass writes.
 * Input that cannot seek (a pipe) is first copied to a temporary file.
 * Owns: the import it begins and that copy (both gone before return).
 * Never logs; returns DB_* codes, with the reason for a failure in the
 * caller's err buffer.
 */
#include "import.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/types.h>
#include <unistd.h>
#include <string.h>
#include <strings.h>

#include "../common/str.h"
#include "../common/time.h"
#include "columns.h"
#include "csv.h"

#define FMT_BIT(col) (1u << (col))

_Static_assert(FMT_CSV_FIELDS_MAX == FMT_COL_COUNT,
	       "a record has at most one field per column");

/* One import being read. */
struct fmt_import {
	struct db_import *db;
	const char *name;
	char *err;
	size_t errsz;
	int col[FMT_CSV_FIELDS_MAX]; /* column of each field */
	size_t ncols;		     /* fields per row; 0 without a header */
};

/*
 * Map the columns: a first record naming an "address" column is a header
 * (returns 1); otherwise the columns are address[,state[,uid]] (DB_OK).
 */
static int
fmt_import_header(struct fmt_import *im, struct fmt_csv *r)
{
	unsigned int seen = 0;
	size_t i;
	int c;

	for (i = 0; i < 3; i++)
		im->col[i] = (int)i;
	for (i = 0; i < r->nfields; i++)
		if (strcasecmp(str_trim(fmt_csv_field(r, i)), "address") == 0)
			break;
	if (i == r->nfields)
		return DB_OK;
	for (i = 0; i < r->nfields; i++) {
		const char *name = str_trim(fmt_csv_field(r, i));

		if ((c = fmt_col_find(name)) < 0)
			return db_import_error(im->db, r->start,
					       "unknown column '%.60s'", name);
		if (seen & FMT_BIT(c))
			return db_import_error(im->db, r->start,
					       "column '%s' given twice", name);
		seen |= FMT_BIT(c);
		im->col[i] = c;
	}
	im->ncols = r->nfields;
	return 1;
}

/* Parse a time column; an empty cell is 0, or absent for created. */
static const char *
fmt_import_time(char *v, int col, int64_t *t, unsigned int *mask)
{
	v = str_trim(v);
	*t = 0;
	if (*v == '\0' && col == FMT_COL_CREATED)
		*mask &= ~FMT_BIT(col);
	else if (*v != '\0' && time_parse(v, TIME_CANONICAL, t) != 0)
		return "bad time (want 2026-01-02T03:04:05Z or unix seconds)";
	return NULL;
}

/* Copy v into a field of max bytes; NULL or the reason it does not fit. */
static const char *
fmt_import_text(char *dst, const char *v, size_t max, const char *toolong)
{
	size_t n = strlen(v);

	if (n > max)
		return toolong;
	memcpy(dst, v, n + 1);
	return NULL;
}

/* The names of a lists cell ("news;offers") into c's lists, each with
 * state; NULL or a reason. */
static const char *
fmt_import_lists(char *v, int state, struct db_consent *c)
{
	char *tok, *save = NULL;
	unsigned int i;

	for (tok = strtok_r(v, ";", &save); tok;
	     tok = strtok_r(NULL, ";", &save)) {
		tok = str_trim(tok);
		if (*tok == '\0')
			continue;
		if (!db_list_name_valid(tok))
			return "a list name is 1-32 of a-z, 0-9, '.', '_', '-'";
		for (i = 0; i < c->nlists; i++)
			if (strcmp(c->lists[i].name, tok) == 0)
				return "a list is named twice";
		if (c->nlists == DB_LISTS_MAX)
			return "more than 16 lists";
		memset(&c->lists[c->nlists], 0, sizeof(c->lists[0]));
		memcpy(c->lists[c->nlists].name, tok, strlen(tok) + 1);
		c->lists[c->nlists++].state = state;
	}
	return NULL;
}

/* Interpret field v of column col into c.  NULL or a reason. */
static const char *
fmt_import_value(int col, char *v, struct db_consent *c, unsigned int *mask,
		 char *addr)
{
	int64_t *times[FMT_COL_COUNT] = {[FMT_COL_CREATED] = &c->created,
					 [FMT_COL_CONFIRMED] = &c->confirmed,
					 [FMT_COL_WITHDRAWN] = &c->withdrawn,
					 [FMT_COL_DOI_SENT] = &c->doi_sent};

	*mask |= FMT_BIT(col);
	if (times[col])
		return fmt_import_time(v, col, times[col], mask);
	switch (col) {
	case FMT_COL_ADDRESS:
		return addr_normalise(v, addr, ADDR_MAX + 1) < 0
			   ? "invalid address"
			   : NULL;
	case FMT_COL_STATE:
		v = str_trim(v);
		if (*v == '\0')
			*mask &= ~FMT_BIT(col);
		else if ((c->state = db_state_parse(v)) < 0)
			return "unknown state (want pending, confirmed, "
			       "withdrawn or customer)";
		return NULL;
	case FMT_COL_UID:
		return fmt_import_text(c->uid, str_trim(v), DB_UID_MAX,
				       "uid longer than 128 bytes");
	case FMT_COL_IP:
		return fmt_import_text(c->ip, str_trim(v), DB_IP_MAX,
				       "ip longer than 45 bytes");
	case FMT_COL_SOURCE:
		return fmt_import_text(c->source, v, DB_SOURCE_MAX,
				       "source longer than 200 bytes");
	case FMT_COL_DOI_MSGID:
		return fmt_import_text(c->doi_msgid, str_trim(v), DB_MSGID_MAX,
				       "doi_msgid longer than 250 bytes");
	case FMT_COL_LISTS:
		return fmt_import_lists(v, DB_STATE_PENDING, c);
	case FMT_COL_WITHDRAWN_LISTS:
		return fmt_import_lists(v, DB_STATE_WITHDRAWN, c);
	case FMT_COL_TRACKING:
		v = str_trim(v);
		if (*v == '\0' || strcasecmp(v, "no") == 0 ||
		    strcmp(v, "0") == 0)
			c->tracking = 0;
		else if (strcasecmp(v, "yes") == 0 || strcmp(v, "1") == 0)
			c->tracking = 1;
		else
			return "tracking must be yes, no, 1 or 0";
		return NULL;
	}
	return "internal error: unknown column";
}

/* Check one data record and keep it. */
static int
fmt_import_row(struct fmt_import *im, struct fmt_csv *r)
{
	char addr[ADDR_MAX + 1] = "";
	struct db_consent c;
	unsigned int mask = 0;
	const char *why;
	size_t i;

	if (im->ncols && r->nfields != im->ncols)
		return db_import_error(im->db, r->start,
				       "%zu fields, the header has %zu",
				       r->nfields, im->ncols);
	if (!im->ncols && r->nfields > 3)
		return db_import_error(im->db, r->start,
				       "too many fields (without "
				       "a header: address[,state[,uid]])");
	memset(&c, 0, sizeof(c));
	c.state = DB_STATE_PENDING; /* placeholder when the row has none */
	for (i = 0; i < r->nfields; i++) {
		int col = im->col[i];
		char *v = fmt_csv_field(r, i);

		why = fmt_import_value(col, v, &c, &mask, addr);
		if (why != NULL)
			return db_import_error(
			    im->db, r->start, "%s '%.60s': %s",
			    fmt_col_name(col), str_trim(v), why);
	}
	if ((why = db_consent_check(&c)) != NULL)
		return db_import_error(im->db, r->start, "%s", why);
	return db_import_add(im->db, r->start, addr, &c, mask >> 1);
}

/* One pass: read and check every record of f, hand each to the store. */
static int
fmt_import_read(struct fmt_import *im, FILE *f)
{
	struct fmt_csv r;
	int rc, first = 1;

	memset(&r, 0, sizeof(r));
	im->ncols = 0;
	r.f = f;
	while ((rc = fmt_csv_read(&r)) == 1) {
		if (first) {
			first = 0;
			rc = fmt_import_header(im, &r);
			if (rc == 1)
				continue;
			if (rc != DB_OK)
				break;
		}
		if ((rc = fmt_import_row(im, &r)) != DB_OK)
			break;
	}
	if (rc == DB_ERR_INVALID && r.reason != NULL)
		db_import_error(im->db, r.reason_line, "%s", r.reason);
	else if (rc == DB_ERR_IO)
		snprintf(im->err, im->errsz, "%s: read error: %s", im->name,
			 strerror(errno));
	else if (rc == DB_ERR_NOMEM)
		snprintf(im->err, im->errsz, "%s: out of memory", im->name);
	fmt_csv_free(&r);
	return rc < 0 ? rc : DB_OK;
}

/* An unnamed temporary file in $TMPDIR or /tmp (mode 0600: it holds
 * personal data), or NULL with errno set. */
static FILE *
fmt_import_tmpfile(void)
{
	const char *dir = getenv("TMPDIR");
	char path[4096];
	FILE *f;
	int fd;

	if (dir == NULL || *dir == '\0')
		dir = "/tmp";
	snprintf(path, sizeof(path), "%s/consentctl-import.XXXXXX", dir);
	if ((fd = mkstemp(path)) < 0)
		return NULL;
	unlink(path);
	if ((f = fdopen(fd, "w+")) == NULL)
		close(fd);
	return f;
}

/*
 * The input to read once per pass: f from where it stands, or when f
 * cannot seek a temporary copy of the rest of it (*spool, to be closed).
 */
static int
fmt_import_input(struct fmt_import *im, FILE *f, FILE **spool, off_t *start)
{
	char b[65536];
	size_t n;

	*spool = NULL;
	if ((*start = ftello(f)) >= 0 && fseeko(f, *start, SEEK_SET) == 0)
		return DB_OK;
	clearerr(f);
	if ((*spool = fmt_import_tmpfile()) == NULL) {
		snprintf(im->err, im->errsz, "%s: cannot make a temporary "
			 "copy: %s", im->name, strerror(errno));
		return DB_ERR_IO;
	}
	while ((n = fread(b, 1, sizeof(b), f)) > 0)
		if (fwrite(b, 1, n, *spool) != n)
			break;
	if (ferror(f) || ferror(*spool) || fflush(*spool) != 0) {
		snprintf(im->err, im->errsz, "%s: cannot make a temporary "
			 "copy: %s", im->name, strerror(errno));
		return DB_ERR_IO;
	}
	*start = 0;
	return DB_OK;
}

int
fmt_import_csv_opts(struct db_store *s, FILE *f, const char *name, int64_t now,
		    const struct db_import_opts *opts,
		    struct db_import_count *count, char *err, size_t errsz)
{
	struct fmt_import im;
	FILE *spool = NULL, *in;
	off_t start = 0;
	int rc;

	memset(&im, 0, sizeof(im));
	im.name = name ? name : "-";
	im.err = err;
	im.errsz = errsz;
	rc = db_import_begin(s, im.name, now, opts, count, err, errsz, &im.db);
	if (rc == DB_OK)
		rc = fmt_import_input(&im, f, &spool, &start);
	in = spool ? spool : f;
	while (rc == DB_OK && (rc = db_import_next(im.db)) == 1) {
		if (fseeko(in, start, SEEK_SET) != 0) {
			snprintf(err, errsz, "%s: cannot read it again: %s",
				 im.name, strerror(errno));
			rc = DB_ERR_IO;
		} else
			rc = fmt_import_read(&im, in);
	}
	if (spool)
		fclose(spool);
	db_import_free(im.db);
	return rc;
}

int
fmt_import_csv(struct db_store *s, FILE *f, const char *name, int64_t now,
	       size_t *count, char *err, size_t errsz)
{
	struct db_import_opts opts;
	struct db_import_count n;
	int rc;

	memset(&opts, 0, sizeof(opts));
	rc = fmt_import_csv_opts(s, f, name, now, &opts, &n, err, errsz);
	*count = n.changed;
	return rc;
}
