/*
 * render_text.h - text for the fallback PDF: UTF-8 from the database made
 * into what a PDF font can show, fitted to a width, broken into lines.
 * Pure functions: the width of a text comes from the caller.
 *
 * The built-in fonts (Helvetica) use WinAnsiEncoding (Windows-1252),
 * which covers French and the other Western European languages, with
 * œ, €, «», the dashes and curly quotes.  A character it lacks, or a byte
 * that is not UTF-8, becomes '?': visible, never a broken file.  With a
 * TrueType font the text stays UTF-8 (libharu's UTF-8 encoder) and the
 * font's own .notdef glyph shows what it lacks.
 */
#ifndef SENDREPORTS_RENDER_TEXT_H
#define SENDREPORTS_RENDER_TEXT_H

#include <stddef.h>

#include "buf.h"

/* The replacement for a character WinAnsi cannot encode. */
#define RENDER_REPLACEMENT	'?'

/*
 * The most bytes of one text the renderer encodes: what lies past it is
 * cut, and an ellipsis shows where.  A line of the page holds about 120
 * characters, and a cell at most 40 lines (render_table.h); libharu
 * refuses to measure or draw a text past 65535 bytes; and every byte
 * kept is measured on each pass.
 */
#define RENDER_TEXT_MAX		4096

/*
 * Appends to out the Windows-1252 bytes of the UTF-8 text s, at most max
 * of them; control characters (tabs, line breaks) become spaces.
 * Returns 0, 1 when s was cut at max bytes (never inside a character),
 * or -1 when out refuses to grow.
 */
int	render_winansi(const char *s, size_t max, struct buf *out);

/*
 * The same for a TrueType font, whose text stays UTF-8: appends s, at
 * most max bytes of it, with RENDER_REPLACEMENT for each byte that is
 * not well-formed UTF-8 and spaces for control characters.  Returns 0,
 * 1 when cut, or -1.
 */
int	render_utf8(const char *s, size_t max, struct buf *out);

/* Measures the width of n bytes of text, in points. */
typedef double	render_width_fn(void *ctx, const char *text, size_t n);

/*
 * Fits text (already encoded, n bytes; utf8 says whether characters may
 * be several bytes long) into max_w points: returns the number of bytes
 * to draw and sets *ellipsis when the text was cut and the ellipsis
 * (ellipsis_w points wide) must follow it.  A cut never falls inside a
 * character; trailing spaces before the ellipsis are dropped.
 */
size_t	render_fit(const char *text, size_t n, int utf8, double max_w,
	    double ellipsis_w, render_width_fn *width, void *ctx,
	    int *ellipsis);

/* A line of wrapped text: len bytes from off. */
struct render_line {
	size_t	off;
	size_t	len;
};

/*
 * Breaks text (encoded, n bytes; utf8 as for render_fit) into lines no
 * wider than max_w points, at most max_lines (>= 1) of them, written to
 * lines[].  A line breaks after a word when one fits, and the spaces
 * where it breaks are not shown; a word wider than a whole line is
 * broken between two characters, never inside one; a line holds at
 * least one character, however narrow max_w.  The text's leading spaces
 * are kept, its trailing ones dropped.  When the text needs more than
 * max_lines lines, the last one is what fits of the rest beside the
 * ellipsis (ellipsis_w points wide), as render_fit would cut it, and
 * *ellipsis is set.  Returns the number of lines: 0 for a text empty or
 * all spaces.  Measures each character once at most.
 */
size_t	render_wrap(const char *text, size_t n, int utf8, double max_w,
	    double ellipsis_w, render_width_fn *width, void *ctx,
	    struct render_line *lines, size_t max_lines, int *ellipsis);

/*
 * The length of the character at text in an encoded text of n (> 0)
 * bytes: 1 in WinAnsi; in UTF-8, what its first byte says, never more
 * than n.
 */
size_t	render_char_len(const char *text, size_t n, int utf8);

#endif
