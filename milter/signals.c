/*
 * signals.c - signals of the daemon: SIGHUP reloads the configuration,
 * SIGTERM and SIGINT stop the milter cleanly.
 *
 * libmilter's own signal thread would treat SIGHUP as "stop".  So
 * smfi_main() runs in a thread of its own (all its threads are created
 * with these signals blocked), while the main thread keeps them unblocked
 * with handlers: the kernel delivers a signal sent to the process to the
 * main thread whenever it accepts it, so libmilter never sees them.  The
 * handlers only write one byte to a pipe; the main thread reads the pipe
 * and does the work outside signal context.
 *
 * Owns: the self-pipe and the thread running smfi_main().  A reload builds
 * a new snapshot with cfg_load(); when that fails, the errors are logged and
 * the old configuration stays in force.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "../common/log.h"
#include "mf.h"

static int mf_sig_pipe[2] = {-1, -1};
static int mf_smfi_result = MI_FAILURE;

static void
mf_sig_handler(int sig)
{
	char c = sig == SIGHUP ? 'H' : 'T';
	int saved = errno;

	if (write(mf_sig_pipe[1], &c, 1) < 0) {
		/* The pipe is full: a wake-up is already pending. */
	}
	errno = saved;
}

static void *
mf_smfi_thread(void *arg)
{
	char c = 'X';

	(void)arg;
	mf_smfi_result = smfi_main();
	if (write(mf_sig_pipe[1], &c, 1) < 0) {
		/* Nothing to do: the main thread then waits forever. */
	}
	return NULL;
}

static void
mf_reload(const char *path)
{
	struct buf errors = BUF_INIT;
	struct cfg *fresh;
	char *line, *save = NULL;

	fresh = cfg_load(path, &errors);
	if (fresh == NULL) {
		for (line = strtok_r(errors.data ? errors.data : "", "\n", &save);
		     line; line = strtok_r(NULL, "\n", &save))
			log_err("reload: %s", line);
		log_err("reload: %s has errors; the previous configuration "
			"stays in force", path);
		buf_free(&errors);
		return;
	}
	buf_free(&errors);
	mf_cfg_swap(fresh);
	log_info("reload: configuration %s loaded (mode %s)", path,
		 fresh->mode == CFG_MODE_MONITOR ? "monitor" : "enforce");
}

int
mf_run(const char *config_path)
{
	struct sigaction sa;
	sigset_t set, old;
	pthread_t tid;
	int stopping = 0;
	char c;

	if (pipe2(mf_sig_pipe, O_CLOEXEC | O_NONBLOCK) < 0) {
		log_err("cannot create the signal pipe: %s", strerror(errno));
		return 1;
	}
	fcntl(mf_sig_pipe[0], F_SETFL, 0); /* the reading end blocks */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = mf_sig_handler;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);

	/* The milter's threads inherit a mask with these blocked. */
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, &old);
	if (pthread_create(&tid, NULL, mf_smfi_thread, NULL) != 0) {
		log_err("cannot start the milter thread");
		return 1;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);

	for (;;) {
		ssize_t n = read(mf_sig_pipe[0], &c, 1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || c == 'X')
			break;
		if (c == 'H' && !stopping) {
			mf_reload(config_path);
		} else if (c == 'T' && !stopping) {
			log_info("stopping on signal; finishing open connections");
			stopping = 1;
			smfi_stop();
		}
	}
	pthread_join(tid, NULL);
	return mf_smfi_result == MI_SUCCESS ? 0 : 1;
}
