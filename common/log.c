/*
 * log.c - syslog and stderr logging for the daemon and consentctl.
 *
 * Owns: nothing but three flags set once at start.  syslog(3) is only called
 * here.  Logging never fails visibly: a line that cannot be written is lost,
 * the caller goes on.  Under systemd, whose journal reads syslog too, a
 * standard error that is the journal's stream (JOURNAL_STREAM names its
 * device and inode) gets no copy, so each line is logged once.
 *
 * LogFormat json (log_set_json) turns every line into one JSON object on
 * one line, built in a heap buffer; when that allocation fails the line
 * goes out as text rather than not at all.
 */
#include "log.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "json.h"

#define LOG_LINE_MAX 4096 /* longest message text kept in a JSON line */

static atomic_int log_json;
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
log_set_json(int on)
{
	atomic_store(&log_json, on != 0);
}

/* The evidence reference a line names ("ref=XXXX"), into ref. */
static void
log_find_ref(const char *msg, char *ref, size_t refsz)
{
	const char *p = msg;
	size_t n = 0;

	ref[0] = '\0';
	while ((p = strstr(p, "ref=")) != NULL) {
		if (p == msg || p[-1] == ' ' || p[-1] == '(')
			break;
		p += 4;
	}
	if (p == NULL)
		return;
	p += 4;
	while (n + 1 < refsz && (p[n] == '-' || (p[n] >= '0' && p[n] <= '9') ||
				 (p[n] >= 'a' && p[n] <= 'z') ||
				 (p[n] >= 'A' && p[n] <= 'Z')))
		n++;
	memcpy(ref, p, n);
	ref[n] = '\0';
}

/* One JSON object for the message msg into b.  0, or -1 (no memory). */
static int
log_json_line(struct buf *b, const char *level, const char *msg)
{
	struct timeval tv;
	struct tm tm;
	char when[40], ref[64];

	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	log_find_ref(msg, ref, sizeof(ref));
	if (buf_printf(b, "{\"time\":\"%s.%03ldZ\",\"level\":\"%s\","
		       "\"program\":", when, (long)(tv.tv_usec / 1000),
		       level) < 0 ||
	    json_put_string(b, log_ident) < 0 ||
	    buf_printf(b, ",\"pid\":%ld,\"msg\":", (long)getpid()) < 0 ||
	    json_put_string(b, msg) < 0)
		return -1;
	if (ref[0] && (buf_puts(b, ",\"ref\":") < 0 ||
		       json_put_string(b, ref) < 0))
		return -1;
	return buf_putc(b, '}');
}

/* Write one JSON line; -1 when it could not be built (then nothing was
 * written and the caller writes text). */
static int
log_emit_json(int prio, const char *level, const char *fmt, va_list ap)
{
	char msg[LOG_LINE_MAX];
	struct buf b = BUF_INIT;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (log_json_line(&b, level, msg) < 0) {
		buf_free(&b);
		return -1;
	}
	if (log_to_syslog)
		syslog(prio, "%s", b.data);
	if (log_to_stderr) {
		flockfile(stderr);
		fputs(b.data, stderr);
		fputc('\n', stderr);
		funlockfile(stderr);
	}
	buf_free(&b);
	return 0;
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

	if (atomic_load(&log_json)) {
		va_copy(copy, ap);
		if (log_emit_json(prio, prio == LOG_ERR ? "error" :
				  prio == LOG_WARNING ? "warning" :
				  prio == LOG_DEBUG ? "debug" : "info",
				  fmt, copy) == 0) {
			va_end(copy);
			return;
		}
		va_end(copy);
	}

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
