/*
 * pdfstore.h - the PDF directory: stored PDFs are looked up here, and
 * `schedule --pdf` stores copies here.
 *
 * A pdf_path never reaches outside the PDF directory: ".." components are
 * refused, an absolute path must lie inside the directory, and symbolic
 * links are followed only while they stay inside it.  A file that does not
 * begin with "%PDF-" is not a PDF and is never attached.
 */
#ifndef SENDREPORTS_PDFSTORE_H
#define SENDREPORTS_PDFSTORE_H

#include <sys/types.h>

#include "buf.h"

struct stat;

enum pdfstore_status {
	PDFSTORE_OK,
	PDFSTORE_MISSING,	/* no such file: the fallback may take over */
	PDFSTORE_REFUSED,	/* escapes the directory, not a PDF, too
				   big: the report is given up */
	PDFSTORE_IOERR		/* could not read it: try again next run */
};

/*
 * The PDF directory of a run of lookups: dir as configured, and resolved
 * (every symbolic link followed) at the first lookup, once for the run.
 */
struct pdfstore {
	const char	*dir;
	char		*root;		/* NULL until resolved */
};

void	pdfstore_init(struct pdfstore *p, const char *dir);
void	pdfstore_release(struct pdfstore *p);

/*
 * Opens the stored PDF `pdf_path` of the PDF directory p for reading,
 * checked as above and no larger than max_bytes.  On PDFSTORE_OK, *fd is
 * the open file (caller closes) positioned at 0 and *st what it was when
 * opened (its size and mtime: mime_base64_write holds it to them until
 * it is read); otherwise err says why.
 */
enum pdfstore_status pdfstore_open(struct pdfstore *p, const char *pdf_path,
	    off_t max_bytes, int *fd, struct stat *st, struct buf *err);

/*
 * Copies the PDF file `src` into dir as `name` (a plain file name),
 * durably (temporary, fsync, rename, fsync of dir), mode 0644, after
 * checking that it begins with "%PDF-".  Returns 0, or -1 with err set
 * and nothing left behind.
 */
int	pdfstore_put(const char *dir, const char *src, const char *name,
	    struct buf *err);

#endif
