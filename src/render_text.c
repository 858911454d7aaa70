/*
 * render_text.c - encoding and fitting text for the fallback PDF
 * (render_text.h).
 */
#include <string.h>

#include "render_text.h"
#include "utf8.h"

/* Windows-1252 0x80-0x9F: the code points of the bytes (0: unused). */
static const unsigned short cp1252_high[32] = {
	0x20ac, 0, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021,
	0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017d, 0,
	0, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014,
	0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0, 0x017e, 0x0178
};

/* The code point of the well-formed UTF-8 character of len bytes at s. */
static unsigned long
render_decode(const unsigned char *s, size_t len)
{
	switch (len) {
	case 1:
		return s[0];
	case 2:
		return ((unsigned long)(s[0] & 0x1f) << 6) | (s[1] & 0x3f);
	case 3:
		return ((unsigned long)(s[0] & 0x0f) << 12) |
		    ((unsigned long)(s[1] & 0x3f) << 6) | (s[2] & 0x3f);
	default:
		return ((unsigned long)(s[0] & 0x07) << 18) |
		    ((unsigned long)(s[1] & 0x3f) << 12) |
		    ((unsigned long)(s[2] & 0x3f) << 6) | (s[3] & 0x3f);
	}
}

static unsigned char
render_cp1252(unsigned long cp)
{
	size_t i;

	if (cp < 0x20 || cp == 0x7f)
		return ' ';
	if (cp < 0x80 || (cp >= 0xa0 && cp <= 0xff))
		return (unsigned char)cp;
	for (i = 0; i < 32; i++)
		if (cp1252_high[i] == cp)
			return (unsigned char)(0x80 + i);
	return RENDER_REPLACEMENT;
}

/*
 * Both encoders: each character of s, well-formed or not, becomes the
 * bytes utf8 or WinAnsi gives it, until max bytes are out.
 */
static int
render_encode_text(const char *s, size_t max, int utf8, struct buf *out)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), len, used = 0;
	unsigned long cp;
	char one;

	while (n > 0) {
		/* Printable ASCII is the same in both encodings: a run of
		 * it goes as it is, as much as max allows. */
		for (len = 0; len < n && len < max - used && p[len] >= 0x20 &&
		    p[len] < 0x7f; len++)
			;
		if (len > 0) {
			if (buf_append(out, p, len) == -1)
				return -1;
			used += len;
			p += len;
			n -= len;
			continue;
		}
		len = utf8_char_len((const char *)p, n);
		if (len == 0) {
			/* Not UTF-8: one visible mark per bad byte. */
			one = RENDER_REPLACEMENT;
			len = 1;
		} else if (!utf8)
			one = (char)render_cp1252(render_decode(p, len));
		else if ((cp = render_decode(p, len)) < 0x20 || cp == 0x7f)
			one = ' ';
		else
			one = 0;
		if (used + (one ? 1 : len) > max)
			return 1;
		if (one ? buf_putc(out, one) : buf_append(out, p, len))
			return -1;
		used += one ? 1 : len;
		p += len;
		n -= len;
	}
	return 0;
}

int
render_winansi(const char *s, size_t max, struct buf *out)
{
	return render_encode_text(s, max, 0, out);
}

int
render_utf8(const char *s, size_t max, struct buf *out)
{
	return render_encode_text(s, max, 1, out);
}

size_t
render_fit(const char *text, size_t n, int utf8, double max_w,
    double ellipsis_w, render_width_fn *width, void *ctx, int *ellipsis)
{
	size_t lo, hi, mid, cut;

	*ellipsis = 0;
	if (n == 0 || width(ctx, text, n) <= max_w)
		return n;
	*ellipsis = 1;
	if (max_w <= ellipsis_w)
		return 0;
	/* The longest prefix that fits beside the ellipsis: widths grow
	 * with the prefix, so bisect on bytes, then back to a boundary. */
	lo = 0;
	hi = n;
	while (lo < hi) {
		mid = lo + (hi - lo + 1) / 2;
		if (width(ctx, text, mid) + ellipsis_w <= max_w)
			lo = mid;
		else
			hi = mid - 1;
	}
	cut = lo;
	/* Never inside a character: back to its first byte. */
	if (utf8)
		while (cut > 0 && cut < n &&
		    ((unsigned char)text[cut] & 0xc0) == 0x80)
			cut--;
	while (cut > 0 && text[cut - 1] == ' ')
		cut--;
	return cut;
}

size_t
render_char_len(const char *text, size_t n, int utf8)
{
	unsigned char c = (unsigned char)text[0];
	size_t len;

	if (!utf8 || c < 0xc0)
		return 1;
	len = c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
	return len < n ? len : n;
}

size_t
render_wrap(const char *text, size_t n, int utf8, double max_w,
    double ellipsis_w, render_width_fn *width, void *ctx,
    struct render_line *lines, size_t max_lines, int *ellipsis)
{
	size_t nl = 0, pos = 0, i, end, next, brk, clen;
	double w, cw;

	*ellipsis = 0;
	while (n > 0 && text[n - 1] == ' ')
		n--;
	/* Each turn adds a line or passes spaces, and moves pos on. */
	while (pos < n && nl < max_lines) {
		if (nl == max_lines - 1) {
			/* The last line allowed: the rest when it fits, else
			 * what fits beside the ellipsis (as render_fit, but
			 * measuring no further than the line). */
			w = 0;
			end = pos;
			for (i = pos; i < n; i += clen) {
				clen = render_char_len(text + i, n - i, utf8);
				cw = width(ctx, text + i, clen);
				if (w + cw > max_w)
					break;
				w += cw;
				if (w + ellipsis_w <= max_w)
					end = i + clen;
			}
			if (i < n) {
				*ellipsis = 1;
				while (end > pos && text[end - 1] == ' ')
					end--;
			} else
				end = n;
			lines[nl].off = pos;
			lines[nl++].len = end - pos;
			break;
		}
		/* As many characters as fit, at least one; brk is where
		 * the last word that fits ends. */
		w = 0;
		brk = pos;
		for (i = pos; i < n; i += clen) {
			clen = render_char_len(text + i, n - i, utf8);
			cw = width(ctx, text + i, clen);
			if (w + cw > max_w && i > pos)
				break;
			if (text[i] == ' ' && i > pos && text[i - 1] != ' ')
				brk = i;
			w += cw;
		}
		if (i >= n || text[i] == ' ')
			end = next = i;		/* the rest, or a word end */
		else if (brk > pos)
			end = next = brk;	/* before the word cut */
		else
			end = next = i;		/* a word wider than a line */
		while (end > pos && text[end - 1] == ' ')
			end--;
		if (end > pos) {
			lines[nl].off = pos;
			lines[nl++].len = end - pos;
		}
		pos = next;
		while (pos < n && text[pos] == ' ')
			pos++;
	}
	return nl;
}
