/*
 * mime_enc.c - the encoders of mime_enc.h.
 *
 * It owns the byte-level rules of the message format: what may appear
 * literally in a header or a body line, where a line may be folded or
 * broken, and that no output line ever passes 998 octets (RFC 5322 2.1.1)
 * whatever the input.  Header pieces are built in a struct buf so that a
 * refused value leaves nothing half-written; bodies stream to a FILE.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "mime_enc.h"
#include "os_fs.h"
#include "utf8.h"

/* A word longer than this is not folded but encoded (998 minus margin). */
#define MIME_WORD_PLAIN_MAX	900
/* Bytes read at a time: a 50 KB PDF in one read() (and the one that
 * says it ended), not seven. */
#define MIME_B64_CHUNK		(57 * 1024)
#define MIME_B64_BLOCK		64	/* lines encoded before a write */

static const char mime_b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char mime_hex[] = "0123456789ABCDEF";

#define MIME_WSP(c)	((c) == ' ' || (c) == '\t')

/* Encodes n <= 3 bytes into 4 characters at out. */
static void
mime_b64_group(const unsigned char *in, size_t n, char *out)
{
	unsigned long v;

	v = (unsigned long)in[0] << 16;
	if (n > 1)
		v |= (unsigned long)in[1] << 8;
	if (n > 2)
		v |= in[2];
	out[0] = mime_b64[(v >> 18) & 63];
	out[1] = mime_b64[(v >> 12) & 63];
	out[2] = n > 1 ? mime_b64[(v >> 6) & 63] : '=';
	out[3] = n > 2 ? mime_b64[v & 63] : '=';
}

/*
 * Encodes n bytes into out, which has room for 4 * ceil(n / 3); returns
 * the length written.
 */
static size_t
mime_b64_encode(const unsigned char *in, size_t n, char *out)
{
	unsigned long v;
	size_t i, o = 0;

	/* Whole groups without the tests of a short one. */
	for (i = 0; i + 3 <= n; i += 3, o += 4) {
		v = (unsigned long)in[i] << 16 | (unsigned long)in[i + 1] << 8 |
		    in[i + 2];
		out[o] = mime_b64[v >> 18];
		out[o + 1] = mime_b64[(v >> 12) & 63];
		out[o + 2] = mime_b64[(v >> 6) & 63];
		out[o + 3] = mime_b64[v & 63];
	}
	if (i < n) {
		mime_b64_group(in + i, n - i, out + o);
		o += 4;
	}
	return o;
}

int
mime_check_value(const char *what, const char *s, struct buf *err)
{
	const unsigned char *p;

	if (s == NULL)
		return 0;
	for (p = (const unsigned char *)s; *p; p++) {
		if (*p == '\r' || *p == '\n') {
			buf_reset(err);
			buf_printf(err, "%s contains a line break", what);
			goto fail;
		}
		if ((*p < 0x20 && *p != '\t') || *p == 0x7f) {
			buf_reset(err);
			buf_printf(err, "%s contains a control character",
			    what);
			goto fail;
		}
	}
	if (!utf8_valid(s, strlen(s))) {
		buf_reset(err);
		buf_printf(err, "%s is not valid UTF-8", what);
		goto fail;
	}
	return 0;
fail:
	errno = EINVAL;
	return -1;
}

/* The column the next byte of b goes to: the bytes since the last LF. */
static size_t
mime_col(const struct buf *b)
{
	size_t i = b->len;

	while (i > 0 && b->data[i - 1] != '\n')
		i--;
	return b->len - i;
}

/*
 * Whether the current line holds more than "Name:" or a lone folding
 * space: folding there would only add an empty-looking line.
 */
static int
mime_can_fold(const struct buf *b)
{
	size_t col = mime_col(b);
	const char *line = b->data + b->len - col;

	if (col == 0)
		return 0;
	if (line[0] == ' ' || line[0] == '\t')
		return col > 1;
	return memchr(line, ' ', col) != NULL;
}

/*
 * Appends sep (whitespace) and tok, or folds before tok when the pair
 * would pass column 78: the fold keeps sep's whitespace, or a space.
 */
static int
mime_put(struct buf *b, const char *sep, size_t seplen, const char *tok,
    size_t len)
{
	if (mime_col(b) + seplen + len > MIME_LINE_SOFT && mime_can_fold(b)) {
		if (buf_puts(b, "\r\n") == -1)
			return -1;
		if (seplen == 0) {
			sep = " ";
			seplen = 1;
		}
	}
	if (buf_append(b, sep, seplen) == -1)
		return -1;
	return buf_append(b, tok, len);
}

int
mime_hdr_token(struct buf *b, const char *tok, size_t len)
{
	return mime_put(b, " ", 1, tok, len);
}

