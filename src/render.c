/*
 * render.c - the fallback PDF (render.h): report_data read with SQLite's
 * JSON functions, laid out and drawn with libharu.
 *
 * "page i / n" needs n: the footers are drawn last, on every page kept
 * in r->pages, once the table has been laid out to its end (libharu lets
 * a page's content grow after later pages were added).
 *
 * Everything read from report_data is bounded before it is laid out:
 * each text is encoded to at most RENDER_TEXT_MAX bytes, the table to
 * the columns that fit across a landscape page, the chart to
 * CHART_MAX_BARS finite values, and every page that any part adds
 * counts against [pdf] max_pages.  So each loop here ends after a number
 * of turns set by the input, and a failure that the data causes is
 * RENDER_DATAERR: the same data would fail the same way the next time.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <hpdf.h>

#include "render.h"
#include "render_axis.h"
#include "render_file.h"
#include "render_text.h"
#include "timeutil.h"

#define PAGE_MARGIN	36.0
#define FOOTER_Y	20.0
#define BODY_BOTTOM	44.0		/* the table stops above the footer */
#define CELL_SIZE	8.5
#define CELL_PAD	4.0
#define ROW_H		13.0
#define HEAD_H		16.0
#define COL_MAX_W	260.0		/* one column never takes more */
#define COL_MIN_W	28.0
/* When even COL_MIN_W is too wide, the columns share the page, down to
 * this: one character and the ellipsis.  More columns are refused. */
#define COL_FLOOR_W	22.0
#define LANDSCAPE_W	(842.0 - 2 * PAGE_MARGIN)
#define TABLE_MAX_COLS	((size_t)(LANDSCAPE_W / COL_FLOOR_W))
#define CHART_H		170.0
#define CHART_MAX_BARS	24
#define KPI_PER_ROW	4
#define KPI_H		42.0
#define RENDER_ERR_MAX	4096

struct render {
	HPDF_Doc		 pdf;
	HPDF_Font		 font, bold;
	int			 utf8;		/* TrueType, UTF-8 encoder */
	HPDF_STATUS		 hpdf_error;	/* set by the handler */
	HPDF_STATUS		 hpdf_detail;
	sqlite3			*db;
	const char		*json;
	const struct render_options *opt;
	struct buf		*err;
	enum render_status	 status;

	HPDF_Page		*pages;
	size_t			 npages, cap;
	HPDF_Page		 page;
	double			 pw, ph;	/* page size */
	double			 y;		/* the cursor, from the bottom */
	int			 landscape;

	/* The table. */
	size_t			 ncols;
	double			*colw;
	int			*numeric;	/* every value a number */
	char			**colnames;	/* the header, read once: each
						   json_each over report_data
						   parses all of it */
	size_t			 nnames;
	long long		 nrows;
	struct buf		 text;		/* encoding scratch */
	int			 text_cut;	/* it holds only the first
						   RENDER_TEXT_MAX bytes */
	char			*title;
};

static void
render_hpdf_error(HPDF_STATUS error_no, HPDF_STATUS detail_no, void *ctx)
{
	struct render *r = ctx;

	/* Keep the first: the later ones follow from it. */
	if (r->hpdf_error == 0) {
		r->hpdf_error = error_no;
		r->hpdf_detail = detail_no;
	}
}

