/*
 * main.c - the consentgate daemon: options, configuration, socket,
 * privilege drop, and the libmilter main loop.
 *
 *   consentgate [-f] [-n] [-V] [-h] [-c FILE]
 *
 * -c FILE  configuration (default /etc/consentgate/consentgate.conf)
 * -f       stay in the foreground and log to stderr as well as syslog
 * -n       check that it would start (file, UserID, store read-only,
 *          socket directory: startcheck.c), print every problem, exit 0 or 1
 * -V       print the version and exit
 * -h, --help  usage on stdout, exit 0
 *
 * Owns: the process.  Startup errors are printed (and logged) and exit 1.
 *
 * SECURITY: the daemon refuses to run as root unless UserID names an
 * unprivileged user and group (uid 0 and gid 0 are refused, at -n too), and
 * checks that this user can read every file the config names.  The socket
 * is bound with UserID's effective ids (privs.c), so it is created 0660,
 * owned by UserID and its group, with no chown or chmod by path as root;
 * its directory must be writable by UserID.  Then groups, gid and uid are
 * dropped, in that order, and checked; only then is the store opened
 * (umask 077: store files 0600), so its files belong to UserID alone.  No
 * shell is ever run.  SIGTERM and SIGINT stop accepting connections and
 * let the open ones finish, for at most DrainTimeout seconds (signals.c);
 * the store is closed on the way out unless a connection is still open.
 * SIGHUP reloads the configuration (reload.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/log.h"
#include "mf.h"
#include "privs.h"
#include "startcheck.h"
#include "../gate/evwriter.h"
#include "../gate/spf.h"

#define MF_DEFAULT_CONFIG "/etc/consentgate/consentgate.conf"

static const struct option mf_longopts[] = {
	{"help", no_argument, NULL, 'h'},
	{"version", no_argument, NULL, 'V'},
	{NULL, 0, NULL, 0},
};

static void
mf_usage(FILE *out, int status)
{
	fprintf(out, "usage: consentgate [-f] [-n] [-V] [-h] [-c config]\n"
		"  -c FILE  configuration (default " MF_DEFAULT_CONFIG ")\n"
		"  -f       stay in the foreground, log to stderr as well\n"
		"  -n       check that it would start: the file, UserID, the "
		"store\n"
		"           (read-only) and the socket directory; exit 0 or 1\n"
		"  -V       print the version\n"
		"  -h, --help  this text\n"
		"see consentgate(8) and consentgate.conf(5)\n");
	exit(status);
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

/*
 * Bind the socket.  Run as root with UserID, the bind happens with
 * UserID's effective ids and a umask of 0117: a unix socket is born
 * 0660, owned by UserID and its group, in a directory UserID can write,
 * and root never touches the path (a chown there would follow whatever
 * UserID put in its place).
 */
static int
mf_open_socket(const struct cfg *cfg, const struct mf_user *u)
{
	struct mf_user_saved saved;
	char dir[4096];
	mode_t old;
	int rc, bad_dir = 0, sock_errno;

	if (smfi_register(mf_desc) != MI_SUCCESS) {
		log_err("smfi_register failed");
		return -1;
	}
	if (smfi_setconn((char *)cfg->socket) != MI_SUCCESS) {
		log_err("cannot use socket %s", cfg->socket);
		return -1;
	}
	if (u != NULL && mf_user_enter(u, &saved) < 0) {
		log_err("cannot act as UserID %s to open the socket: %s",
			u->name, strerror(errno));
		return -1;
	}
	if (mf_socket_dir(cfg->socket, dir, sizeof(dir)) == 0 &&
	    faccessat(AT_FDCWD, dir, W_OK | X_OK, AT_EACCESS) < 0)
		bad_dir = errno;
	old = umask(0117);
	errno = 0;
	rc = bad_dir ? MI_FAILURE : smfi_opensocket(1);
	sock_errno = errno;
	umask(old);
	if (u != NULL && mf_user_leave(&saved) < 0) {
		log_err("cannot become root again: %s", strerror(errno));
		return -1;
	}
	if (bad_dir) {
		log_err("cannot open socket %s: its directory %s must be "
			"writable by %s%s: %s", cfg->socket, dir,
			u ? "UserID " : "this user", u ? u->name : "",
			strerror(bad_dir));
		return -1;
	}
	if (rc != MI_SUCCESS) {
		log_err("cannot open socket %s: %s", cfg->socket, sock_errno ?
			strerror(sock_errno) : "unknown reason (see libmilter's "
			"message before this one)");
		return -1;
	}
	return 0;
}

