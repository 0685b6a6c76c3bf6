/*
 * log.c - syslog and stderr logging for the daemon and consentctl.
 *
 * Owns: nothing but three flags set once at start.  syslog(3) is only called
 * here.  Logging never fails visibly: a line that cannot be written is lost,
 * the caller goes on.  Under systemd, whose journal reads syslog too, a
 * standard error that is the journal's stream (JOURNAL_STREAM names its
 * device and inode) gets no copy, so each line is logged once.
 */
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <syslog.h>

static int log_to_syslog;
static int log_to_stderr = 1;
static int log_debug_on;
static const char *log_ident = "consentgate";

/* Standard error is the systemd journal's stream ("DEV:INO"). */
static int
log_stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (js == NULL || sscanf(js, "%llu:%llu", &dev, &ino) != 2 ||
	    fstat(2, &st) < 0)
		return 0;
	return (unsigned long long)st.st_dev == dev &&
	       (unsigned long long)st.st_ino == ino;
}

void
log_open(const char *ident, int to_syslog, int to_stderr)
{
	if (to_syslog && to_stderr && log_stderr_is_journal())
		to_stderr = 0;
	log_ident = ident;
	log_to_syslog = to_syslog;
	log_to_stderr = to_stderr;
	if (to_syslog)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_MAIL);
}

void
log_set_debug(int on)
{
	log_debug_on = on;
}

void
log_close(void)
{
	if (log_to_syslog)
		closelog();
	log_to_syslog = 0;
}

static void
log_emit(int prio, const char *tag, const char *fmt, va_list ap)
{
	va_list copy;

	if (log_to_syslog) {
		va_copy(copy, ap);
		vsyslog(prio, fmt, copy);
		va_end(copy);
	}
	if (log_to_stderr) {
		flockfile(stderr);
		fprintf(stderr, "%s: %s", log_ident, tag);
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
		funlockfile(stderr);
	}
}

#define LOG_BODY(prio, tag)                                                    \
	va_list ap;                                                            \
	va_start(ap, fmt);                                                     \
	log_emit(prio, tag, fmt, ap);                                          \
	va_end(ap)

void
log_debug(const char *fmt, ...)
{
	if (!log_debug_on)
		return;
	LOG_BODY(LOG_DEBUG, "debug: ");
}

void
log_info(const char *fmt, ...)
{
	LOG_BODY(LOG_INFO, "");
}

void
log_warn(const char *fmt, ...)
{
	LOG_BODY(LOG_WARNING, "warning: ");
}

void
log_err(const char *fmt, ...)
{
	LOG_BODY(LOG_ERR, "error: ");
}