/* Records a data error naming the problem; the first one wins. */
static int
render_fail(struct render *r, enum render_status s, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
render_fail(struct render *r, enum render_status s, const char *fmt, ...)
{
	va_list ap;
	char line[1024];

	if (r->status != RENDER_OK)
		return -1;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	buf_reset(r->err);
	buf_puts(r->err, line);
	r->status = s;
	return -1;
}

static int
render_check_hpdf(struct render *r)
{
	if (r->hpdf_error == 0)
		return 0;
	if (r->hpdf_error == HPDF_FAILD_TO_ALLOC_MEM)
		return render_fail(r, RENDER_NOMEM, "fallback PDF: out of "
		    "memory");
	/* Nothing is read or written here (the font was loaded before,
	 * the file is written after): libharu refused something drawn,
	 * and it would refuse it again on the next run. */
	return render_fail(r, RENDER_DATAERR, "fallback PDF: libharu error "
	    "0x%04lX (detail %lu)", (unsigned long)r->hpdf_error,
	    (unsigned long)r->hpdf_detail);
}

/*
 * Steps st: 1 on a row, 0 at its end, -1 with the error recorded (a
 * failed step must not pass for the end of the rows: the table would be
 * cut short without a word).
 */
static int
render_step(struct render *r, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	return render_fail(r, rc == SQLITE_NOMEM ? RENDER_NOMEM :
	    RENDER_DATAERR, "report_data: %s", sqlite3_errmsg(r->db));
}

/* ---- report_data, through SQLite's JSON functions ---- */

/* The JSON type at path, or NULL when absent (caller frees). */
static char *
render_json_type(struct render *r, const char *path)
{
	sqlite3_stmt *st = NULL;
	char *t = NULL;

	if (sqlite3_prepare_v2(r->db, "SELECT json_type(?1, ?2)", -1, &st,
	    NULL) != SQLITE_OK) {
		render_fail(r, RENDER_NOMEM, "report_data: %s",
		    sqlite3_errmsg(r->db));
		return NULL;
	}
	sqlite3_bind_text(st, 1, r->json, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, path, -1, SQLITE_STATIC);
	if (render_step(r, st) == 1 && sqlite3_column_type(st, 0) !=
	    SQLITE_NULL && (t = strdup((const char *)sqlite3_column_text(st,
	    0))) == NULL)
		render_fail(r, RENDER_NOMEM, "out of memory");
	sqlite3_finalize(st);
	return t;
}

/*
 * Checks that key (a top-level name) is absent or of one of the types in
 * `want` ("text", "array", "object"...).  Returns 1 when present and
 * right, 0 when absent, -1 on a wrong type (error set).
 */
static int
render_key(struct render *r, const char *key, const char *want,
    const char *what)
{
	char path[64], *t;
	int rc;

	snprintf(path, sizeof(path), "$.\"%s\"", key);
	if ((t = render_json_type(r, path)) == NULL)
		return r->status == RENDER_OK ? 0 : -1;
	if (strcmp(t, "null") == 0)
		rc = 0;
	else if (strstr(want, t) != NULL)
		rc = 1;
	else
		rc = render_fail(r, RENDER_DATAERR, "report_data: \"%s\" "
		    "must be %s, not %s", key, what, t);
	free(t);
	return rc;
}

/* The text at path (a string, or any scalar as text); caller frees. */
static char *
render_json_text(struct render *r, const char *json, const char *path)
{
	sqlite3_stmt *st = NULL;
	const unsigned char *v;
	char *t = NULL;

	if (sqlite3_prepare_v2(r->db, "SELECT json_extract(?1, ?2)", -1, &st,
	    NULL) != SQLITE_OK) {
		render_fail(r, RENDER_NOMEM, "report_data: %s",
		    sqlite3_errmsg(r->db));
		return NULL;
	}
	sqlite3_bind_text(st, 1, json, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, path, -1, SQLITE_STATIC);
	if (render_step(r, st) == 1 &&
	    (v = sqlite3_column_text(st, 0)) != NULL &&
	    (t = strdup((const char *)v)) == NULL)
		render_fail(r, RENDER_NOMEM, "out of memory");
	sqlite3_finalize(st);
	return t;
}

/* Prepares a json_each over json at path (NULL: the whole value). */
static sqlite3_stmt *
render_each(struct render *r, const char *json, const char *path)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(r->db, path ? "SELECT key, value, type FROM "
	    "json_each(?1, ?2)" : "SELECT key, value, type FROM json_each(?1)",
	    -1, &st, NULL) != SQLITE_OK) {
		render_fail(r, RENDER_NOMEM, "report_data: %s",
		    sqlite3_errmsg(r->db));
		return NULL;
	}
	/* json outlives st: the report's text, or a row of an outer
	 * statement that is not stepped while st lives. */
	sqlite3_bind_text(st, 1, json, -1, SQLITE_STATIC);
	if (path)
		sqlite3_bind_text(st, 2, path, -1, SQLITE_STATIC);
	return st;
}

static int
render_is_number(const char *type)
{
	return strcmp(type, "integer") == 0 || strcmp(type, "real") == 0;
}

/* ---- drawing ---- */

struct render_measure {
	struct render	*r;
	HPDF_Font	 font;
	double		 size;
};

static double
render_width(void *ctx, const char *text, size_t n)
{
	struct render_measure *m = ctx;
	HPDF_TextWidth tw;

	tw = HPDF_Font_TextWidth(m->font, (const HPDF_BYTE *)text,
	    (HPDF_UINT)n);
	return tw.width * m->size / 1000.0;
}

/* The ellipsis in the current fonts' encoding. */
static const char *
render_ellipsis(const struct render *r)
{
	return r->utf8 ? "\xe2\x80\xa6" : "\x85";
}

/*
 * Encodes UTF-8 text for the current fonts into r->text, at most
 * RENDER_TEXT_MAX bytes of it (libharu measures and draws no more than
 * 65535): a longer text ends with the ellipsis, and is cut further to
 * its width like any other.  Line breaks and tabs become spaces.
 */
static const char *
render_encode(struct render *r, const char *utf8)
{
	int rc;

	buf_reset(&r->text);
	rc = r->utf8 ? render_utf8(utf8, RENDER_TEXT_MAX, &r->text) :
	    render_winansi(utf8, RENDER_TEXT_MAX, &r->text);
	if (rc == 1 && buf_puts(&r->text, render_ellipsis(r)) == -1)
		rc = -1;
	if (rc == -1) {
		render_fail(r, RENDER_NOMEM, "fallback PDF: out of memory");
		buf_reset(&r->text);
	}
	r->text_cut = rc == 1;
	return r->text.data;
}

/* The width of UTF-8 text in font at size. */
static double
render_text_width(struct render *r, HPDF_Font font, double size,
    const char *utf8)
{
	struct render_measure m = { r, font, size };
	const char *t = render_encode(r, utf8);

	return render_width(&m, t, r->text.len);
}

enum render_align { ALIGN_LEFT, ALIGN_RIGHT, ALIGN_CENTER };

/*
 * Draws UTF-8 text in max_w points at (x, y): cut with an ellipsis when
 * longer, aligned within max_w.
 */
