/*
 * smtp_message.h - internal to the SMTP client: one message's transaction
 * (MAIL FROM, RCPT TO, DATA, the body, ".") on a connection libcurl has
 * opened and authenticated, over smtp_wire.h.
 *
 * With PIPELINING offered (RFC 2920), MAIL, the RCPTs and DATA go out as
 * one group (several for a long recipient list, so that neither side's
 * buffers fill while the other waits), and the replies are read in the
 * order of the commands: each one is matched to its command by position,
 * never by guess.  Without it, one command at a time.  The body follows
 * the 354 in pieces of SMTP_BODY_PIECE bytes, dot-stuffed in the pass that
 * copies them.
 *
 * After a refusal with the dialogue still in step (4xx or 5xx to MAIL,
 * RCPT or DATA), RSET ends the transaction and the connection serves the
 * next message.  It is given up (w->broken) after a timeout, a drop, a
 * reply that is not SMTP, a 421, a message that could not be read to its
 * end, and when DATA got 354 for a message that must not go (a recipient
 * deferred, or none accepted): closing is the only way to abandon it, a
 * "." would deliver it empty.
 */
#ifndef SENDREPORTS_SMTP_MESSAGE_H
#define SENDREPORTS_SMTP_MESSAGE_H

#include <sys/types.h>

#include <stddef.h>

#include "smtp.h"
#include "smtp_wire.h"

#ifndef SMTP_BODY_PIECE
#define SMTP_BODY_PIECE		((size_t)64 * 1024)
#endif

/* What the last EHLO offered. */
struct smtp_caps {
	int	pipelining;
	int	size;		/* SIZE: MAIL gets SIZE=<bytes> */
	int	smtputf8;	/* SMTPUTF8: asked for 8-bit addresses */
};

struct smtp_envelope {
	const char	*from;		/* "" for the null sender */
	char *const	*rcpts;
	size_t		 nrcpts;	/* at least one */
	int		 fd;		/* the message, CRLF lines */
	off_t		 offset;	/* from here ... */
	off_t		 end;		/* ... to here (the file's size) */
};

/*
 * Runs the transaction; fills out's code, reply, error, in_doubt and
 * refused as smtp.h describes (out was reset by the caller).  Returns
 * SMTP_OK, SMTP_TEMPFAIL, SMTP_PERMFAIL, or SMTP_CONFIG (530 to MAIL).
 * Afterwards w->broken says whether the connection may serve again.
 *
 * envelope_sent: env's MAIL, RCPTs and DATA already went out behind the
 * previous message's end of data; only their replies are read.  next
 * (NULL: none): the message the caller delivers after this one.  With
 * PIPELINING, its envelope goes out behind this one's end of data, in the
 * same write (RFC 2920 3.1: message content may start a group), so that a
 * run of messages costs one round trip each; *next_sent says whether it
 * went.  When it did, the wire holds its replies: the next call must be
 * for next, with envelope_sent, or the connection must go.
 */
enum smtp_status	smtp_message_send(struct smtp_wire *w,
			    const struct smtp_caps *caps,
			    const struct smtp_envelope *env, int envelope_sent,
			    const struct smtp_envelope *next, int *next_sent,
			    struct smtp_outcome *out);

#endif
