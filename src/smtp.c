/*
 * smtp.c - the SMTP client of smtp.h, on top of libcurl: checks the
 * options, owns the easy handle (and through it the one connection of a
 * run), and turns the end of each transfer into an smtp_status.  Following
 * the dialogue itself (which command a reply answers, RCPT refusals, EHLO
 * capabilities) is smtp_dialogue.c's job.
 *
 * A connection that fails before any reply may have met a port that
 * speaks the other TLS mode: smtps:// at a plain-SMTP port (the handshake
 * reads "220 ..." as a TLS record: "wrong version number"), or smtp://
 * at an implicit-TLS port (the server waits for a ClientHello and the
 * greeting never comes: a timeout).  No error text tells that for sure,
 * so a second, short connection in the other mode asks the port itself;
 * when it answers, the failure is the configuration's (SMTP_CONFIG), with
 * the fix in the error, and not a reason to retry forever.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "buf.h"
#include "curl_dl.h"
#include "log.h"
#include "os_sys.h"
#include "smtp.h"
#include "smtp_dialogue.h"
#include "smtp_message.h"
#include "smtp_tls.h"
#include "smtp_url.h"
#include "smtp_wire.h"

#define SMTP_ERROR_MAX		1024
#define SMTP_CONNECT_TIMEOUT	30L
#define SMTP_TIMEOUT		60L
#define SMTP_MODE_PROBE_MAX	10L	/* seconds for the other-mode try */

struct smtp_session {
	CURL			*curl;
	int			 smtps;
	char			*url;		/* the URL, the EHLO name its
						   path (smtp_url_with_helo) */
	char			*other_url;	/* the URL in the other TLS
						   mode, port explicit; NULL:
						   none */
	char			*hostport;	/* "host:port", for the hint */
	char			*host;		/* the URL's host */
	char			 relay[320];	/* "host[ip]:port" of the last
						   transfer's connection */
	long			 probe_timeout;
	const char		*ca_source;	/* static: "ca_file", "system",
						   "built-in", NULL: no TLS */
	struct smtp_dialogue	 d;
	char			 errbuf[CURL_ERROR_SIZE];
	long			 timeout_ms;	/* per reply, stalled write */
	int			 connected;	/* wire holds a connection */
	CURL			*conn;		/* its handle: a copy of curl
						   (which holds the options),
						   cleaned up with it, so
						   that libcurl frees what it
						   keeps of a handed-over
						   connection */
	struct smtp_caps	 caps;		/* what its last EHLO offered */
	struct smtp_wire	 wire;		/* the message phase's I/O */
	const struct smtp_mail	*ahead;		/* its envelope is on the
						   wire, sent behind the
						   last end of data */
	struct smtp_mail	 ahead_copy;	/* ahead's contents then */
};

static size_t
smtp_discard(char *p, size_t size, size_t n, void *ctx)
{
	(void)p;
	(void)ctx;
	return size * n;
}

/*
 * Whether the port answers in the other TLS mode: a connection to
 * s->other_url that gets as far as an SMTP reply (for smtps://, through a
 * completed TLS handshake).  It sends nothing but EHLO and QUIT, and no
 * credential, so the certificate is not verified: only the mode matters.
 */
static int
smtp_other_mode_answers(struct smtp_session *s)
{
	CURL *h;
	CURLcode rc;
	long code = 0;
	int bad = 0;

	if (s->other_url == NULL || (h = curl_easy_init()) == NULL)
		return 0;
#define SET(opt, val)	(bad += curl_easy_setopt(h, opt, val) != CURLE_OK)
	SET(CURLOPT_URL, s->other_url);
	SET(CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	SET(CURLOPT_CONNECT_ONLY, 1L);
	SET(CURLOPT_USE_SSL, (long)CURLUSESSL_NONE);
	SET(CURLOPT_SSL_VERIFYPEER, 0L);
	SET(CURLOPT_SSL_VERIFYHOST, 0L);
	SET(CURLOPT_CONNECTTIMEOUT, s->probe_timeout);
	SET(CURLOPT_SERVER_RESPONSE_TIMEOUT, s->probe_timeout);
	SET(CURLOPT_TIMEOUT, 2 * s->probe_timeout);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_HEADERFUNCTION, smtp_discard);
	SET(CURLOPT_WRITEFUNCTION, smtp_discard);
#undef SET
	rc = bad ? CURLE_FAILED_INIT : curl_easy_perform(h);
	if (curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code) != CURLE_OK)
		code = 0;
	curl_easy_cleanup(h);
	return rc == CURLE_OK || (code >= 200 && code < 600);
}

