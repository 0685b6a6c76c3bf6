/*
 * test_store_lock.c - an open store keeps LMDB's shared lock on lock.mdb.
 * The lock is a POSIX record lock, dropped when the process closes any
 * descriptor of the file; a store that lost it lets the next process that
 * opens the store believe it is alone and reset the lock file (reader
 * table and writer mutex) under the running milter and follower: two
 * writers at once, crashes in pthread_mutex_unlock.
 */
#include "testlib.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../db/store.h"

/* Another process sees this one's shared lock on lock.mdb (LMDB takes
 * it in mdb_env_open; closing any descriptor of the file would drop it). */
static void
test_open_keeps_lock(void **state)
{
	struct db_store *s;
	char *dir = test_tmpdir(), path[1024], err[256];
	struct flock fl;
	pid_t pid;
	int st, fd;

	(void)state;
	assert_int_equal(db_open(dir, DB_OPEN_CREATE, &s, err, sizeof(err)),
			 DB_OK);
	snprintf(path, sizeof(path), "%s/lock.mdb", dir);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		fd = open(path, O_RDWR);
		memset(&fl, 0, sizeof(fl));
		fl.l_type = F_WRLCK;
		fl.l_whence = SEEK_SET;
		fl.l_start = 0;
		fl.l_len = 1;
		_exit(fd >= 0 && fcntl(fd, F_GETLK, &fl) == 0 &&
		      fl.l_type != F_UNLCK && fl.l_pid == getppid() ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	db_close(s);
	test_rmdir_r(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_keeps_lock),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
