/*
 * mime.h - writes one report e-mail: a text part and a PDF attachment.
 *
 * The message (RFC 5322, MIME RFC 2045-2049) is, in this order:
 *	From, To, Cc (when not empty), Subject, Date, Message-ID,
 *	MIME-Version: 1.0, Auto-Submitted: auto-generated, the extra
 *	headers, Content-Type: multipart/mixed; boundary="=_..."
 *	a text/plain; charset=UTF-8 part, quoted-printable
 *	an application/pdf part, base64, Content-Disposition: attachment
 * Every line ends in CRLF and none passes 998 octets; header lines are
 * folded to 78 columns wherever the content allows it.  Bcc is never
 * written: its addresses belong to the envelope only.
 */
#ifndef SENDREPORTS_MIME_H
#define SENDREPORTS_MIME_H

#include <stddef.h>
#include <stdio.h>
#include <time.h>

struct addr_list;
struct buf;
struct stat;

/* An extra header, e.g. { "X-Report-Id", "42" }. */
struct mime_header {
	const char	*name;	/* printable ASCII, no ':'; not one of ours */
	const char	*value;	/* UTF-8 text, encoded like Subject */
};

/*
 * What a message is made of.  Everything is borrowed: the caller keeps
 * ownership.  memset() to 0 then fill: the zeroed optional fields mean
 * "none".
 */
struct mime_message {
	const struct addr_list	*from;		/* exactly one address */
	const struct addr_list	*to;		/* at least one */
	const struct addr_list	*cc;		/* NULL or empty: no Cc */
	const char		*subject;	/* UTF-8; NULL: empty */
	time_t			 date;		/* written in UTC, +0000 */
	const char		*message_id;	/* "<id@host>" or "id@host" */
	const char		*body;		/* UTF-8 text; NULL: empty */
	const char		*filename;	/* attachment name, UTF-8 */
	int			 pdf_fd;	/* read from where it stands */
	const struct stat	*pdf_opened;	/* the file when it was opened,
						   held to it (NULL: when
						   reading begins) */
	const char		*boundary;	/* NULL: derived, see below */
	const struct mime_header *extra;	/* nextra extra headers */
	size_t			 nextra;
	int			 text_only;	/* no attachment: a single
						   text/plain message; pdf_fd
						   and filename unused */
};

/*
 * Writes message m to out, streaming the attachment from m->pdf_fd (read
 * to its end, a few KiB at a time: it is never held in memory).
 *
 * Every header is built and checked before the first byte is written, so
 * a refused message writes nothing.  Refused (-1, errno EINVAL, err says
 * which field and why, e.g. "subject contains a line break"): a CR, LF or
 * other control character but tab in the subject, a display name, the
 * file name or an extra header; invalid UTF-8 in any of them; a From that
 * is not exactly one address; no To; a mailbox or Message-ID that is not
 * a plain ASCII token; an extra header that names one of ours; a
 * boundary that is not 1-70 RFC 2046 characters holding "=_"; a
 * negative pdf_fd ("attachment has no open file") unless text_only.
 *
 * The boundary: m->boundary, or "=_sendreports_" and a hash of the
 * Message-ID and date.  "=_" can occur neither in quoted-printable nor in
 * base64 output, so the boundary can never occur in the content, which
 * is why a caller's boundary must hold it too.
 *
 * The Message-ID is written between <> whether or not m->message_id has
 * them.  The body is quoted-printable: its bytes all survive, LF and CRLF
 * become CRLF, and it need not be valid UTF-8 (it is never refused).
 * The file name goes in Content-Disposition as filename="..." when it is
 * printable ASCII, else as filename*=UTF-8''... (RFC 2231, continued on
 * several lines when long); Content-Type carries name="..." with the
 * ASCII stand-in (non-ASCII characters as '_') for readers without RFC
 * 2231.  The stand-in is deliberately not repeated as filename="..."
 * beside filename*: several readers (Python's email among them) then
 * show the stand-in instead of the real name.
 *
 * Returns 0, or -1 with err replaced by the reason: a refusal as above,
 * "attachment: read: ..." or "write: ..." with errno kept.  out is not
 * flushed or closed: the caller does that and checks it.
 */
int	mime_write_message(FILE *out, const struct mime_message *m,
	    struct buf *err);

/*
 * Appends to b the RFC 5322 date of t in UTC, e.g.
 * "Mon, 23 Nov 2026 08:00:00 +0000" (English names whatever the locale).
 * Returns 0, or -1 when t cannot be represented or b refuses to grow.
 */
int	mime_date(struct buf *b, time_t t);

/*
 * Appends "Name: ..." CRLF listing l (To, Cc, From): each address as
 * mailbox, Name <mailbox>, "Quoted, Name" <mailbox> or
 * =?UTF-8?B?...?= <mailbox>, separated by ", " and folded at 78 columns.
 * Returns 0, or -1 with err replaced (a refused display name or mailbox,
 * "what display name contains a line break", or no room: errno EMSGSIZE
 * or ENOMEM).  what names the field in errors ("to").
 */
int	mime_hdr_addrs(struct buf *b, const char *name, const char *what,
	    const struct addr_list *l, struct buf *err);

#endif
