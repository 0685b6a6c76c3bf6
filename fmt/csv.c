/*
 * csv.c - the CSV tokenizer and field writer (RFC 4180) of the import and
 * export formats (see csv.h).
 *
 * A record is read line by line with getline(); a quoted field may span
 * lines, a doubled quote is a quote, a UTF-8 byte order mark on the first
 * line is skipped, CRLF and LF both end a line.  The fields of the current
 * record live NUL-terminated in one buffer.
 * Owns: the line and record buffers of struct fmt_csv (fmt_csv_free).
 * Never logs; returns DB_* codes, with the reason for a malformed record
 * and its line in the struct.
 */
#include "csv.h"

#include <stdlib.h>
#include <string.h>

/* Note why the record is malformed; returns DB_ERR_INVALID. */
static int
fmt_csv_bad(struct fmt_csv *r, unsigned long line, const char *reason)
{
	r->reason = reason;
	r->reason_line = line;
	return DB_ERR_INVALID;
}

/* Read the next physical line without its line ending.  1, 0 at EOF, <0. */
static int
fmt_csv_getline(struct fmt_csv *r)
{
	ssize_t n = getline(&r->line, &r->linecap, r->f);

	if (n < 0)
		return ferror(r->f) ? DB_ERR_IO : 0;
	r->lineno++;
	if ((size_t)n != strlen(r->line))
		return fmt_csv_bad(r, r->lineno, "NUL byte in line");
	if (n > 0 && r->line[n - 1] == '\n')
		r->line[--n] = '\0';
	if (n > 0 && r->line[n - 1] == '\r')
		r->line[--n] = '\0';
	if (r->lineno == 1 && strncmp(r->line, "\xef\xbb\xbf", 3) == 0)
		memmove(r->line, r->line + 3, (size_t)n - 2);
	return 1;
}

/* A quoted field starting after its opening quote at *pp. */
static int
fmt_csv_quoted(struct fmt_csv *r, const char **pp)
{
	const char *p = *pp;
	size_t n;
	int rc;

	for (;;) {
		n = strcspn(p, "\"");
		if (buf_append(&r->rec, p, n) < 0)
			return DB_ERR_NOMEM;
		p += n;
		if (r->rec.len > FMT_CSV_RECORD_MAX)
			return fmt_csv_bad(r, r->start,
					   "record longer than 65536 bytes");
		if (*p == '"' && p[1] == '"') {
			if (buf_putc(&r->rec, '"') < 0)
				return DB_ERR_NOMEM;
			p += 2;
		} else if (*p == '"') {
			*pp = p + 1;
			return DB_OK;
		} else {
			/* The field goes on in the next physical line. */
			if ((rc = fmt_csv_getline(r)) == 0)
				return fmt_csv_bad(r, r->start,
						   "unterminated quoted field");
			if (rc < 0)
				return rc;
			if (buf_putc(&r->rec, '\n') < 0)
				return DB_ERR_NOMEM;
			p = r->line;
		}
	}
}

/* Split the record that starts in r->line into fields. */
static int
fmt_csv_fields(struct fmt_csv *r)
{
	const char *p = r->line;
	size_t n;
	int rc;

	buf_reset(&r->rec);
	r->nfields = 0;
	for (;;) {
		if (r->nfields == FMT_CSV_FIELDS_MAX)
			return fmt_csv_bad(r, r->start, "too many fields");
		r->off[r->nfields++] = r->rec.len;
		if (*p == '"') {
			p++;
			if ((rc = fmt_csv_quoted(r, &p)) != DB_OK)
				return rc;
			if (*p != ',' && *p != '\0')
				return fmt_csv_bad(
				    r, r->lineno, "text after a closing quote");
		} else {
			n = strcspn(p, ",\"");
			if (p[n] == '"')
				return fmt_csv_bad(
				    r, r->lineno,
				    "quote inside an unquoted field");
			if (buf_append(&r->rec, p, n) < 0)
				return DB_ERR_NOMEM;
			p += n;
		}
		if (buf_putc(&r->rec, '\0') < 0)
			return DB_ERR_NOMEM;
		if (*p++ == '\0')
			return DB_OK;
	}
}

int
fmt_csv_read(struct fmt_csv *r)
{
	int rc;

	do {
		if ((rc = fmt_csv_getline(r)) <= 0)
			return rc;
	} while (r->line[0] == '\0');
	r->start = r->lineno;
	rc = fmt_csv_fields(r);
	if (rc == DB_OK && r->rec.len > FMT_CSV_RECORD_MAX)
		rc = fmt_csv_bad(r, r->start, "record longer than 65536 bytes");
	return rc == DB_OK ? 1 : rc;
}

char *
fmt_csv_field(struct fmt_csv *r, size_t i)
{
	return r->rec.data + r->off[i];
}

void
fmt_csv_free(struct fmt_csv *r)
{
	free(r->line);
	buf_free(&r->rec);
	memset(r, 0, sizeof(*r));
}

int
fmt_csv_put(struct buf *b, const char *s, int first)
{
	size_t n = strlen(s);
	int r = first ? 0 : buf_putc(b, ',');

	if (strpbrk(s, ",\"\r\n") == NULL &&
	    !(n > 0 && (s[0] == ' ' || s[0] == '\t' || s[n - 1] == ' ' ||
			s[n - 1] == '\t')))
		return r | buf_append(b, s, n);
	r |= buf_putc(b, '"');
	for (; *s; s++)
		r |= *s == '"' ? buf_puts(b, "\"\"") : buf_putc(b, *s);
	return r | buf_putc(b, '"');
}
