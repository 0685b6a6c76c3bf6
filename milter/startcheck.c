/*
 * startcheck.c - what `consentgate -n` checks beyond the file itself, so
 * that "configuration OK" means "would start": the consent store opens
 * read-only for UserID (or is missing and would be created), and a unix
 * socket's directory exists and UserID may create the socket in it.
 *
 * Owns: nothing past a call (the store is opened and closed again).  Runs
 * single-threaded, as root or as the user that would run the daemon; as
 * root it acts as UserID for the checks (privs.c), so nothing it touches
 * becomes root's.  Problems are appended to errors (one line each), facts
 * worth knowing to notes; returns -1 when the daemon would not start.
 */
#include "startcheck.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../db/store.h"

int
mf_socket_dir(const char *socket, char *dir, size_t dirsz)
{
	const char *path = NULL, *slash;

	if (strncmp(socket, "unix:", 5) == 0)
		path = socket + 5;
	else if (strncmp(socket, "local:", 6) == 0)
		path = socket + 6;
	else if (strchr(socket, ':') == NULL)
		path = socket;
	if (path == NULL)
		return -1;
	slash = strrchr(path, '/');
	if (slash == NULL)
		snprintf(dir, dirsz, ".");
	else if (slash == path)
		snprintf(dir, dirsz, "/");
	else
		snprintf(dir, dirsz, "%.*s", (int)(slash - path), path);
	return 0;
}

/* The store: missing (created at start) is fine, else it must open. */
static int
mf_check_store(const struct cfg *cfg, struct buf *errors, struct buf *notes)
{
	struct db_store *store = NULL;
	char err[512], data[PATH_MAX];

	snprintf(data, sizeof(data), "%s/data.mdb", cfg->consent_db);
	if (access(cfg->consent_db, F_OK) < 0 && errno == ENOENT) {
		buf_printf(notes, "ConsentDB %s does not exist: an empty store "
			   "is created at start\n", cfg->consent_db);
		return 0;
	}
	if (access(data, F_OK) < 0 && errno == ENOENT) {
		buf_printf(notes, "ConsentDB %s holds no store yet: an empty "
			   "one is created at start\n", cfg->consent_db);
		return 0;
	}
	if (db_open(cfg->consent_db, DB_OPEN_RDONLY, &store, err,
		    sizeof(err)) != DB_OK) {
		buf_printf(errors, "ConsentDB %s: cannot open the store: %s\n",
			   cfg->consent_db, err);
		return -1;
	}
	if (db_subject_keys_load(store, cfg->evidence_subject_key_file, err,
				 sizeof(err)) != DB_OK) {
		buf_printf(errors, "%s\n", err);
		db_close(store);
		return -1;
	}
	db_close(store);
	return 0;
}

/* A unix socket's directory must exist and be writable by its user. */
static int
mf_check_socket_dir(const struct cfg *cfg, const char *who,
		    struct buf *errors)
{
	char dir[4096];

	if (mf_socket_dir(cfg->socket, dir, sizeof(dir)) < 0)
		return 0; /* inet: the port is bound at start only */
	if (faccessat(AT_FDCWD, dir, W_OK | X_OK, AT_EACCESS) == 0)
		return 0;
	buf_printf(errors, "Socket %s: its directory %s must exist and be "
		   "writable by %s: %s\n", cfg->socket, dir, who,
		   strerror(errno));
	return -1;
}

int
mf_check_start(const struct cfg *cfg, const struct mf_user *u,
	       struct buf *errors, struct buf *notes)
{
	struct mf_user_saved saved;
	char who[300];
	int rc = 0, switched;

	if ((switched = mf_user_check_as(u, &saved, who, sizeof(who), errors)) < 0)
		return -1;
	if (mf_check_socket_dir(cfg, who, errors) < 0)
		rc = -1;
	if (mf_check_store(cfg, errors, notes) < 0)
		rc = -1;
	if (mf_user_check_done(switched, &saved, errors) < 0)
		return -1;
	return rc;
}