/*
 * A failure before any reply, with no one to blame yet: when the port
 * speaks the other TLS mode, says so in out->error and returns 1 (the
 * configuration's fault); else 0.  Nothing listening, or no name, is not
 * a mismatch and costs no second try.
 */
static int
smtp_other_mode(struct smtp_session *s, CURLcode rc, struct smtp_outcome *out)
{
	switch (rc) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_CONNECT:
		return 0;
	default:
		break;
	}
	/* smtp:// meets implicit TLS as a silence, then a close. */
	if (!s->smtps && rc != CURLE_OPERATION_TIMEDOUT &&
	    rc != CURLE_GOT_NOTHING && rc != CURLE_RECV_ERROR &&
	    rc != CURLE_SEND_ERROR)
		return 0;
	if (!smtp_other_mode_answers(s))
		return 0;
	if (s->smtps)
		(void)buf_printf(&out->error, "; the server at %s speaks plain "
		    "SMTP: use smtp:// with tls = required (STARTTLS)",
		    s->hostport);
	else
		(void)buf_printf(&out->error, "; the server at %s expects TLS "
		    "at once: use smtps://", s->hostport);
	return 1;
}

/*
 * libcurl's global start, with its TLS library's: only once there is a
 * message to deliver or a server to ask, so that an idle tick never pays
 * for it.  Single-threaded callers only (libcurl's rule).
 */
static int smtp_curl_started;

static int
smtp_global_init(struct buf *err)
{
	char why[256];

	if (smtp_curl_started)
		return 0;
	if (curl_dl_load(why, sizeof(why)) == -1) {
		(void)buf_printf(err, "cannot load libcurl: %s", why);
		return -1;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		(void)buf_puts(err, "cannot initialise libcurl");
		return -1;
	}
	smtp_curl_started = 1;
	return 0;
}

void
smtp_global_cleanup(void)
{
	if (smtp_curl_started)
		curl_global_cleanup();
	smtp_curl_started = 0;
}

