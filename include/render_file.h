/*
 * render_file.h - where the fallback PDF is written: the file named by
 * `render -o` or send's temporary file, replaced only when replacing it
 * is what the user meant.
 *
 *   absent           created, atomically: a temporary file beside it
 *                    (mkstemp), written, fsync'ed, renamed, the
 *                    directory fsync'ed
 *   regular file     replaced the same way, keeping its permissions;
 *                    refused when it is not writable
 *   character device written in place, never replaced (/dev/null; and
 *                    /dev/full fails with "No space left on device")
 *   anything else    refused: a directory, a symbolic link (name the
 *                    file it points to), a FIFO, a socket
 *
 * Order of calls: render_file_open (before the PDF is drawn, so a bad
 * target costs nothing), render_file_write as many times as needed, then
 * render_file_commit or render_file_abort; either releases everything.
 */
#ifndef SENDREPORTS_RENDER_FILE_H
#define SENDREPORTS_RENDER_FILE_H

#include <stddef.h>

#include "buf.h"

struct render_file {
	const char	*path;		/* the target, the caller's */
	char		*tmp;		/* the temporary, or NULL in place */
	int		 fd;
	int		 device;
};

/*
 * Checks path and opens what the PDF is written to.  Returns 0, or -1
 * with err set ("cannot write PATH: Is a directory") and nothing left
 * behind.
 */
int	render_file_open(struct render_file *f, const char *path,
	    struct buf *err);

/* Writes n bytes.  Returns 0, or -1 with err set (and errno kept). */
int	render_file_write(struct render_file *f, const void *p, size_t n,
	    struct buf *err);

/*
 * Makes the PDF durable and puts it in place.  Returns 0, or -1 with err
 * set and the target untouched.
 */
int	render_file_commit(struct render_file *f, struct buf *err);

/* Removes the temporary file; safe after a failed open or a commit. */
void	render_file_abort(struct render_file *f);

#endif