int
mime_hdr_words(struct buf *b, const char *s, size_t len)
{
	/* "=?UTF-8?B?" and "?=" leave 63 characters: 15 groups, 45 bytes. */
	static const size_t over = 12, most = 45;
	char word[MIME_WORD_MAX + 1];
	size_t i = 0, col, room, max, n, k, w, cut;

	while (i < len) {
		col = mime_col(b);
		room = col + 1 + over + 4 <= MIME_LINE_SOFT ?
		    MIME_LINE_SOFT - col - 1 - over : 0;
		max = room / 4 * 3;
		if (max > most)
			max = most;
		if ((k = utf8_char_len(s + i, len - i)) == 0)
			k = 1;	/* not UTF-8: the caller was told to check */
		/*
		 * Fold rather than split when not even one character fits,
		 * or when what is left fits one word on the next line:
		 * fewer cuts, and Python's address parser (3.11) wrongly
		 * reads a space between two encoded-words of a name.
		 */
		if (k > max || (len - i <= most && len - i > max &&
		    mime_can_fold(b))) {
			if (buf_puts(b, "\r\n") == -1)
				return -1;
			max = most;
		}
		for (n = 0, cut = 0; i + n < len; n += k) {
			if ((k = utf8_char_len(s + i + n, len - i - n)) == 0)
				k = 1;
			if (n + k > max)
				break;
			if (s[i + n] == ' ')
				cut = n + 1;
		}
		/*
		 * Cut after a space when one is not too far back, so that
		 * the same reader adds a space next to a space at worst.
		 */
		if (i + n < len && cut > n / 2)
			n = cut;
		memcpy(word, "=?UTF-8?B?", 10);
		w = 10 + mime_b64_encode((const unsigned char *)s + i, n,
		    word + 10);
		memcpy(word + w, "?=", 2);
		w += 2;
		if (buf_putc(b, ' ') == -1 || buf_append(b, word, w) == -1)
			return -1;
		i += n;
	}
	return 0;
}

int
mime_hdr_text(struct buf *b, const char *name, const char *value)
{
	const char *s = value ? value : "";
	size_t len, i, ws, word = 0, longest = 0;
	int plain = 1;

	while (MIME_WSP(*s))
		s++;
	len = strlen(s);
	while (len > 0 && MIME_WSP(s[len - 1]))
		len--;
	if (buf_printf(b, "%s:", name) == -1)
		return -1;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c < 0x20 && c != '\t') || c >= 0x7f ||
		    (c == '=' && i + 1 < len && s[i + 1] == '?'))
			plain = 0;
		word = MIME_WSP(c) ? 0 : word + 1;
		if (word > longest)
			longest = word;
	}
	/* A word that long cannot be folded under 998: encode it instead. */
	if (!plain || strlen(name) + 2 + longest > MIME_WORD_PLAIN_MAX) {
		if (mime_hdr_words(b, s, len) == -1)
			return -1;
		return buf_puts(b, "\r\n");
	}
	/* Each piece is a whitespace run and the word after it. */
	for (i = 0; i < len; i += ws + word) {
		for (ws = 0; MIME_WSP(s[i + ws]); ws++)
			;
		for (word = 0; i + ws + word < len &&
		    !MIME_WSP(s[i + ws + word]); word++)
			;
		if (i == 0 ? mime_put(b, " ", 1, s, word) :
		    mime_put(b, s + i, ws, s + i + ws, word))
			return -1;
	}
	return buf_puts(b, "\r\n");
}

/* RFC 5987 attr-char: what a parameter value may hold unencoded. */
static int
mime_attr_char(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	return c != '\0' && strchr("!#$&+-.^_`|~", c) != NULL;
}

/*
 * Appends ";" and one parameter piece "head" val, quoted when asked; on a
 * line of its own when fold is set (continuations), else folded only
 * when it does not fit.
 */
static int
mime_param_piece(struct buf *b, const struct buf *head, const struct buf *val,
    int quote, int fold)
{
	struct buf t;
	int rc;

	buf_init(&t, head->len + val->len + 2);
	rc = buf_append(&t, head->data, head->len);
	if (rc == 0 && quote)
		rc = buf_putc(&t, '"');
	if (rc == 0)
		rc = buf_append(&t, val->data, val->len);
	if (rc == 0 && quote)
		rc = buf_putc(&t, '"');
	if (rc == 0)
		rc = buf_putc(b, ';');
	if (rc == 0 && fold && mime_can_fold(b))
		rc = buf_puts(b, "\r\n");
	if (rc == 0)
		rc = mime_hdr_token(b, t.data, t.len);
	buf_release(&t);
	return rc;
}

