/*
 * smtp.h - the SMTP client: one connection, opened by libcurl, reused for
 * every message of a flush run.
 *
 * Order of calls:
 *
 *	s = smtp_session_new(&opts, &err);	NULL: see below
 *	for each message m (and the one after it, next, when known):
 *		smtp_outcome_init(&out);
 *		st = smtp_session_deliver(s, &m, &next or NULL, &out);
 *		... log out.code, out.reply / out.error with the message id ...
 *		smtp_outcome_release(&out);
 *		stop the run on SMTP_UNAVAILABLE or SMTP_CONFIG
 *	smtp_session_free(s);			sends QUIT if connected
 *	...
 *	smtp_global_cleanup();			at exit: libcurl's global state,
 *						started by the first session
 *
 * The code is in smtp.c (options, session, classification),
 * smtp_dialogue.c (following libcurl's part of the dialogue through its
 * callbacks), smtp_message.c (the message phase, pipelined) and
 * smtp_wire.c (its bytes).  libcurl connects, reads the greeting, says
 * EHLO, STARTTLS and AUTH, then hands the connection over
 * (CURLOPT_CONNECT_ONLY): libcurl 7.88's SMTP sends one command at a time,
 * and a message's commands need not wait for each other's replies where
 * the server offers PIPELINING (RFC 2920).
 *
 * This module logs no failure itself (it does not know the message id):
 * everything the caller needs to log is in the outcome or in err.  With
 * opts.verbose the dialogue is logged at debug level, AUTH redacted.
 *
 * How each outcome is classified.  "Session phase" is everything before
 * MAIL FROM (connect, TLS, greeting, EHLO, STARTTLS, AUTH); "message phase"
 * is MAIL FROM, RCPT TO, DATA, the body and the final reply.  A reused
 * connection starts at MAIL FROM.
 *
 *  SMTP_OK          the final "." got 2xx.  out->refused lists
 *                   the recipients refused with 5xx (the message went to
 *                   the others).
 *  SMTP_TEMPFAIL    message phase only: a 4xx reply to MAIL, RCPT, DATA or
 *                   "."; a 4xx to ANY recipient (the message is not sent:
 *                   the whole of it is deferred, so that
 *                   one spooled message always has one state); a timeout,
 *                   a dropped connection, a reply that is not SMTP, or
 *                   any CURLcode not listed below; failing to read the message
 *                   from fd (out->error says so).  out->in_doubt is set when
 *                   the whole message had been sent and its final reply never
 *                   came: the server may have it, retrying may duplicate it
 *                   (same Message-ID; delivery is at least once).
 *  SMTP_PERMFAIL    message phase: a 5xx reply to MAIL FROM, DATA or ".",
 *                   or every recipient refused with 5xx (code: the last
 *                   RCPT's); an envelope address holding a control
 *                   character or '<' '>' (code 0: it could inject
 *                   commands).
 *  SMTP_UNAVAILABLE session phase: no reply at all (CURLE_COULDNT_RESOLVE_HOST,
 *                   CURLE_COULDNT_CONNECT, CURLE_OPERATION_TIMEDOUT,
 *                   CURLE_SSL_CONNECT_ERROR handshake failure, SEND/RECV
 *                   errors), a greeting other than 2xx
 *                   (CURLE_WEIRD_SERVER_REPLY), EHLO refused
 *                   (CURLE_REMOTE_ACCESS_DENIED), a 4xx to STARTTLS or AUTH
 *                   (e.g. "454 too many login attempts").  No message is to
 *                   blame: the queue pauses.
 *  SMTP_CONFIG      certificate not verified (CURLE_PEER_FAILED_VERIFICATION,
 *                   CURLE_SSL_CACERT_BADFILE, CURLE_SSL_CERTPROBLEM and the
 *                   other certificate/pinning codes); STARTTLS required but
 *                   not offered, or refused with 5xx (CURLE_USE_SSL_FAILED);
 *                   authentication refused with 5xx (CURLE_LOGIN_DENIED,
 *                   CURLE_AUTH_ERROR); 530 to MAIL FROM (the server wants
 *                   AUTH or STARTTLS that is not configured); a bad URL or
 *                   protocol; a port that speaks the other TLS mode
 *                   (smtps:// at a plain-SMTP port, smtp:// at an
 *                   implicit-TLS one), found by a second, short connection
 *                   in the other mode after a session-phase failure with
 *                   no reply, and named in out->error with the fix.
 *                   smtp_session_new() and smtp_probe() refuse the options
 *                   below before any connection is made.
 *
 * Exit codes the caller derives: UNAVAILABLE and TEMPFAIL give 75, CONFIG 78.
 *
 * Credentials never cross a connection without TLS.  libcurl 7.88 sends
 * AUTH whatever the TLS state (with CURLUSESSL_TRY and no STARTTLS offered,
 * AUTH PLAIN goes out in clear text), and it offers no hook between the
 * STARTTLS decision and AUTH.  So a username is accepted only with
 * smtps:// or with smtp:// and tls = required (CURLUSESSL_ALL: libcurl
 * fails with CURLE_USE_SSL_FAILED before AUTH when STARTTLS is missing);
 * any other combination is SMTP_CONFIG before connecting.  A URL holding
 * user:password@ is refused for the same reason.
 */
