/*
 * privs.h - the daemon's user (UserID): look it up, act as it for a
 * moment while still root, check that it can read what the config names,
 * and drop to it for good.  Used by main.c only (and the unit tests).
 */
#ifndef CG_PRIVS_H
#define CG_PRIVS_H

#include <sys/types.h>

#include "../common/buf.h"
#include "../gate/config.h"

struct mf_user {
	char name[256];
	uid_t uid;
	gid_t gid; /* the group of "user:group", else the user's own */
};

/* What mf_user_enter changed, for mf_user_leave (owns groups). */
struct mf_user_saved {
	uid_t euid;
	gid_t egid;
	gid_t *groups;
	int ngroups;
};

/*
 * Resolve UserID ("user" or "user:group") into u.  Refuses an unknown
 * user or group and a uid or gid of 0 (root's powers under another name).
 * 0, or -1 with the reason in err.
 */
int mf_user_lookup(const char *spec, struct mf_user *u, char *err,
		   size_t errsz);

/*
 * As root, take u's supplementary groups, effective gid and effective uid
 * (the real uid stays 0), so that what happens next (binding the socket,
 * access checks) is done with u's rights and files are created as u.
 * mf_user_leave restores root's; both 0 or -1 (errno set).  The caller
 * must be single-threaded.
 */
int mf_user_enter(const struct mf_user *u, struct mf_user_saved *saved);
int mf_user_leave(struct mf_user_saved *saved);
/*
 * For a check run as the daemon will run: when root and u is given, act as
 * u (mf_user_enter) and name it "UserID NAME" in who; otherwise name the
 * current uid.  1 switched (undo with mf_user_check_done), 0 not, -1 could
 * not switch (reported to errors).
 */
int mf_user_check_as(const struct mf_user *u, struct mf_user_saved *saved,
		     char *who, size_t whosz, struct buf *errors);
/* Undo mf_user_check_as when it switched; 0, or -1 reported to errors. */
int mf_user_check_done(int switched, struct mf_user_saved *saved,
		       struct buf *errors);

/*
 * Check that u (when running as root; otherwise this process) can use
 * every file the config names (keys of type path): read a file, read,
 * write and enter a directory.  A missing path is left to the code that
 * uses it.  Each problem is appended to errors as one line naming the
 * key, the path and the user.  0 when all pass, -1 otherwise.
 */
int mf_user_check_paths(const struct cfg *cfg, const struct mf_user *u,
			struct buf *errors);

/*
 * Create a missing store directory (0700) and, run as root with u, give
 * it to u through its descriptor.  0 (also when it exists) or -1 logged.
 */
int mf_user_store_dir(const char *dir, const struct mf_user *u);

/* Drop groups, gid and uid to u for good and check it stuck; -1 logged. */
int mf_user_drop(const struct mf_user *u);

#endif
