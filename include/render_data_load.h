/*
 * render_data_load.h - internal to reading report_data for the fallback
 * PDF: what render_data.c (the top level, columns, parameters, KPIs,
 * chart) and render_data_rows.c (the rows) share while one
 * render_data_load() runs.  Only those two include it.
 */
#ifndef SENDREPORTS_RENDER_DATA_LOAD_H
#define SENDREPORTS_RENDER_DATA_LOAD_H

#include <sqlite3.h>

#include "buf.h"
#include "json_cut.h"
#include "render.h"
#include "render_data.h"

/* The top-level keys, in the order of their checks. */
enum data_key {
	KEY_TITLE, KEY_SUBTITLE, KEY_COLUMNS, KEY_ROWS, KEY_PARAMETERS,
	KEY_KPIS, KEY_CHART, KEY_COUNT
};

struct data_load {
	struct render_data	*d;
	sqlite3			*db;
	const char		*json;
	/* What the statements read: json, or when the rows are read in
	 * pieces, cut.top (json with "rows": []), then the piece being
	 * read. */
	const char		*top;
	struct json_cut		 cut;
	struct buf		 piece;
	struct buf		*err;
	enum render_status	 status;
	char			 type[KEY_COUNT][8];	/* "": absent */
	/* The chart, read before the rows that give its bars, judged
	 * after them: label_column and value_column, their JSON types
	 * ("" when absent), values as text, and as columns (-1: none). */
	int			 chart_bar;	/* "type" is "bar" */
	char			 chart_type[2][8];
	char			 chart_text[2][48];
	long			 chart_col[2];
};

/* Records the problem (the first one wins) in l->err.  Returns -1. */
int	data_fail(struct data_load *l, enum render_status s,
	    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* data_fail() with RENDER_NOMEM.  Returns -1. */
int	data_nomem(struct data_load *l);
/* Prepares sql with l->top as ?1; NULL with the error recorded. */
sqlite3_stmt *data_prepare(struct data_load *l, const char *sql);
/* Steps st: 1 on a row, 0 at its end, -1 with the error recorded. */
int	data_step(struct data_load *l, sqlite3_stmt *st);
/* Appends the text s to b encoded for the fonts, cut at RENDER_TEXT_MAX
 * with an ellipsis.  0, or -1 recorded. */
int	data_encode(struct data_load *l, struct buf *b, const char *s);
/* Adds s to l->d->strs (encoded, then a NUL) and points *out at it. */
int	data_str(struct data_load *l, const char *s, struct render_str *out);
/* Checks that key k is of the type it must be: 1 present, 0 absent,
 * -1 recorded. */
int	data_key(struct data_load *l, enum data_key k);

/* render_data_rows.c: cuts the rows out of l->json when it can (then
 * l->top is the rest).  0, or -1 recorded. */
int	data_split(struct data_load *l);
/* Whether every piece of the rows is valid JSON: 1, 0, -1 recorded. */
int	data_rows_valid(struct data_load *l);
/* Reads the rows into l->d.  0, or -1 recorded. */
int	data_rows(struct data_load *l);

#endif
