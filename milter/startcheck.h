/*
 * startcheck.h - the start-up checks of `consentgate -n` beyond the file
 * (startcheck.c): store, socket directory.
 */
#ifndef CG_STARTCHECK_H
#define CG_STARTCHECK_H

#include <stddef.h>

#include "../common/buf.h"
#include "../gate/config.h"
#include "privs.h"

/* The directory of a unix socket, into dir (dirsz bytes); 0, or -1 for
 * an inet socket. */
int mf_socket_dir(const char *socket, char *dir, size_t dirsz);

/*
 * As UserID u (NULL: this process): the store opens read-only (a missing
 * one is only a note: it is created at start) and a unix socket's
 * directory is writable.  Problems go to errors, notes to notes, one line
 * each.  0 when the daemon would start, -1 otherwise.
 */
int mf_check_start(const struct cfg *cfg, const struct mf_user *u,
		   struct buf *errors, struct buf *notes);

#endif
