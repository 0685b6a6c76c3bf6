/*
 * export.h - every consent record as CSV or JSON.
 */
#ifndef CG_FMT_EXPORT_H
#define CG_FMT_EXPORT_H

#include <stdio.h>

#include "../db/store.h"

/*
 * Export every record as CSV (RFC 4180, CRLF line ends; a header, then the
 * columns of columns.h; times in ISO 8601 UTC, empty when unset, except
 * created, which is always written so that an unknown one re-imports as
 * unknown) or as a JSON array of objects, one per line (unset times null,
 * tracking a boolean; lists and withdrawn_lists as arrays).  lists names
 * the lists in the record's state, withdrawn_lists those withdrawn on
 * their own; per-list times and a list pending beside a confirmed one are
 * not written.  The CSV of records without named lists re-imports to
 * identical records.
 * Returns DB_OK, DB_ERR_IO when writing to out failed, or a store error.
 */
int fmt_export(struct db_store *s, FILE *out, int json);

#endif
