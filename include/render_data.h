/*
 * render_data.h - report_data (SPEC.md, "Fallback PDF data") read for the
 * fallback PDF: every text the PDF shows, already encoded for its fonts
 * (render_text.h), so that laying the document out and drawing it never
 * go back to the JSON.
 *
 * SQLite's JSON functions read it, with seven statements at most, each
 * prepared once; the rows come from one statement (json_each over the
 * rows joined with json_each over each row's cells), run over one piece
 * of the rows at a time: SQLite 3.40 copies and parses all of the text
 * a statement is given (about 2.3 times its size), so it is never given
 * all of the rows at once (render_data.c).  The texts kept here are
 * smaller than the JSON they come from, and the rows' are given back
 * block by block as they are drawn.
 *
 * Limits, each a RENDER_DATAERR naming the problem: at most
 * RENDER_TABLE_MAX_COLS columns (the header or any row), a chart value
 * that is a finite number; every text is cut at RENDER_TEXT_MAX bytes
 * and then ends with an ellipsis.
 */
#ifndef SENDREPORTS_RENDER_DATA_H
#define SENDREPORTS_RENDER_DATA_H

#include <sqlite3.h>
#include <stddef.h>

#include "buf.h"
#include "render.h"

/* The columns that fit across a landscape A4 page at 22 points each. */
#define RENDER_TABLE_MAX_COLS	35
/* The chart shows the first rows only. */
#define RENDER_CHART_MAX_BARS	24
/* The rows are kept in blocks of about this many bytes. */
#define RENDER_ROWS_BLOCK	(128 * 1024)

/* A text of render_data.strs: len bytes at off, then a NUL. */
struct render_str {
	size_t	off;
	size_t	len;
};

enum render_cell_kind {
	RENDER_CELL_TEXT,	/* a string, true/false, an array... */
	RENDER_CELL_NUMBER,	/* drawn right-aligned */
	RENDER_CELL_NULL	/* empty */
};

struct render_cell {
	const char		*text;	/* encoded, not NUL-terminated */
	size_t			 len;
	enum render_cell_kind	 kind;
};

struct render_data {
	int		 utf8;		/* texts are UTF-8 (TrueType), else
					   WinAnsi */
	struct buf	 strs;		/* every text but the cells */
	struct render_str title;	/* report_data's, or the fallback */
	struct render_str subtitle;	/* len 0: none */
	struct render_str *params;	/* name, value, name, value... */
	size_t		 nparams;	/* pairs */
	struct render_str *kpis;	/* label, value, label, value... */
	size_t		 nkpis;		/* pairs */
	struct render_str names[RENDER_TABLE_MAX_COLS];	/* "columns" */
	size_t		 nnames;
	size_t		 ncols;		/* nnames, or the longest row's */
	unsigned char	 numeric[RENDER_TABLE_MAX_COLS];	/* only
					   numbers (or nulls) below */

	/*
	 * The rows, one after the other, in blocks of RENDER_ROWS_BLOCK
	 * bytes or a little more (a row is never cut), so that the drawing
	 * gives each block back once its rows are on their pages
	 * (render_data_drop()) as libharu's pages grow:
	 *   row   ncells (1 byte, at most RENDER_TABLE_MAX_COLS), cells
	 *   cell  kind (1 byte), len (2 bytes, little-endian), the text
	 */
	struct buf	*blocks;
	size_t		 nblocks;
	size_t		 rows_max;	/* a block's cap */
	long long	 nrows;

	/* The bar chart, from the first rows; nbars 0: none. */
	size_t		 nbars;
	struct render_str bar_label[RENDER_CHART_MAX_BARS];
	double		 bar_value[RENDER_CHART_MAX_BARS];
	struct render_str bar_title;	/* the value column's name */
};

/*
 * Reads report_data (json) with db's JSON functions into d, its texts
 * encoded as UTF-8 when utf8 is set (a TrueType font), else as WinAnsi.
 * fallback_title (UTF-8, or NULL: "Report") is the title when
 * report_data has none.  Returns RENDER_OK; RENDER_DATAERR with err
 * naming the problem ("report_data: \"rows\"[3] must be an array, not
 * text"); RENDER_NOMEM.  d is to be released by render_data_release()
 * whatever the result.
 */
enum render_status render_data_load(struct render_data *d, sqlite3 *db,
	    const char *json, const char *fallback_title, int utf8,
	    struct buf *err);

/* Frees what d holds; safe twice. */
void	render_data_release(struct render_data *d);

/* The text s of d, NUL-terminated. */
const char *render_data_str(const struct render_data *d,
	    struct render_str s);

/* Where a row is in d's blocks; all zero for the first. */
struct render_row_at {
	size_t	block;
	size_t	off;
};

/*
 * Reads the row at *at (one of d->nrows) into cells (room for
 * RENDER_TABLE_MAX_COLS), moves *at to the next and returns its number
 * of cells.  The texts point into d's blocks.
 */
size_t	render_data_row(const struct render_data *d,
	    struct render_row_at *at, struct render_cell *cells);

/*
 * Frees the blocks before the one of *at: rows that will not be read
 * again.
 */
void	render_data_drop(struct render_data *d, const struct render_row_at *at);

#endif
