/*
 * watch.c - wake consentctl follow when any process commits to the store,
 * so that a local change is pushed to the centre at once instead of at the
 * next poll.  The milter and consentctl write the outbox in their own
 * processes; none of them has to do anything for it.
 *
 * How: inotify IN_MODIFY on the store's data.mdb.  The store is opened
 * without MDB_WRITEMAP, so LMDB writes every commit's pages and, last, its
 * meta page with write(2) to that file; each write queues an event after
 * it completed, and the one of the meta page comes when the commit is
 * nearly visible to a new read transaction: LMDB publishes the new
 * transaction id in lock.mdb (shared memory, no event) just after that
 * write.  The caller therefore drains the events, reads
 * (db_replica_status), and after an event reads again a few milliseconds
 * later; a commit that lands after a read leaves an event behind.  The
 * follower's own commits wake it too, which costs a few read transactions.
 *
 * Owns: the inotify descriptor it returns (db_watch_close).  Fails by
 * returning a negative DB_* code (no inotify, no file); the caller then
 * polls as before.  Never logs.
 */
#include "store_int.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "replica.h"

int
db_watch_open(struct db_store *s)
{
	char file[PATH_MAX];
	const char *dir = NULL;
	int fd;

	if (mdb_env_get_path(s->core.env, &dir) != 0 || dir == NULL)
		return DB_ERR_IO;
	if ((size_t)snprintf(file, sizeof(file), "%s/data.mdb", dir) >=
	    sizeof(file))
		return DB_ERR_IO;
	if ((fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) < 0)
		return DB_ERR_IO;
	if (inotify_add_watch(fd, file, IN_MODIFY) < 0) {
		close(fd);
		return DB_ERR_IO;
	}
	return fd;
}

int
db_watch_drain(int fd)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t n;
	int got = 0;

	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n > 0) {
			got = 1;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return got;
		return DB_ERR_IO;
	}
}

void
db_watch_close(int fd)
{
	if (fd >= 0)
		close(fd);
}
