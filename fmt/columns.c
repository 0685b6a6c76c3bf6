/*
 * columns.c - the names of the consent columns (see columns.h), shared by
 * the CSV import's header and the export's.
 * Owns nothing; an unknown name gives -1.
 */
#include "columns.h"

#include <strings.h>

#include "../db/consent_sm.h"

static const char *const fmt_col_names[FMT_COL_COUNT] = {
    "address",	      "state",	   "uid",	"ip",
    "created",	      "confirmed", "withdrawn", "source",
    "tracking",	      "doi_sent",  "doi_msgid", "lists",
    "withdrawn_lists"};

_Static_assert(FMT_COL_STATE - 1 == DB_ROW_STATE &&
		   FMT_COL_DOI_MSGID - 1 == DB_ROW_DOI_MSGID &&
		   FMT_COL_SOURCE - 1 == DB_ROW_SOURCE &&
		   FMT_COL_UID - 1 == DB_ROW_UID &&
		   FMT_COL_LISTS - 1 == DB_ROW_LISTS &&
		   FMT_COL_WITHDRAWN_LISTS - 1 == DB_ROW_WITHDRAWN_LISTS,
	       "the row fields of consent_sm.h follow the CSV columns");

const char *
fmt_col_name(int col)
{
	return col >= 0 && col < FMT_COL_COUNT ? fmt_col_names[col] : "";
}

int
fmt_col_find(const char *name)
{
	int c;

	for (c = 0; c < FMT_COL_COUNT; c++)
		if (strcasecmp(name, fmt_col_names[c]) == 0)
			return c;
	return -1;
}
