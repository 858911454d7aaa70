/*
 * setup.c - the directories `initdb` makes (setup.h); giving files away
 * is the platform's (src/posix/setup_give.c, src/win/setup_give.c).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "os_fs.h"
#include "setup.h"

/* Makes one directory; an existing directory is fine. */
static int
setup_mkdir_one(const char *path, mode_t mode, int *created, struct buf *err)
{
	struct stat st;

	if (os_mkdir(path, mode) == 0) {
		/* The umask (077, set by main) must not narrow the mode. */
		if (chmod(path, mode) == -1) {
			buf_printf(err, "cannot set the mode of '%s': %s",
			    path, strerror(errno));
			return -1;
		}
		if (created != NULL)
			*created = 1;
		return 0;
	}
	if (errno != EEXIST) {
		buf_printf(err, "cannot create '%s': %s", path,
		    strerror(errno));
		return -1;
	}
	if (os_stat(path, &st) == -1 || !S_ISDIR(st.st_mode)) {
		buf_printf(err, "cannot create '%s': it exists and is not a "
		    "directory", path);
		return -1;
	}
	return 0;
}

int
setup_mkdirs(const char *dir, mode_t mode, int *created, struct buf *err)
{
	struct buf b;
	char *p;
	int rv = -1;

	*created = 0;
	buf_init(&b, PATH_MAX);
	if (*dir == '\0') {
		buf_printf(err, "an empty directory name");
		goto out;
	}
	if (buf_puts(&b, dir) == -1) {
		buf_printf(err, "path too long: '%s'", dir);
		goto out;
	}
	while (b.len > 1 && b.data[b.len - 1] == '/')
		b.data[--b.len] = '\0';
	/* Each parent in turn: "/var", "/var/spool", then the directory. */
	for (p = b.data + 1; (p = strchr(p, '/')) != NULL; p++) {
		if (p[-1] == '/')
			continue;	/* "a//b" */
		*p = '\0';
		if (setup_mkdir_one(b.data, 0755, NULL, err) == -1)
			goto out;
		*p = '/';
	}
	if (setup_mkdir_one(b.data, mode, created, err) == -1)
		goto out;
	rv = 0;
out:
	buf_release(&b);
	return rv;
}

char *
setup_dirname(const char *path)
{
	const char *slash = os_path_last_sep(path);
	char *dir;

	if (slash == NULL)
		return strdup(".");
	while (slash > path && slash[-1] == '/')
		slash--;
	if (slash == path)
		return strdup("/");
	if ((dir = malloc((size_t)(slash - path) + 1)) != NULL) {
		memcpy(dir, path, (size_t)(slash - path));
		dir[slash - path] = '\0';
	}
	return dir;
}
