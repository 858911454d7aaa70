/*
 * mime_enc.h - the encoders behind the MIME writer (mime.h): quoted-
 * printable bodies, streamed base64, and header pieces folded to 78
 * columns (RFC 2047 encoded-words, RFC 2231 parameters).
 *
 * Every line these write ends in CRLF.  The header functions append to a
 * struct buf that holds the header section being built; they find the
 * current column from the buffer itself (the bytes since the last LF), so
 * the caller keeps no state between calls.  They fold by writing CRLF
 * followed by a space: unfolding (RFC 5322 2.2.3) removes the CRLF only.
 * Header functions return 0, or -1 when the buffer refuses to grow
 * (errno EMSGSIZE or ENOMEM), leaving partial output in it: the caller
 * then throws the whole header section away.
 */
#ifndef SENDREPORTS_MIME_ENC_H
#define SENDREPORTS_MIME_ENC_H

#include <stddef.h>
#include <stdio.h>

struct buf;
struct stat;

#define MIME_LINE_SOFT	78	/* RFC 5322 2.1.1: "SHOULD" */
#define MIME_QP_LINE	76	/* RFC 2045 6.7: a QP line, '=' included */
#define MIME_B64_LINE	76	/* RFC 2045 6.8: 57 bytes in, 76 out */
#define MIME_WORD_MAX	75	/* RFC 2047 2: one encoded-word */

/*
 * Checks a header value that will be encoded: refuses a CR or LF
 * ("WHAT contains a line break"), any other control character but tab
 * ("WHAT contains a control character") and invalid UTF-8 ("WHAT is not
 * valid UTF-8"), rather than replacing anything, so that nothing the
 * reader sees differs from what the database holds.  Returns 0, or -1
 * with err replaced by the reason and errno EINVAL.  s may be NULL (an
 * empty value).
 */
int	mime_check_value(const char *what, const char *s, struct buf *err);

/*
 * Appends the whole header "Name: value" CRLF for an unstructured value
 * (Subject, X-...), which must have passed mime_check_value().  A value
 * of printable ASCII is written as it is, folded at its whitespace;
 * otherwise, or when it holds "=?" (a reader would take it for an
 * encoded-word) or a word too long to fold under 998 octets, the whole
 * value becomes UTF-8 B encoded-words.  Leading and trailing whitespace
 * is dropped.
 */
int	mime_hdr_text(struct buf *b, const char *name, const char *value);

/*
 * Appends a space and tok, or CRLF, space and tok when tok would pass
 * column 78 and the line already holds more than a field name.
 */
int	mime_hdr_token(struct buf *b, const char *tok, size_t len);

/*
 * Appends the len bytes of UTF-8 at s as "=?UTF-8?B?...?=" encoded-words,
 * each preceded by a space or a fold, each at most 75 characters and cut
 * only between characters, so that no line passes 78 columns.
 */
int	mime_hdr_words(struct buf *b, const char *s, size_t len);

/*
 * Appends ";" and the parameter attr=value (RFC 2045, 2231) for a value
 * that passed mime_check_value(): attr="value" when value is printable
 * ASCII, else attr*=UTF-8''percent-encoded; split into RFC 2231
 * continuations (attr*0=, attr*1= or attr*0*=, attr*1*=), one per line,
 * when it would pass column 78.
 */
int	mime_hdr_param(struct buf *b, const char *attr, const char *value);

/*
 * Appends to b the ASCII stand-in of a UTF-8 name for readers that know
 * no RFC 2231: each character outside printable ASCII becomes '_'.
 */
int	mime_ascii_fallback(struct buf *b, const char *value);

/*
 * Writes the len bytes at text quoted-printable (RFC 2045 6.7): LF and
 * CRLF become CRLF hard breaks, lines stay within 76 characters with
 * soft breaks, '=', non-ASCII bytes, a lone CR, a space or tab before a
 * line end and a '.' that starts a line are written =XX, and a UTF-8
 * character's =XX triples are never split across lines.  The text need
 * not be valid UTF-8: every byte survives.  The output ends with CRLF
 * only when the text ends with a line break.  Returns 0, or -1 on a
 * write error (errno set).
 */
int	mime_qp_write(FILE *out, const char *text, size_t len);

/*
 * Writes what remains to be read on fd as base64 (RFC 2045 6.8), reading
 * a few KiB at a time (a multiple of 57 bytes) and never the whole file:
 * lines of exactly 76 characters separated by CRLF, the last one shorter
 * or equal and NOT followed by CRLF (that CRLF belongs to the next MIME
 * boundary); an empty file writes nothing.  Returns 0, or -1 with err
 * replaced by "attachment: read: ..." or "write: ..." and errno kept, or
 * errno EAGAIN when fd is a regular file that changed while it was read
 * or since `opened` (what fstat said when the caller opened it; NULL:
 * when reading begins): its size or mtime, or fewer bytes than its size.
 * The output then holds a cut or mixed copy and must be thrown away.
 */
int	mime_base64_write(FILE *out, int fd, const struct stat *opened,
	    struct buf *err);

#endif
