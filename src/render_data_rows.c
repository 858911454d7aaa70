/*
 * render_data_rows.c - the rows of report_data, read for the fallback
 * PDF a piece at a time (json_cut.h) into blocks that the drawing gives
 * back as it goes (render_data.h), and read again for drawing.
 */
#include <stdlib.h>
#include <string.h>

#include "json_cut.h"
#include "os_libc.h"
#include "render_data.h"
#include "render_data_load.h"

/* The rows' text in a piece (the fuzz build makes it a few bytes, so
 * that its small inputs are cut too). */
#ifndef DATA_PIECE
#define DATA_PIECE		(64 * 1024)
#endif

/*
 * Cuts the rows' array out of report_data when it can (json_cut.h):
 * then l->top is the rest.  -1 out of memory.
 */
int
data_split(struct data_load *l)
{
	if (json_cut_rows(l->json, &l->cut) == -1)
		return data_nomem(l);
	if (l->cut.top != NULL)
		l->top = l->cut.top;
	return 0;
}

/* The next piece of the rows into l->piece: 1, 0 none left, -1. */
static int
data_piece(struct data_load *l, const char **at)
{
	int rc = json_cut_piece(&l->cut, at, DATA_PIECE, &l->piece);

	return rc == -1 ? data_nomem(l) : rc;
}

/* Whether every piece of the rows is valid JSON: 1, 0, -1 recorded. */
int
data_rows_valid(struct data_load *l)
{
	sqlite3_stmt *st;
	const char *at = l->cut.rows_at;
	int valid = 1, rc;

	if (at == NULL)
		return 1;
	if ((st = data_prepare(l, "SELECT json_valid(?1)")) == NULL)
		return -1;
	while (valid && (rc = data_piece(l, &at)) == 1) {
		sqlite3_reset(st);
		sqlite3_bind_text64(st, 1, l->piece.data, l->piece.len,
		    SQLITE_STATIC, SQLITE_UTF8);
		if ((rc = data_step(l, st)) != 1)
			break;
		valid = sqlite3_column_int(st, 0);
	}
	sqlite3_finalize(st);
	return l->status == RENDER_OK ? valid : -1;
}

/*
 * Starts a row, in a new block when the last one is full: *at is where
 * its number of cells goes.  0, or -1 out of memory.
 */
static int
data_row_start(struct data_load *l, size_t *at)
{
	struct render_data *d = l->d;
	struct buf *b, *nb;

	if (d->nblocks == 0 || d->blocks[d->nblocks - 1].len >=
	    RENDER_ROWS_BLOCK) {
		if ((nb = reallocarray(d->blocks, d->nblocks + 1,
		    sizeof(*nb))) == NULL)
			return data_nomem(l);
		d->blocks = nb;
		/* Full: no room kept for rows that go elsewhere. */
		if (d->nblocks > 0)
			buf_shrink(&d->blocks[d->nblocks - 1]);
		buf_init(&d->blocks[d->nblocks++], d->rows_max);
	}
	b = &d->blocks[d->nblocks - 1];
	*at = b->len;
	return buf_putc(b, 0) == -1 ? data_nomem(l) : 0;
}

/* Appends one cell to the row being read: kind, length, encoded text. */
static int
data_cell(struct data_load *l, enum render_cell_kind kind, const char *v)
{
	struct buf *b = &l->d->blocks[l->d->nblocks - 1];
	size_t at = b->len, n;

	if (buf_append(b, "\0\0\0", 3) == -1 || (kind != RENDER_CELL_NULL &&
	    data_encode(l, b, v) == -1))
		return data_nomem(l);
	n = b->len - at - 3;
	b->data[at] = (char)kind;
	b->data[at + 1] = (char)(n & 0xff);
	b->data[at + 2] = (char)(n >> 8);
	return 0;
}

/* A bar of the chart, from cell i of the current row. */
static int
data_bar(struct data_load *l, size_t i, const char *type, sqlite3_stmt *st)
{
	struct render_data *d = l->d;
	size_t bar = (size_t)d->nrows - 1;

	if ((long)i == l->chart_col[0] && data_str(l, (const char *)
	    sqlite3_column_text(st, 3), &d->bar_label[bar]) == -1)
		return -1;
	if ((long)i == l->chart_col[1] && (strcmp(type, "integer") == 0 ||
	    strcmp(type, "real") == 0))
		d->bar_value[bar] = sqlite3_column_double(st, 3);
	return 0;
}

/*
 * The rows of st (run over an array of rows): one result per cell (or
 * per empty row).  A row past the limit stops the reading at once.  0,
 * or -1 with the problem recorded.
 */
