/*
 * render_file.c - writing the fallback PDF to its file (render_file.h).
 *
 * libharu's own HPDF_SaveToFile fopen()s the name it is given: it
 * follows symbolic links, and the old "write NAME.tmp, rename it to NAME"
 * around it replaced whatever NAME was, /dev/full included, with a
 * regular file.  It also leaves fclose() unchecked and reports a failed
 * fwrite with ferror()'s flag instead of errno.  So the document is
 * saved to libharu's memory stream and written here, with our checks.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "os_fs.h"
#include "render_file.h"

static int
render_file_fail(struct render_file *f, struct buf *err, const char *why)
{
	buf_reset(err);
	buf_printf(err, "cannot write %s: %s", f->path, why);
	return -1;
}

/* What a file that is neither regular nor a device nor a directory is. */
static const char *
render_file_kind(mode_t m)
{
	if (S_ISLNK(m))
		return "it is a symbolic link (name the file it points to)";
	if (S_ISFIFO(m))
		return "it is a FIFO, not a regular file";
	if (S_ISSOCK(m))
		return "it is a socket, not a regular file";
	if (S_ISBLK(m))
		return "it is a block device, not a regular file";
	return "not a regular file";
}

int
render_file_open(struct render_file *f, const char *path, struct buf *err)
{
	struct stat st;
	mode_t mode;
	size_t n;

	memset(f, 0, sizeof(*f));
	f->fd = -1;
	f->path = path;
	if (os_lstat(path, &st) == -1) {
		if (errno != ENOENT)
			return render_file_fail(f, err, strerror(errno));
		mode = os_new_file_mode();
	} else if (S_ISREG(st.st_mode)) {
		/* Replacing a file the user could not write would be a
		 * surprise, even where the directory allows it. */
		if (access(path, W_OK) == -1)
			return render_file_fail(f, err, strerror(errno));
		mode = st.st_mode & 0777;
	} else if (S_ISCHR(st.st_mode)) {
		/* A device is written, never replaced: /dev/null, a tty. */
		f->fd = os_open(path, O_WRONLY | O_NOCTTY | O_NOFOLLOW, 0);
		if (f->fd == -1)
			return render_file_fail(f, err, strerror(errno));
		if (fstat(f->fd, &st) == -1 || !S_ISCHR(st.st_mode)) {
			render_file_abort(f);
			return render_file_fail(f, err, "it changed while "
			    "being opened");
		}
		f->device = 1;
		return 0;
	} else if (S_ISDIR(st.st_mode))
		return render_file_fail(f, err, strerror(EISDIR));
	else
		return render_file_fail(f, err, render_file_kind(st.st_mode));

	/* Beside the target, so that rename() commits it. */
	n = strlen(path);
	if ((f->tmp = malloc(n + 8)) == NULL)
		return render_file_fail(f, err, strerror(errno));
	memcpy(f->tmp, path, n);
	memcpy(f->tmp + n, ".XXXXXX", 8);
	if ((f->fd = mkstemp(f->tmp)) == -1) {
		int e = errno;

		free(f->tmp);
		f->tmp = NULL;
		return render_file_fail(f, err, strerror(e));
	}
	if (os_fchmod(f->fd, mode) == -1) {
		int e = errno;

		render_file_abort(f);
		return render_file_fail(f, err, strerror(e));
	}
	return 0;
}

int
render_file_write(struct render_file *f, const void *p, size_t n,
    struct buf *err)
{
	const char *c = p;
	ssize_t w;

	while (n > 0) {
		if ((w = write(f->fd, c, n)) == -1) {
			if (errno == EINTR)
				continue;
			return render_file_fail(f, err, strerror(errno));
		}
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

/* fsync of the directory holding path, so that the rename lasts. */
static void
render_file_sync_dir(const char *path)
{
	const char *slash = os_path_last_sep(path);
	char *dir;
	int fd;

	if (slash == NULL)
		dir = strdup(".");
	else if (slash == path)
		dir = strdup("/");
	else if ((dir = malloc((size_t)(slash - path) + 1)) != NULL) {
		memcpy(dir, path, (size_t)(slash - path));
		dir[slash - path] = '\0';
	}
	if (dir == NULL)
		return;
	if ((fd = os_dir_open(dir)) != -1) {
		os_dir_sync(fd);
		os_dir_close(fd);
	}
	free(dir);
}

int
render_file_commit(struct render_file *f, struct buf *err)
{
	int fd = f->fd, e;

	f->fd = -1;
	if (f->device) {
		if (close(fd) == -1)
			return render_file_fail(f, err, strerror(errno));
		return 0;
	}
	/* Written to the disk before it takes the target's name: a crash
	 * leaves the old file or the new one, never half of one. */
	if (os_fsync(fd) == -1) {
		e = errno;
		close(fd);
		goto fail;
	}
	if (close(fd) == -1) {
		e = errno;
		goto fail;
	}
	if (os_rename(f->tmp, f->path) == -1) {
		e = errno;
		goto fail;
	}
	/* The PDF is complete under its name.  A failed fsync of the
	 * directory only risks the name across a power cut, and nothing
	 * here depends on it (send opens and unlinks its file at once):
	 * not worth failing for. */
	render_file_sync_dir(f->path);
	free(f->tmp);
	f->tmp = NULL;
	return 0;
fail:
	render_file_abort(f);
	return render_file_fail(f, err, strerror(e));
}

void
render_file_abort(struct render_file *f)
{
	if (f->fd != -1) {
		close(f->fd);
		f->fd = -1;
	}
	if (f->tmp) {
		unlink(f->tmp);
		free(f->tmp);
		f->tmp = NULL;
	}
}
