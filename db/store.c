/*
 * store.c - open and close the LMDB consent store, map LMDB errors to DB_*
 * codes, and read and write consent records with their uid index.
 *
 * Owns: the struct db_store and its MDB_env (freed by db_close), and every
 * transaction it begins, which ends before the function returns.  Values
 * read from LMDB are decoded into caller structs before the transaction
 * ends.  When run as root it gives the LMDB files it creates to the owner
 * of the store directory (CONTRACT.md).  Never logs: db_open explains a
 * failure in the caller's err buffer, everything else returns a DB_* code.
 */
#include "store_int.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "addrkey.h"
#include "codec.h"
#include "evpii.h"
#include "outbox_int.h"

#define DB_MAXREADERS 512
#define DB_MAXDBS 16
/* The store is its owner's alone: the daemon's group may be the one the
 * MTA joins for the socket, and must not read addresses or evidence. */
#define DB_FILE_MODE 0600
#define DB_DIR_MODE 0700

static const char *const db_state_names[] = {"none", "pending", "confirmed",
					     "withdrawn", "customer"};

const char *
db_strerror(int code)
{
	switch (code) {
	case DB_OK:
		return "success";
	case DB_NOTFOUND:
		return "not found";
	case DB_ERR_IO:
		return "store I/O error";
	case DB_ERR_FULL:
		return "store map full";
	case DB_ERR_CORRUPT:
		return "store record corrupt";
	case DB_ERR_INVALID:
		return "invalid argument";
	case DB_ERR_NOMEM:
		return "out of memory";
	case DB_ERR_READONLY:
		return "store is read-only or not writable";
	case DB_ERR_VERSION:
		return "store written by an unknown format version";
	}
	return "unknown store error";
}

const char *
db_state_name(int state)
{
	if (state < DB_STATE_NONE || state > DB_STATE_CUSTOMER)
		return "unknown";
	return db_state_names[state];
}

int
db_state_parse(const char *s)
{
	int i;

	if (s == NULL)
		return -1;
	for (i = DB_STATE_PENDING; i <= DB_STATE_CUSTOMER; i++)
		if (strcasecmp(s, db_state_names[i]) == 0)
			return i;
	return -1;
}

int
db_from_mdb(int rc)
{
	switch (rc) {
	case MDB_SUCCESS:
		return DB_OK;
	case MDB_NOTFOUND:
		return DB_NOTFOUND;
	case MDB_MAP_FULL:
		return DB_ERR_FULL;
	case MDB_CORRUPTED:
	case MDB_PAGE_NOTFOUND:
	case MDB_INVALID:
		return DB_ERR_CORRUPT;
	case MDB_VERSION_MISMATCH:
		return DB_ERR_VERSION;
	case MDB_BAD_VALSIZE:
	case EINVAL:
		return DB_ERR_INVALID;
	case ENOMEM:
		return DB_ERR_NOMEM;
	case EACCES:
	case EROFS:
		return DB_ERR_READONLY;
	}
	return DB_ERR_IO;
}

int
db_txn_begin(struct db_store *s, int rdonly, MDB_txn **txn)
{
	*txn = NULL;
	if (!rdonly && s->rdonly)
		return DB_ERR_READONLY;
	return db_from_mdb(mdb_txn_begin(s->env, NULL, rdonly ? MDB_RDONLY : 0,
					 txn));
}

int
db_txn_commit(MDB_txn *txn)
{
	return db_from_mdb(mdb_txn_commit(txn));
}

/* The map size: fixed and large, or CONSENTGATE_MAPSIZE for tests. */
static int
db_mapsize(size_t *size, char *err, size_t errsz)
{
	const char *env = getenv("CONSENTGATE_MAPSIZE");
	unsigned long long v;
	char *end;

	*size = SIZE_MAX > 0xffffffffu ? (size_t)64 << 30 : (size_t)1 << 30;
	if (env == NULL || *env == '\0')
		return DB_OK;
	errno = 0;
	v = strtoull(env, &end, 10);
	if (*env < '0' || *env > '9' || *end != '\0' || errno != 0 || v == 0 ||
	    v > SIZE_MAX) {
		snprintf(err, errsz, "CONSENTGATE_MAPSIZE: not a size in bytes: %s",
			 env);
		return DB_ERR_INVALID;
	}
	*size = (size_t)v;
	return DB_OK;
}

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

