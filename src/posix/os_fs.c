/*
 * os_fs.c (POSIX) - os_fs.h on Linux and the other POSIX systems: each
 * call is the system call it is named after.
 */
#ifdef __linux__
#define _GNU_SOURCE		/* sync_file_range */
#endif
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "os_fs.h"

int
os_dir_open(const char *path)
{
	return open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

int
os_dir_openat(int dfd, const char *name)
{
	return openat(dfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

void
os_dir_close(int dfd)
{
	if (dfd >= 0)
		close(dfd);
}

DIR *
os_dir_list(int dfd)
{
	DIR *d;
	int fd;

	/* fdopendir takes the descriptor: give it a copy. */
	if ((fd = dup(dfd)) == -1)
		return NULL;
	if ((d = fdopendir(fd)) == NULL) {
		int saved = errno;

		close(fd);
		errno = saved;
		return NULL;
	}
	rewinddir(d);	/* the copy shares the original's offset */
	return d;
}

int
os_dir_sync(int dfd)
{
	return fsync(dfd);
}

int
os_mkdir(const char *path, mode_t mode)
{
	return mkdir(path, mode);
}

int
os_mkdirat(int dfd, const char *name, mode_t mode)
{
	return mkdirat(dfd, name, mode);
}

int
os_open(const char *path, int flags, mode_t mode)
{
	/* openat: musl's open() follows O_CLOEXEC with an fcntl() for
	 * kernels older than 2.6.23; its openat() does not. */
	return openat(AT_FDCWD, path, flags | O_CLOEXEC, mode);
}

int
os_openat(int dfd, const char *name, int flags, mode_t mode)
{
	return openat(dfd, name, flags | O_CLOEXEC, mode);
}

int
os_unlinkat(int dfd, const char *name)
{
	return unlinkat(dfd, name, 0);
}

int
os_renameat(int fromdfd, const char *from, int todfd, const char *to)
{
	return renameat(fromdfd, from, todfd, to);
}

int
os_linkat(int fromdfd, const char *from, int todfd, const char *to)
{
	return linkat(fromdfd, from, todfd, to, 0);
}

int
os_statat(int dfd, const char *name, struct stat *st)
{
	return fstatat(dfd, name, st, AT_SYMLINK_NOFOLLOW);
}

int
os_stat(const char *path, struct stat *st)
{
	return stat(path, st);
}

int
os_lstat(const char *path, struct stat *st)
{
	return lstat(path, st);
}

int
os_fsync(int fd)
{
	return fsync(fd);
}

int
os_writeback_start(int fd)
{
#ifdef SYNC_FILE_RANGE_WRITE
	return sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
#else
	(void)fd;
	return 0;
#endif
}

int
os_lock(int fd, int how)
{
	return flock(fd, LOCK_EX | (how & OS_LOCK_NB ? LOCK_NB : 0));
}

long long
os_mtime_ns(const struct stat *st)
{
	return (long long)st->st_mtim.tv_sec * 1000000000LL +
	    st->st_mtim.tv_nsec;
}

char *
os_realpath(const char *path)
{
	return realpath(path, NULL);
}

int
os_fs_readonly(const char *path)
{
	struct statvfs vfs;

	if (statvfs(path, &vfs) == -1)
		return -1;
	return (vfs.f_flag & ST_RDONLY) != 0;
}

ssize_t
os_pread(int fd, void *buf, size_t n, off_t offset)
{
	return pread(fd, buf, n, offset);
}

ssize_t
os_pwrite(int fd, const void *buf, size_t n, off_t offset)
{
	return pwrite(fd, buf, n, offset);
}

int
os_same_file(int adfd, const char *a, int bdfd, const char *b)
{
	struct stat sa, sb;

	if (fstatat(adfd, a, &sa, AT_SYMLINK_NOFOLLOW) == -1 ||
	    fstatat(bdfd, b, &sb, AT_SYMLINK_NOFOLLOW) == -1)
		return -1;
	return sa.st_ino == sb.st_ino && sa.st_dev == sb.st_dev;
}

int
os_fd_is(int fd, int dfd, const char *name)
{
	struct stat a, b;

	if (fstat(fd, &a) == -1 ||
	    fstatat(dfd, name, &b, AT_SYMLINK_NOFOLLOW) == -1)
		return -1;
	return a.st_ino == b.st_ino && a.st_dev == b.st_dev;
}

void
os_set_blocking(int fd)
{
	int flags = fcntl(fd, F_GETFL);

	if (flags != -1)
		fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
}

int
os_rename(const char *from, const char *to)
{
	return rename(from, to);
}

int
os_fchmod(int fd, mode_t mode)
{
	return fchmod(fd, mode);
}

mode_t
os_new_file_mode(void)
{
	mode_t mask = umask(0);

	umask(mask);
	return 0666 & ~mask;
}

int
os_path_absolute(const char *path)
{
	return path[0] == '/';
}

const char *
os_path_last_sep(const char *path)
{
	return strrchr(path, '/');
}