static void
render_text(struct render *r, HPDF_Font font, double size, double x,
    double y, double max_w, enum render_align align, const char *utf8)
{
	struct render_measure m = { r, font, size };
	const char *ell = render_ellipsis(r);
	const char *t;
	size_t n;
	double w, ew;
	int cut;

	t = render_encode(r, utf8);
	if (*t == '\0')
		return;
	ew = render_width(&m, ell, strlen(ell));
	n = render_fit(t, r->text.len, r->utf8, max_w, ew, render_width, &m,
	    &cut);
	if (cut) {
		/* Room for the ellipsis: the text was at least n bytes
		 * plus one character long. */
		r->text.len = n;
		r->text.data[n] = '\0';
		buf_puts(&r->text, ell);
		t = r->text.data;
	}
	w = render_width(&m, t, r->text.len);
	if (align == ALIGN_RIGHT)
		x += max_w - w;
	else if (align == ALIGN_CENTER)
		x += (max_w - w) / 2;
	HPDF_Page_BeginText(r->page);
	HPDF_Page_SetFontAndSize(r->page, font, (HPDF_REAL)size);
	HPDF_Page_TextOut(r->page, (HPDF_REAL)x, (HPDF_REAL)y, t);
	HPDF_Page_EndText(r->page);
}

static void
render_fill(struct render *r, double x, double y, double w, double h,
    double gray)
{
	HPDF_Page_SetGrayFill(r->page, (HPDF_REAL)gray);
	HPDF_Page_Rectangle(r->page, (HPDF_REAL)x, (HPDF_REAL)y,
	    (HPDF_REAL)w, (HPDF_REAL)h);
	HPDF_Page_Fill(r->page);
	HPDF_Page_SetGrayFill(r->page, 0);
}

/* Starts a new page; -1 past max_pages. */
static int
render_new_page(struct render *r)
{
	HPDF_Page *nv;

	if (r->opt->max_pages > 0 && (long)r->npages >= r->opt->max_pages)
		return render_fail(r, RENDER_DATAERR, "the fallback PDF would "
		    "need more than max_pages (%ld) pages", r->opt->max_pages);
	if (r->npages == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 16;
		if ((nv = realloc(r->pages, r->cap * sizeof(*nv))) == NULL)
			return render_fail(r, RENDER_NOMEM, "out of memory");
		r->pages = nv;
	}
	r->page = HPDF_AddPage(r->pdf);
	if (render_check_hpdf(r) == -1)
		return -1;
	HPDF_Page_SetSize(r->page, HPDF_PAGE_SIZE_A4, r->landscape ?
	    HPDF_PAGE_LANDSCAPE : HPDF_PAGE_PORTRAIT);
	r->pw = HPDF_Page_GetWidth(r->page);
	r->ph = HPDF_Page_GetHeight(r->page);
	r->pages[r->npages++] = r->page;
	r->y = r->ph - PAGE_MARGIN;
	return render_check_hpdf(r);
}

/* ---- the header block ---- */

static void
render_heading(struct render *r)
{
	double w = r->pw - 2 * PAGE_MARGIN;
	char when[64], line[128];
	char *sub;

	r->y -= 20;
	render_text(r, r->bold, 18, PAGE_MARGIN, r->y, w, ALIGN_LEFT,
	    r->title);
	if ((sub = render_json_text(r, r->json, "$.subtitle")) != NULL) {
		r->y -= 17;
		render_text(r, r->font, 12, PAGE_MARGIN, r->y, w, ALIGN_LEFT,
		    sub);
		free(sub);
	}
	if (time_format_local(r->opt->now, r->opt->timezone, when,
	    sizeof(when)) == -1)
		time_format_db(r->opt->now, when);
	snprintf(line, sizeof(line), "Generated %s", when);
	r->y -= 14;
	HPDF_Page_SetGrayFill(r->page, 0.35);
	render_text(r, r->font, 9, PAGE_MARGIN, r->y, w, ALIGN_LEFT, line);
	HPDF_Page_SetGrayFill(r->page, 0);
	r->y -= 8;
}

/* "Key: value" lines of the parameters object, on as many pages as
 * they take. */
static int
render_parameters(struct render *r)
{
	sqlite3_stmt *st;
	struct buf line;
	double w = r->pw - 2 * PAGE_MARGIN, kw;
	size_t kn;
	int rc, any = 0;

	if ((rc = render_key(r, "parameters", "object", "an object")) <= 0)
		return rc;
	if ((st = render_each(r, r->json, "$.parameters")) == NULL)
		return -1;
	buf_init(&line, RENDER_TEXT_MAX + 2);
	while (render_step(r, st) == 1) {
		const char *k = (const char *)sqlite3_column_text(st, 0);
		const char *v = (const char *)sqlite3_column_text(st, 1);

		/* Past RENDER_TEXT_MAX, a key is cut at its column anyway. */
		kn = k ? strlen(k) : 0;
		buf_reset(&line);
		buf_printf(&line, "%.*s:", (int)(kn < RENDER_TEXT_MAX ? kn :
		    RENDER_TEXT_MAX), k ? k : "");
		if (r->y - 12 < BODY_BOTTOM && render_new_page(r) == -1)
			break;
		r->y -= 12;
		render_text(r, r->bold, 9, PAGE_MARGIN, r->y, w / 3,
		    ALIGN_LEFT, line.data);
		kw = render_text_width(r, r->bold, 9, line.data) + 6;
		if (kw > w / 3)
			kw = w / 3;
		render_text(r, r->font, 9, PAGE_MARGIN + kw, r->y, w - kw,
		    ALIGN_LEFT, v ? v : "");
		any = 1;
	}
	sqlite3_finalize(st);
	buf_release(&line);
	if (any)
		r->y -= 8;
	return r->status == RENDER_OK ? 0 : -1;
}

/* The KPIs as boxes, KPI_PER_ROW to a row, on as many pages as they
 * take. */