static int
db_env_open(struct db_store *s, const char *dir, size_t mapsize, char *err,
	    size_t errsz)
{
	unsigned int flags = MDB_NOTLS | (s->rdonly ? MDB_RDONLY : 0);
	int rc;

	rc = mdb_env_create(&s->env);
	if (rc == 0)
		rc = mdb_env_set_mapsize(s->env, mapsize);
	if (rc == 0)
		rc = mdb_env_set_maxreaders(s->env, DB_MAXREADERS);
	if (rc == 0)
		rc = mdb_env_set_maxdbs(s->env, DB_MAXDBS);
	if (rc == 0)
		rc = mdb_env_open(s->env, dir, flags, DB_FILE_MODE);
	if (rc == 0)
		return DB_OK;
	if (rc == EACCES)
		snprintf(err, errsz,
			 "%s: permission denied (run as the store's owner)",
			 dir);
	else if (rc == EROFS)
		snprintf(err, errsz, "%s: read-only file system", dir);
	else
		snprintf(err, errsz, "%s: cannot open store: %s", dir,
			 mdb_strerror(rc));
	return db_from_mdb(rc);
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

/*
 * A store made when its files were 0640 is narrowed to 0600 (0700 for the
 * directory) by its owner, through descriptors, never by path as root.
 * Best effort: a failure leaves the modes as they were.
 *
 * db_tighten_lock runs before mdb_env_open: LMDB's shared lock on
 * lock.mdb is a POSIX record lock, which the kernel drops when the process
 * closes any descriptor of that file.  Opening and closing lock.mdb after
 * the env is open would lose it, and the next process to open the store
 * would think itself alone and reset the lock file (its reader table and
 * the writer mutex) under the running milter or follower.
 */
static void
db_tighten_lock(const char *dir, int rdonly, uid_t owner)
{
	struct stat st;
	int fd, dfd;

	if (rdonly || geteuid() != owner)
		return;
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return;
	if (fstat(dfd, &st) == 0 && st.st_uid == geteuid() &&
	    (st.st_mode & 077))
		(void)fchmod(dfd, st.st_mode & 0700);
	fd = openat(dfd, "lock.mdb", O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
		    O_CLOEXEC);
	if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    st.st_uid == geteuid() && (st.st_mode & 077))
		(void)fchmod(fd, st.st_mode & 0700);
	if (fd >= 0)
		close(fd);
	close(dfd);
}

/* data.mdb through LMDB's own descriptor, after the open. */
static void
db_tighten(struct db_store *s)
{
	struct stat st;
	int fd;

	if (s->rdonly || geteuid() != s->dir_uid)
		return;
	if (mdb_env_get_fd(s->env, &fd) == 0 && fstat(fd, &st) == 0 &&
	    st.st_uid == geteuid() && (st.st_mode & 077))
		(void)fchmod(fd, st.st_mode & 0700);
}

