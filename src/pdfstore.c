/*
 * pdfstore.c - looks up and stores PDFs in the PDF directory.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "os_fs.h"
#include "pdfstore.h"

#define PDF_MAGIC	"%PDF-"

/* Does the path have a ".." component? */
static int
pdfstore_has_dotdot(const char *p)
{
	const char *s = p;

	while (*s) {
		const char *e = strchr(s, '/');
		size_t n = e ? (size_t)(e - s) : strlen(s);

		if (n == 2 && s[0] == '.' && s[1] == '.')
			return 1;
		if (e == NULL)
			break;
		s = e + 1;
	}
	return 0;
}

/* Reads the first bytes of fd and checks the PDF signature. */
static int
pdfstore_is_pdf(int fd)
{
	char head[sizeof(PDF_MAGIC) - 1];
	ssize_t n;

	do
		n = os_pread(fd, head, sizeof(head), 0);
	while (n == -1 && errno == EINTR);
	if (n == -1)
		return -1;
	return n == (ssize_t)sizeof(head) &&
	    memcmp(head, PDF_MAGIC, sizeof(head)) == 0;
}

void
pdfstore_init(struct pdfstore *p, const char *dir)
{
	p->dir = dir;
	p->root = NULL;
}

void
pdfstore_release(struct pdfstore *p)
{
	free(p->root);
	p->root = NULL;
}

enum pdfstore_status
pdfstore_open(struct pdfstore *p, const char *pdf_path, off_t max_bytes,
    int *fd, struct stat *opened, struct buf *err)
{
	const char *dir = p->dir, *root;
	char *real = NULL;
	struct buf joined;
	enum pdfstore_status s;
	struct stat st;
	size_t rlen;
	int f = -1, magic;

	*fd = -1;
	buf_init(&joined, PATH_MAX);
	if (*pdf_path == '\0') {
		buf_printf(err, "pdf_path is empty");
		s = PDFSTORE_MISSING;
		goto out;
	}
	if (strchr(pdf_path, '\n') || strchr(pdf_path, '\r')) {
		buf_printf(err, "pdf_path contains a line break");
		s = PDFSTORE_REFUSED;
		goto out;
	}
	if (pdfstore_has_dotdot(pdf_path)) {
		buf_printf(err, "pdf_path \"%s\" contains \"..\"", pdf_path);
		s = PDFSTORE_REFUSED;
		goto out;
	}
	/* Resolved once: a component of it is a readlink() each time. */
	if (p->root == NULL && (p->root = os_realpath(dir)) == NULL) {
		buf_printf(err, "PDF directory '%s': %s", dir,
		    strerror(errno));
		s = errno == ENOENT ? PDFSTORE_MISSING : PDFSTORE_IOERR;
		goto out;
	}
	root = p->root;
	/* A plain name: in the resolved directory, only its last component
	 * could be a link, which O_NOFOLLOW refuses; it opens at once.  A
	 * link, or any failure, takes the way of every other path below,
	 * with its reasons. */
	if (strpbrk(pdf_path, "/\\:") == NULL && strcmp(pdf_path, ".") != 0 &&
	    buf_printf(&joined, "%s/%s", root, pdf_path) == 0 &&
	    (f = os_open(joined.data, O_RDONLY | O_NOFOLLOW | O_NONBLOCK,
	    0)) != -1)
		goto opened;
	buf_reset(&joined);
	if (pdf_path[0] == '/' ? buf_puts(&joined, pdf_path) :
	    buf_printf(&joined, "%s/%s", root, pdf_path)) {
		buf_printf(err, "pdf_path \"%.60s...\" is too long", pdf_path);
		s = PDFSTORE_REFUSED;
		goto out;
	}
	/* Resolve every symbolic link, then require the result beneath the
	 * resolved directory: a link is fine while it stays inside. */
	if ((real = os_realpath(joined.data)) == NULL) {
		if (errno == ENOENT || errno == ENOTDIR) {
			buf_printf(err, "stored PDF \"%s\" is missing",
			    pdf_path);
			s = PDFSTORE_MISSING;
		} else if (errno == ELOOP || errno == ENAMETOOLONG) {
			/* The path itself is wrong: no later run fixes it. */
			buf_printf(err, "pdf_path \"%.80s%s\": %s", pdf_path,
			    strlen(pdf_path) > 80 ? "..." : "",
			    strerror(errno));
			s = PDFSTORE_REFUSED;
		} else {
			buf_printf(err, "stored PDF \"%s\": %s", pdf_path,
			    strerror(errno));
			/* Permissions are the box's to fix, not the
			 * report's: the next run tries again. */
			s = PDFSTORE_IOERR;
		}
		goto out;
	}
	rlen = strlen(root);
	if (strncmp(real, root, rlen) != 0 || (real[rlen] != '/' &&
	    !(rlen == 1 && root[0] == '/'))) {
		buf_printf(err, "pdf_path \"%s\" is outside the PDF directory",
		    pdf_path);
		s = PDFSTORE_REFUSED;
		goto out;
	}
	/* O_NOFOLLOW: the resolved path names no link; if one appears now,
	 * someone swapped it in after realpath, and it is refused. */
	if ((f = os_open(real, O_RDONLY | O_NOFOLLOW | O_NONBLOCK, 0)) ==
	    -1) {
		buf_printf(err, "stored PDF \"%s\": %s", pdf_path,
		    strerror(errno));
		s = errno == ENOENT ? PDFSTORE_MISSING : errno == EIO ||
		    errno == EACCES || errno == EPERM ? PDFSTORE_IOERR :
		    PDFSTORE_REFUSED;
		goto out;
	}
opened:
	if (fstat(f, &st) == -1) {
		buf_printf(err, "stored PDF \"%s\": %s", pdf_path,
		    strerror(errno));
		s = PDFSTORE_IOERR;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		buf_printf(err, "stored PDF \"%s\" is not a regular file",
		    pdf_path);
		s = PDFSTORE_REFUSED;
		goto out;
	}
	if (st.st_size > max_bytes) {
		buf_printf(err, "stored PDF \"%s\" is %lld bytes, over the "
		    "limit of %lld (max_attachment_mb)", pdf_path,
		    (long long)st.st_size, (long long)max_bytes);
		s = PDFSTORE_REFUSED;
		goto out;
	}
	if ((magic = pdfstore_is_pdf(f)) != 1) {
		if (magic == -1)
			buf_printf(err, "stored PDF \"%s\": %s", pdf_path,
			    strerror(errno));
		else
			buf_printf(err, "stored file \"%s\" is not a PDF "
			    "(it does not begin with %%PDF-)", pdf_path);
		s = magic == -1 ? PDFSTORE_IOERR : PDFSTORE_REFUSED;
		goto out;
	}
	/* Back to blocking reads for the streaming that follows. */
	os_set_blocking(f);
	*fd = f;
	*opened = st;
	f = -1;
	s = PDFSTORE_OK;
out:
	if (f != -1)
		close(f);
	free(real);
	buf_release(&joined);
	return s;
}

