/*
 * store.c - open and close a consent store: the directory, the LMDB core
 * (core.c), then every table (meta's format version, the personal data
 * and its secret, the outbox) and the one-time address-key migration.
 * The top of db/: it calls the modules below it and none calls it.
 *
 * Owns: the struct db_store (freed by db_close, which wipes the secret)
 * and the transaction of db_open_dbis, which ends before it returns.  When
 * run as root it gives the LMDB files it creates to the owner of the store
 * directory (CONTRACT.md).  Never logs: db_open explains a failure in the
 * caller's err buffer.
 */
#include "store_int.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "addrkey.h"
#include "evpii.h"
#include "outbox_int.h"

#define DB_MAXDBS 16
/* The store is its owner's alone: the daemon's group may be the one the
 * MTA joins for the socket, and must not read addresses or evidence (the
 * core creates the files 0600). */
#define DB_DIR_MODE 0700

/* Does dir/name exist (as anything)? */
static int
db_file_exists(const char *dir, const char *name)
{
	char path[PATH_MAX];
	struct stat st;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >=
	    sizeof(path))
		return 0;
	return lstat(path, &st) == 0;
}

/* Create dir when asked; check that it is a directory holding a store. */
static int
db_open_dir(const char *dir, int flags, struct stat *st, char *err,
	    size_t errsz)
{
	if ((flags & DB_OPEN_CREATE) && mkdir(dir, DB_DIR_MODE) < 0 &&
	    errno != EEXIST) {
		snprintf(err, errsz, "cannot create %s: %s", dir,
			 strerror(errno));
		return errno == EACCES || errno == EROFS ? DB_ERR_READONLY
							 : DB_ERR_IO;
	}
	if (stat(dir, st) < 0 && errno == ENOENT &&
	    !(flags & DB_OPEN_CREATE)) {
		snprintf(err, errsz, "%s: no such store directory (create one "
			 "with consentctl init)", dir);
		return DB_ERR_IO;
	}
	if (stat(dir, st) < 0) {
		snprintf(err, errsz, "%s: %s", dir, strerror(errno));
		return errno == EACCES ? DB_ERR_READONLY : DB_ERR_IO;
	}
	if (!S_ISDIR(st->st_mode)) {
		snprintf(err, errsz, "%s: not a directory", dir);
		return DB_ERR_IO;
	}
	if (!(flags & DB_OPEN_CREATE) && !db_file_exists(dir, "data.mdb")) {
		snprintf(err, errsz,
			 "%s: no consent store here (create one with "
			 "consentctl init)", dir);
		return DB_ERR_IO;
	}
	return DB_OK;
}

/*
 * Running as root, give the files this open created to the directory's
 * owner and group, so the daemon's user is not locked out of its store.
 */
static int
db_chown_new(const char *dir, const struct stat *dirst, const int existed[2],
	     char *err, size_t errsz)
{
	static const char *const names[2] = {"data.mdb", "lock.mdb"};
	char path[PATH_MAX];
	struct stat st;
	int i;

	if (geteuid() != 0)
		return DB_OK;
	for (i = 0; i < 2; i++) {
		if (existed[i])
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir,
				     names[i]) >= sizeof(path) ||
		    lstat(path, &st) < 0 || !S_ISREG(st.st_mode))
			continue;
		if (st.st_uid == dirst->st_uid && st.st_gid == dirst->st_gid)
			continue;
		if (fchownat(AT_FDCWD, path, dirst->st_uid, dirst->st_gid,
			     AT_SYMLINK_NOFOLLOW) < 0) {
			snprintf(err, errsz,
				 "%s: cannot give it to the store owner: %s",
				 path, strerror(errno));
			return DB_ERR_IO;
		}
	}
	return DB_OK;
}

/* Narrow one file of the store (dfd/name) to its owner. */
static void
db_tighten_file(int dfd, const char *name)
{
	struct stat st;
	int fd;

	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    st.st_uid == geteuid() && (st.st_mode & 077))
		(void)fchmod(fd, st.st_mode & 0700);
	close(fd);
}

/*
 * A store made when its files were 0640 is narrowed to 0600 (0700 for the
 * directory) by its owner, through descriptors, never by path as root.
 * Best effort: a failure leaves the modes as they were.  This runs before
 * the environment is opened: closing any descriptor of lock.mdb drops
 * every fcntl lock the process holds on it, and without its locks the
 * next process to open the store would take itself for the first and
 * reset the reader table under the running readers.
 */