/* Check (or, when creating, record) the store format version. */
static int
db_check_version(struct db_store *s, MDB_txn *txn, int create,
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
		mdb_txn_abort(txn);
		return rc == MDB_NOTFOUND ? DB_ERR_IO : db_from_mdb(rc);
	}
	rc = db_check_version(s, txn, create, dir, err, errsz);
	if (rc == DB_OK)
		rc = db_pii_open(s, txn, create, dir, err, errsz);
	if (rc != DB_OK) {
		mdb_txn_abort(txn);
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
	size_t mapsize;
	int existed[2], rc, rc2;

	*out = NULL;
	if (errsz)
		err[0] = '\0';
	if (dir == NULL || *dir == '\0' ||
	    ((flags & DB_OPEN_RDONLY) && (flags & DB_OPEN_CREATE))) {
		snprintf(err, errsz, "no store directory given");
		return DB_ERR_INVALID;
	}
	rc = db_mapsize(&mapsize, err, errsz);
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
	s->rpool_ok = pthread_mutex_init(&s->rpool_lock, NULL) == 0;
	s->dir_uid = dirst.st_uid;
	s->dir_gid = dirst.st_gid;
	existed[0] = db_file_exists(dir, "data.mdb");
	existed[1] = db_file_exists(dir, "lock.mdb");
	db_tighten_lock(dir, s->rdonly, s->dir_uid);
	rc = db_env_open(s, dir, mapsize, err, errsz);
	/* Hand over what LMDB created even when the open then failed. */
	rc2 = db_chown_new(dir, &dirst, existed, rc == DB_OK ? err : NULL,
			   rc == DB_OK ? errsz : 0);
	if (rc == DB_OK)
		rc = rc2;
	if (rc == DB_OK)
		db_tighten(s);
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
	unsigned int i;

	if (s == NULL)
		return;
	for (i = 0; i < s->nrpool; i++)
		mdb_txn_abort(s->rpool[i]);
	if (s->rpool_ok)
		pthread_mutex_destroy(&s->rpool_lock);
	if (s->env)
		mdb_env_close(s->env);
	explicit_bzero(s->pii_key, sizeof(s->pii_key));
	free(s);
}

/* Normalise addr into key (ADDR_MAX+1 bytes). */
static int
db_key(const char *addr, char *key, size_t keysz)
{
	return addr_normalise(addr, key, keysz) < 0 ? DB_ERR_INVALID : DB_OK;
}

int
db_consent_get_txn(struct db_store *s, MDB_txn *txn, const char *key,
		   struct db_consent *out)
{
	MDB_val k = {strlen(key), (void *)key}, v;
	int rc;

	rc = mdb_get(txn, s->consent, &k, &v);
	if (rc != 0)
		return db_from_mdb(rc);
	return db_codec_decode(v.mv_data, v.mv_size, out);
}

/* The raw uid index entry: the address it points to, DB_NOTFOUND or <0. */
static int
db_uid_index_get(struct db_store *s, MDB_txn *txn, const char *uid,
		 char *addr, size_t addrsz)
{
	MDB_val k = {strlen(uid), (void *)uid}, v;
	int rc;

	rc = mdb_get(txn, s->uid, &k, &v);
	if (rc != 0)
		return db_from_mdb(rc);
	if (v.mv_size == 0 || v.mv_size > ADDR_MAX ||
	    memchr(v.mv_data, 0, v.mv_size))
		return DB_ERR_CORRUPT;
	if (v.mv_size >= addrsz)
		return DB_ERR_INVALID;
	memcpy(addr, v.mv_data, v.mv_size);
	addr[v.mv_size] = '\0';
	return DB_OK;
}

int
db_uid_owner_txn(struct db_store *s, MDB_txn *txn, const char *uid,
		 char *addr, size_t addrsz)
{
	struct db_consent c;
	int rc;

	rc = db_uid_index_get(s, txn, uid, addr, addrsz);
	if (rc != DB_OK)
		return rc;
	rc = db_consent_get_txn(s, txn, addr, &c);
	if (rc == DB_OK && strcmp(c.uid, uid) != 0)
		rc = DB_NOTFOUND;
	if (rc != DB_OK)
		addr[0] = '\0';
	return rc;
}

/* Delete the index entry for uid when it points to key. */
static int
db_uid_index_drop(struct db_store *s, MDB_txn *txn, const char *uid,
		  const char *key)
{
	char owner[ADDR_MAX + 1];
	MDB_val k = {strlen(uid), (void *)uid};
	int rc;

	rc = db_uid_index_get(s, txn, uid, owner, sizeof(owner));
	if (rc == DB_NOTFOUND || (rc == DB_OK && strcmp(owner, key) != 0))
		return DB_OK;
	if (rc != DB_OK && rc != DB_ERR_CORRUPT)
		return rc;
	return db_from_mdb(mdb_del(txn, s->uid, &k, NULL));
}