struct smtp_session *
smtp_session_new(const struct smtp_options *o, struct buf *err)
{
	struct smtp_session *s = NULL;
	struct buf scratch;
	long cto, to, use_ssl;
	int bad = 0, smtps = 0, saved;

	buf_init(&scratch, SMTP_ERROR_MAX);
	if (err == NULL)
		err = &scratch;
	if (smtp_global_init(err) == -1) {
		errno = ENOMEM;
		goto fail;
	}
	if (smtp_url_check(o, &smtps, err) == -1) {
		errno = EINVAL;
		goto fail;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		(void)buf_puts(err, "out of memory");
		goto fail;
	}
	s->smtps = smtps;
	smtp_dialogue_init(&s->d, o->verbose);
	s->probe_timeout = o->timeout_s > 0 && o->timeout_s <
	    SMTP_MODE_PROBE_MAX ? o->timeout_s : SMTP_MODE_PROBE_MAX;
	if ((s->url = smtp_url_with_helo(o, err)) == NULL) {
		errno = EINVAL;
		goto fail;
	}
	/* Without them (no memory), the other mode is simply not asked. */
	(void)smtp_url_other_mode(s->url, s->smtps, &s->other_url,
	    &s->hostport, &s->host);
	if ((s->curl = curl_easy_init()) == NULL) {
		(void)buf_puts(err, "cannot set up libcurl");
		errno = EIO;
		goto fail;
	}
	if ((smtps || o->tls != SMTP_TLS_NONE) && o->pin_sha256 == NULL &&
	    smtp_tls_set_ca(s->curl, o->ca_file, &s->ca_source, err) == -1) {
		errno = EINVAL;
		goto fail;
	}
	cto = o->connect_timeout_s > 0 ? o->connect_timeout_s :
	    SMTP_CONNECT_TIMEOUT;
	to = o->timeout_s > 0 ? o->timeout_s : SMTP_TIMEOUT;
	s->timeout_ms = to * 1000;
	if (smtps || o->tls == SMTP_TLS_REQUIRED)
		use_ssl = CURLUSESSL_ALL;
	else if (o->tls == SMTP_TLS_OPPORTUNISTIC)
		use_ssl = CURLUSESSL_TRY;
	else
		use_ssl = CURLUSESSL_NONE;

#define SET(opt, val)	(bad += curl_easy_setopt(s->curl, opt, val) != CURLE_OK)
	SET(CURLOPT_URL, s->url);
	SET(CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	SET(CURLOPT_USE_SSL, use_ssl);
	if (o->pin_sha256 != NULL) {
		/* The key is the relay's identity (a self-signed
		 * certificate): libcurl checks it whatever the chain. */
		SET(CURLOPT_SSL_VERIFYPEER, 0L);
		SET(CURLOPT_SSL_VERIFYHOST, 0L);
		bad += smtp_tls_set_pins(s->curl, o->pin_sha256) == -1;
		s->ca_source = "pinned public key";
	} else {
		SET(CURLOPT_SSL_VERIFYPEER, 1L);
		SET(CURLOPT_SSL_VERIFYHOST, 2L);
	}
	if (o->username != NULL && *o->username != '\0') {
		SET(CURLOPT_USERNAME, o->username);
		SET(CURLOPT_PASSWORD, o->password);
		SET(CURLOPT_SASL_IR, 1L);
	}
	SET(CURLOPT_CONNECTTIMEOUT, cto);
	SET(CURLOPT_SERVER_RESPONSE_TIMEOUT, to);
	/* Signals belong to the daemon; the threaded resolver times out. */
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_TCP_KEEPALIVE, 1L);
	/* One connection at a time: a new one (after a failure) closes the
	 * old one instead of keeping it for later. */
	SET(CURLOPT_MAXCONNECTS, 1L);
	/* VERBOSE only feeds the debug callback, which logs nothing unless
	 * asked to: it is how the commands sent are seen. */
	SET(CURLOPT_VERBOSE, 1L);
	SET(CURLOPT_DEBUGFUNCTION, smtp_dialogue_debug_cb);
	SET(CURLOPT_DEBUGDATA, &s->d);
	SET(CURLOPT_HEADERFUNCTION, smtp_dialogue_header_cb);
	SET(CURLOPT_HEADERDATA, &s->d);
	/* Only the probe's NOOP reply would be "data": drop it. */
	SET(CURLOPT_WRITEFUNCTION, smtp_dialogue_discard_cb);
	SET(CURLOPT_ERRORBUFFER, s->errbuf);
#undef SET
	if (bad) {
		(void)buf_puts(err, "libcurl refused an option: it lacks SMTP "
		    "or TLS support");
		errno = EIO;
		goto fail;
	}
	buf_release(&scratch);
	return s;
fail:
	saved = errno;
	smtp_session_free(s);
	buf_release(&scratch);
	errno = saved;
	return NULL;
}

/*
 * Lets the connection go: QUIT when the dialogue is in step, then the
 * socket is shut down, so that the QUIT libcurl may say when it closes the
 * connection fails at once instead of waiting for a server that may never
 * answer.
 */