static int
render_kpis(struct render *r)
{
	sqlite3_stmt *st;
	double w = r->pw - 2 * PAGE_MARGIN, bw, x;
	int rc, i = 0;

	if ((rc = render_key(r, "kpis", "array", "an array")) <= 0)
		return rc;
	if ((st = render_each(r, r->json, "$.kpis")) == NULL)
		return -1;
	bw = (w - (KPI_PER_ROW - 1) * 8) / KPI_PER_ROW;
	while (render_step(r, st) == 1) {
		const char *v = (const char *)sqlite3_column_text(st, 1);
		const char *type = (const char *)sqlite3_column_text(st, 2);
		char *label, *value;

		if (strcmp(type, "object") != 0) {
			sqlite3_finalize(st);
			return render_fail(r, RENDER_DATAERR, "report_data: "
			    "\"kpis\"[%d] must be an object with \"label\" "
			    "and \"value\"", i);
		}
		if (i % KPI_PER_ROW == 0) {
			if (r->y - KPI_H - 8 < BODY_BOTTOM &&
			    render_new_page(r) == -1)
				break;
			r->y -= KPI_H + 8;
		}
		x = PAGE_MARGIN + (i % KPI_PER_ROW) * (bw + 8);
		label = render_json_text(r, v, "$.label");
		value = render_json_text(r, v, "$.value");
		render_fill(r, x, r->y, bw, KPI_H, 0.93);
		HPDF_Page_SetRGBFill(r->page, 0.16, 0.32, 0.60);
		HPDF_Page_Rectangle(r->page, (HPDF_REAL)x, (HPDF_REAL)r->y, 3,
		    KPI_H);
		HPDF_Page_Fill(r->page);
		HPDF_Page_SetGrayFill(r->page, 0.35);
		render_text(r, r->font, 8, x + 9, r->y + KPI_H - 13, bw - 14,
		    ALIGN_LEFT, label ? label : "");
		HPDF_Page_SetGrayFill(r->page, 0);
		render_text(r, r->bold, 14, x + 9, r->y + 9, bw - 14,
		    ALIGN_LEFT, value ? value : "");
		free(label);
		free(value);
		i++;
	}
	sqlite3_finalize(st);
	if (i)
		r->y -= 12;
	return r->status == RENDER_OK ? 0 : -1;
}

/* ---- the table ---- */

/* The text of a cell, as shown. */
static const char *
render_cell(sqlite3_stmt *cell, const char **type)
{
	const char *v = (const char *)sqlite3_column_text(cell, 1);

	*type = (const char *)sqlite3_column_text(cell, 2);
	if (strcmp(*type, "null") == 0 || v == NULL)
		return "";
	return v;
}

/*
 * The measuring pass: number of columns, natural widths, which columns
 * hold only numbers, and that every row is an array.  A table wider than
 * TABLE_MAX_COLS is refused as soon as it is seen: there is no page to
 * draw it on, and it would only cost time (each row's cells are
 * measured, then drawn).
 */
static int
render_measure(struct render *r)
{
	sqlite3_stmt *rows = NULL, *cells = NULL;
	const char *type, *text;
	size_t i, nhead = 0;
	double w;
	int rc;

	if ((rc = render_key(r, "columns", "array", "an array")) < 0 ||
	    (rc = render_key(r, "rows", "array", "an array")) < 0)
		return -1;
	/* The header sets the columns; a longer row adds to them. */
	if ((rows = render_each(r, r->json, "$.columns")) == NULL)
		return -1;
	while ((rc = render_step(r, rows)) == 1)
		nhead++;
	if (rc == -1)
		goto fail;
	if (nhead > TABLE_MAX_COLS) {
		render_fail(r, RENDER_DATAERR, "report_data: the table has %zu "
		    "columns, but at most %zu fit across a page",
		    nhead, TABLE_MAX_COLS);
		goto fail;
	}
	sqlite3_reset(rows);
	r->ncols = nhead;
	if ((r->colw = calloc(nhead ? nhead : 1, sizeof(double))) == NULL ||
	    (r->numeric = calloc(nhead ? nhead : 1, sizeof(int))) == NULL)
		goto nomem;
	if ((r->colnames = calloc(nhead ? nhead : 1, sizeof(char *))) ==
	    NULL)
		goto nomem;
	for (i = 0; i < nhead && render_step(r, rows) == 1; i++) {
		text = render_cell(rows, &type);
		if ((r->colnames[i] = strdup(text)) == NULL)
			goto nomem;
		r->nnames = i + 1;
		r->colw[i] = render_text_width(r, r->bold, CELL_SIZE, text);
		r->numeric[i] = 1;
	}
	sqlite3_finalize(rows);
	rows = NULL;
	if (r->status != RENDER_OK)
		return -1;
	if ((rows = render_each(r, r->json, "$.rows")) == NULL)
		return -1;
	while (render_step(r, rows) == 1) {
		const char *row = (const char *)sqlite3_column_text(rows, 1);

		type = (const char *)sqlite3_column_text(rows, 2);
		if (strcmp(type, "array") != 0) {
			sqlite3_finalize(rows);
			return render_fail(r, RENDER_DATAERR, "report_data: "
			    "\"rows\"[%lld] must be an array, not %s",
			    r->nrows, type);
		}
		r->nrows++;
		if ((cells = render_each(r, row, NULL)) == NULL)
			goto fail;
		for (i = 0; render_step(r, cells) == 1; i++) {
			if (i >= TABLE_MAX_COLS) {
				render_fail(r, RENDER_DATAERR, "report_data: "
				    "\"rows\"[%lld] has more than %zu cells, "
				    "but at most %zu columns fit across a "
				    "page", r->nrows - 1, TABLE_MAX_COLS,
				    TABLE_MAX_COLS);
				goto fail;
			}
			if (i >= r->ncols) {
				double *cw = realloc(r->colw, (i + 1) *
				    sizeof(*cw));
				int *nm;

				if (cw == NULL)
					goto nomem;
				r->colw = cw;
				if ((nm = realloc(r->numeric, (i + 1) *
				    sizeof(*nm))) == NULL)
					goto nomem;
				r->numeric = nm;
				r->colw[i] = 0;
				r->numeric[i] = 1;
				r->ncols = i + 1;
			}
			text = render_cell(cells, &type);
			if (!render_is_number(type) && strcmp(type, "null"))
				r->numeric[i] = 0;
			if (r->colw[i] < COL_MAX_W &&
			    (w = render_text_width(r, r->font, CELL_SIZE,
			    text)) > r->colw[i])
				r->colw[i] = w;
		}
		sqlite3_finalize(cells);
		cells = NULL;
		if (r->status != RENDER_OK)
			goto fail;
	}
	sqlite3_finalize(rows);
	return r->status == RENDER_OK ? 0 : -1;
nomem:
	render_fail(r, RENDER_NOMEM, "out of memory");
fail:
	sqlite3_finalize(cells);
	sqlite3_finalize(rows);
	return -1;
}

