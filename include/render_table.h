/*
 * render_table.h - the fallback PDF's table: columns sharing the page
 * width by their content, text that wraps within its column, rows as
 * tall as their tallest cell, the header repeated at the top of every
 * page, numbers right-aligned, zebra rows.
 *
 * A cell wraps at spaces, or between characters for a word wider than
 * its column, over at most RENDER_CELL_MAX_LINES lines: a longer text
 * shows what fits and an ellipsis on the last of them, so that a row
 * always fits on a page (a header name, on at most four lines).
 */
#ifndef SENDREPORTS_RENDER_TABLE_H
#define SENDREPORTS_RENDER_TABLE_H

#include "render_page.h"

/* The most lines of one cell: a row of them and the header fit on a
 * landscape page. */
#define RENDER_CELL_MAX_LINES	40

/*
 * Measures the table and fixes the columns' widths and the orientation
 * (landscape when the columns do not fit across a portrait page at a
 * readable width).  Call once, after the fonts, before the passes.
 */
void	render_table_layout(struct render *r);

/*
 * Draws the table from the cursor on (both passes).  Returns 0, or -1
 * with the problem recorded.
 */
int	render_table(struct render *r);

#endif
