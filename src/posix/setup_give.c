/*
 * setup_give.c (POSIX) - the files `initdb` gives away (setup.h:
 * setup_give, setup_give_tree).
 *
 * Owners and modes are changed through descriptors opened with O_NOFOLLOW,
 * or with AT_SYMLINK_NOFOLLOW, so that a symbolic link never sends a
 * chown done as root somewhere else.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "setup.h"

int
setup_give(const char *path, uid_t uid, gid_t gid, mode_t mode,
    int missing_ok, struct buf *err)
{
	int fd, rv = -1;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd == -1) {
		if (errno == ENOENT && missing_ok)
			return 0;
		buf_printf(err, "cannot give '%s': %s", path,
		    errno == ELOOP ? "it is a symbolic link" :
		    strerror(errno));
		return -1;
	}
	if (fchown(fd, uid, gid) == -1) {
		buf_printf(err, "cannot give '%s' to uid %lu gid %lu: %s",
		    path, (unsigned long)uid, (unsigned long)gid,
		    strerror(errno));
		goto out;
	}
	if (mode != SETUP_KEEP_MODE && fchmod(fd, mode) == -1) {
		buf_printf(err, "cannot set the mode of '%s': %s", path,
		    strerror(errno));
		goto out;
	}
	rv = 0;
out:
	close(fd);
	return rv;
}

/* Gives what the directory open as fd holds; depth 2 also gives what
 * its subdirectories hold.  Takes fd (closes it). */
static int
setup_give_entries(int fd, const char *label, uid_t uid, gid_t gid,
    int depth, struct buf *err)
{
	struct dirent *de;
	struct stat st;
	struct buf sub;
	DIR *d = NULL;
	int subfd, rv = -1;

	buf_init(&sub, PATH_MAX);
	if ((d = fdopendir(fd)) == NULL) {
		buf_printf(err, "cannot read '%s': %s", label,
		    strerror(errno));
		close(fd);
		goto out;
	}
	while ((errno = 0, de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == -1 ||
		    fchownat(fd, de->d_name, uid, gid,
		    AT_SYMLINK_NOFOLLOW) == -1) {
			buf_printf(err, "cannot give '%s/%s': %s", label,
			    de->d_name, strerror(errno));
			goto out;
		}
		if (!S_ISDIR(st.st_mode) || depth <= 1)
			continue;
		buf_reset(&sub);
		if (buf_printf(&sub, "%s/%s", label, de->d_name) == -1) {
			buf_printf(err, "path too long in '%s'", label);
			goto out;
		}
		subfd = openat(fd, de->d_name, O_RDONLY | O_DIRECTORY |
		    O_NOFOLLOW | O_CLOEXEC);
		if (subfd == -1) {
			buf_printf(err, "cannot open '%s': %s", sub.data,
			    strerror(errno));
			goto out;
		}
		if (setup_give_entries(subfd, sub.data, uid, gid, depth - 1,
		    err) == -1)
			goto out;
	}
	if (errno != 0) {
		buf_printf(err, "cannot read '%s': %s", label,
		    strerror(errno));
		goto out;
	}
	rv = 0;
out:
	if (d != NULL)
		closedir(d);
	buf_release(&sub);
	return rv;
}

int
setup_give_tree(const char *dir, uid_t uid, gid_t gid, struct buf *err)
{
	int fd;

	if (setup_give(dir, uid, gid, SETUP_KEEP_MODE, 0, err) == -1)
		return -1;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1) {
		buf_printf(err, "cannot open '%s': %s", dir, strerror(errno));
		return -1;
	}
	return setup_give_entries(fd, dir, uid, gid, 2, err);
}