/* The width of the columns if none were wider than cap. */
static double
render_capped_total(const struct render *r, double cap)
{
	double total = 0;
	size_t i;

	for (i = 0; i < r->ncols; i++)
		total += r->colw[i] < cap ? r->colw[i] : cap;
	return total;
}

/*
 * Widths: natural widths plus padding, each at most COL_MAX_W; landscape
 * when they do not fit a portrait page; then the widest cut down to a
 * common width, the largest at which the table fits (their cells cut with
 * an ellipsis), or, when even COL_MIN_W is too wide, the page shared
 * evenly (TABLE_MAX_COLS keeps that at COL_FLOOR_W or more).  The common
 * width is found by bisection: a fixed number of passes over the columns.
 */
static void
render_widths(struct render *r)
{
	double portrait = 595.0 - 2 * PAGE_MARGIN, total = 0, avail, lo, hi,
	    mid;
	size_t i;
	int k;

	for (i = 0; i < r->ncols; i++) {
		r->colw[i] += 2 * CELL_PAD;
		if (!(r->colw[i] <= COL_MAX_W))		/* NaN too */
			r->colw[i] = COL_MAX_W;
		if (r->colw[i] < COL_MIN_W)
			r->colw[i] = COL_MIN_W;
		total += r->colw[i];
	}
	r->landscape = total > portrait;
	avail = r->landscape ? LANDSCAPE_W : portrait;
	if (total <= avail)
		return;
	if ((double)r->ncols * COL_MIN_W >= avail) {
		for (i = 0; i < r->ncols; i++)
			r->colw[i] = avail / (double)r->ncols;
		return;
	}
	/* capped_total(lo) <= avail < capped_total(hi) */
	lo = COL_MIN_W;
	hi = COL_MAX_W;
	for (k = 0; k < 40; k++) {
		mid = (lo + hi) / 2;
		if (render_capped_total(r, mid) <= avail)
			lo = mid;
		else
			hi = mid;
	}
	for (i = 0; i < r->ncols; i++)
		if (r->colw[i] > lo)
			r->colw[i] = lo;
}

static void
render_table_header(struct render *r)
{
	double x = PAGE_MARGIN, w = 0;
	size_t i;

	for (i = 0; i < r->ncols; i++)
		w += r->colw[i];
	r->y -= HEAD_H;
	HPDF_Page_SetRGBFill(r->page, 0.16, 0.32, 0.60);
	HPDF_Page_Rectangle(r->page, (HPDF_REAL)PAGE_MARGIN, (HPDF_REAL)r->y,
	    (HPDF_REAL)w, HEAD_H);
	HPDF_Page_Fill(r->page);
	HPDF_Page_SetGrayFill(r->page, 1);
	for (i = 0; i < r->nnames; i++) {
		render_text(r, r->bold, CELL_SIZE, x + CELL_PAD, r->y + 5,
		    r->colw[i] - 2 * CELL_PAD, r->numeric[i] ? ALIGN_RIGHT :
		    ALIGN_LEFT, r->colnames[i]);
		x += r->colw[i];
	}
	HPDF_Page_SetGrayFill(r->page, 0);
}

