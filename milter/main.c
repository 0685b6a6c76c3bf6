/*
 * main.c - the consentgate daemon: options, configuration, socket,
 * privilege drop, and the libmilter main loop.
 *
 *   consentgate [-f] [-n] [-V] [-c FILE]
 *
 * -c FILE  configuration (default /etc/consentgate/consentgate.conf)
 * -f       stay in the foreground and log to stderr as well as syslog
 * -n       check the configuration, print every problem, exit 0 or 1
 * -V       print the version and exit
 *
 * Owns: the process.  Startup errors are printed (and logged) and exit 1.
 *
 * SECURITY: the daemon refuses to run as root unless UserID names an
 * unprivileged user to switch to.  The socket is opened first (it may live
 * in a root-owned directory), made 0660 and handed to that user; then
 * groups, gid and uid are dropped, in that order, and checked; only then is
 * the store opened, so its files belong to the unprivileged user.  No
 * shell is ever run.  SIGTERM and SIGINT stop accepting connections and
 * let the open ones finish, for at most DrainTimeout seconds (signals.c);
 * the store is closed on the way out unless a connection is still open.
 * SIGHUP reloads the configuration (reload.c).
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/log.h"
#include "mf.h"
#include "spf.h"

#define MF_DEFAULT_CONFIG "/etc/consentgate/consentgate.conf"

static void
mf_usage(void)
{
	fprintf(stderr, "usage: consentgate [-f] [-n] [-V] [-c config]\n");
	exit(2);
}

/* Look up UserID ("user" or "user:group"). */
static int
mf_lookup_user(const char *spec, uid_t *uid, gid_t *gid, char *name,
	       size_t namesz)
{
	char user[256];
	const char *colon = strchr(spec, ':');
	struct passwd *pw;
	struct group *gr;

	snprintf(user, sizeof(user), "%.*s",
		 colon ? (int)(colon - spec) : (int)strlen(spec), spec);
	pw = getpwnam(user);
	if (pw == NULL) {
		log_err("UserID: unknown user '%s'", user);
		return -1;
	}
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	snprintf(name, namesz, "%s", pw->pw_name);
	if (colon) {
		gr = getgrnam(colon + 1);
		if (gr == NULL) {
			log_err("UserID: unknown group '%s'", colon + 1);
			return -1;
		}
		*gid = gr->gr_gid;
	}
	return 0;
}

static int
mf_drop_privileges(const char *name, uid_t uid, gid_t gid)
{
	if (initgroups(name, gid) < 0 || setgid(gid) < 0 || setuid(uid) < 0) {
		log_err("cannot switch to user %s: %s", name, strerror(errno));
		return -1;
	}
	if (setuid(0) == 0 || getuid() != uid || geteuid() != uid) {
		log_err("privilege drop to %s did not stick", name);
		return -1;
	}
	return 0;
}

/* A missing store directory is created (as root, for UserID) so that a
 * fresh install starts with an empty store: every marketing recipient is
 * then refused until consent is imported, the safe direction. */
static int
mf_prepare_store_dir(const char *dir, int have_user, uid_t uid, gid_t gid)
{
	if (access(dir, F_OK) == 0 || errno != ENOENT)
		return 0;
	if (mkdir(dir, 0750) < 0) {
		log_err("cannot create the consent store directory %s: %s", dir,
			strerror(errno));
		return -1;
	}
	if (have_user && chown(dir, uid, gid) < 0) {
		log_err("cannot hand %s to UserID: %s", dir, strerror(errno));
		return -1;
	}
	log_info("created an empty consent store in %s", dir);
	return 0;
}

static struct cfg *
mf_load_config(const char *path, int check_only)
{
	struct buf errors = BUF_INIT;
	struct cfg *cfg;

	cfg = cfg_load(path, &errors);
	if (cfg == NULL) {
		fprintf(stderr, "%s", errors.data ? errors.data
						  : "cannot load configuration\n");
		if (!check_only)
			log_err("configuration %s is invalid", path);
	}
	buf_free(&errors);
	return cfg;
}

