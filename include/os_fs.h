/*
 * os_fs.h - the file system as the spool needs it, on POSIX and Windows
 * (src/posix/os_fs.c, src/win/os_fs.c).
 *
 * The spool works relative to open directories (openat, linkat, renameat
 * and fsync of a directory on POSIX).  Windows has no directory
 * descriptors: there a "directory descriptor" is a slot holding the
 * directory's path, and each call joins the name to it.  Paths are UTF-8
 * everywhere; the Windows side converts them to UTF-16 at the call.
 *
 * What each promise is on Windows:
 *  - a file's data is durable after os_fsync (FlushFileBuffers);
 *  - os_renameat replaces the target atomically and is durable when it
 *    returns (MoveFileExW with MOVEFILE_REPLACE_EXISTING and
 *    MOVEFILE_WRITE_THROUGH);
 *  - os_linkat is CreateHardLinkW (NTFS; FAT has no hard links and the
 *    spool cannot live there: the error says so);
 *  - os_dir_sync flushes the directory's handle (FlushFileBuffers) where
 *    the file system accepts it, and otherwise relies on NTFS, whose
 *    metadata changes are journaled: a name linked or removed survives a
 *    power cut once the journal is written, which Windows does within
 *    seconds.  This is weaker than fsync of a directory on Linux, and the
 *    README says so;
 *  - files are opened sharing read, write and delete, so that a file
 *    another process has open can still be renamed or removed, as on
 *    POSIX;
 *  - os_lock takes a lock on a byte far past the end of the file
 *    (LockFileEx): the data stays readable by others (Windows' byte-range
 *    locks are mandatory), and the lock goes with the process, as
 *    flock's does.
 */
#ifndef SENDREPORTS_OS_FS_H
#define SENDREPORTS_OS_FS_H

#include <sys/types.h>
#include <sys/stat.h>

#include <dirent.h>
#include <fcntl.h>

#ifdef _WIN32
/* Flags POSIX has and Windows' C library lacks, for os_open(at): only
 * O_NOFOLLOW means something there (a reparse point is refused). */
#define O_CLOEXEC	0
#define O_NOCTTY	0
#define O_NONBLOCK	0
#define O_DIRECTORY	0x01000000
#define O_NOFOLLOW	0x02000000
#define EDQUOT		(-1001)	/* no such error on Windows: never equal */
#define S_ISLNK(m)	0	/* os_lstat follows reparse points */
#define S_ISSOCK(m)	0
#endif

#define OS_LOCK_EX	1	/* exclusive */
#define OS_LOCK_NB	2	/* fail with EWOULDBLOCK instead of waiting */

/* Whether path is absolute: "/x"; on Windows also "C:\x", "C:/x" and
 * "\\server\x". */
int	os_path_absolute(const char *path);
/* The last directory separator of path ('/'; on Windows '\\' too), or
 * NULL when it has none. */
const char	*os_path_last_sep(const char *path);

/* A directory, for the *at calls; -1 with errno on failure. */
int	os_dir_open(const char *path);
int	os_dir_openat(int dfd, const char *name);
/* Closes a descriptor of os_dir_open(at); -1 is ignored. */
void	os_dir_close(int dfd);
/* A copy of the directory's listing; closedir() it.  NULL with errno. */
DIR	*os_dir_list(int dfd);
/* Makes the names in the directory durable (see above). */
int	os_dir_sync(int dfd);

/* mkdir with mode (ignored on Windows: the directory inherits its ACL). */
int	os_mkdir(const char *path, mode_t mode);
int	os_mkdirat(int dfd, const char *name, mode_t mode);

/* open / openat, with the flags above; always close-on-exec. */
int	os_open(const char *path, int flags, mode_t mode);
int	os_openat(int dfd, const char *name, int flags, mode_t mode);
int	os_unlinkat(int dfd, const char *name);
/* rename: atomic replace of to by from; durable on Windows. */
int	os_rename(const char *from, const char *to);
/* fchmod (nothing on Windows: the file keeps its inherited ACL). */
int	os_fchmod(int fd, mode_t mode);
/* The mode a new file gets: 0666 less the umask. */
mode_t	os_new_file_mode(void);
/* Atomic replace of to by from; durable on Windows (see above). */
int	os_renameat(int fromdfd, const char *from, int todfd, const char *to);
/* A second name; EEXIST when to exists, which is never replaced. */
int	os_linkat(int fromdfd, const char *from, int todfd, const char *to);
/* stat of name in dfd, not following a symbolic link. */
int	os_statat(int dfd, const char *name, struct stat *st);
/* stat: UTF-8 path, following links. */
int	os_stat(const char *path, struct stat *st);
/* lstat (stat on Windows). */
int	os_lstat(const char *path, struct stat *st);

/* pread / pwrite: at offset, the file position untouched (on Windows,
 * one overlapped read or write at the offset). */
ssize_t	os_pread(int fd, void *buf, size_t n, off_t offset);
ssize_t	os_pwrite(int fd, const void *buf, size_t n, off_t offset);
/* Whether a in adfd and b in bdfd are one file: 1, 0, or -1 with errno. */
int	os_same_file(int adfd, const char *a, int bdfd, const char *b);

/* Whether the file open on fd is the one at name in dfd: 1, 0, or -1. */
int	os_fd_is(int fd, int dfd, const char *name);

/* Clears O_NONBLOCK (nothing to do on Windows). */
void	os_set_blocking(int fd);

/* The file's data and size durable (fsync; FlushFileBuffers). */
int	os_fsync(int fd);
/*
 * Starts writing the file's data out, without waiting and promising
 * nothing (sync_file_range on Linux; nothing elsewhere): an os_fsync a
 * little later then finds it written, or on its way.  0, or -1 (errno).
 */
int	os_writeback_start(int fd);
/* flock: OS_LOCK_EX [| OS_LOCK_NB]; released by close or exit. */
int	os_lock(int fd, int how);

/* The modification time in nanoseconds (seconds on Windows). */
long long	os_mtime_ns(const struct stat *st);

/*
 * The absolute path of path with every symbolic link resolved, malloc'ed
 * (the caller frees it), or NULL with errno (realpath).
 */
char	*os_realpath(const char *path);

/* Whether the file system holding path is mounted read-only: 1, 0, or
 * -1 when it cannot tell. */
int	os_fs_readonly(const char *path);

#endif