static void
db_tighten(struct db_store *s, const char *dir)
{
	struct stat st;
	int dfd;

	if (s->rdonly || geteuid() != s->dir_uid)
		return;
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return;
	if (fstat(dfd, &st) == 0 && st.st_uid == geteuid() &&
	    (st.st_mode & 077))
		(void)fchmod(dfd, st.st_mode & 0700);
	db_tighten_file(dfd, "data.mdb");
	db_tighten_file(dfd, "lock.mdb");
	close(dfd);
}

/* Open (or create) the named databases and check the format version. */
static int
db_open_dbis(struct db_store *s, int create, const char *dir, char *err,
	     size_t errsz)
{
	static const char *const names[] = {"consent", "uid", "evidence",
					    "evref", "meta"};
	MDB_dbi *dbis[] = {&s->consent, &s->uid, &s->evidence, &s->evref,
			   &s->meta};
	MDB_txn *txn;
	size_t i;
	int rc;

	/* A writable open may move the secret out of meta (pii.c). */
	rc = db_txn_begin(s, s->rdonly, &txn);
	if (rc != DB_OK) {
		snprintf(err, errsz, "%s: %s", dir, db_strerror(rc));
		return rc;
	}
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		rc = mdb_dbi_open(txn, names[i], create ? MDB_CREATE : 0,
				  dbis[i]);
		if (rc == 0)
			continue;
		if (rc == MDB_NOTFOUND || rc == MDB_INCOMPATIBLE)
			snprintf(err, errsz, "%s: not a consentgate store "
				 "(no %s database)", dir, names[i]);
		else
			snprintf(err, errsz, "%s: %s", dir, mdb_strerror(rc));
		db_txn_abort(txn);
		return rc == MDB_NOTFOUND ? DB_ERR_IO : db_from_mdb(rc);
	}
	rc = db_meta_version_txn(s, txn, create, dir, err, errsz);
	if (rc == DB_OK)
		rc = db_pii_open(s, txn, create, dir, err, errsz);
	if (rc != DB_OK) {
		db_txn_abort(txn);
		return rc;
	}
	/* Committing (even a read transaction) keeps the dbi handles. */
	rc = db_txn_commit(txn);
	if (rc != DB_OK)
		snprintf(err, errsz, "%s: %s", dir, db_strerror(rc));
	return rc;
}

int
db_open(const char *dir, int flags, struct db_store **out, char *err,
	size_t errsz)
{
	struct db_store *s = NULL;
	struct stat dirst;
	size_t map_start, map_limit;
	int existed[2], rc, rc2;

	*out = NULL;
	if (errsz)
		err[0] = '\0';
	if (dir == NULL || *dir == '\0' ||
	    ((flags & DB_OPEN_RDONLY) && (flags & DB_OPEN_CREATE))) {
		snprintf(err, errsz, "no store directory given");
		return DB_ERR_INVALID;
	}
	rc = db_core_mapsize(&map_start, &map_limit, err, errsz);
	if (rc == DB_OK)
		rc = db_open_dir(dir, flags, &dirst, err, errsz);
	if (rc != DB_OK)
		return rc;
	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		snprintf(err, errsz, "%s: out of memory", dir);
		return DB_ERR_NOMEM;
	}
	s->rdonly = (flags & DB_OPEN_RDONLY) != 0;
	s->dir_uid = dirst.st_uid;
	s->dir_gid = dirst.st_gid;
	existed[0] = db_file_exists(dir, "data.mdb");
	existed[1] = db_file_exists(dir, "lock.mdb");
	db_tighten(s, dir);
	rc = db_core_open(&s->core, dir, s->rdonly,
			  DB_MAXDBS, map_start, map_limit, err, errsz);
	/* Hand over what LMDB created even when the open then failed. */
	rc2 = db_chown_new(dir, &dirst, existed, rc == DB_OK ? err : NULL,
			   rc == DB_OK ? errsz : 0);
	if (rc == DB_OK)
		rc = rc2;
	if (rc == DB_OK)
		rc = db_open_dbis(s, (flags & DB_OPEN_CREATE) != 0, dir, err,
				  errsz);
	if (rc == DB_OK)
		rc = db_outbox_open(s, dir, err, errsz);
	if (rc == DB_OK)
		rc = db_addrkey_migrate(s, dir, err, errsz);
	if (rc != DB_OK) {
		db_close(s);
		return rc;
	}
	*out = s;
	return DB_OK;
}

void
db_close(struct db_store *s)
{
	if (s == NULL)
		return;
	db_core_close(&s->core);
	explicit_bzero(s->pii_key, sizeof(s->pii_key));
	explicit_bzero(s->subj_key, sizeof(s->subj_key));
	free(s);
}