#ifndef SENDREPORTS_SMTP_H
#define SENDREPORTS_SMTP_H

#include <sys/types.h>

#include <stddef.h>

#include "buf.h"

enum smtp_tls {
	SMTP_TLS_REQUIRED,	/* STARTTLS or fail (CURLUSESSL_ALL) */
	SMTP_TLS_OPPORTUNISTIC,	/* STARTTLS when offered (CURLUSESSL_TRY) */
	SMTP_TLS_NONE		/* clear text; smtps:// is refused with it */
};

struct smtp_options {
	const char	*url;		/* smtp://host[:port][/ehlo-name],
					   smtps://host[:port] */
	enum smtp_tls	 tls;
	const char	*ca_file;	/* NULL: libcurl's default bundle, or
					   else the built-in one (cabundle.h);
					   one of them must exist */
	const char	*helo;		/* the EHLO name; NULL: the URL's path,
					   else the box's FQDN (or host name
					   + ".localdomain") */
	const char	*pin_sha256;	/* NULL, or the relay's public keys
					   (base64 SHA-256, ";" between): it
					   is accepted by them, CA or not */
	const char	*username;	/* NULL or "": no AUTH */
	const char	*password;	/* the caller reads password_file */
	long		 connect_timeout_s;	/* <= 0: 30 */
	long		 timeout_s;	/* per reply, stalled upload; <=0: 60 */
	int		 verbose;	/* dialogue at LOG_LEVEL_DEBUG */
};

enum smtp_status {
	SMTP_OK,
	SMTP_TEMPFAIL,
	SMTP_PERMFAIL,
	SMTP_UNAVAILABLE,
	SMTP_CONFIG
};

struct smtp_refusal {
	char	*rcpt;		/* a copy of the caller's address */
	int	 code;		/* the RCPT reply code, 4xx or 5xx */
	char	*text;		/* the RCPT reply, lines joined with "\n" */
};

/*
 * What one attempt gave.  The caller owns it: smtp_outcome_init() before
 * the first use, smtp_outcome_release() after the last; deliver and probe
 * reset it first, so one outcome may serve a whole loop.
 */
struct smtp_outcome {
	int			 code;	 /* on SMTP_OK the final reply's code;
					    else the reply to the command the
					    transfer failed at, 0 when none came
					    (network, timeout, TLS, drop) */
	struct buf		 reply;	 /* the last reply received, lines
					    joined with "\n", capped at 4 KiB;
					    on SMTP_OK "250 ... queued as X" */
	struct buf		 error;	 /* what failed, in words (the step
					    and libcurl's message); "" on OK */
	int			 in_doubt;
	struct smtp_refusal	*refused;
	size_t			 nrefused;
};

void	smtp_outcome_init(struct smtp_outcome *out);
/* Frees the contents; safe twice. */
void	smtp_outcome_release(struct smtp_outcome *out);

/* "ok", "tempfail", "permfail", "unavailable", "config".  Static string. */
const char	*smtp_status_name(enum smtp_status st);

struct smtp_session;

