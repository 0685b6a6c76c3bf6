/*
 * secret.c - the file that holds a store's HMAC secret (DB_SECRET_FILE in
 * the store directory, mode 0400), apart from the LMDB data so that its
 * mode alone decides who can read it.
 *
 * Owns: one directory descriptor and one file descriptor per call, closed
 * before return.  Every access goes through the descriptor of the store
 * directory with O_NOFOLLOW, and a new file is written under a temporary
 * name and renamed into place, so neither a symlink nor a half-written
 * secret is ever used.  Run as root, a new file is given to the owner of
 * the store directory through its descriptor (never by path).  Never logs:
 * failures are DB_* codes explained in the caller's err buffer.
 */
#include "evpii.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DB_SECRET_TMP DB_SECRET_FILE ".new"

/* An errno value as a DB_* code. */
static int
db_secret_errno(int e)
{
	return e == EACCES || e == EPERM || e == EROFS ? DB_ERR_READONLY
						       : DB_ERR_IO;
}

static int
db_secret_dirfd(const char *dir, char *err, size_t errsz)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		snprintf(err, errsz, "%s: %s", dir, strerror(errno));
	return fd;
}

int
db_secret_read(const char *dir, unsigned char key[DB_PII_KEY_LEN], char *err,
	       size_t errsz)
{
	struct stat st;
	ssize_t n;
	int dfd, fd, e, rc = DB_OK;

	if ((dfd = db_secret_dirfd(dir, err, errsz)) < 0)
		return db_secret_errno(errno);
	fd = openat(dfd, DB_SECRET_FILE,
		    O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	e = errno;
	close(dfd);
	if (fd < 0 && e == ENOENT)
		return DB_NOTFOUND;
	if (fd < 0) {
		snprintf(err, errsz, "%s/%s: cannot read the evidence secret: "
			 "%s", dir, DB_SECRET_FILE, strerror(e));
		return e == ELOOP ? DB_ERR_CORRUPT : db_secret_errno(e);
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    st.st_size != DB_PII_KEY_LEN)
		rc = DB_ERR_CORRUPT;
	else if ((n = read(fd, key, DB_PII_KEY_LEN)) != DB_PII_KEY_LEN)
		rc = n < 0 ? DB_ERR_IO : DB_ERR_CORRUPT;
	close(fd);
	if (rc != DB_OK) {
		explicit_bzero(key, DB_PII_KEY_LEN);
		snprintf(err, errsz, "%s/%s: the evidence secret is damaged",
			 dir, DB_SECRET_FILE);
	}
	return rc;
}

/* Create the temporary file (a leftover of a crash is replaced). */
static int
db_secret_create_tmp(int dfd)
{
	int fd, tries;

	for (tries = 0; tries < 2; tries++) {
		fd = openat(dfd, DB_SECRET_TMP,
			    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			    DB_SECRET_MODE);
		if (fd >= 0 || errno != EEXIST)
			return fd;
		if (unlinkat(dfd, DB_SECRET_TMP, 0) < 0)
			return -1;
	}
	return -1;
}

/* Fill fd with the key, give it its owner and mode, and sync it. */
static int
db_secret_fill(int fd, const unsigned char key[DB_PII_KEY_LEN], uid_t uid,
	       gid_t gid)
{
	size_t got = 0;
	ssize_t n;

	while (got < DB_PII_KEY_LEN) {
		n = write(fd, key + got, DB_PII_KEY_LEN - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		got += (size_t)n;
	}
	if (geteuid() == 0 && fchown(fd, uid, gid) < 0)
		return -1;
	if (fchmod(fd, DB_SECRET_MODE) < 0 || fsync(fd) < 0)
		return -1;
	return 0;
}

int
db_secret_write(const char *dir, uid_t uid, gid_t gid,
		const unsigned char key[DB_PII_KEY_LEN], char *err,
		size_t errsz)
{
	int dfd, fd, rc = -1, e;

	if ((dfd = db_secret_dirfd(dir, err, errsz)) < 0)
		return db_secret_errno(errno);
	fd = db_secret_create_tmp(dfd);
	if (fd >= 0) {
		rc = db_secret_fill(fd, key, uid, gid);
		e = errno;
		close(fd);
		errno = e;
	}
	if (rc == 0)
		rc = renameat(dfd, DB_SECRET_TMP, dfd, DB_SECRET_FILE);
	e = errno;
	if (rc == 0)
		fsync(dfd);
	else if (fd >= 0)
		unlinkat(dfd, DB_SECRET_TMP, 0);
	close(dfd);
	if (rc == 0)
		return DB_OK;
	snprintf(err, errsz, "%s/%s: cannot write the evidence secret: %s",
		 dir, DB_SECRET_FILE, strerror(e));
	return db_secret_errno(e);
}
