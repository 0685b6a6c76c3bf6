/*
 * signals.c - signals of the daemon: SIGHUP reloads the configuration
 * (reload.c), SIGTERM and SIGINT stop the milter after draining it.
 *
 * libmilter's own signal thread would treat SIGHUP as "stop".  So
 * smfi_main() runs in a thread of its own (all its threads are created
 * with these signals blocked), while the main thread keeps them unblocked
 * with handlers: the kernel delivers a signal sent to the process to the
 * main thread whenever it accepts it, so libmilter never sees them.  The
 * handlers only write one byte to a pipe; the main thread reads the pipe
 * and does the work outside signal context.
 *
 * The drain: SIGTERM makes mf_conn_open() refuse every new connection
 * (callbacks.c then refuses it at negotiation, so libmilter closes it and
 * the MTA applies its milter_default_action, tempfail), and the main thread
 * waits until the last open connection closed or DrainTimeout seconds
 * passed; a second SIGTERM or SIGINT ends the wait at once.  Only then is
 * smfi_stop() called: Debian's libmilter runs sessions on a worker pool
 * whose manager stops serving every open session as soon as smfi_stop() is
 * called (they hang until the process exits), so it must not come first.
 * smfi_main() returns once the listener notices the stop (within its 5 s
 * check); the wait for that is bounded too.
 *
 * Owns: the self-pipe and the thread running smfi_main().  Logs the start
 * and the end of the drain, and how many connections it had to give up.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../common/log.h"
#include "mf.h"

static int mf_sig_pipe[2] = {-1, -1};
static int mf_smfi_result = MI_FAILURE;
static int mf_smfi_done; /* the main thread read 'X': smfi_main() returned */

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

/* Seconds on the monotonic clock. */
static double
mf_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Read one wake-up from the pipe, waiting at most ms; returns the byte or
 * 0 when none came.  Notes the end of smfi_main(). */
static char
mf_sig_next(int ms)
{
	struct pollfd pfd = {mf_sig_pipe[0], POLLIN, 0};
	char c;

	if (poll(&pfd, 1, ms) <= 0 || read(mf_sig_pipe[0], &c, 1) != 1)
		return 0;
	if (c == 'X')
		mf_smfi_done = 1;
	return c;
}

/* Wait until no connection is open, DrainTimeout passed, or a second stop
 * signal came.  Returns 1 when drained. */
static int
mf_drain(void)
{
	struct cfg *cfg = mf_cfg_acquire();
	long limit = cfg ? cfg->drain_timeout : 0, open, first;
	double deadline = mf_now() + (double)limit;
	char c;

	cfg_unref(cfg);
	first = mf_conn_drain();
	open = first;
	if (open > 0)
		log_info("stopping on signal: no new connections; waiting up "
			 "to %ld s (DrainTimeout) for %ld open connection%s to "
			 "finish", limit, open, open == 1 ? "" : "s");
	else
		log_info("stopping on signal: no connection open");
	for (;;) {
		open = mf_conn_drain();
		if (open == 0) {
			if (first > 0)
				log_info("stopping: every connection finished");
			smfi_stop();
			return 1;
		}
		if (mf_now() >= deadline)
			break;
		c = mf_sig_next(100);
		if (c == 'H')
			log_err("reload: not done, the milter is stopping");
		if (c == 'T') {
			log_info("stopping: second stop signal, not waiting");
			break;
		}
	}
	log_err("stopping: %ld connection%s still open after the drain; "
		"closing %s (the MTA tempfails the mail in progress)", open,
		open == 1 ? "" : "s", open == 1 ? "it" : "them");
	smfi_stop();
	return 0;
}

int
mf_run(const char *config_path, int *drained)
{
	struct sigaction sa;
	sigset_t set, old;
	pthread_t tid;
	ssize_t n;
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

	*drained = 1;
	for (;;) {
		n = read(mf_sig_pipe[0], &c, 1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || c == 'X') {
			mf_smfi_done = 1; /* smfi_main() ended on its own */
			break;
		}
		if (c == 'H') {
			mf_reload(config_path);
		} else if (c == 'T') {
			*drained = mf_drain();
			if (!*drained)
				return 1; /* sessions still run: do not join */
			break;
		}
	}
	/* libmilter notices smfi_stop() within MI_CHK_TIME (5 s) and then
	 * removes a unix socket; wait for that, boundedly. */
	for (n = 0; !mf_smfi_done && n < 70; n++)
		mf_sig_next(100);
	if (!mf_smfi_done) {
		log_err("stopping: libmilter's listener did not stop in time");
		*drained = mf_conn_drain() == 0;
		return *drained ? 0 : 1;
	}
	pthread_join(tid, NULL);
	if (mf_conn_drain() > 0) {
		*drained = 0;
		return 1;
	}
	return mf_smfi_result == MI_SUCCESS ? 0 : 1;
}