static void
smtp_session_close(struct smtp_session *s)
{
	if (!s->connected)
		return;
	/* An envelope sent ahead may have opened DATA: libcurl's QUIT would
	 * be taken for the message. */
	if (s->ahead != NULL)
		s->wire.broken = 1;
	s->ahead = NULL;
	/* In step, the dialogue ends as RFC 5321 wants it: QUIT, 221. */
	if (!s->wire.broken && smtp_wire_command(&s->wire, "QUIT") == 0 &&
	    smtp_wire_flush(&s->wire) == 0) {
		struct buf reply;

		buf_init(&reply, 512);
		(void)smtp_wire_reply(&s->wire, &reply);
		buf_release(&reply);
	}
	os_sock_shutdown((intptr_t)s->wire.sock);
	smtp_wire_release(&s->wire);
	curl_easy_cleanup(s->conn);
	s->conn = NULL;
	s->connected = 0;
}

void
smtp_session_free(struct smtp_session *s)
{
	if (s == NULL)
		return;
	free(s->url);
	free(s->other_url);
	free(s->hostport);
	free(s->host);
	smtp_session_close(s);
	/* The QUIT dialogue still runs the callbacks: nothing to fill. */
	s->d.probe = NULL;
	if (s->curl != NULL)
		curl_easy_cleanup(s->curl);
	smtp_dialogue_release(&s->d);
	free(s);
}

/* Starts a transfer whose results go to out (and p, for the probe). */
static void
smtp_session_reset(struct smtp_session *s, struct smtp_outcome *out,
    struct smtp_probe *p)
{
	smtp_dialogue_reset(&s->d, p);
	s->errbuf[0] = '\0';
	smtp_outcome_release(out);
	smtp_outcome_init(out);
}

/*
 * Turns the end of a transfer into a status (the table in smtp.h) and fills
 * out's code, reply, error and in_doubt.
 */
static enum smtp_status
smtp_classify(struct smtp_session *s, CURL *h, CURLcode rc,
    struct smtp_outcome *out)
{
	struct smtp_dialogue *x = &s->d;
	enum smtp_cmd cmd = x->cmd;
	long info = 0;
	int code;

	/*
	 * CURLINFO_RESPONSE_CODE lags behind when the header callback aborts
	 * the transfer (a 4xx RCPT): it still holds the MAIL reply.  The code
	 * seen by the header callback is the newest; libcurl's is the fallback.
	 */
	if (curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &info) !=
	    CURLE_OK)
		info = 0;
	(void)buf_puts(&out->reply, x->reply.data);
	if (rc == CURLE_OK) {
		out->code = x->code != 0 ? x->code : (int)info;
		return SMTP_OK;
	}

	/* Only a reply to the command in flight tells about it: without
	 * one, the network failed (code 0). */
	code = x->answered ? x->code : 0;
	out->code = code;
	(void)buf_printf(&out->error, "%s: %s", smtp_dialogue_step(cmd),
	    s->errbuf[0] != '\0' ? s->errbuf : curl_easy_strerror(rc));

	switch (rc) {
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
	case CURLE_NOT_BUILT_IN:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_ENGINE_NOTFOUND:
	case CURLE_SSL_ENGINE_SETFAILED:
	case CURLE_SSL_ENGINE_INITFAILED:
	case CURLE_AUTH_ERROR:
		return SMTP_CONFIG;
	case CURLE_USE_SSL_FAILED:
	case CURLE_LOGIN_DENIED:
		/* "454 try later" is the server's state, not ours. */
		return code >= 400 && code < 500 ? SMTP_UNAVAILABLE :
		    SMTP_CONFIG;
	default:
		break;
	}
	if (cmd == SMTP_CMD_NONE && !x->answered && smtp_other_mode(s, rc,
	    out))
		return SMTP_CONFIG;
	if (cmd < SMTP_CMD_MAIL)
		return SMTP_UNAVAILABLE;
	/* 530: the server wants AUTH or STARTTLS we were not told to do. */
	if (cmd == SMTP_CMD_MAIL && code == 530)
		return SMTP_CONFIG;
	if (code >= 500)
		return SMTP_PERMFAIL;
	return SMTP_TEMPFAIL;
}

/* An envelope address libcurl 7.88 would paste into a command as it is. */
static int
smtp_address_ok(const char *a, int empty_ok)
{
	const unsigned char *p;

	if (*a == '\0')
		return empty_ok;
	for (p = (const unsigned char *)a; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f || *p == '<' || *p == '>')
			return 0;
	return 1;
}

