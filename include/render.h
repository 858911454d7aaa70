/*
 * render.h - the fallback PDF: a report rendered on the box from its
 * report_data JSON (SPEC.md) with libharu, when the PDF stored at
 * scheduling time is missing.
 *
 * A4, portrait, or landscape when the table is wide: title, subtitle,
 * generation time in the report's zone, parameters, KPIs as a row of
 * boxes, an optional bar chart (vector graphics, labelled axes), then
 * the table, its header repeated on every page, numbers right-aligned,
 * text left-aligned, zebra rows; "page i / n" in the footer of every
 * page.  The columns share the page width by their content, and a cell
 * longer than its column wraps over several lines, the row as tall as
 * its tallest cell (render_table.h).
 *
 * report_data is read with SQLite's JSON functions, once, into the texts
 * the PDF shows (render_data.h); the document is then laid out, its
 * pages counted, and drawn page by page, each deflated as it is
 * finished, and the file written as libharu makes it (render.c).
 * Memory: report_data while it is read (read from the database in one
 * buffer of its size, freed once read) with SQLite's copy and parse of
 * a piece of its rows (some 64 KB at a time), the texts kept (less
 * than its size, given back as their rows are drawn), and libharu's ~6
 * KB a page until the file is written; [pdf] max_pages bounds the
 * pages.  A table of 100,000 rows (8 MB of JSON) peaks under 20 MB.
 *
 * Limits, each a clear RENDER_DATAERR rather than a hang or a retry:
 * at most RENDER_TABLE_MAX_COLS (35) columns, the number that fit across
 * a landscape page at 22 points; a chart value must be a finite number
 * (1e999 is valid JSON, read as infinity), though any finite one is
 * drawn to scale; every page, whichever part adds it, counts against
 * max_pages.  A text longer than RENDER_TEXT_MAX (render_text.h) is cut
 * there with an ellipsis; a cell wraps over at most
 * RENDER_CELL_MAX_LINES (40) lines, the last ending with an ellipsis
 * when that is not enough; a title, parameter, KPI or chart label wider
 * than its place is cut with an ellipsis.
 */
#ifndef SENDREPORTS_RENDER_H
#define SENDREPORTS_RENDER_H

#include <sqlite3.h>
#include <time.h>

#include "buf.h"

/*
 * What the caller does with each: send gives the report up on
 * RENDER_DATAERR (the same data would fail the same way on every run)
 * and defers it on the others, which the next run may not meet.
 */
enum render_status {
	RENDER_OK,
	RENDER_DATAERR,	/* bad JSON, a key of the wrong type, too many
			   pages or columns, a chart value that is not
			   finite, anything libharu refuses to draw */
	RENDER_IOERR,	/* the file cannot be written (disk full, no
			   such directory) or may not be replaced (a
			   directory, a symbolic link, a FIFO: see
			   render_file.h); [pdf] font unusable;
			   libharu cannot be loaded (hpdf_dl.h) */
	RENDER_NOMEM	/* out of memory */
};

struct render_options {
	const char	*title;		/* the report's title column: used
					   when report_data has no "title" */
	const char	*timezone;	/* IANA zone of the generation time */
	time_t		 now;		/* the generation time */
	const char	*font_path;	/* TrueType file, or NULL: Helvetica */
	long		 max_pages;	/* 0: no limit */
};

/*
 * Renders *report_data (allocated) into the file out_path, using db (any
 * open SQLite connection) for the JSON functions.  *report_data is freed
 * and set to NULL, as soon as it is read: it is the largest thing a
 * render holds, and the drawing does not need it.  out_path is checked before
 * anything is drawn; a regular file there is replaced atomically, a
 * character device written in place (render_file.h).  Returns RENDER_OK,
 * or another status with err naming the problem ("report_data: \"rows\"
 * must be an array", "cannot write /dev/full: No space left on device");
 * nothing is left at out_path on failure.  Takes time and memory in
 * proportion to report_data and the pages drawn.
 */
enum render_status render_report(sqlite3 *db, char **report_data,
	    const struct render_options *opt, const char *out_path,
	    struct buf *err);

#endif