/* Appends the wire form of the k bytes at p (one character) to v. */
static int
mime_param_char(struct buf *v, const unsigned char *p, size_t k, int ascii)
{
	size_t i;

	if (ascii)
		return (*p == '"' || *p == '\\') && buf_putc(v, '\\') == -1 ?
		    -1 : buf_putc(v, *p);
	for (i = 0; i < k; i++)
		if ((mime_attr_char(p[i]) ? buf_putc(v, p[i]) :
		    buf_printf(v, "%%%c%c", mime_hex[p[i] >> 4],
		    mime_hex[p[i] & 15])) == -1)
			return -1;
	return 0;
}

/* The name part of piece cont (-1: the only piece), "=" included. */
static int
mime_param_head(struct buf *head, const char *attr, long cont, int ascii)
{
	buf_reset(head);
	if (cont < 0)
		return buf_printf(head, ascii ? "%s=" : "%s*=UTF-8''", attr);
	return buf_printf(head, "%s*%ld%s=%s", attr, cont, ascii ? "" : "*",
	    !ascii && cont == 0 ? "UTF-8''" : "");
}

int
mime_hdr_param(struct buf *b, const char *attr, const char *value)
{
	struct buf v, head, c;
	size_t i, k, len = strlen(value), quotes;
	long cont = 0;
	int ascii = 1, rc = -1;

	buf_init(&v, 12 * len + 1);
	buf_init(&head, 128);
	buf_init(&c, 16);
	for (i = 0; i < len; i++)
		if ((unsigned char)value[i] < 0x20 ||
		    (unsigned char)value[i] > 0x7e)
			ascii = 0;
	quotes = ascii ? 2 : 0;
	/* k: the bytes of one character, never cut by a continuation. */
	for (i = 0; i < len; i += k) {
		if ((k = ascii ? 1 : utf8_char_len(value + i, len - i)) == 0)
			k = 1;
		if (mime_param_char(&v, (const unsigned char *)value + i, k,
		    ascii) == -1)
			goto out;
	}
	if (mime_param_head(&head, attr, -1, ascii) == -1)
		goto out;
	/* One piece when it fits a continuation line: " attr=...;". */
	if (1 + head.len + v.len + quotes + 1 <= MIME_LINE_SOFT) {
		rc = mime_param_piece(b, &head, &v, ascii, 0);
		goto out;
	}
	/* RFC 2231 3 and 4: numbered pieces, one per line. */
	buf_reset(&v);
	if (mime_param_head(&head, attr, cont, ascii) == -1)
		goto out;
	for (i = 0; i < len; i += k) {
		if ((k = ascii ? 1 : utf8_char_len(value + i, len - i)) == 0)
			k = 1;
		buf_reset(&c);
		if (mime_param_char(&c, (const unsigned char *)value + i, k,
		    ascii) == -1)
			goto out;
		if (v.len > 0 && 1 + head.len + v.len + c.len + quotes + 1 >
		    MIME_LINE_SOFT) {
			if (mime_param_piece(b, &head, &v, ascii, 1) == -1 ||
			    mime_param_head(&head, attr, ++cont, ascii) == -1)
				goto out;
			buf_reset(&v);
		}
		if (buf_append(&v, c.data, c.len) == -1)
			goto out;
	}
	rc = mime_param_piece(b, &head, &v, ascii, 1);
out:
	buf_release(&v);
	buf_release(&head);
	buf_release(&c);
	return rc;
}

int
mime_ascii_fallback(struct buf *b, const char *value)
{
	size_t i = 0, len = strlen(value), k;

	while (i < len) {
		unsigned char c = (unsigned char)value[i];

		k = c < 0x80 ? 1 : utf8_char_len(value + i, len - i);
		if (buf_putc(b, c >= 0x20 && c < 0x7f ? c : '_') == -1)
			return -1;
		i += k ? k : 1;
	}
	return 0;
}

/* Whether position j of text is at a line end (LF, CRLF) or its end. */
static int
mime_qp_eol(const char *text, size_t len, size_t j)
{
	return j == len || text[j] == '\n' ||
	    (text[j] == '\r' && j + 1 < len && text[j + 1] == '\n');
}

static int
mime_write(FILE *out, const char *p, size_t n)
{
	if (n > 0 && fwrite(p, 1, n, out) != n)
		return -1;
	return 0;
}