int
pdfstore_put(const char *dir, const char *src, const char *name,
    struct buf *err)
{
	char tmp[PATH_MAX], dst[PATH_MAX], chunk[65536];
	int in = -1, out = -1, dfd = -1, rc = -1, magic;
	const char *step = NULL;
	ssize_t n;

	if (strchr(name, '/') || strchr(name, '\\') ||
	    (size_t)snprintf(tmp, sizeof(tmp), ".%s.tmp", name) >=
	    sizeof(tmp) ||
	    (size_t)snprintf(dst, sizeof(dst), "%s/%s", dir, name) >=
	    sizeof(dst)) {
		buf_printf(err, "PDF name \"%s\" is not usable", name);
		return -1;
	}
	if ((in = os_open(src, O_RDONLY, 0)) == -1) {
		buf_printf(err, "cannot open '%s': %s", src, strerror(errno));
		return -1;
	}
	if ((magic = pdfstore_is_pdf(in)) != 1) {
		buf_printf(err, "'%s' is not a PDF%s%s", src,
		    magic == -1 ? ": " : "", magic == -1 ? strerror(errno) :
		    " (it does not begin with %PDF-)");
		goto out;
	}
	if ((dfd = os_dir_open(dir)) == -1) {
		buf_printf(err, "PDF directory '%s': %s", dir, strerror(errno));
		goto out;
	}
	out = os_openat(dfd, tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (out == -1) {
		buf_printf(err, "cannot create '%s/%s': %s", dir, tmp,
		    strerror(errno));
		goto out;
	}
	while ((n = read(in, chunk, sizeof(chunk))) != 0) {
		ssize_t w, off = 0;

		if (n == -1) {
			if (errno == EINTR)
				continue;
			step = "read";
			goto fail;
		}
		while (off < n) {
			if ((w = write(out, chunk + off, (size_t)(n - off))) ==
			    -1) {
				if (errno == EINTR)
					continue;
				step = "write";
				goto fail;
			}
			off += w;
		}
	}
	if (os_fsync(out) == -1) {
		step = "fsync";
		goto fail;
	}
	if (close(out) == -1) {
		out = -1;
		step = "close";
		goto fail;
	}
	out = -1;
	if (os_renameat(dfd, tmp, dfd, name) == -1) {
		step = "rename";
		goto fail;
	}
	if (os_dir_sync(dfd) == -1) {
		step = "fsync of the PDF directory";
		os_unlinkat(dfd, name);
		goto fail;
	}
	rc = 0;
	goto out;
fail:
	buf_printf(err, "storing '%s' as '%s': %s: %s", src, dst, step,
	    strerror(errno));
	os_unlinkat(dfd, tmp);
out:
	if (in != -1)
		close(in);
	if (out != -1)
		close(out);
	os_dir_close(dfd);
	return rc;
}
