/*
 * render_table.c - the table (render_table.h).
 *
 * The widths come from one pass over the rows kept by render_data.c:
 * each column wants its widest text (the header's in bold); when they
 * all fit, each gets what it wants; when not, the narrow ones keep their
 * width and the wide ones share the rest evenly (water-filling), so a
 * column of short numbers is never squeezed for a column of long text.
 *
 * A row is laid out once a pass: a cell that fits its column is one line,
 * measured and no more; the others are wrapped (render_wrap).  The dry
 * pass and the drawing pass lay out the same rows the same way, so the
 * page count of the first is that of the second.
 */
#include <stdlib.h>
#include <string.h>

#include "render_table.h"
#include "render_text.h"

#define CELL_SIZE	8.5
#define CELL_PAD	4.0
#define ROW_H		13.0		/* a row of one line */
#define HEAD_H		16.0		/* the header of one line */
#define LINE_H		10.0		/* each line more */
#define HEAD_MAX_LINES	4
#define COL_MAX_W	260.0		/* wider: landscape */
#define COL_MIN_W	28.0
#define PORTRAIT_W	(RENDER_A4_W - 2 * RENDER_MARGIN)
#define LANDSCAPE_W	(RENDER_A4_H - 2 * RENDER_MARGIN)

/* A row laid out: each cell's lines. */
struct table_row {
	size_t			 ncells;
	struct render_cell	 cells[RENDER_TABLE_MAX_COLS];
	size_t			 nlines[RENDER_TABLE_MAX_COLS];
	int			 ellipsis[RENDER_TABLE_MAX_COLS];
	struct render_line	 lines[RENDER_TABLE_MAX_COLS]
				      [RENDER_CELL_MAX_LINES];
	size_t			 height;	/* in lines */
};

/* The widths the columns want, and the orientation; then the widths. */
void
render_table_layout(struct render *r)
{
	const struct render_data *d = r->data;
	struct render_cell cells[RENDER_TABLE_MAX_COLS];
	double want[RENDER_TABLE_MAX_COLS], total = 0, capped = 0, avail,
	    share, w;
	size_t order[RENDER_TABLE_MAX_COLS], i, j, k, n, left;
	struct render_row_at at = { 0, 0 };
	long long row;

	for (i = 0; i < d->ncols; i++)
		want[i] = i < d->nnames ? render_width(r, &r->bold, CELL_SIZE,
		    render_data_str(d, d->names[i]), d->names[i].len) : 0;
	for (row = 0; row < d->nrows; row++) {
		n = render_data_row(d, &at, cells);
		for (i = 0; i < n; i++)
			/* No column gets more than a landscape page. */
			if (want[i] < LANDSCAPE_W && cells[i].len && (w =
			    render_width(r, &r->font, CELL_SIZE, cells[i].text,
			    cells[i].len)) > want[i])
				want[i] = w;
	}
	for (i = 0; i < d->ncols; i++) {
		want[i] += 2 * CELL_PAD;
		if (want[i] < COL_MIN_W)
			want[i] = COL_MIN_W;
		total += want[i];
		capped += want[i] < COL_MAX_W ? want[i] : COL_MAX_W;
		r->colw[i] = want[i];
	}
	r->landscape = capped > PORTRAIT_W;
	avail = r->landscape ? LANDSCAPE_W : PORTRAIT_W;
	if (total > avail && (double)d->ncols * COL_MIN_W >= avail) {
		/* RENDER_TABLE_MAX_COLS keeps this at about 22 points. */
		for (i = 0; i < d->ncols; i++)
			r->colw[i] = avail / (double)d->ncols;
	} else if (total > avail) {
		/* Narrowest first: each keeps its width while it is no more
		 * than an even share of what is left; the rest share it. */
		for (i = 0; i < d->ncols; i++) {
			for (j = i; j > 0 && want[order[j - 1]] > want[i]; j--)
				order[j] = order[j - 1];
			order[j] = i;
		}
		left = d->ncols;
		for (k = 0; k < d->ncols; k++) {
			share = avail / (double)left;
			if (want[order[k]] > share)
				break;
			avail -= want[order[k]];
			left--;
		}
		for (; k < d->ncols; k++)
			r->colw[order[k]] = avail / (double)left;
	}
	r->table_w = 0;
	for (i = 0; i < d->ncols; i++)
		r->table_w += r->colw[i];
}

/*
 * Lays a cell out in its column: one line when it fits, else wrapped.
 * Returns its number of lines, at least 1.
 */
static size_t
render_cell_lines(struct render *r, const struct render_font *font,
    const char *text, size_t len, double w, size_t max_lines,
    struct render_line *lines, int *ellipsis)
{
	struct render_measure m = { r, font, CELL_SIZE };
	const char *ell = render_ellipsis(r);
	size_t n;

	*ellipsis = 0;
	lines[0].off = 0;
	lines[0].len = len;
	if (len == 0 || render_width(r, font, CELL_SIZE, text, len) <= w)
		return 1;
	n = render_wrap(text, len, r->utf8, w, render_width(r, font,
	    CELL_SIZE, ell, strlen(ell)), render_measure, &m, lines,
	    max_lines, ellipsis);
	return n ? n : 1;
}

/*
 * Draws a cell's lines from the top of its row: each line aligned in
 * the column, the ellipsis after the last when cut.
 */
