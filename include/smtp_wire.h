/*
 * smtp_wire.h - internal to the SMTP client: the bytes of the message phase
 * on a connection that libcurl opened (greeting, EHLO, STARTTLS and AUTH
 * are libcurl's; CURLOPT_CONNECT_ONLY hands the connection over at that
 * point).  Commands and the body go out with curl_easy_send(), replies come
 * in with curl_easy_recv(), so TLS stays libcurl's too.
 *
 * libcurl 7.88 sends one SMTP command at a time and offers no PIPELINING
 * (RFC 2920); smtp_message.c builds the pipelined transaction on this.
 *
 * Every wait is bounded: a reply must be complete within the timeout, a
 * write must make progress within it.  Once a wait times out, the peer
 * closes, a read or write fails or a reply cannot be parsed, the wire is
 * "broken" (w->broken, the reason in w->why): what the server will say next
 * can no longer be matched to a command, and the connection must go.
 * Only smtp.c and smtp_message.c include this header.
 */
#ifndef SENDREPORTS_SMTP_WIRE_H
#define SENDREPORTS_SMTP_WIRE_H

#include <stddef.h>

#include <curl/curl.h>

#include "buf.h"

#define SMTP_WIRE_LINE_MAX	4096	/* a longer reply line breaks it */

struct smtp_wire {
	CURL		*curl;		/* the connection's easy handle */
	curl_socket_t	 sock;
	long		 timeout_ms;
	int		 verbose;	/* commands and replies at debug */
	struct buf	 out;		/* queued to send: smtp_wire_flush() */
	char		 in[2 * SMTP_WIRE_LINE_MAX];	/* read, unparsed */
	size_t		 inlen;
	int		 broken;
	char		 why[256];	/* why it broke, in words */
	int		 timed_out;	/* it broke on a timeout */
};

/* Takes over the connection of curl (connected with CONNECT_ONLY). */
void	smtp_wire_init(struct smtp_wire *w, CURL *curl, curl_socket_t sock,
	    long timeout_ms, int verbose);
void	smtp_wire_release(struct smtp_wire *w);

/*
 * Queues one command line (without CRLF, which is added) to be sent with
 * the next flush, and logs it with verbose.  0, or -1 (out of memory:
 * broken).
 */
int	smtp_wire_command(struct smtp_wire *w, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

/* Sends what is queued.  0, or -1: broken. */
int	smtp_wire_flush(struct smtp_wire *w);

/*
 * Reads the next whole reply: returns its code (200-599; a multi-line
 * reply's last line decides), its lines joined with "\n" in text (reset
 * first, cut at text's cap).  -1: broken (timeout, closed, not a reply).
 */
int	smtp_wire_reply(struct smtp_wire *w, struct buf *text);

/*
 * Whether the server said something nobody asked for, or closed: an idle
 * connection the server timed out ("421 ... closing") is not to be used.
 * Looks without waiting.  1 (broken: w->why says what came), or 0.
 */
int	smtp_wire_stale(struct smtp_wire *w);

/*
 * Dot-stuffing (RFC 5321 4.5.2) of a stream handed over in pieces of any
 * size: a "." at the start of a line (after CRLF, or first of all) is
 * doubled, in the same pass that copies the bytes out.  at_bol must start
 * at 1; last_cr at 0.
 */
struct smtp_stuffing {
	int	at_bol;		/* the bytes so far end with CRLF, or none */
	int	last_cr;	/* the last byte was CR */
};

/* Appends piece[0..n) stuffed to out.  0, or -1 (out's cap, memory). */
int	smtp_stuff(struct smtp_stuffing *st, const char *piece, size_t n,
	    struct buf *out);

/* Appends the end of data: CRLF when the text did not end with one, ".". */
int	smtp_stuff_end(const struct smtp_stuffing *st, struct buf *out);

#endif