/* Log (or, for -n, print) each line of a list of problems. */
static void
mf_report(const struct buf *lines, int check_only)
{
	const char *p = lines->data ? lines->data : "", *nl;

	for (; *p; p = nl + 1) {
		nl = strchr(p, '\n');
		if (nl == NULL)
			nl = p + strlen(p) - 1;
		if (check_only)
			fprintf(stderr, "%.*s\n", (int)(nl - p), p);
		else
			log_err("%.*s", (int)(nl - p), p);
	}
}

/*
 * UserID resolved (uid 0 and gid 0 refused) and every file the config
 * names checked for the user the daemon will run as.  *u is NULL when the
 * daemon does not switch users.  0 or -1 reported.
 */
static int
mf_check_user(const struct cfg *cfg, int check_only, struct mf_user *user,
	      const struct mf_user **u)
{
	struct buf errors = BUF_INIT;
	char err[512];
	int rc = 0;

	*u = NULL;
	if (cfg->user_id[0]) {
		if (mf_user_lookup(cfg->user_id, user, err, sizeof(err)) < 0) {
			buf_printf(&errors, "%s\n", err);
			rc = -1;
		} else {
			*u = user;
		}
	} else if (geteuid() == 0 && !check_only) {
		buf_puts(&errors, "refusing to run as root: set UserID to an "
			 "unprivileged user\n");
		rc = -1;
	}
	if (rc == 0 && mf_user_check_paths(cfg, *u, &errors) < 0)
		rc = -1;
	mf_report(&errors, check_only);
	buf_free(&errors);
	if (geteuid() != 0)
		*u = NULL; /* not root: runs as itself */
	return rc;
}

/* -n: the store and the socket directory, as the daemon would see them.
 * Notes and problems are printed; 0, or -1 when it would not start. */
static int
mf_check_would_start(const struct cfg *cfg, const struct mf_user *u)
{
	struct buf errors = BUF_INIT, notes = BUF_INIT;
	int rc = mf_check_start(cfg, u, &errors, &notes);

	if (notes.len)
		fputs(notes.data, stdout);
	mf_report(&errors, 1);
	buf_free(&errors);
	buf_free(&notes);
	return rc;
}

int
main(int argc, char **argv)
{
	const char *config = MF_DEFAULT_CONFIG;
	int foreground = 0, check_only = 0, ch;
	struct mf_user user;
	const struct mf_user *u;
	struct cfg *cfg;
	struct db_store *store = NULL;
	char err[512];
	int rc, drained;

	while ((ch = getopt_long(argc, argv, "c:fnVh", mf_longopts, NULL)) != -1) {
		switch (ch) {
		case 'c': config = optarg; break;
		case 'f': foreground = 1; break;
		case 'n': check_only = 1; break;
		case 'V':
			printf("consentgate %s\n", CG_VERSION);
			return 0;
		case 'h': mf_usage(stdout, 0); break;
		default: mf_usage(stderr, 2);
		}
	}
	if (optind != argc)
		mf_usage(stderr, 2);
	log_open("consentgate", !check_only, foreground || check_only);
	cfg = mf_load_config(config, check_only);
	if (cfg == NULL)
		return 1;
	log_set_json(cfg->log_format == CFG_LOG_JSON);
	if (mf_check_user(cfg, check_only, &user, &u) < 0) {
		cfg_unref(cfg);
		return 1;
	}
	if (check_only) {
		if (mf_check_would_start(cfg, u) < 0) {
			cfg_unref(cfg);
			return 1;
		}
		printf("%s: configuration OK\n", config);
		cfg_unref(cfg);
		return 0;
	}
	if (mf_open_socket(cfg, u) < 0)
		return 1;
	/* Whatever the daemon creates from here on is its own alone. */
	umask(0077);
	if (mf_user_store_dir(cfg->consent_db, u) < 0)
		return 1;
	if (u != NULL && mf_user_drop(u) < 0)
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
	if (db_subject_keys_load(store, cfg->evidence_subject_key_file, err,
				 sizeof(err)) != DB_OK) {
		log_err("%s", err);
		return 1;
	}
	pol_init();
	if (gate_spf_init() < 0) {
		log_err("cannot initialise libspf2");
		return 1;
	}
	if (mf_runtime_init(cfg, store) < 0) {
		log_err("out of memory");
		return 1;
	}
	if (gate_evwriter_start() < 0) {
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
	gate_evwriter_stop();
	mf_runtime_shutdown();
	gate_spf_shutdown();
	pol_shutdown();
	log_close();
	return rc;
store_failed:
	log_err("cannot open consent store %s: %s", cfg->consent_db, err);
	return 1;
}
