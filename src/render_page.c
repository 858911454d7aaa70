/*
 * render_page.c - the fallback PDF's fonts, text, boxes and pages
 * (render_page.h).
 *
 * Text is measured with tables made once per font: WinAnsi's 256 byte
 * widths, or for a TrueType font each code point's width as it is first
 * met; libharu adds up the same widths (no kerning), so a number aligned
 * right here ends where the viewer draws it.  The font and size are set
 * once a page, and a text object stays open across texts that follow
 * each other.
 *
 * With the built-in fonts, text and the table's boxes are written into
 * the page's content stream here ("x y Td (text) Tj", "x y w h re f"):
 * libharu's own operators cost ten times as much, each move clearing a
 * 512-byte buffer a byte at a time, and they were most of the time spent
 * drawing.  libharu still opens and closes the text objects and sets the
 * fonts, so that its resources and state stay right; a TrueType font's
 * text goes through libharu, which encodes it for the font.
 *
 * libharu 2.3 keeps each page's content as text in memory until the
 * file is written, ~10 KB a page of the table, and deflates it only
 * then.  So a finished page's content is deflated here and put back in
 * its stream, which libharu then writes as it is: its dictionary says
 * /Filter /FlateDecode through the dictionary's write_fn, with libharu's
 * own filter off.  This uses libharu's stream and dictionary records
 * (hpdf_objects.h, hpdf_streams.h, installed with it), and is skipped
 * for a page that does not look as expected, which libharu then
 * deflates itself.  What remains is ~5 KB a page of libharu's objects
 * (each name and dictionary key takes 128 bytes) and ~1.6 KB of content.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <hpdf_objects.h>
#include <hpdf_streams.h>
#include <zlib.h>

#include "hpdf_dl.h"
#include "render_page.h"
#include "render_text.h"

#define FOOTER_SIZE	8.0
/* Deflate's level for the pages: 6, zlib's default, takes a sixth
 * more of the whole render than 3, for files 10 % smaller. */
#define PACK_LEVEL	3

struct render_pack {
	z_stream	 z;
	int		 ready;		/* deflateInit2 done */
	unsigned char	*out;
	size_t		 cap;
};

void
render_hpdf_error(HPDF_STATUS error_no, HPDF_STATUS detail_no, void *ctx)
{
	struct render *r = ctx;
	char why[256];

	/* HPDF_New() of the dynamic build, without libharu (hpdf_dl.h):
	 * the box's problem, not the report's, and the next run may not
	 * have it, so the report is deferred. */
	if (error_no == HPDF_DL_UNLOADED) {
		(void)hpdf_dl_load(why, sizeof(why));
		render_fail(r, RENDER_IOERR, "fallback PDF: cannot load "
		    "libharu: %s", why);
	}

	/* Keep the first: the later ones follow from it. */
	if (r->hpdf_error == 0) {
		r->hpdf_error = error_no;
		r->hpdf_detail = detail_no;
	}
}

int
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

