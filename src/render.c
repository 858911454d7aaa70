/*
 * render.c - the fallback PDF (render.h): the steps, in their order.
 *
 *   1. the target file is checked and opened (render_file.c), so that a
 *      bad one costs nothing;
 *   2. report_data is read, once, into what the PDF shows
 *      (render_data.c);
 *   3. the fonts are loaded and the table measured: its columns' widths
 *      decide the orientation of every page (render_table.c);
 *   4. the document is laid out by a dry pass that only counts its pages
 *      (past [pdf] max_pages it stops there), then drawn by the same
 *      code, each page finished and deflated as the next starts, its
 *      "page i / n" known (render_page.c);
 *   5. libharu writes it straight into the file, through a buffer of
 *      ours: the finished PDF is never held in memory on top of the
 *      pages.
 *
 * The parts of a page are render_head.c (title, parameters, KPIs),
 * render_chart.c and render_table.c.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <hpdf.h>

#include "render.h"
#include "render_chart.h"
#include "render_data.h"
#include "render_file.h"
#include "render_head.h"
#include "render_page.h"
#include "render_table.h"
#include "render_text.h"

#define SAVE_BUF	65536

struct render_save {
	struct render		*r;
	struct render_file	*f;
	size_t			 len;
	int			 failed;	/* a write failed */
	unsigned char		 buf[SAVE_BUF];
};

static int
render_save_flush(struct render_save *sv)
{
	if (sv->len && !sv->failed &&
	    render_file_write(sv->f, sv->buf, sv->len, sv->r->err) == -1)
		sv->failed = 1;
	sv->len = 0;
	return sv->failed ? -1 : 0;
}

/* libharu's writes, in pieces of a few bytes: gathered, then written. */
static HPDF_STATUS
render_save_write(HPDF_Stream stream, const HPDF_BYTE *p, HPDF_UINT n)
{
	struct render_save *sv = stream->attr;
	size_t take;

	while (n > 0) {
		if (sv->len == SAVE_BUF && render_save_flush(sv) == -1)
			return HPDF_FILE_IO_ERROR;
		take = SAVE_BUF - sv->len < n ? SAVE_BUF - sv->len : n;
		memcpy(sv->buf + sv->len, p, take);
		sv->len += take;
		p += take;
		n -= (HPDF_UINT)take;
	}
	return HPDF_OK;
}

/*
 * Writes the document to f.  HPDF_SaveToStream writes into the
 * document's stream, which it makes a memory stream unless there is one:
 * ours writes to the file, with our checks (render_file.c says why).
 */
static int
render_save(struct render *r, struct render_file *f)
{
	struct render_save *sv;
	int rc = -1;

	if ((sv = malloc(sizeof(*sv))) == NULL)
		return render_fail(r, RENDER_NOMEM, "out of memory");
	memset(sv, 0, offsetof(struct render_save, buf));
	sv->r = r;
	sv->f = f;
	if (r->pdf->stream == NULL)
		r->pdf->stream = HPDF_CallbackWriter_New(r->pdf->mmgr,
		    render_save_write, sv);
	if (r->pdf->stream == NULL || render_check_hpdf(r) == -1) {
		render_fail(r, RENDER_NOMEM, "fallback PDF: out of memory");
		goto out;
	}
	/* libharu ignores a failed write's status here: ours says. */
	if (HPDF_SaveToStream(r->pdf) != HPDF_OK || sv->failed ||
	    render_save_flush(sv) == -1) {
		if (sv->failed)
			r->status = RENDER_IOERR;	/* err says why */
		else if (render_check_hpdf(r) == 0)
			render_fail(r, RENDER_DATAERR, "fallback PDF: libharu "
			    "cannot save it");
		goto out;
	}
	rc = 0;
out:
	/* HPDF_Free frees the stream; it must not write any more. */
	if (r->pdf->stream)
		r->pdf->stream->attr = NULL;
	free(sv);
	return rc;
}

/* Lays the document out (dry) or draws it, from its first page. */
static int
render_pass(struct render *r, int dry)
{
	r->dry = dry;
	r->npages = 0;
	r->page = NULL;
	r->in_text = 0;
	if (render_page_new(r) == -1 || render_head(r) == -1 ||
	    render_chart(r) == -1 || render_table(r) == -1 ||
	    render_page_end(r) == -1)
		return -1;
	return 0;
}

enum render_status
render_report(sqlite3 *db, char **report_data,
    const struct render_options *opt, const char *out_path,
    struct buf *err)
{
	struct render r;
	struct render_data data;
	struct render_file f;

	memset(&r, 0, sizeof(r));
	memset(&data, 0, sizeof(data));
	r.opt = opt;
	r.err = err;
	r.data = &data;
	buf_init(&r.line, RENDER_TEXT_MAX + 64);
	buf_init(&r.ops, 2 * RENDER_TEXT_MAX + 256);

	/* The target first: a directory there costs no drawing. */
	if (render_file_open(&f, out_path, err) == -1) {
		r.status = RENDER_IOERR;
		goto out;
	}
	r.status = render_data_load(&data, db, *report_data, opt->title,
	    opt->font_path != NULL, err);
	/* Read: the drawing needs what was kept, not the JSON. */
	free(*report_data);
	*report_data = NULL;
	if (r.status != RENDER_OK)
		goto out;
	if ((r.pdf = HPDF_New(render_hpdf_error, &r)) == NULL) {
		render_fail(&r, RENDER_NOMEM, "fallback PDF: out of memory");
		goto out;
	}
	HPDF_SetCompressionMode(r.pdf, HPDF_COMP_ALL);
	HPDF_SetInfoAttr(r.pdf, HPDF_INFO_CREATOR, "sendreports");
	if (render_fonts(&r) == -1)
		goto out;
	render_table_layout(&r);
	if (render_pass(&r, 1) == -1)
		goto out;
	r.total = r.npages;
	if (render_pass(&r, 0) == -1)
		goto out;
	if (r.npages != r.total) {
		/* The passes run the same code on the same data. */
		render_fail(&r, RENDER_DATAERR, "fallback PDF: laid out on "
		    "%ld pages, drawn on %ld", r.total, r.npages);
		goto out;
	}
	if (render_check_hpdf(&r) == -1 || render_save(&r, &f) == -1)
		goto out;
	if (render_file_commit(&f, err) == -1)
		r.status = RENDER_IOERR;
out:
	/* Nothing is left at out_path on failure (a device keeps what
	 * it was given). */
	if (r.status != RENDER_OK)
		render_file_abort(&f);
	if (r.pdf)
		HPDF_Free(r.pdf);
	render_page_release(&r);
	render_data_release(&data);
	free(*report_data);
	*report_data = NULL;
	return r.status;
}