static void
render_cell_draw(struct render *r, const struct render_font *font,
    const char *text, const struct render_line *lines, size_t n,
    int ellipsis, double x, double top, double w, int right)
{
	const char *ell = render_ellipsis(r);
	double tw, ew, x0, y;
	size_t k;
	int last;

	for (k = 0; k < n && !r->dry; k++) {
		last = ellipsis && k + 1 == n;
		y = top - 9 - (double)k * LINE_H;
		tw = right || last ? render_width(r, font, CELL_SIZE,
		    text + lines[k].off, lines[k].len) : 0;
		ew = last ? render_width(r, font, CELL_SIZE, ell,
		    strlen(ell)) : 0;
		x0 = right ? x + w - tw - ew : x;
		render_text(r, font, CELL_SIZE, x0, y, text + lines[k].off,
		    lines[k].len);
		if (last)
			render_text(r, font, CELL_SIZE, x0 + tw, y, ell,
			    strlen(ell));
	}
}

/* The header's names, laid out once: its height in lines. */
static size_t
render_header_layout(struct render *r, struct table_row *h)
{
	const struct render_data *d = r->data;
	size_t i;

	h->ncells = d->nnames;
	h->height = 1;
	for (i = 0; i < d->nnames; i++) {
		h->cells[i].text = render_data_str(d, d->names[i]);
		h->cells[i].len = d->names[i].len;
		h->nlines[i] = render_cell_lines(r, &r->bold, h->cells[i].text,
		    h->cells[i].len, r->colw[i] - 2 * CELL_PAD, HEAD_MAX_LINES,
		    h->lines[i], &h->ellipsis[i]);
		if (h->nlines[i] > h->height)
			h->height = h->nlines[i];
	}
	return h->height;
}

/* The header at the cursor: white on blue, aligned as its column. */
static void
render_header(struct render *r, const struct table_row *h)
{
	double x = RENDER_MARGIN, hh = HEAD_H + (double)(h->height - 1) *
	    LINE_H;
	HPDF_Page p;
	size_t i;

	r->y -= hh;
	if ((p = render_gfx(r)) != NULL) {
		HPDF_Page_SetRGBFill(p, 0.16, 0.32, 0.60);
		HPDF_Page_Rectangle(p, RENDER_MARGIN, (HPDF_REAL)r->y,
		    (HPDF_REAL)r->table_w, (HPDF_REAL)hh);
		HPDF_Page_Fill(p);
	}
	render_gray(r, 1);
	for (i = 0; i < h->ncells; i++) {
		render_cell_draw(r, &r->bold, h->cells[i].text, h->lines[i],
		    h->nlines[i], h->ellipsis[i], x + CELL_PAD, r->y + hh - 2,
		    r->colw[i] - 2 * CELL_PAD, r->data->numeric[i]);
		x += r->colw[i];
	}
	render_gray(r, 0);
}

/* Lays the row out: each cell's lines, the row's height. */
static void
render_row_layout(struct render *r, struct table_row *row)
{
	size_t i;

	row->height = 1;
	for (i = 0; i < row->ncells; i++) {
		row->nlines[i] = render_cell_lines(r, &r->font,
		    row->cells[i].text, row->cells[i].len,
		    r->colw[i] - 2 * CELL_PAD, RENDER_CELL_MAX_LINES,
		    row->lines[i], &row->ellipsis[i]);
		if (row->nlines[i] > row->height)
			row->height = row->nlines[i];
	}
}

static void
render_row_draw(struct render *r, const struct table_row *row, double h,
    int zebra)
{
	double x = RENDER_MARGIN, top = r->y;
	size_t i;

	r->y -= h;
	if (r->dry)
		return;
	if (zebra)
		render_fill(r, RENDER_MARGIN, r->y, r->table_w, h, 0.94);
	for (i = 0; i < row->ncells; i++) {
		render_cell_draw(r, &r->font, row->cells[i].text,
		    row->lines[i], row->nlines[i], row->ellipsis[i],
		    x + CELL_PAD, top, r->colw[i] - 2 * CELL_PAD,
		    row->cells[i].kind == RENDER_CELL_NUMBER);
		x += r->colw[i];
	}
}

int
render_table(struct render *r)
{
	struct render_data *d = r->data;
	struct table_row *head = NULL, *row;
	double hh, h;
	struct render_row_at at = { 0, 0 };
	long long k;
	int headed = 0, rc = -1;

	if (d->ncols == 0)
		return 0;
	/* Two rows' layouts, some 25 KB each: not on the stack. */
	if ((head = malloc(2 * sizeof(*head))) == NULL)
		return render_fail(r, RENDER_NOMEM, "out of memory");
	row = head + 1;
	hh = HEAD_H + (double)(render_header_layout(r, head) - 1) * LINE_H;
	for (k = 0; k < d->nrows || !headed; k++) {
		if (k < d->nrows) {
			row->ncells = render_data_row(d, &at, row->cells);
			render_row_layout(r, row);
			h = ROW_H + (double)(row->height - 1) * LINE_H;
		} else
			h = ROW_H;	/* no rows: room for one under it */
		/* The header on every page, over at least one row. */
		if (r->y - h - (headed ? 0 : hh) < RENDER_BODY_BOTTOM) {
			if (render_page_new(r) == -1)
				goto out;
			headed = 0;
		}
		if (!headed) {
			render_header(r, head);
			headed = 1;
		}
		if (k < d->nrows)
			render_row_draw(r, row, h, k % 2);
		/* Drawn: the rows before are not read again, and their
		 * memory goes to libharu's pages. */
		if (!r->dry)
			render_data_drop(d, &at);
		if (r->status != RENDER_OK || render_check_hpdf(r) == -1)
			goto out;
	}
	rc = 0;
out:
	free(head);
	return rc;
}
