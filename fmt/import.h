/*
 * import.h - consent records from CSV: what a row of the file means.  The
 * writing (merge through the consent state machine, evidence, batches) is
 * the store's, db_import_* in db/store.h.
 */
#ifndef CG_FMT_IMPORT_H
#define CG_FMT_IMPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../db/store.h"

/*
 * Import CSV (RFC 4180 quoting) from f (named name in errors).  The first
 * line may be a header naming columns (address,state,uid,ip,created,
 * confirmed,withdrawn,source,tracking,doi_sent,doi_msgid,lists,
 * withdrawn_lists, any order, case insensitive; address required; lists
 * are list names separated by ';'); without one the columns are
 * address[,state[,uid]].  States by name, times as "2026-01-02T03:04:05Z" or
 * unix seconds, tracking yes/no/1/0.  An empty state or created cell counts
 * as absent; other empty cells clear their field.
 *
 * The rows go to the store's import in file order (db/store.h says how
 * they merge and what is written).  The file streams: it is read once to
 * check every row (and the uid rule) before anything is written, then
 * again to write in batches, so memory does not grow with the file (16
 * bytes a row for the check); input that cannot seek is first copied to a
 * temporary file
 * ($TMPDIR or /tmp, mode 0600, removed from the directory at once).  A malformed line: returns DB_ERR_INVALID,
 * err says "name:LINE: reason", nothing is written.
 */
int fmt_import_csv_opts(struct db_store *s, FILE *f, const char *name,
			int64_t now, const struct db_import_opts *opts,
			struct db_import_count *count, char *err, size_t errsz);
/* The same without evidence or notes; *count gets the changed rows. */
int fmt_import_csv(struct db_store *s, FILE *f, const char *name, int64_t now,
		   size_t *count, char *err, size_t errsz);

#endif