/* Point the index entry for c->uid at key (see db_consent_put_txn). */
static int
db_uid_index_set(struct db_store *s, MDB_txn *txn, const char *uid,
		 const char *key, int force)
{
	char owner[ADDR_MAX + 1];
	MDB_val k = {strlen(uid), (void *)uid}, v = {strlen(key), (void *)key};
	int rc;

	rc = db_uid_owner_txn(s, txn, uid, owner, sizeof(owner));
	if (rc == DB_OK && strcmp(owner, key) == 0)
		return DB_OK;
	if (rc == DB_OK && !force)
		return DB_ERR_INVALID;
	if (rc < 0 && rc != DB_ERR_CORRUPT)
		return rc;
	return db_from_mdb(mdb_put(txn, s->uid, &k, &v, 0));
}

int
db_consent_write_txn(struct db_store *s, MDB_txn *txn, const char *key,
		     const struct db_consent *c, int force)
{
	unsigned char enc[DB_CODEC_MAX];
	struct db_consent old, keep;
	MDB_val k = {strlen(key), (void *)key}, v;
	int n, rc;

	/* A corrupt old value may be overwritten; its uid is unknown. */
	rc = db_consent_get_txn(s, txn, key, &old);
	if (rc == DB_NOTFOUND || rc == DB_ERR_CORRUPT)
		old.uid[0] = '\0';
	else if (rc != DB_OK)
		return rc;
	/* A record without DOI content hash for the same DOI send (the
	 * centre's copy, which has no such columns) keeps the local hash
	 * and evidence ref: the milter needs them to tell a retry of that
	 * mail from a second DOI mail. */
	if (rc == DB_OK && c->doi_hash[0] == '\0' && c->doi_sent != 0 &&
	    c->doi_sent == old.doi_sent &&
	    strcmp(c->doi_msgid, old.doi_msgid) == 0) {
		keep = *c;
		memcpy(keep.doi_hash, old.doi_hash, sizeof(keep.doi_hash));
		memcpy(keep.doi_ref, old.doi_ref, sizeof(keep.doi_ref));
		c = &keep;
	}
	n = db_codec_encode(c, enc, sizeof(enc));
	if (n < 0)
		return n;
	if (c->uid[0] && (rc = db_uid_index_set(s, txn, c->uid, key, force)))
		return rc;
	if (old.uid[0] && strcmp(old.uid, c->uid) != 0 &&
	    (rc = db_uid_index_drop(s, txn, old.uid, key)))
		return rc;
	v.mv_size = (size_t)n;
	v.mv_data = enc;
	return db_from_mdb(mdb_put(txn, s->consent, &k, &v, 0));
}

/* Every local write also queues the record for the centre (outbox.c). */
int
db_consent_put_txn(struct db_store *s, MDB_txn *txn, const char *key,
		   const struct db_consent *c, int force)
{
	int rc;

	rc = db_consent_write_txn(s, txn, key, c, force);
	if (rc == DB_OK)
		rc = db_outbox_add_consent_txn(s, txn, key, c);
	return rc;
}

/* A read-only transaction for one lookup: a reset one from the pool,
 * renewed, or a new one. */
static int
db_read_begin(struct db_store *s, MDB_txn **txn)
{
	MDB_txn *t = NULL;

	if (s->rpool_ok && pthread_mutex_lock(&s->rpool_lock) == 0) {
		if (s->nrpool > 0)
			t = s->rpool[--s->nrpool];
		pthread_mutex_unlock(&s->rpool_lock);
	}
	if (t != NULL) {
		if (mdb_txn_renew(t) == 0) {
			*txn = t;
			return DB_OK;
		}
		mdb_txn_abort(t);
	}
	return db_txn_begin(s, 1, txn);
}

/* End a lookup's transaction: reset into the pool, or abort when full. */
static void
db_read_end(struct db_store *s, MDB_txn *txn)
{
	mdb_txn_reset(txn);
	if (s->rpool_ok && pthread_mutex_lock(&s->rpool_lock) == 0) {
		if (s->nrpool < DB_RPOOL_MAX) {
			s->rpool[s->nrpool++] = txn;
			txn = NULL;
		}
		pthread_mutex_unlock(&s->rpool_lock);
	}
	if (txn != NULL)
		mdb_txn_abort(txn);
}

