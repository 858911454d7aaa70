/*
 * fileid.c - the identity of a file (fileid.h).
 *
 * statx is called through syscall(2): musl before 1.2.5 (Debian 12's) has
 * no wrapper, and the structure below is the kernel's fixed ABI
 * (include/uapi/linux/stat.h).
 */
#include <sys/stat.h>
#include <sys/syscall.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

#include "fileid.h"

#if defined(SYS_statx)
#define FILEID_STATX_BTIME	0x00000800U

struct fileid_timestamp {
	int64_t		sec;
	uint32_t	nsec;
	int32_t		reserved;
};

struct fileid_statx {
	uint32_t	mask;
	uint32_t	blksize;
	uint64_t	attributes;
	uint32_t	nlink;
	uint32_t	uid;
	uint32_t	gid;
	uint16_t	mode;
	uint16_t	pad1;
	uint64_t	ino;
	uint64_t	size;
	uint64_t	blocks;
	uint64_t	attributes_mask;
	struct fileid_timestamp	atime, btime, ctime, mtime;
	uint32_t	rdev_major, rdev_minor, dev_major, dev_minor;
	uint64_t	spare[14];
};

/* The birth time, or -1 when the kernel or file system does not know it. */
static int
fileid_birth(const char *path, long long *sec, unsigned *nsec)
{
	struct fileid_statx sx;

	if (syscall(SYS_statx, AT_FDCWD, path, 0, FILEID_STATX_BTIME, &sx) ==
	    -1 || !(sx.mask & FILEID_STATX_BTIME))
		return -1;
	*sec = (long long)sx.btime.sec;
	*nsec = sx.btime.nsec;
	return 0;
}
#else
static int
fileid_birth(const char *path, long long *sec, unsigned *nsec)
{
	(void)path;
	(void)sec;
	(void)nsec;
	return -1;
}
#endif

int
fileid_of(const char *path, char *out, size_t size)
{
	struct stat st;
	long long sec;
	unsigned nsec;
	int n;

	*out = '\0';
	if (stat(path, &st) == -1)
		return -1;
	if (fileid_birth(path, &sec, &nsec) == 0)
		n = snprintf(out, size, "%llu:%llu:%lld.%09u",
		    (unsigned long long)st.st_dev,
		    (unsigned long long)st.st_ino, sec, nsec);
	else
		n = snprintf(out, size, "%llu:%llu",
		    (unsigned long long)st.st_dev,
		    (unsigned long long)st.st_ino);
	if (n < 0 || (size_t)n >= size) {
		*out = '\0';
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}
