/*
 * logread.h - what `consentctl ingest-log` needs to read web server logs:
 * a line reader that takes plain or gzip-compressed files (ctl/logread.c)
 * and the list of link-scanner user agents whose requests are no click.
 */
#ifndef CG_LOGREAD_H
#define CG_LOGREAD_H

#include <glib.h>
#include <stddef.h>

struct ctl_logfile;

/*
 * Open name ("-" is standard input) for reading lines.  Whether it is
 * gzip-compressed is told by its first bytes, not its name.  Returns a
 * handle the caller closes with ctl_logfile_close, or NULL with the reason
 * in err (errsz bytes).
 */
struct ctl_logfile *ctl_logfile_open(const char *name, char *err,
				     size_t errsz);
/*
 * The next line into line (replaced; without its "\n").  Returns 1 for a
 * line, 0 at the end, -1 on a read or decompression error (err says why).
 */
int ctl_logfile_line(struct ctl_logfile *lf, GString *line, char *err,
		     size_t errsz);
/* Close (standard input stays open) and free lf; NULL is ignored. */
void ctl_logfile_close(struct ctl_logfile *lf);

/* The user-agent substrings of link scanners, matched case-insensitively:
 * the shipped list (ctl/scanner-agents.txt) plus the admin's files. */
struct ctl_agents;

/* The shipped list.  NULL only when memory ran out. */
struct ctl_agents *ctl_agents_new(void);
/* Add the entries of file path (one per line, '#' comments, blank lines
 * skipped).  0, or -1 with the reason in err. */
int ctl_agents_add_file(struct ctl_agents *a, const char *path, char *err,
			size_t errsz);
/* The entry that agent contains, or NULL (an empty agent or "-": NULL). */
const char *ctl_agents_match(const struct ctl_agents *a, const char *agent);
void ctl_agents_free(struct ctl_agents *a);

#endif
