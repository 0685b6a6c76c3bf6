/*
 * meta.c - the meta table (meta.h): small decimal values by name and the
 * store format version.  Works inside the caller's transaction; values are
 * copied before return.  Never logs; returns DB_* codes (DB_ERR_CORRUPT for
 * a value that is not what its name promises).
 */
#include "meta.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
db_meta_get_text(struct db_store *s, MDB_txn *txn, const char *name,
		 char *text, size_t textsz)
{
	MDB_val k = {strlen(name), (void *)name}, v;
	int rc;

	rc = mdb_get(txn, s->meta, &k, &v);
	if (rc != 0)
		return db_from_mdb(rc);
	if (v.mv_size == 0 || v.mv_size >= textsz)
		return DB_ERR_CORRUPT;
	memcpy(text, v.mv_data, v.mv_size);
	text[v.mv_size] = '\0';
	return DB_OK;
}

int
db_meta_get_int(struct db_store *s, MDB_txn *txn, const char *name,
		int64_t *out)
{
	char text[24], *end;
	long long n;
	int rc;

	if ((rc = db_meta_get_text(s, txn, name, text, sizeof(text))) != DB_OK)
		return rc;
	errno = 0;
	n = strtoll(text, &end, 10);
	if (*end != '\0' || errno != 0)
		return DB_ERR_CORRUPT;
	*out = (int64_t)n;
	return DB_OK;
}

int
db_meta_put_int(struct db_store *s, MDB_txn *txn, const char *name, int64_t v)
{
	char text[24];
	MDB_val k = {strlen(name), (void *)name}, val;

	val.mv_size = (size_t)snprintf(text, sizeof(text), "%lld",
				       (long long)v);
	val.mv_data = text;
	return db_from_mdb(mdb_put(txn, s->meta, &k, &val, 0));
}

int
db_meta_version_txn(struct db_store *s, MDB_txn *txn, int create,
		    const char *dir, char *err, size_t errsz)
{
	MDB_val k = {7, "version"}, v;
	char want[16], have[16];
	int rc;

	snprintf(want, sizeof(want), "%d", DB_FORMAT_VERSION);
	rc = mdb_get(txn, s->meta, &k, &v);
	if (rc == MDB_NOTFOUND && create) {
		v.mv_size = strlen(want);
		v.mv_data = want;
		rc = mdb_put(txn, s->meta, &k, &v, 0);
		if (rc != 0)
			snprintf(err, errsz, "%s: cannot write the format "
				 "version: %s", dir, mdb_strerror(rc));
		return db_from_mdb(rc);
	}
	if (rc == MDB_NOTFOUND) {
		snprintf(err, errsz, "%s: store has no format version", dir);
		return DB_ERR_VERSION;
	}
	if (rc != 0) {
		snprintf(err, errsz, "%s: %s", dir, mdb_strerror(rc));
		return db_from_mdb(rc);
	}
	snprintf(have, sizeof(have), "%.*s",
		 (int)(v.mv_size < 15 ? v.mv_size : 15), (const char *)v.mv_data);
	if (v.mv_size != strlen(want) || strcmp(have, want) != 0) {
		snprintf(err, errsz, "%s: store format %s, this program reads "
			 "format %s%s", dir, have, want, strcmp(have, "1") == 0
			 ? " (evidence without separated personal data): "
			   "create a new store with consentctl init and "
			   "import an export of this one" : "");
		return DB_ERR_VERSION;
	}
	return DB_OK;
}