/* The drawing pass over the rows, page after page. */
static int
render_table(struct render *r)
{
	sqlite3_stmt *rows, *cells;
	const char *type, *text;
	double x, w = 0;
	long long n = 0;
	size_t i;

	if (r->ncols == 0)
		return 0;
	for (i = 0; i < r->ncols; i++)
		w += r->colw[i];
	if (r->y - HEAD_H - ROW_H < BODY_BOTTOM && render_new_page(r) == -1)
		return -1;
	render_table_header(r);
	if ((rows = render_each(r, r->json, "$.rows")) == NULL)
		return -1;
	while (render_step(r, rows) == 1) {
		if (r->y - ROW_H < BODY_BOTTOM) {
			if (render_new_page(r) == -1)
				break;
			render_table_header(r);
		}
		r->y -= ROW_H;
		if (n % 2)
			render_fill(r, PAGE_MARGIN, r->y, w, ROW_H, 0.94);
		cells = render_each(r, (const char *)sqlite3_column_text(rows,
		    1), NULL);
		if (cells == NULL)
			break;
		x = PAGE_MARGIN;
		for (i = 0; i < r->ncols && render_step(r, cells) == 1; i++) {
			text = render_cell(cells, &type);
			render_text(r, r->font, CELL_SIZE, x + CELL_PAD,
			    r->y + 4, r->colw[i] - 2 * CELL_PAD,
			    render_is_number(type) ? ALIGN_RIGHT : ALIGN_LEFT,
			    text);
			x += r->colw[i];
		}
		sqlite3_finalize(cells);
		n++;
		if (r->status != RENDER_OK || render_check_hpdf(r) == -1)
			break;
	}
	sqlite3_finalize(rows);
	return r->status == RENDER_OK ? 0 : -1;
}

/* ---- the chart ---- */

/* Reads chart.<key> as a column index; -1 with an error when bad. */
static long
render_chart_column(struct render *r, const char *key)
{
	char path[64], *t, *v, *end;
	long c;

	snprintf(path, sizeof(path), "$.chart.%s", key);
	if ((t = render_json_type(r, path)) == NULL) {
		if (r->status == RENDER_OK)
			render_fail(r, RENDER_DATAERR, "report_data: "
			    "\"chart\" needs \"%s\"", key);
		return -1;
	}
	if (strcmp(t, "integer") != 0) {
		render_fail(r, RENDER_DATAERR, "report_data: \"chart\".\"%s\" "
		    "must be a column number, not %s", key, t);
		free(t);
		return -1;
	}
	free(t);
	if ((v = render_json_text(r, r->json, path)) == NULL)
		return -1;
	/* An integer past 64 bits comes back from SQLite as a real
	 * ("1.0e+20"): not a column either. */
	errno = 0;
	c = strtol(v, &end, 10);
	if (errno || *end != '\0' || c < 0 || (size_t)c >= r->ncols) {
		render_fail(r, RENDER_DATAERR, "report_data: \"chart\".\"%s\" "
		    "is %.40s, but the table has %zu columns", key, v,
		    r->ncols);
		free(v);
		return -1;
	}
	free(v);
	return c;
}

/* The value of cell c of a row, as a number; 0 when not a number. */
static int
render_row_cell(struct render *r, const char *row, long c, char **text,
    double *num)
{
	sqlite3_stmt *st = NULL;
	char path[32];
	const char *type;
	int rc = -1;

	*text = NULL;
	*num = 0;
	snprintf(path, sizeof(path), "$[%ld]", c);
	if (sqlite3_prepare_v2(r->db, "SELECT json_extract(?1, ?2), "
	    "json_type(?1, ?2)", -1, &st, NULL) != SQLITE_OK)
		return render_fail(r, RENDER_NOMEM, "report_data: %s",
		    sqlite3_errmsg(r->db));
	sqlite3_bind_text(st, 1, row, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, path, -1, SQLITE_STATIC);
	if (render_step(r, st) == 1) {
		type = (const char *)sqlite3_column_text(st, 1);
		if (type && render_is_number(type))
			*num = sqlite3_column_double(st, 0);
		if (sqlite3_column_text(st, 0) && (*text = strdup(
		    (const char *)sqlite3_column_text(st, 0))) == NULL) {
			render_fail(r, RENDER_NOMEM, "out of memory");
			goto out;
		}
	}
	rc = r->status == RENDER_OK ? 0 : -1;
out:
	sqlite3_finalize(st);
	return rc;
}