/* Open the socket, give it to the user, drop privileges. */
static int
mf_open_socket(const struct cfg *cfg, int have_user, uid_t uid, gid_t gid)
{
	const char *path = NULL;
	mode_t old;

	if (smfi_register(mf_desc) != MI_SUCCESS) {
		log_err("smfi_register failed");
		return -1;
	}
	if (smfi_setconn((char *)cfg->socket) != MI_SUCCESS) {
		log_err("cannot use socket %s", cfg->socket);
		return -1;
	}
	old = umask(0117);
	if (smfi_opensocket(1) != MI_SUCCESS) {
		umask(old);
		log_err("cannot open socket %s", cfg->socket);
		return -1;
	}
	umask(old);
	if (strncmp(cfg->socket, "unix:", 5) == 0)
		path = cfg->socket + 5;
	else if (strncmp(cfg->socket, "local:", 6) == 0)
		path = cfg->socket + 6;
	if (path && have_user && chown(path, uid, gid) < 0) {
		log_err("cannot hand socket %s to UserID: %s", path,
			strerror(errno));
		return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	const char *config = MF_DEFAULT_CONFIG;
	int foreground = 0, check_only = 0, ch, have_user = 0;
	char uname[256] = "";
	uid_t uid = 0;
	gid_t gid = 0;
	struct cfg *cfg;
	struct db_store *store = NULL;
	char err[512];
	int rc, drained;

	while ((ch = getopt(argc, argv, "c:fnV")) != -1) {
		switch (ch) {
		case 'c': config = optarg; break;
		case 'f': foreground = 1; break;
		case 'n': check_only = 1; break;
		case 'V':
			printf("consentgate %s\n", CG_VERSION);
			return 0;
		default: mf_usage();
		}
	}
	if (optind != argc)
		mf_usage();
	log_open("consentgate", !check_only, foreground || check_only);
	cfg = mf_load_config(config, check_only);
	if (cfg == NULL)
		return 1;
	if (check_only) {
		printf("%s: configuration OK\n", config);
		cfg_unref(cfg);
		return 0;
	}
	if (cfg->user_id[0]) {
		if (mf_lookup_user(cfg->user_id, &uid, &gid, uname,
				   sizeof(uname)) < 0)
			return 1;
		have_user = geteuid() == 0;
	} else if (geteuid() == 0) {
		log_err("refusing to run as root: set UserID to an unprivileged "
			"user");
		return 1;
	}
	if (mf_open_socket(cfg, have_user, uid, gid) < 0)
		return 1;
	if (mf_prepare_store_dir(cfg->consent_db, have_user, uid, gid) < 0)
		return 1;
	if (have_user && mf_drop_privileges(uname, uid, gid) < 0)
		return 1;
	/* LMDB must not be used across fork(): detach first, then open.  A
	 * trial open before detaching reports a broken store on the
	 * terminal instead of only in syslog. */
	if (!foreground) {
		rc = db_open(cfg->consent_db, DB_OPEN_CREATE, &store, err, sizeof(err));
		if (rc < 0)
			goto store_failed;
		db_close(store);
		store = NULL;
		if (daemon(0, 0) < 0) {
			log_err("cannot detach: %s", strerror(errno));
			return 1;
		}
	}
	rc = db_open(cfg->consent_db, DB_OPEN_CREATE, &store, err, sizeof(err));
	if (rc < 0)
		goto store_failed;
	pol_init();
	if (mf_spf_init() < 0) {
		log_err("cannot initialise libspf2");
		return 1;
	}
	if (mf_runtime_init(cfg, store) < 0) {
		log_err("out of memory");
		return 1;
	}
	if (mf_evwriter_start() < 0) {
		log_err("cannot start the evidence writer");
		return 1;
	}
	log_info("consentgate %s starting on %s (mode %s)", CG_VERSION,
		 cfg->socket, cfg->mode == CFG_MODE_MONITOR ? "monitor" : "enforce");
	rc = mf_run(config, &drained);
	if (!drained) {
		/* Sessions still run on their threads: closing the store
		 * under them could crash; LMDB needs no close to stay
		 * consistent, and an uncommitted transaction is discarded. */
		log_info("consentgate stopped (exit %d)", rc);
		log_close();
		_exit(rc);
	}
	log_info("consentgate stopping");
	mf_evwriter_stop();
	mf_runtime_shutdown();
	mf_spf_shutdown();
	pol_shutdown();
	log_close();
	return rc;
store_failed:
	log_err("cannot open consent store %s: %s", cfg->consent_db, err);
	return 1;
}
