/*
 * render_data.h - report_data (SPEC.md, "Fallback PDF data") read for the
 * fallback PDF: every text the PDF shows, already encoded for its fonts
 * (render_text.h), so that laying the document out and drawing it never
 * go back to the JSON.
 *
 * SQLite's JSON functions read it, with six statements at most, each
 * prepared once; the rows come from one statement (json_each over the
 * rows joined with json_each over each row's cells).  SQLite 3.40
 * copies and parses the whole report_data for each statement (about
 * twice its size in memory while the statement runs); the texts kept
 * here are smaller than the JSON they come from.
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
	 * The rows, one after the other:
	 *   row   ncells (1 byte, at most RENDER_TABLE_MAX_COLS), cells
	 *   cell  kind (1 byte), len (2 bytes, little-endian), the text
	 */
	struct buf	 rows;
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

/*
 * Reads the row at *off in d->rows (0 for the first) into cells (room
 * for RENDER_TABLE_MAX_COLS), moves *off to the next and returns its
 * number of cells.  The texts point into d->rows.
 */
size_t	render_data_row(const struct render_data *d, size_t *off,
	    struct render_cell *cells);

#endif