static int
render_chart(struct render *r)
{
	sqlite3_stmt *rows;
	struct render_axis ax;
	char *type, *labels[CHART_MAX_BARS], label[32];
	double values[CHART_MAX_BARS], min = 0, max = 0, x0, y0, ch, cw, bw,
	    zero, top, v;
	long lc, vc;
	int rc, n = 0, i, k;

	if ((rc = render_key(r, "chart", "object", "an object")) <= 0)
		return rc;
	type = render_json_text(r, r->json, "$.chart.type");
	if (type == NULL || strcmp(type, "bar") != 0) {
		free(type);
		return render_fail(r, RENDER_DATAERR, "report_data: "
		    "\"chart\".\"type\" must be \"bar\"");
	}
	free(type);
	if ((lc = render_chart_column(r, "label_column")) < 0 ||
	    (vc = render_chart_column(r, "value_column")) < 0)
		return -1;
	if ((rows = render_each(r, r->json, "$.rows")) == NULL)
		return -1;
	while (n < CHART_MAX_BARS && render_step(r, rows) == 1) {
		const char *row = (const char *)sqlite3_column_text(rows, 1);
		char *vt;

		if (render_row_cell(r, row, lc, &labels[n], &v) == -1)
			break;
		if (render_row_cell(r, row, vc, &vt, &values[n]) == -1) {
			free(labels[n]);
			break;
		}
		free(vt);
		n++;
		/* 1e999 is valid JSON, and SQLite reads it as infinity:
		 * no bar has that height. */
		if (!isfinite(values[n - 1])) {
			render_fail(r, RENDER_DATAERR, "report_data: the chart "
			    "value in \"rows\"[%d] is not a finite number",
			    n - 1);
			break;
		}
		min = fmin(min, values[n - 1]);
		max = fmax(max, values[n - 1]);
	}
	sqlite3_finalize(rows);
	if (r->status != RENDER_OK || n == 0)
		goto out;
	render_axis_make(min, max, &ax);

	/* The frame: y axis on the left with its labels, bars, x labels. */
	ch = CHART_H;
	if (r->y - ch - 30 < BODY_BOTTOM && render_new_page(r) == -1)
		goto out;
	x0 = PAGE_MARGIN + 44;
	cw = r->pw - PAGE_MARGIN - x0;
	r->y -= 16;
	{
		char *vname = NULL, path[32];
		struct buf title;

		snprintf(path, sizeof(path), "$.columns[%ld]", vc);
		vname = render_json_text(r, r->json, path);
		buf_init(&title, RENDER_TEXT_MAX + 16);
		buf_printf(&title, "%.*s%s", (int)strnlen(vname ? vname : "",
		    RENDER_TEXT_MAX), vname ? vname : "", r->nrows > n ?
		    " (first rows)" : "");
		render_text(r, r->bold, 10, PAGE_MARGIN, r->y, r->pw -
		    2 * PAGE_MARGIN, ALIGN_LEFT, title.data);
		buf_release(&title);
		free(vname);
	}
	y0 = r->y - ch;
	/* Ticks counted in steps (render_axis.h): a bounded loop, and no
	 * tick value is computed, only its place and its label. */
	HPDF_Page_SetLineWidth(r->page, 0.5);
	HPDF_Page_SetGrayStroke(r->page, 0.8);
	for (k = ax.lo; k <= ax.hi; k++) {
		double y = y0 + (double)(k - ax.lo) / (ax.hi - ax.lo) *
		    (ch - 14);

		HPDF_Page_MoveTo(r->page, (HPDF_REAL)x0, (HPDF_REAL)y);
		HPDF_Page_LineTo(r->page, (HPDF_REAL)(x0 + cw), (HPDF_REAL)y);
		HPDF_Page_Stroke(r->page);
		render_axis_label(&ax, k, label, sizeof(label));
		render_text(r, r->font, 7, PAGE_MARGIN, y - 2, 40,
		    ALIGN_RIGHT, label);
	}
	zero = y0 + render_axis_pos(&ax, 0) * (ch - 14);
	HPDF_Page_SetGrayStroke(r->page, 0);
	HPDF_Page_MoveTo(r->page, (HPDF_REAL)x0, (HPDF_REAL)y0);
	HPDF_Page_LineTo(r->page, (HPDF_REAL)x0, (HPDF_REAL)(y0 + ch - 10));
	HPDF_Page_MoveTo(r->page, (HPDF_REAL)x0, (HPDF_REAL)zero);
	HPDF_Page_LineTo(r->page, (HPDF_REAL)(x0 + cw), (HPDF_REAL)zero);
	HPDF_Page_Stroke(r->page);
	bw = cw / n;
	for (i = 0; i < n; i++) {
		/* From the zero line, up or down. */
		top = y0 + render_axis_pos(&ax, values[i]) * (ch - 14);
		if (top != zero) {
			HPDF_Page_SetRGBFill(r->page, 0.16, 0.32, 0.60);
			HPDF_Page_Rectangle(r->page,
			    (HPDF_REAL)(x0 + i * bw + bw * 0.15),
			    (HPDF_REAL)fmin(zero, top), (HPDF_REAL)(bw * 0.7),
			    (HPDF_REAL)fabs(top - zero));
			HPDF_Page_Fill(r->page);
			HPDF_Page_SetGrayFill(r->page, 0);
		}
		render_text(r, r->font, 7, x0 + i * bw + 1, y0 - 10, bw - 2,
		    ALIGN_CENTER, labels[i] ? labels[i] : "");
	}
	r->y = y0 - 24;
out:
	for (i = 0; i < n; i++)
		free(labels[i]);
	return r->status == RENDER_OK ? 0 : -1;
}

/* ---- the document ---- */

/* "page i / n" and the title, on every page, now that n is known. */
static void
render_footers(struct render *r)
{
	char text[64];
	double w;
	size_t i;

	for (i = 0; i < r->npages; i++) {
		r->page = r->pages[i];
		w = HPDF_Page_GetWidth(r->page) - 2 * PAGE_MARGIN;
		HPDF_Page_SetGrayStroke(r->page, 0.7);
		HPDF_Page_SetLineWidth(r->page, 0.5);
		HPDF_Page_MoveTo(r->page, PAGE_MARGIN, FOOTER_Y + 10);
		HPDF_Page_LineTo(r->page, (HPDF_REAL)(PAGE_MARGIN + w),
		    FOOTER_Y + 10);
		HPDF_Page_Stroke(r->page);
		HPDF_Page_SetGrayFill(r->page, 0.35);
		render_text(r, r->font, 8, PAGE_MARGIN, FOOTER_Y, w * 0.7,
		    ALIGN_LEFT, r->title);
		snprintf(text, sizeof(text), "page %zu / %zu", i + 1,
		    r->npages);
		render_text(r, r->font, 8, PAGE_MARGIN + w * 0.7, FOOTER_Y,
		    w * 0.3, ALIGN_RIGHT, text);
		HPDF_Page_SetGrayFill(r->page, 0);
	}
}

