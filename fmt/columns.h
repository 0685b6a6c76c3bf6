/*
 * columns.h - the columns of a consent record in CSV, in the order the
 * export writes them: address, then the record's fields in the order of
 * consent_sm.h's DB_ROW_* (each column is its DB_ROW_* plus one).
 */
#ifndef CG_FMT_COLUMNS_H
#define CG_FMT_COLUMNS_H

enum fmt_col {
	FMT_COL_ADDRESS,
	FMT_COL_STATE,
	FMT_COL_UID,
	FMT_COL_IP,
	FMT_COL_CREATED,
	FMT_COL_CONFIRMED,
	FMT_COL_WITHDRAWN,
	FMT_COL_SOURCE,
	FMT_COL_TRACKING,
	FMT_COL_DOI_SENT,
	FMT_COL_DOI_MSGID,
	FMT_COL_LISTS,
	FMT_COL_WITHDRAWN_LISTS,
	FMT_COL_COUNT
};

/* The header name of col ("address", "doi_sent", ...); a static string. */
const char *fmt_col_name(int col);
/* The column named name (case-insensitive), or -1. */
int fmt_col_find(const char *name);

#endif