int
render_check_hpdf(struct render *r)
{
	if (r->hpdf_error == 0)
		return r->status == RENDER_OK ? 0 : -1;
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

/* ---- fonts and widths ---- */

static void
render_font_widths(struct render_font *f)
{
	HPDF_BYTE b;
	int i;

	f->w[0] = 0;
	for (i = 1; i < 256; i++) {
		b = (HPDF_BYTE)i;
		f->w[i] = (unsigned short)HPDF_Font_TextWidth(f->h, &b,
		    1).width;
	}
}

int
render_fonts(struct render *r)
{
	const char *name;

	if (r->opt->font_path == NULL) {
		r->font.h = HPDF_GetFont(r->pdf, "Helvetica",
		    "WinAnsiEncoding");
		r->bold.h = HPDF_GetFont(r->pdf, "Helvetica-Bold",
		    "WinAnsiEncoding");
		if (render_check_hpdf(r) == -1)
			return -1;
		render_font_widths(&r->font);
		render_font_widths(&r->bold);
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
	r->font.h = r->bold.h = HPDF_GetFont(r->pdf, name, "UTF-8");
	if ((r->uwidth = calloc(0x10000, sizeof(*r->uwidth))) == NULL)
		return render_fail(r, RENDER_NOMEM, "out of memory");
	r->utf8 = 1;
	return render_check_hpdf(r);
}

/* The code point of the well-formed UTF-8 character of len bytes at s. */
static unsigned long
render_code_point(const unsigned char *s, size_t len)
{
	unsigned long cp = len == 1 ? s[0] : len == 2 ? s[0] & 0x1fu :
	    len == 3 ? s[0] & 0x0fu : s[0] & 0x07u;
	size_t i;

	for (i = 1; i < len; i++)
		cp = cp << 6 | (s[i] & 0x3fu);
	return cp;
}

double
render_width(struct render *r, const struct render_font *font, double size,
    const char *text, size_t n)
{
	const unsigned char *p = (const unsigned char *)text;
	unsigned long sum = 0, cp, w;
	size_t i, len;

	if (!r->utf8) {
		for (i = 0; i < n; i++)
			sum += font->w[p[i]];
		return (double)sum * size / 1000.0;
	}
	for (i = 0; i < n; i += len) {
		len = render_char_len(text + i, n - i, 1);
		cp = render_code_point(p + i, len);
		if (cp < 0x10000 && r->uwidth[cp]) {
			sum += r->uwidth[cp] - 1u;
			continue;
		}
		/* libharu also marks the glyph for the embedded subset. */
		w = HPDF_Font_TextWidth(font->h, p + i, (HPDF_UINT)len).width;
		if (w > 0xfffe)
			w = 0xfffe;
		if (cp < 0x10000)
			r->uwidth[cp] = (unsigned short)(w + 1);
		sum += w;
	}
	return (double)sum * size / 1000.0;
}

double
render_measure(void *ctx, const char *text, size_t n)
{
	struct render_measure *m = ctx;

	return render_width(m->r, m->font, m->size, text, n);
}

const char *
render_ellipsis(const struct render *r)
{
	return r->utf8 ? "\xe2\x80\xa6" : "\x85";
}

/* ---- drawing ---- */

static void
render_end_text(struct render *r)
{
	if (r->in_text) {
		HPDF_Page_EndText(r->page);
		r->in_text = 0;
	}
}

HPDF_Page
render_gfx(struct render *r)
{
	if (r->dry || r->page == NULL)
		return NULL;
	render_end_text(r);
	return r->page;
}

/*
 * Appends v to b with at most two decimals ("12.5", "-0.25", "3"): a
 * hundredth of a point is far below what a printer shows.  |v| is a
 * page coordinate, well within a long.
 */
static void
render_num(struct buf *b, double v)
{
	char d[32], *p = d + sizeof(d);
	long c = (long)(v * 100 + (v < 0 ? -0.5 : 0.5));
	unsigned long u = c < 0 ? -(unsigned long)c : (unsigned long)c;
	int frac = (int)(u % 100);

	if (frac) {
		if (frac % 10)
			*--p = (char)('0' + frac % 10);
		*--p = (char)('0' + frac / 10);
		*--p = '.';
	}
	u /= 100;
	do
		*--p = (char)('0' + u % 10);
	while ((u /= 10) > 0);
	if (c < 0)
		*--p = '-';
	buf_append(b, p, (size_t)(d + sizeof(d) - p));
}

/* Writes r->ops into the page's content stream and empties it. */
static void
render_ops(struct render *r)
{
	if (HPDF_Stream_Write(r->content, (const HPDF_BYTE *)r->ops.data,
	    (HPDF_UINT)r->ops.len) != HPDF_OK)
		render_fail(r, RENDER_NOMEM, "fallback PDF: out of memory");
	buf_reset(&r->ops);
}

/* v to the hundredth, as render_num writes it. */
static double
render_hundredths(double v)
{
	return (double)(long)(v * 100 + (v < 0 ? -0.5 : 0.5)) / 100;
}

/*
 * "dx dy Td (text) Tj": the move from the start of the text line, which
 * is then where the move ended, to the hundredth as written, so that no
 * error adds up along a page.  In a literal string, parentheses and
 * backslashes are escaped and every other byte is as it is (encoded
 * text has no line breaks).
 */
static void
render_show_direct(struct render *r, double x, double y, const char *text,
    size_t n)
{
	double dx = render_hundredths(x - r->tx);
	double dy = render_hundredths(y - r->ty);
	size_t i, k;

	render_num(&r->ops, dx);
	buf_putc(&r->ops, ' ');
	render_num(&r->ops, dy);
	buf_puts(&r->ops, " Td\n(");
	for (i = 0; i < n; i = k + 1) {
		for (k = i; k < n && text[k] != '(' && text[k] != ')' &&
		    text[k] != '\\'; k++)
			;
		buf_append(&r->ops, text + i, k - i);
		if (k == n)
			break;
		buf_putc(&r->ops, '\\');
		buf_putc(&r->ops, text[k]);
	}
	buf_puts(&r->ops, ") Tj\n");
	r->tx += dx;
	r->ty += dy;
	render_ops(r);
}

/* Draws n bytes of text with its left end at (x, y). */
static void
render_show(struct render *r, const struct render_font *font, double size,
    double x, double y, const char *text, size_t n)
{
	if (!r->in_text) {
		HPDF_Page_BeginText(r->page);
		r->in_text = 1;
		r->tx = r->ty = 0;	/* BT: the line starts at 0 0 */
	}
	if (r->cur_font != font || r->cur_size != size) {
		HPDF_Page_SetFontAndSize(r->page, font->h, (HPDF_REAL)size);
		r->cur_font = font;
		r->cur_size = size;
	}
	if (r->content) {
		render_show_direct(r, x, y, text, n);
		return;
	}
	/* libharu wants it NUL-terminated. */
	if (text != r->line.data) {
		buf_reset(&r->line);
		if (buf_append(&r->line, text, n) == -1) {
			render_fail(r, RENDER_NOMEM, "fallback PDF: out of "
			    "memory");
			return;
		}
	}
	HPDF_Page_TextOut(r->page, (HPDF_REAL)x, (HPDF_REAL)y, r->line.data);
}

void
render_text(struct render *r, const struct render_font *font, double size,
    double x, double y, const char *text, size_t n)
{
	if (r->dry || r->page == NULL || n == 0)
		return;
	render_show(r, font, size, x, y, text, n);
}

void
render_text_fit(struct render *r, const struct render_font *font,
    double size, double x, double y, double max_w, enum render_align align,
    const char *text, size_t n)
{
	struct render_measure m = { r, font, size };
	const char *ell = render_ellipsis(r);
	size_t len, el = strlen(ell);
	double w, ew;
	int cut;

	if (r->dry || r->page == NULL || n == 0)
		return;
	ew = render_width(r, font, size, ell, el);
	len = render_fit(text, n, r->utf8, max_w, ew, render_measure, &m,
	    &cut);
	w = render_width(r, font, size, text, len) + (cut ? ew : 0);
	if (align == RENDER_RIGHT)
		x += max_w - w;
	else if (align == RENDER_CENTER)
		x += (max_w - w) / 2;
	/* What fits, and the ellipsis when cut, in one text. */
	buf_reset(&r->line);
	if (buf_append(&r->line, text, len) == -1 ||
	    (cut && buf_append(&r->line, ell, el) == -1)) {
		render_fail(r, RENDER_NOMEM, "fallback PDF: out of memory");
		return;
	}
	if (r->line.len > 0)
		render_show(r, font, size, x, y, r->line.data, r->line.len);
}

void
render_gray(struct render *r, double gray)
{
	if (!r->dry && r->page)
		HPDF_Page_SetGrayFill(r->page, (HPDF_REAL)gray);
}

void
render_fill(struct render *r, double x, double y, double w, double h,
    double gray)
{
	HPDF_Page p;

	if ((p = render_gfx(r)) == NULL)
		return;
	if (r->content) {
		render_num(&r->ops, gray);
		buf_puts(&r->ops, " g\n");
		render_num(&r->ops, x);
		buf_putc(&r->ops, ' ');
		render_num(&r->ops, y);
		buf_putc(&r->ops, ' ');
		render_num(&r->ops, w);
		buf_putc(&r->ops, ' ');
		render_num(&r->ops, h);
		buf_puts(&r->ops, " re\nf\n0 g\n");
		render_ops(r);
		return;
	}
	HPDF_Page_SetGrayFill(p, (HPDF_REAL)gray);
	HPDF_Page_Rectangle(p, (HPDF_REAL)x, (HPDF_REAL)y, (HPDF_REAL)w,
	    (HPDF_REAL)h);
	HPDF_Page_Fill(p);
	HPDF_Page_SetGrayFill(p, 0);
}

/* ---- pages ---- */

/* Writes the filter that render_page_pack applied. */
static HPDF_STATUS
render_pack_filter(HPDF_Dict dict, HPDF_Stream out)
{
	(void)dict;
	return HPDF_Stream_WriteStr(out, "/Filter /FlateDecode\012");
}

/*
 * Deflates the finished page's content now (render_page.c's opening
 * comment says why).  0, or -1 with the problem recorded.
 */
static int
render_page_pack(struct render *r)
{
	struct render_pack *k = r->pack;
	HPDF_Dict c;
	HPDF_Stream s;
	HPDF_MemStreamAttr a;
	HPDF_BYTE *p;
	HPDF_UINT len, i, nbuf;
	uLong need, size;
	int zr = Z_OK;

	c = HPDF_Dict_GetItem(r->page, "Contents", HPDF_OCLASS_DICT);
	if (c == NULL || (s = c->stream) == NULL ||
	    s->type != HPDF_STREAM_MEMORY || c->write_fn != NULL ||
	    c->filter != HPDF_STREAM_FILTER_FLATE_DECODE ||
	    (size = s->size) == 0)
		return 0;		/* libharu deflates it when saving */
	if (k == NULL) {
		if ((k = r->pack = calloc(1, sizeof(*k))) == NULL)
			goto nomem;
	}
	if (!k->ready) {
		if (deflateInit2(&k->z, PACK_LEVEL, Z_DEFLATED, 15, 8,
		    Z_DEFAULT_STRATEGY) != Z_OK)
			goto nomem;
		k->ready = 1;
	} else if (deflateReset(&k->z) != Z_OK)
		goto nomem;
	if ((need = deflateBound(&k->z, size)) > k->cap) {
		free(k->out);
		if ((k->out = malloc(need)) == NULL) {
			k->cap = 0;
			goto nomem;
		}
		k->cap = need;
	}
	k->z.next_out = k->out;
	k->z.avail_out = (uInt)k->cap;
	nbuf = HPDF_MemStream_GetBufCount(s);
	for (i = 0; i < nbuf; i++) {
		if ((p = HPDF_MemStream_GetBufPtr(s, i, &len)) == NULL)
			return render_check_hpdf(r);
		k->z.next_in = p;
		k->z.avail_in = len;
		zr = deflate(&k->z, i + 1 == nbuf ? Z_FINISH : Z_NO_FLUSH);
		if (zr != Z_OK && zr != Z_STREAM_END)
			goto nomem;
	}
	if (zr != Z_STREAM_END)
		goto nomem;
	/* Back in the stream, in one piece of just its size. */
	HPDF_MemStream_FreeData(s);
	a = s->attr;
	a->buf_siz = a->w_pos = (HPDF_UINT)k->z.total_out;
	if (HPDF_Stream_Write(s, k->out, (HPDF_UINT)k->z.total_out) !=
	    HPDF_OK)
		return render_check_hpdf(r) == -1 ? -1 : render_fail(r,
		    RENDER_NOMEM, "fallback PDF: out of memory");
	c->filter = HPDF_STREAM_FILTER_NONE;
	c->write_fn = render_pack_filter;
	return 0;
nomem:
	return render_fail(r, RENDER_NOMEM, "fallback PDF: cannot deflate a "
	    "page: out of memory");
}

/* The footer: a rule, the title, and "page i / n". */
static void
render_footer(struct render *r)
{
	const struct render_data *d = r->data;
	double w = r->pw - 2 * RENDER_MARGIN;
	char text[64];
	HPDF_Page p;
	int n;

	if ((p = render_gfx(r)) != NULL) {
		HPDF_Page_SetGrayStroke(p, 0.7);
		HPDF_Page_SetLineWidth(p, 0.5);
		HPDF_Page_MoveTo(p, RENDER_MARGIN, RENDER_FOOTER_Y + 10);
		HPDF_Page_LineTo(p, (HPDF_REAL)(RENDER_MARGIN + w),
		    RENDER_FOOTER_Y + 10);
		HPDF_Page_Stroke(p);
	}
	render_gray(r, 0.35);
	render_text_fit(r, &r->font, FOOTER_SIZE, RENDER_MARGIN,
	    RENDER_FOOTER_Y, w * 0.7, RENDER_LEFT, render_data_str(d,
	    d->title), d->title.len);
	n = snprintf(text, sizeof(text), "page %ld / %ld", r->npages,
	    r->total);
	render_text_fit(r, &r->font, FOOTER_SIZE, RENDER_MARGIN + w * 0.7,
	    RENDER_FOOTER_Y, w * 0.3, RENDER_RIGHT, text, (size_t)n);
	render_gray(r, 0);
}

/* Finishes the current page: its footer, then its content packed. */
static int
render_page_finish(struct render *r)
{
	if (r->npages == 0)
		return 0;
	render_footer(r);
	if (r->dry)
		return r->status == RENDER_OK ? 0 : -1;
	render_end_text(r);
	if (render_check_hpdf(r) == -1 || render_page_pack(r) == -1)
		return -1;
	r->page = NULL;
	r->content = NULL;
	return render_check_hpdf(r);
}

int
render_page_new(struct render *r)
{
	if (render_page_finish(r) == -1)
		return -1;
	if (r->opt->max_pages > 0 && r->npages >= r->opt->max_pages)
		return render_fail(r, RENDER_DATAERR, "the fallback PDF would "
		    "need more than max_pages (%ld) pages", r->opt->max_pages);
	r->npages++;
	r->pw = r->landscape ? RENDER_A4_H : RENDER_A4_W;
	r->ph = r->landscape ? RENDER_A4_W : RENDER_A4_H;
	r->y = r->ph - RENDER_MARGIN;
	r->cur_font = NULL;
	if (r->dry)
		return 0;
	r->page = HPDF_AddPage(r->pdf);
	if (render_check_hpdf(r) == -1)
		return -1;
	HPDF_Page_SetWidth(r->page, (HPDF_REAL)r->pw);
	HPDF_Page_SetHeight(r->page, (HPDF_REAL)r->ph);
	r->content = NULL;
	if (!r->utf8) {
		HPDF_Dict c = HPDF_Dict_GetItem(r->page, "Contents",
		    HPDF_OCLASS_DICT);

		if (c && c->stream && c->stream->type == HPDF_STREAM_MEMORY)
			r->content = c->stream;
	}
	return render_check_hpdf(r);
}

int
render_page_end(struct render *r)
{
	return render_page_finish(r);
}

void
render_page_release(struct render *r)
{
	if (r->pack) {
		if (r->pack->ready)
			deflateEnd(&r->pack->z);
		free(r->pack->out);
		free(r->pack);
		r->pack = NULL;
	}
	free(r->uwidth);
	r->uwidth = NULL;
	buf_release(&r->line);
	buf_release(&r->ops);
}
