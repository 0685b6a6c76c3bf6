/*
 * csv.h - the CSV tokenizer and field writer (RFC 4180) shared by the
 * consent import and export.
 *
 * fmt_csv_read reads the next non-empty record of r->f: 1 with its fields
 * in r (fmt_csv_field), 0 at end of file, DB_ERR_IO on a read error,
 * DB_ERR_NOMEM, or DB_ERR_INVALID with r->reason and r->reason_line set
 * (NUL byte, unterminated quote, text after a closing quote, a quote in an
 * unquoted field, more than FMT_CSV_FIELDS_MAX fields, a record over
 * FMT_CSV_RECORD_MAX bytes).  Set r->f on a zeroed struct before the first
 * call; fmt_csv_free frees what the reads allocated.
 */
#ifndef CG_FMT_CSV_H
#define CG_FMT_CSV_H

#include <stddef.h>
#include <stdio.h>

#include "../common/buf.h"
#include "../db/store.h"

#define FMT_CSV_FIELDS_MAX 13	 /* the consent columns (import.h) */
#define FMT_CSV_RECORD_MAX 65536 /* bytes in one record, all fields */

/* One record being read: its fields, NUL-terminated, inside rec. */
struct fmt_csv {
	FILE *f;
	char *line;
	size_t linecap;
	unsigned long lineno; /* physical lines read so far */
	unsigned long start;  /* line the current record starts on */
	struct buf rec;
	size_t off[FMT_CSV_FIELDS_MAX];
	size_t nfields;
	const char *reason; /* why the record is malformed */
	unsigned long reason_line;
};

int fmt_csv_read(struct fmt_csv *r);
/* Field i (< r->nfields) of the current record; borrowed until the next
 * read, and the caller may modify it in place (trim, split). */
char *fmt_csv_field(struct fmt_csv *r, size_t i);
void fmt_csv_free(struct fmt_csv *r);

/* Append s to b as one field, after a comma unless first; quoted when it
 * holds a comma, quote, line break or surrounding blank.  0, or -1 when
 * memory runs out. */
int fmt_csv_put(struct buf *b, const char *s, int first);

#endif
