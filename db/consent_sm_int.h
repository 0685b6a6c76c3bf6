/*
 * consent_sm_int.h - helpers of the consent state machine shared by
 * db/consent_sm.c and db/consent_merge.c; private to db/.
 */
#ifndef CG_CONSENT_SM_INT_H
#define CG_CONSENT_SM_INT_H

#include "store.h"

/* Do a and b encode to the same bytes?  1 or 0. */
int db_sm_equal(const struct db_consent *a, const struct db_consent *b);
/* The index of list name in c's lists, or -1. */
int db_list_find(const struct db_consent *c, const char *name);

#endif
