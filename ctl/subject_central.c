/*
 * subject_central.c - `consentctl subject ADDR --central --pg CONNINFO`:
 * the data subject's decisions on every host, from the centre's copy of
 * the evidence (evidence_by_subject() in contrib/postgresql/schema.sql).
 * The address never leaves this host: only its keyed hashes under the
 * deployment's keys (EvidenceSubjectKeyFile) and the store's own go to the
 * centre.  Rows are read with the one record reader, whatever version.
 *
 * Owns: the connection and result of the run (closed before return).
 * Problems go to stderr via ctl_error; returns CTL_EXIT_* codes.
 */
#include <stdio.h>
#include <string.h>

#include "../common/buf.h"
#include "ctl.h"
#include "evrec.h"

#ifdef CG_HAVE_LIBPQ

#include <libpq-fe.h>

/* Print one row: host, then the record as `log` prints it. */
static int
ctl_central_row(PGresult *r, int i)
{
	const char *json = PQgetvalue(r, i, 3);
	struct db_evrec rec;

	if (ctl_evrec_parse(json, strlen(json), &rec) != CTL_EVREC_OK) {
		ctl_error("centre: the record %s of host %s does not parse",
			  PQgetvalue(r, i, 1), PQgetvalue(r, i, 0));
		return -1;
	}
	printf("  %s ", PQgetvalue(r, i, 0));
	if (!PQgetisnull(r, i, 4))
		printf("(forgotten) ");
	ctl_evrec_print(stdout, &rec);
	ctl_evrec_free(&rec);
	return 0;
}

int
ctl_subject_central(const char *conninfo, const char *key,
		    char hashes[][DB_HASH_HEX], size_t n)
{
	struct buf arr = BUF_INIT;
	const char *p[1];
	PGconn *pg;
	PGresult *r;
	int i, rc = CTL_EXIT_OK, x = buf_putc(&arr, '{');
	size_t k;

	for (k = 0; k < n; k++) /* lower-case hex: no quoting needed */
		x |= buf_printf(&arr, "%s%s", k ? "," : "", hashes[k]);
	if ((x | buf_putc(&arr, '}') | buf_reserve(&arr, 0)) != 0) {
		buf_free(&arr);
		ctl_error("out of memory");
		return CTL_EXIT_REFUSED;
	}
	pg = PQconnectdb(conninfo);
	if (PQstatus(pg) != CONNECTION_OK) {
		ctl_error("cannot connect to the centre: %s",
			  pg ? PQerrorMessage(pg) : "out of memory");
		PQfinish(pg);
		buf_free(&arr);
		return CTL_EXIT_REFUSED;
	}
	p[0] = arr.data;
	r = PQexecParams(pg, "SELECT host, ref, seq, record::text, forgotten_at "
			 "FROM evidence_by_subject($1::text[])", 1, NULL, p,
			 NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		ctl_error("centre: evidence_by_subject: %s",
			  PQerrorMessage(pg));
		rc = CTL_EXIT_REFUSED;
	}
	for (i = 0; rc == CTL_EXIT_OK && i < PQntuples(r); i++) {
		if (i == 0)
			printf("evidence records at the centre (host, record):\n");
		if (ctl_central_row(r, i) < 0)
			rc = CTL_EXIT_REFUSED;
	}
	if (rc == CTL_EXIT_OK)
		printf("%d evidence records at the centre name %s\n",
		       PQntuples(r), key);
	PQclear(r);
	PQfinish(pg);
	buf_free(&arr);
	return rc;
}

#else /* !CG_HAVE_LIBPQ */

int
ctl_subject_central(const char *conninfo, const char *key,
		    char hashes[][DB_HASH_HEX], size_t n)
{
	(void)conninfo;
	(void)key;
	(void)hashes;
	(void)n;
	ctl_error("subject --central: this consentctl was built without "
		  "libpq (install libpq-dev and rebuild)");
	return CTL_EXIT_USAGE;
}

#endif
