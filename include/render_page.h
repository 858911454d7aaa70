/*
 * render_page.h - the fallback PDF being made (struct render), and what
 * every part of it draws with: the fonts and the width of their text,
 * text and filled boxes, pages and their furniture (the footer: a rule,
 * the title, "page i / n").
 *
 * The document is laid out twice by the same code: first a dry pass,
 * where nothing is drawn, that only counts the pages; then the drawing
 * pass, which so knows n before it draws the first footer.  A page is therefore finished when the next one starts:
 * its footer is drawn and its content deflated at once (render_page.c
 * says how), instead of libharu keeping it as text until the file is
 * written.
 *
 * Every text here is already encoded for the fonts (render_data.h).
 * Errors are recorded in the struct (render_fail, the first one wins);
 * drawing functions return nothing and the caller checks r->status where
 * a loop must stop.
 */
#ifndef SENDREPORTS_RENDER_PAGE_H
#define SENDREPORTS_RENDER_PAGE_H

#include <stddef.h>

#include <hpdf.h>

#include "buf.h"
#include "render.h"
#include "render_data.h"

/* A4 as libharu has it, in points; margins; where the body stops. */
#define RENDER_A4_W		595.276
#define RENDER_A4_H		841.89
#define RENDER_MARGIN		36.0
#define RENDER_FOOTER_Y		20.0
#define RENDER_BODY_BOTTOM	44.0

struct render_font {
	HPDF_Font	 h;
	unsigned short	 w[256];	/* WinAnsi: each byte's width, in
					   thousandths of the size */
};

struct render_pack;

struct render {
	/* The document. */
	HPDF_Doc		 pdf;
	struct render_font	 font, bold;
	int			 utf8;		/* TrueType: UTF-8 text */
	unsigned short		*uwidth;	/* TrueType: 1 + the width of
						   each code point below
						   0x10000 met, 0 before */
	HPDF_STATUS		 hpdf_error;	/* set by render_hpdf_error */
	HPDF_STATUS		 hpdf_detail;
	const struct render_options *opt;
	struct render_data	*data;		/* its drawn rows dropped */
	struct buf		*err;
	enum render_status	 status;

	/* The pass. */
	int			 dry;		/* counting pages: no drawing */
	long			 npages;	/* pages started in this pass */
	long			 total;		/* the document's, once known */
	int			 landscape;
	double			 pw, ph;	/* the page's size */
	double			 y;		/* the cursor, from below */
	HPDF_Page		 page;		/* drawing: the current page */
	int			 in_text;	/* a text object is open */
	const struct render_font *cur_font;	/* the page's font, size */
	double			 cur_size;
	HPDF_Stream		 content;	/* the page's content, written
						   to directly; NULL: through
						   libharu (render_page.c) */
	double			 tx, ty;	/* there, the line's start */
	struct buf		 line;		/* a text NUL-terminated */
	struct buf		 ops;		/* operators written directly */
	struct render_pack	*pack;

	/* The table's layout (render_table.c), fixed before the passes. */
	double			 colw[RENDER_TABLE_MAX_COLS];
	double			 table_w;
};

/* Measures text with a font at a size: a render_width_fn's context. */
struct render_measure {
	struct render		*r;
	const struct render_font *font;
	double			 size;
};

enum render_align { RENDER_LEFT, RENDER_RIGHT, RENDER_CENTER };

/* libharu's error handler: keeps the first error in r (ctx). */
void	render_hpdf_error(HPDF_STATUS error_no, HPDF_STATUS detail_no,
	    void *ctx);

/*
 * Records a problem (s, err set from fmt) unless one was recorded before.
 * Returns -1.
 */
int	render_fail(struct render *r, enum render_status s, const char *fmt,
	    ...) __attribute__((format(printf, 3, 4)));

/* -1 with the problem recorded when libharu refused something, else 0. */
int	render_check_hpdf(struct render *r);

/*
 * Loads the fonts into r->pdf: Helvetica and Helvetica-Bold, or the
 * TrueType file of opt->font_path (embedded) for both.  Returns 0, or -1
 * with RENDER_IOERR when the file is unusable.
 */
int	render_fonts(struct render *r);

/* The width of n bytes of text in font at size, in points. */
double	render_width(struct render *r, const struct render_font *font,
	    double size, const char *text, size_t n);

/* render_width as a render_width_fn; ctx is a struct render_measure. */
double	render_measure(void *ctx, const char *text, size_t n);

/* The ellipsis in the fonts' encoding. */
const char *render_ellipsis(const struct render *r);

/* Draws n bytes of text with its left end at (x, y). */
void	render_text(struct render *r, const struct render_font *font,
	    double size, double x, double y, const char *text, size_t n);

/*
 * Draws text in max_w points from x, aligned there, cut with an ellipsis
 * when wider.
 */
void	render_text_fit(struct render *r, const struct render_font *font,
	    double size, double x, double y, double max_w,
	    enum render_align align, const char *text, size_t n);

/* Sets the gray of what is filled next, text included: 0 is black. */
void	render_gray(struct render *r, double gray);

/* Fills a box with a gray, then goes back to black. */
void	render_fill(struct render *r, double x, double y, double w, double h,
	    double gray);

/*
 * The page to draw shapes on with libharu directly, outside any text
 * object; NULL in the dry pass.
 */
HPDF_Page render_gfx(struct render *r);

/*
 * Finishes the current page, if any, and starts the next, the cursor at
 * its top.  Returns 0, or -1 past [pdf] max_pages (RENDER_DATAERR) or
 * when libharu fails.
 */
int	render_page_new(struct render *r);

/* Finishes the last page.  Returns 0 or -1. */
int	render_page_end(struct render *r);

/* Frees what the pages module holds in r (not the document). */
void	render_page_release(struct render *r);

#endif
