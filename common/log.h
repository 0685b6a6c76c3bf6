/*
 * log.h - the one logging module of consentgate.
 *
 * Every message the daemon or consentctl prints about its own operation goes
 * through these functions.  They write to syslog (facility mail) and, when
 * stderr logging is on, to stderr as well.  Per-message lines start with the
 * queue id or the evidence reference; that is the caller's job.
 */
#ifndef CG_LOG_H
#define CG_LOG_H

#include <stdarg.h>

/* Open the log.  ident is borrowed for the life of the process. */
void log_open(const char *ident, int to_syslog, int to_stderr);
/* Raise or lower verbosity: 0 normal, 1 debug. */
void log_set_debug(int on);
/*
 * 1: every line, to syslog and stderr alike, is one JSON object
 * {"time","level","program","pid","msg"[,"ref"]} (LogFormat json; "ref" is
 * the evidence reference a per-message line names); 0: plain text.  May be
 * called at any time (a reload); lines already being written keep the old
 * format.
 */
void log_set_json(int on);
void log_close(void);

void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