/* The server the last transfer talked to, for the log's relay=. */
static void
smtp_note_relay(struct smtp_session *s, CURL *h)
{
	char *ip = NULL;
	long port = 0;

	s->relay[0] = '\0';
	if (curl_easy_getinfo(h, CURLINFO_PRIMARY_IP, &ip) ==
	    CURLE_OK && ip != NULL && *ip != '\0' &&
	    curl_easy_getinfo(h, CURLINFO_PRIMARY_PORT, &port) ==
	    CURLE_OK)
		snprintf(s->relay, sizeof(s->relay), "%s[%s]:%ld",
		    s->host ? s->host : ip, ip, port);
}

const char *
smtp_session_relay(const struct smtp_session *s)
{
	return s && s->relay[0] ? s->relay : NULL;
}

/*
 * Opens the connection: libcurl connects, reads the greeting, says EHLO,
 * STARTTLS and AUTH as configured, and hands the connection over
 * (CURLOPT_CONNECT_ONLY).  SMTP_OK, or the session phase's classification.
 */
static enum smtp_status
smtp_session_connect(struct smtp_session *s, struct smtp_outcome *out)
{
	curl_socket_t sock = CURL_SOCKET_BAD;
	enum smtp_status st;
	CURLcode rc;

	if ((s->conn = curl_easy_duphandle(s->curl)) == NULL) {
		(void)buf_puts(&out->error, "out of memory");
		return SMTP_TEMPFAIL;
	}
	if (curl_easy_setopt(s->conn, CURLOPT_CONNECT_ONLY, 1L) != CURLE_OK) {
		(void)buf_puts(&out->error, "libcurl cannot hand over a "
		    "connection");
		st = SMTP_CONFIG;
		goto fail;
	}
	rc = curl_easy_perform(s->conn);
	smtp_note_relay(s, s->conn);
	if (rc == CURLE_OK && (curl_easy_getinfo(s->conn,
	    CURLINFO_ACTIVESOCKET, &sock) != CURLE_OK ||
	    sock == CURL_SOCKET_BAD))
		rc = CURLE_COULDNT_CONNECT;
	if ((st = smtp_classify(s, s->conn, rc, out)) != SMTP_OK)
		goto fail;
	smtp_wire_init(&s->wire, s->conn, sock, s->timeout_ms, s->d.verbose);
	s->caps.pipelining = s->d.pipelining;
	s->caps.size = s->d.size;
	s->caps.smtputf8 = s->d.smtputf8;
	s->connected = 1;
	return SMTP_OK;
fail:
	curl_easy_cleanup(s->conn);
	s->conn = NULL;
	return st;
}

/*
 * Checks m before anything of it is sent and fills env.  SMTP_OK, or the
 * failure (in out when not NULL).
 */
static enum smtp_status
smtp_mail_check(const struct smtp_mail *m, struct smtp_envelope *env,
    struct smtp_outcome *out)
{
	struct stat sb;
	size_t i;
	int bad_rcpt = 0;

	for (i = 0; i < m->nrcpts && !bad_rcpt; i++)
		bad_rcpt = !smtp_address_ok(m->rcpts[i], 0);
	if (m->nrcpts == 0 || !smtp_address_ok(m->from, 1) || bad_rcpt) {
		if (out != NULL)
			(void)buf_puts(&out->error, m->nrcpts == 0 ?
			    "no recipient" : bad_rcpt ? "invalid recipient" :
			    "invalid sender address");
		return SMTP_PERMFAIL;
	}
	if (fstat(m->fd, &sb) == -1) {
		if (out != NULL)
			(void)buf_printf(&out->error, "reading the message: %s",
			    strerror(errno));
		return SMTP_TEMPFAIL;
	}
	if (m->offset < 0 || m->offset > sb.st_size) {
		if (out != NULL)
			(void)buf_puts(&out->error, "reading the message: "
			    "offset past the end of the file");
		return SMTP_TEMPFAIL;
	}
	env->from = m->from;
	env->rcpts = m->rcpts;
	env->nrcpts = m->nrcpts;
	env->fd = m->fd;
	env->offset = m->offset;
	env->end = sb.st_size;
	return SMTP_OK;
}