static int
data_rows_of(struct data_load *l, sqlite3_stmt *st)
{
	struct render_data *d = l->d;
	sqlite3_int64 key, cur = -1;
	size_t at = 0, i = 0;
	const char *type, *ctype;
	int rc;

	while ((rc = data_step(l, st)) == 1) {
		key = sqlite3_column_int64(st, 0);
		if (key != cur) {
			type = (const char *)sqlite3_column_text(st, 1);
			if (type == NULL || strcmp(type, "array") != 0) {
				data_fail(l, RENDER_DATAERR, "report_data: "
				    "\"rows\"[%lld] must be an array, not %s",
				    d->nrows, type ? type : "null");
				break;
			}
			cur = key;
			if (data_row_start(l, &at) == -1)
				break;
			i = 0;
			if (d->nrows++ < RENDER_CHART_MAX_BARS) {
				d->bar_label[d->nbars].off = 0;
				d->bar_label[d->nbars].len = 0;
				d->bar_value[d->nbars++] = 0;
			}
		}
		if ((ctype = (const char *)sqlite3_column_text(st, 2)) == NULL)
			continue;		/* an empty row */
		if (i == RENDER_TABLE_MAX_COLS) {
			data_fail(l, RENDER_DATAERR, "report_data: "
			    "\"rows\"[%lld] has more than %d cells, but at "
			    "most %d columns fit across a page", d->nrows - 1,
			    RENDER_TABLE_MAX_COLS, RENDER_TABLE_MAX_COLS);
			break;
		}
		if (i >= d->ncols)
			d->ncols = i + 1;
		if (strcmp(ctype, "null") == 0 ||
		    sqlite3_column_type(st, 3) == SQLITE_NULL)
			rc = data_cell(l, RENDER_CELL_NULL, NULL);
		else if (strcmp(ctype, "integer") == 0 ||
		    strcmp(ctype, "real") == 0)
			rc = data_cell(l, RENDER_CELL_NUMBER, (const char *)
			    sqlite3_column_text(st, 3));
		else {
			d->numeric[i] = 0;
			rc = data_cell(l, RENDER_CELL_TEXT, (const char *)
			    sqlite3_column_text(st, 3));
		}
		if (rc == -1 || ((size_t)d->nrows <= RENDER_CHART_MAX_BARS &&
		    data_bar(l, i, ctype, st) == -1))
			break;
		d->blocks[d->nblocks - 1].data[at] = (char)++i;
	}
	return l->status == RENDER_OK ? 0 : -1;
}

/*
 * The rows, each an array of at most RENDER_TABLE_MAX_COLS cells, from
 * one statement: over "$.rows" of the whole text, or over each piece.
 */
int
data_rows(struct data_load *l)
{
	sqlite3_stmt *st;
	const char *at = l->cut.rows_at;
	int rc;

	if ((rc = data_key(l, KEY_ROWS)) <= 0)
		return rc;
	/* Only an array's cells are read: json_each() of a string's text
	 * is not JSON. */
	if ((st = data_prepare(l, "SELECT r.key, r.type, c.type, c.value "
	    "FROM json_each(?1, ?2) AS r LEFT JOIN json_each(CASE WHEN "
	    "r.type = 'array' THEN r.value END) AS c")) == NULL)
		return -1;
	if (at == NULL) {
		sqlite3_bind_text(st, 2, "$.rows", -1, SQLITE_STATIC);
		data_rows_of(l, st);
	} else {
		sqlite3_bind_text(st, 2, "$", -1, SQLITE_STATIC);
		while (l->status == RENDER_OK && data_piece(l, &at) == 1) {
			sqlite3_reset(st);
			sqlite3_bind_text64(st, 1, l->piece.data, l->piece.len,
			    SQLITE_STATIC, SQLITE_UTF8);
			data_rows_of(l, st);
		}
	}
	sqlite3_finalize(st);
	return l->status == RENDER_OK ? 0 : -1;
}

size_t
render_data_row(const struct render_data *d, struct render_row_at *at,
    struct render_cell *cells)
{
	const unsigned char *p;
	size_t n, i;

	if (at->off == d->blocks[at->block].len) {
		at->block++;
		at->off = 0;
	}
	p = (const unsigned char *)d->blocks[at->block].data + at->off;
	n = *p++;
	for (i = 0; i < n; i++) {
		cells[i].kind = (enum render_cell_kind)p[0];
		cells[i].len = (size_t)p[1] | (size_t)p[2] << 8;
		cells[i].text = (const char *)p + 3;
		p += 3 + cells[i].len;
	}
	at->off = (size_t)((const char *)p - d->blocks[at->block].data);
	return n;
}

void
render_data_drop(struct render_data *d, const struct render_row_at *at)
{
	size_t i;

	for (i = 0; i < at->block && i < d->nblocks; i++)
		buf_release(&d->blocks[i]);
}