/*
 * Checks the options (URL scheme smtp or smtps and no credentials in it; the
 * TLS/credentials rule above; the CA bundle readable whenever TLS may be
 * used) and prepares the easy handle.  Connects nothing: the first deliver
 * does.  The options' strings are copied (libcurl keeps its own copies), so
 * the caller may wipe its password afterwards.
 *
 * Returns the session, to be freed with smtp_session_free(); or NULL with
 * err (when not NULL) set to the reason and errno EINVAL for a configuration
 * error (SMTP_CONFIG, exit 78), or ENOMEM / EIO when libcurl could not be
 * set up.  curl_global_init() is the caller's (main's) job.
 */
struct smtp_session	*smtp_session_new(const struct smtp_options *opts,
			    struct buf *err);

/* One message to deliver. */
struct smtp_mail {
	const char	*from;		/* envelope sender, "" for the null
					   sender */
	char *const	*rcpts;		/* recipients [0..nrcpts) */
	size_t		 nrcpts;
	int		 fd;		/* the message: fd's bytes from offset
					   to end of file, a complete message
					   with CRLF line ends (the session
					   adds the dot-stuffing and the final
					   "."); read with pread(), fd's
					   position neither used nor moved */
	off_t		 offset;
};

/*
 * Sends message m.  Reuses the open connection when there is one, and
 * reconnects (greeting, EHLO, STARTTLS, AUTH) when the last attempt broke
 * it (a timeout, a drop, a 421) or the server closed it or spoke unasked
 * meanwhile.  out is reset, then filled.  Returns the classification
 * above; never fails otherwise.
 *
 * next (NULL when there is none, or it is not known yet): the message the
 * caller will deliver right after m.  Where the server offers PIPELINING,
 * next's envelope goes out behind m's end of data, saving a round trip per
 * message.  The next call must then deliver that very struct (same
 * pointer, same contents), or else the session closes the connection
 * (which drops the envelope sent ahead: nothing is delivered) and starts a
 * new one.  m, next and what they point to must stay valid until then.
 */
enum smtp_status	smtp_session_deliver(struct smtp_session *s,
			    const struct smtp_mail *m,
			    const struct smtp_mail *next,
			    struct smtp_outcome *out);

/*
 * Says QUIT on an open connection (or closes it, when an envelope sent
 * ahead is in flight) and frees everything.  NULL is a no-op.
 */
void	smtp_session_free(struct smtp_session *s);

/*
 * "host[ip]:port" of the server the last delivery talked to (the URL's
 * host, the address connected to), for the log; NULL when none answered.
 */
const char	*smtp_session_relay(const struct smtp_session *s);

/*
 * For `check --smtp`: what the server says and offers.  The caller owns it:
 * smtp_probe_init(), smtp_probe_release().
 */
struct smtp_probe {
	struct buf		greeting;	/* the 220 text */
	struct buf		capabilities;	/* the last EHLO's keywords,
						   one per line ("STARTTLS",
						   "AUTH PLAIN LOGIN", ...) */
	int			starttls_offered; /* by the first EHLO */
	int			tls;		/* the dialogue ended in TLS */
	int			authenticated;	/* AUTH got 235 */
	const char		*ca_source;	/* where the certificates came
						   from: "ca_file", "system",
						   "built-in"; NULL without
						   TLS.  Static. */
	struct smtp_outcome	outcome;	/* the last reply, the error */
};

void	smtp_probe_init(struct smtp_probe *p);
/* Frees the contents; safe twice. */
void	smtp_probe_release(struct smtp_probe *p);

/*
 * Connects with opts exactly as a flush would (TLS, verification, AUTH when
 * a username is set), sends NOOP, and quits, filling p.  Returns SMTP_OK or
 * the classification of the failure (SMTP_CONFIG for options refused as in
 * smtp_session_new(), with the reason in p->outcome.error).
 */
enum smtp_status	smtp_probe(const struct smtp_options *opts,
			    struct smtp_probe *p);

/*
 * Ends libcurl's global state if a session started it; safe when none
 * did, and twice.  Call it once, at exit, with no session left.
 */
void	smtp_global_cleanup(void);

#endif