static int
render_fonts(struct render *r)
{
	const char *name;

	if (r->opt->font_path == NULL) {
		r->font = HPDF_GetFont(r->pdf, "Helvetica", "WinAnsiEncoding");
		r->bold = HPDF_GetFont(r->pdf, "Helvetica-Bold",
		    "WinAnsiEncoding");
		return render_check_hpdf(r);
	}
	/* A TrueType font, embedded: all of Unicode it covers. */
	if (access(r->opt->font_path, R_OK) == -1)
		return render_fail(r, RENDER_IOERR, "[pdf] font '%s': %s",
		    r->opt->font_path, strerror(errno));
	HPDF_UseUTFEncodings(r->pdf);
	name = HPDF_LoadTTFontFromFile(r->pdf, r->opt->font_path, HPDF_TRUE);
	if (name == NULL || r->hpdf_error)
		return render_fail(r, RENDER_IOERR, "[pdf] font '%s': not a "
		    "TrueType font libharu can embed (error 0x%04lX)",
		    r->opt->font_path, (unsigned long)r->hpdf_error);
	r->font = r->bold = HPDF_GetFont(r->pdf, name, "UTF-8");
	r->utf8 = 1;
	return render_check_hpdf(r);
}

/* The title: report_data's, else the report's title column. */
static int
render_title(struct render *r)
{
	int rc;

	if ((rc = render_key(r, "title", "text", "text")) < 0 ||
	    render_key(r, "subtitle", "text", "text") < 0)
		return -1;
	if (rc == 1)
		r->title = render_json_text(r, r->json, "$.title");
	else
		r->title = strdup(r->opt->title && *r->opt->title ?
		    r->opt->title : "Report");
	if (r->title == NULL)
		return render_fail(r, RENDER_NOMEM, "out of memory");
	return 0;
}

static int
render_json_valid(struct render *r)
{
	sqlite3_stmt *st = NULL;
	int ok = 0;

	/* CASE, not AND: json_type() fails on what is not JSON. */
	if (sqlite3_prepare_v2(r->db, "SELECT CASE WHEN json_valid(?1) THEN "
	    "json_type(?1) = 'object' ELSE -1 END", -1, &st, NULL) !=
	    SQLITE_OK)
		return render_fail(r, RENDER_NOMEM, "report_data: %s",
		    sqlite3_errmsg(r->db));
	sqlite3_bind_text(st, 1, r->json, -1, SQLITE_STATIC);
	if (render_step(r, st) == 1)
		ok = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (r->status != RENDER_OK)
		return -1;
	if (ok == -1)
		return render_fail(r, RENDER_DATAERR, "report_data is not a "
		    "JSON object: it is not valid JSON, or nests arrays and "
		    "objects deeper than SQLite reads");
	if (!ok)
		return render_fail(r, RENDER_DATAERR, "report_data is not a "
		    "JSON object");
	return 0;
}

/*
 * Saves the document into libharu's memory stream and copies it to f:
 * our own writes, checked (render_file.c says why).
 */
static int
render_save(struct render *r, struct render_file *f)
{
	HPDF_BYTE chunk[16384];
	HPDF_UINT32 n, size, done = 0;
	HPDF_STATUS st;

	if (HPDF_SaveToStream(r->pdf) != HPDF_OK || render_check_hpdf(r))
		return render_fail(r, RENDER_DATAERR, "fallback PDF: libharu "
		    "cannot save it");
	size = HPDF_GetStreamSize(r->pdf);
	/* Each turn reads at least a byte, or stops. */
	while (done < size) {
		n = sizeof(chunk);
		st = HPDF_ReadFromStream(r->pdf, chunk, &n);
		if (n == 0 || (st != HPDF_OK && st != HPDF_STREAM_EOF))
			return render_fail(r, RENDER_DATAERR, "fallback PDF: "
			    "libharu lost %lu bytes of it",
			    (unsigned long)(size - done));
		if (render_file_write(f, chunk, n, r->err) == -1) {
			r->status = RENDER_IOERR;
			return -1;
		}
		done += n;
	}
	return 0;
}

enum render_status
render_report(sqlite3 *db, const char *report_data,
    const struct render_options *opt, const char *out_path,
    struct buf *err)
{
	struct render r;
	struct render_file f;
	size_t i;

	memset(&r, 0, sizeof(r));
	r.db = db;
	r.json = report_data;
	r.opt = opt;
	r.err = err;
	buf_init(&r.text, 1 << 20);

	/* The target first: a directory there costs no drawing. */
	if (render_file_open(&f, out_path, err) == -1) {
		r.status = RENDER_IOERR;
		goto out;
	}
	if (render_json_valid(&r) == -1 || render_title(&r) == -1)
		goto out;
	if ((r.pdf = HPDF_New(render_hpdf_error, &r)) == NULL) {
		render_fail(&r, RENDER_NOMEM, "fallback PDF: out of memory");
		goto out;
	}
	HPDF_SetCompressionMode(r.pdf, HPDF_COMP_ALL);
	HPDF_SetInfoAttr(r.pdf, HPDF_INFO_CREATOR, "sendreports");
	/* The fonts measure the columns, which decide the orientation. */
	if (render_fonts(&r) == -1 || render_measure(&r) == -1)
		goto out;
	render_widths(&r);
	if (render_new_page(&r) == -1)
		goto out;
	render_heading(&r);
	if (render_parameters(&r) == -1 || render_kpis(&r) == -1 ||
	    render_chart(&r) == -1 || render_table(&r) == -1)
		goto out;
	render_footers(&r);
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
	free(r.pages);
	free(r.colw);
	free(r.numeric);
	for (i = 0; i < r.nnames; i++)
		free(r.colnames[i]);
	free(r.colnames);
	free(r.title);
	buf_release(&r.text);
	return r.status;
}