/* Whether m is the message whose envelope went out ahead, unchanged. */
static int
smtp_is_ahead(const struct smtp_session *s, const struct smtp_mail *m)
{
	const struct smtp_mail *a = &s->ahead_copy;

	return s->ahead == m && a->from == m->from && a->rcpts == m->rcpts &&
	    a->nrcpts == m->nrcpts && a->fd == m->fd &&
	    a->offset == m->offset;
}

enum smtp_status
smtp_session_deliver(struct smtp_session *s, const struct smtp_mail *m,
    const struct smtp_mail *next, struct smtp_outcome *out)
{
	struct smtp_envelope env, next_env;
	enum smtp_status st;
	int sent_ahead, next_sent = 0;

	smtp_session_reset(s, out, NULL);
	sent_ahead = s->connected && smtp_is_ahead(s, m);
	if (s->connected && s->ahead != NULL && !sent_ahead) {
		/* Another message than the one announced: what went ahead
		 * can only be dropped with the connection. */
		smtp_session_close(s);
	}
	s->ahead = NULL;
	if ((st = smtp_mail_check(m, &env, out)) != SMTP_OK) {
		if (sent_ahead) {
			s->wire.broken = 1;	/* its envelope is out */
			smtp_session_close(s);
		}
		return st;
	}
	/*
	 * A connection the server has since closed, or that holds words
	 * nobody asked for (a late reply, "421 idle too long"), cannot carry
	 * a message whose replies must match its commands: a fresh one does.
	 * (Behind an envelope sent ahead, its replies are expected.)
	 */
	if (s->connected && !sent_ahead && smtp_wire_stale(&s->wire)) {
		if (s->d.verbose)
			log_debug("smtp: new connection: %s", s->wire.why);
		smtp_session_close(s);
	}
	if (!s->connected && (st = smtp_session_connect(s, out)) != SMTP_OK)
		return st;
	buf_reset(&out->error);
	st = smtp_message_send(&s->wire, &s->caps, &env, sent_ahead,
	    next != NULL && smtp_mail_check(next, &next_env, NULL) ==
	    SMTP_OK ? &next_env : NULL, &next_sent, out);
	if (next_sent && !s->wire.broken) {
		s->ahead = next;
		s->ahead_copy = *next;
	}
	if (s->wire.broken) {
		if (s->d.verbose)
			log_debug("smtp: closing the connection: %s",
			    s->wire.why);
		smtp_session_close(s);
	}
	return st;
}

enum smtp_status
smtp_probe(const struct smtp_options *o, struct smtp_probe *p)
{
	struct smtp_session *s;
	enum smtp_status st;
	CURLcode rc;

	smtp_probe_release(p);
	smtp_probe_init(p);
	if ((s = smtp_session_new(o, &p->outcome.error)) == NULL)
		return errno == EINVAL ? SMTP_CONFIG : SMTP_UNAVAILABLE;
	smtp_session_reset(s, &p->outcome, p);
	p->ca_source = s->ca_source;
	/* Without MAIL_RCPT nor UPLOAD, libcurl's SMTP "transfer" is one
	 * custom command after the whole greeting/EHLO/STARTTLS/AUTH. */
	if (curl_easy_setopt(s->curl, CURLOPT_CUSTOMREQUEST, "NOOP") !=
	    CURLE_OK) {
		(void)buf_puts(&p->outcome.error, "out of memory");
		st = SMTP_UNAVAILABLE;
		goto out;
	}
	rc = curl_easy_perform(s->curl);
	st = smtp_classify(s, s->curl, rc, &p->outcome);
	p->tls = s->smtps || s->d.tls;
	p->authenticated = s->d.authenticated;
out:
	smtp_session_free(s);
	return st;
}