int
db_consent_get(struct db_store *s, const char *addr, struct db_consent *out)
{
	char key[ADDR_MAX + 1];
	MDB_txn *txn;
	int rc;

	if ((rc = db_key(addr, key, sizeof(key))) != DB_OK ||
	    (rc = db_read_begin(s, &txn)) != DB_OK)
		return rc;
	rc = db_consent_get_txn(s, txn, key, out);
	db_read_end(s, txn);
	return rc;
}

int
db_consent_put(struct db_store *s, const char *addr,
	       const struct db_consent *c)
{
	char key[ADDR_MAX + 1];
	MDB_txn *txn;
	int rc;

	if ((rc = db_key(addr, key, sizeof(key))) != DB_OK ||
	    (rc = db_txn_begin(s, 0, &txn)) != DB_OK)
		return rc;
	rc = db_consent_put_txn(s, txn, key, c, 0);
	if (rc != DB_OK) {
		mdb_txn_abort(txn);
		return rc;
	}
	return db_txn_commit(txn);
}

int
db_consent_by_uid(struct db_store *s, const char *uid, char *addr,
		  size_t addrsz)
{
	MDB_txn *txn;
	size_t n = uid ? strlen(uid) : 0;
	int rc;

	if (n == 0 || n > DB_UID_MAX || addrsz == 0)
		return DB_ERR_INVALID;
	addr[0] = '\0';
	if ((rc = db_txn_begin(s, 1, &txn)) != DB_OK)
		return rc;
	rc = db_uid_owner_txn(s, txn, uid, addr, addrsz);
	mdb_txn_abort(txn);
	return rc;
}

int
db_consent_remove_txn(struct db_store *s, MDB_txn *txn, const char *key)
{
	struct db_consent old;
	MDB_val k;
	int rc;

	rc = db_consent_get_txn(s, txn, key, &old);
	if (rc == DB_OK && old.uid[0])
		rc = db_uid_index_drop(s, txn, old.uid, key);
	else if (rc == DB_ERR_CORRUPT)
		rc = DB_OK; /* a stale index entry is ignored by its readers */
	if (rc == DB_OK) {
		k.mv_size = strlen(key);
		k.mv_data = (void *)key;
		rc = db_from_mdb(mdb_del(txn, s->consent, &k, NULL));
	}
	return rc;
}

int
db_consent_del(struct db_store *s, const char *addr)
{
	char key[ADDR_MAX + 1];
	MDB_txn *txn;
	int rc;

	if ((rc = db_key(addr, key, sizeof(key))) != DB_OK ||
	    (rc = db_txn_begin(s, 0, &txn)) != DB_OK)
		return rc;
	rc = db_consent_remove_txn(s, txn, key);
	if (rc == DB_OK)
		rc = db_outbox_add_delete_txn(s, txn, key);
	if (rc != DB_OK) {
		mdb_txn_abort(txn);
		return rc;
	}
	return db_txn_commit(txn);
}

int
db_consent_foreach_txn(struct db_store *s, MDB_txn *txn, db_consent_cb cb,
		       void *arg)
{
	char addr[ADDR_MAX + 1];
	struct db_consent c;
	MDB_cursor *cur;
	MDB_val k, v;
	int rc, got;

	if ((rc = db_from_mdb(mdb_cursor_open(txn, s->consent, &cur))))
		return rc;
	got = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
	for (; got == 0; got = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (k.mv_size == 0 || k.mv_size > ADDR_MAX) {
			rc = DB_ERR_CORRUPT;
			break;
		}
		memcpy(addr, k.mv_data, k.mv_size);
		addr[k.mv_size] = '\0';
		rc = db_codec_decode(v.mv_data, v.mv_size, &c);
		if (rc != DB_OK || (rc = cb(addr, &c, arg)) != 0)
			break;
	}
	if (got != 0 && got != MDB_NOTFOUND)
		rc = db_from_mdb(got);
	mdb_cursor_close(cur);
	return rc;
}

int
db_consent_foreach(struct db_store *s, db_consent_cb cb, void *arg)
{
	MDB_txn *txn;
	int rc;

	if ((rc = db_txn_begin(s, 1, &txn)) != DB_OK)
		return rc;
	rc = db_consent_foreach_txn(s, txn, cb, arg);
	mdb_txn_abort(txn);
	return rc;
}