int
mime_qp_write(FILE *out, const char *text, size_t len)
{
	char line[MIME_QP_LINE + 3], tok[12];
	size_t i = 0, col = 0, n, t, k;

	while (i < len) {
		unsigned char c = (unsigned char)text[i];

		if (c == '\n' || (c == '\r' && mime_qp_eol(text, len, i))) {
			memcpy(line + col, "\r\n", 2);
			if (mime_write(out, line, col + 2) == -1)
				return -1;
			col = 0;
			i += c == '\r' ? 2 : 1;
			continue;
		}
		n = 1;
		if (c >= 0x80 && (n = utf8_char_len(text + i, len - i)) == 0)
			n = 1;
		for (;;) {
			/*
			 * Literal: printable ASCII but '='; whitespace unless
			 * at a line end, where transports strip it; a '.'
			 * starting a line, which a transport that forgets
			 * dot-stuffing would eat.
			 */
			if (MIME_WSP(c))
				t = mime_qp_eol(text, len, i + 1) ? 0 : 1;
			else
				t = c >= 33 && c <= 126 && c != '=' &&
				    !(c == '.' && col == 0);
			if (t)
				tok[0] = (char)c;
			else
				for (k = 0, t = 0; k < n; k++) {
					unsigned char x = (unsigned char)
					    text[i + k];

					tok[t++] = '=';
					tok[t++] = mime_hex[x >> 4];
					tok[t++] = mime_hex[x & 15];
				}
			/*
			 * The last token of a line may use column 76; any
			 * other leaves room for the soft break '='.
			 */
			if (col + t <= (mime_qp_eol(text, len, i + n) ?
			    MIME_QP_LINE : MIME_QP_LINE - 1))
				break;
			memcpy(line + col, "=\r\n", 3);
			if (mime_write(out, line, col + 3) == -1)
				return -1;
			col = 0;
		}
		memcpy(line + col, tok, t);
		col += t;
		i += n;
	}
	return mime_write(out, line, col);
}

/*
 * A regular file that changed while it was read (the sync job writing a
 * stored PDF in place: truncated, rewritten) would go out cut or mixed,
 * a half attachment that looks whole.  Its size and mtime before and
 * after, and the bytes read, tell: EAGAIN, try when it is written.
 */
static int
mime_file_changed(int fd, const struct stat *before, off_t start,
    off_t nread, struct buf *err)
{
	struct stat after;

	if (!S_ISREG(before->st_mode))
		return 0;
	if (fstat(fd, &after) == 0 && after.st_size == before->st_size &&
	    os_mtime_ns(&after) == os_mtime_ns(before) &&
	    nread == before->st_size - start)
		return 0;
	buf_reset(err);
	buf_printf(err, "attachment: the file changed while it was read "
	    "(%lld bytes read of %lld): it is being written, the next run "
	    "takes it", (long long)nread, (long long)(before->st_size -
	    start));
	errno = EAGAIN;
	return -1;
}

int
mime_base64_write(FILE *out, int fd, const struct stat *opened,
    struct buf *err)
{
	unsigned char in[MIME_B64_CHUNK];
	char lines[MIME_B64_BLOCK * (2 + MIME_B64_LINE)];
	struct stat before;
	size_t have, off, n, w, nlines;
	ssize_t r;
	off_t start, nread = 0;
	int eof = 0, first = 1, saved;

	/* Not a file (a pipe), or not open: nothing to hold it to; read()
	 * says what is wrong with it. */
	if ((opened == NULL && fstat(fd, &before) == -1) ||
	    (start = lseek(fd, 0, SEEK_CUR)) == -1) {
		before.st_mode = 0;
		start = 0;
	} else if (opened != NULL) {
		/* Cut between the caller's open and now, it is as changed
		 * as if cut while read. */
		before = *opened;
	}
	while (!eof) {
		/* Fill the whole chunk, so only the last line is short. */
		for (have = 0; have < sizeof(in); have += (size_t)r) {
			r = read(fd, in + have, sizeof(in) - have);
			if (r == -1 && errno == EINTR) {
				r = 0;
				continue;
			}
			if (r == -1) {
				saved = errno;
				buf_reset(err);
				buf_printf(err, "attachment: read: %s",
				    strerror(saved));
				errno = saved;
				return -1;
			}
			if (r == 0) {
				eof = 1;
				break;
			}
			nread += r;
		}
		/* Lines encoded a block at a time, each block one write. */
		for (off = 0, w = 0, nlines = 0; off < have; off += n) {
			n = have - off < 57 ? have - off : 57;
			if (!first) {
				lines[w++] = '\r';
				lines[w++] = '\n';
			}
			w += mime_b64_encode(in + off, n, lines + w);
			first = 0;
			if (++nlines < MIME_B64_BLOCK && off + n < have)
				continue;
			if (mime_write(out, lines, w) == -1) {
				saved = errno;
				buf_reset(err);
				buf_printf(err, "write: %s", strerror(saved));
				errno = saved;
				return -1;
			}
			w = nlines = 0;
		}
	}
	return mime_file_changed(fd, &before, start, nread, err);
}
