/*
 * privs.c - the daemon's user (UserID): look it up, act as it for a moment
 * while still root, check what it can read, create its store directory,
 * and drop to it for good (privs.h).
 *
 * Owns: the saved group list of mf_user_enter until mf_user_leave.  The
 * process is single-threaded whenever these run (before libmilter starts).
 *
 * SECURITY: root never follows or changes by path anything UserID
 * controls.  The unix socket is bound with UserID's effective ids (see
 * main.c), so it is born with the right owner and no chown by path is
 * needed; a new store directory is handed over through its descriptor,
 * opened with O_NOFOLLOW.  uid 0 and gid 0 are refused as UserID.
 * Failures are returned (lookup, checks) or logged (store directory, drop).
 */
#include "privs.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/log.h"

int
mf_user_lookup(const char *spec, struct mf_user *u, char *err, size_t errsz)
{
	const char *colon = strchr(spec, ':');
	struct passwd *pw;
	struct group *gr;
	char user[256];

	snprintf(user, sizeof(user), "%.*s",
		 colon ? (int)(colon - spec) : (int)strlen(spec), spec);
	if ((pw = getpwnam(user)) == NULL) {
		snprintf(err, errsz, "UserID: unknown user '%s'", user);
		return -1;
	}
	u->uid = pw->pw_uid;
	u->gid = pw->pw_gid;
	snprintf(u->name, sizeof(u->name), "%s", pw->pw_name);
	if (colon) {
		if ((gr = getgrnam(colon + 1)) == NULL) {
			snprintf(err, errsz, "UserID: unknown group '%s'",
				 colon + 1);
			return -1;
		}
		u->gid = gr->gr_gid;
	}
	if (u->uid == 0) {
		snprintf(err, errsz, "UserID %s: user '%s' has uid 0 (root); "
			 "name an unprivileged user", spec, user);
		return -1;
	}
	if (u->gid == 0) {
		snprintf(err, errsz, "UserID %s: the group has gid 0 (root's "
			 "group); name an unprivileged group", spec);
		return -1;
	}
	return 0;
}

int
mf_user_enter(const struct mf_user *u, struct mf_user_saved *saved)
{
	int n;

	saved->euid = geteuid();
	saved->egid = getegid();
	saved->groups = NULL;
	saved->ngroups = 0;
	if ((n = getgroups(0, NULL)) < 0)
		return -1;
	saved->groups = calloc((size_t)n + 1, sizeof(gid_t));
	if (saved->groups == NULL)
		return -1;
	if ((saved->ngroups = getgroups(n, saved->groups)) < 0) {
		saved->ngroups = 0;
		return -1;
	}
	if (initgroups(u->name, u->gid) < 0 || setegid(u->gid) < 0 ||
	    seteuid(u->uid) < 0) {
		n = errno;
		mf_user_leave(saved);
		errno = n;
		return -1;
	}
	return 0;
}

int
mf_user_leave(struct mf_user_saved *saved)
{
	int rc = 0;

	if (seteuid(saved->euid) < 0 || setegid(saved->egid) < 0 ||
	    setgroups((size_t)saved->ngroups, saved->groups) < 0)
		rc = -1;
	free(saved->groups);
	saved->groups = NULL;
	return rc;
}

/* Check one path with the current effective ids; a line on failure. */
static int
mf_user_check_path(const char *key, const char *path, const char *who,
		   struct buf *errors)
{
	struct stat st;
	int mode = R_OK;

	if (stat(path, &st) < 0 && errno == ENOENT)
		return 0;
	/* The store is written; any other directory (ProfileDirectory) is
	 * only read, also on a reload after the switch to UserID. */
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		mode = strcmp(key, "ConsentDB") == 0 ? R_OK | W_OK | X_OK
						     : R_OK | X_OK;
	if (faccessat(AT_FDCWD, path, mode, AT_EACCESS) == 0)
		return 0;
	buf_printf(errors, "%s %s: not %s by %s: %s\n", key, path,
		   mode == R_OK ? "readable" : mode & W_OK ?
		   "readable, writable and searchable" : "readable and searchable",
		   who, strerror(errno));
	return -1;
}

int
mf_user_check_as(const struct mf_user *u, struct mf_user_saved *saved,
		 char *who, size_t whosz, struct buf *errors)
{
	if (u == NULL || geteuid() != 0) {
		snprintf(who, whosz, "uid %ld", (long)geteuid());
		return 0;
	}
	if (mf_user_enter(u, saved) < 0) {
		buf_printf(errors, "UserID: cannot act as %s: %s\n", u->name,
			   strerror(errno));
		return -1;
	}
	snprintf(who, whosz, "UserID %s", u->name);
	return 1;
}

int
mf_user_check_done(int switched, struct mf_user_saved *saved,
		   struct buf *errors)
{
	if (switched && mf_user_leave(saved) < 0) {
		buf_printf(errors, "cannot become root again: %s\n",
			   strerror(errno));
		return -1;
	}
	return 0;
}

int
mf_user_check_paths(const struct cfg *cfg, const struct mf_user *u,
		    struct buf *errors)
{
	struct mf_user_saved saved;
	const struct cfg_key *keys;
	const char *path;
	char who[300];
	size_t i, n;
	int rc = 0, switched;

	if ((switched = mf_user_check_as(u, &saved, who, sizeof(who), errors)) < 0)
		return -1;
	keys = cfg_keys(&n);
	for (i = 0; i < n; i++) {
		if (keys[i].type != CFG_T_PATH)
			continue;
		path = *(char *const *)((const char *)cfg + keys[i].offset);
		if (path == NULL || *path == '\0')
			continue;
		if (mf_user_check_path(keys[i].name, path, who, errors) < 0)
			rc = -1;
	}
	/* A reload reads every profile again as UserID. */
	for (i = 0; i < cfg->nprofiles; i++)
		if (mf_user_check_path("ProfileDirectory", cfg->profiles[i]->path,
				       who, errors) < 0)
			rc = -1;
	if (mf_user_check_done(switched, &saved, errors) < 0)
		return -1;
	return rc;
}

int
mf_user_store_dir(const char *dir, const struct mf_user *u)
{
	int fd;

	if (access(dir, F_OK) == 0 || errno != ENOENT)
		return 0;
	if (mkdir(dir, 0700) < 0) {
		log_err("cannot create the consent store directory %s: %s", dir,
			strerror(errno));
		return -1;
	}
	if (u != NULL && geteuid() == 0) {
		fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 || fchown(fd, u->uid, u->gid) < 0) {
			log_err("cannot hand %s to UserID: %s", dir,
				strerror(errno));
			if (fd >= 0)
				close(fd);
			return -1;
		}
		close(fd);
	}
	log_info("created an empty consent store in %s", dir);
	return 0;
}

int
mf_user_drop(const struct mf_user *u)
{
	if (initgroups(u->name, u->gid) < 0 || setgid(u->gid) < 0 ||
	    setuid(u->uid) < 0) {
		log_err("cannot switch to user %s: %s", u->name,
			strerror(errno));
		return -1;
	}
	if (setuid(0) == 0 || seteuid(0) == 0 || getuid() != u->uid ||
	    geteuid() != u->uid || getgid() != u->gid || getegid() != u->gid) {
		log_err("privilege drop to %s did not stick", u->name);
		return -1;
	}
	return 0;
}
