/*
 * smtp.c - the SMTP client of smtp.h, on top of libcurl.
 *
 * It owns the easy handle (and through it the one connection of a run) and
 * the bookkeeping libcurl 7.88 does not expose: which command each reply
 * answers, hence the phase a failure happened in and the reply to every
 * RCPT TO.  Commands are seen in CURLOPT_DEBUGFUNCTION (CURLINFO_HEADER_OUT,
 * which needs CURLOPT_VERBOSE on), replies in CURLOPT_HEADERFUNCTION, which
 * libcurl calls with every reply line.  libcurl 7.88 sends one command at a
 * time (no PIPELINING), so a reply always answers the last command seen.
 *
 * Secrets: the lines of an AUTH exchange are never copied nor logged; the
 * password lives only in libcurl's copy of CURLOPT_PASSWORD.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <curl/curl.h>

#include "buf.h"
#include "log.h"
#include "smtp.h"

#define SMTP_REPLY_MAX		4096
#define SMTP_CAPS_MAX		4096
#define SMTP_ERROR_MAX		1024
#define SMTP_CONNECT_TIMEOUT	30L
#define SMTP_TIMEOUT		60L

/* The command the next reply answers, in the order of a dialogue. */
enum smtp_cmd {
	SMTP_CMD_NONE,		/* nothing sent yet: the greeting */
	SMTP_CMD_EHLO,		/* EHLO or HELO */
	SMTP_CMD_STARTTLS,
	SMTP_CMD_AUTH,		/* AUTH and each line of its exchange */
	SMTP_CMD_OTHER,		/* NOOP, RSET, QUIT, HELP */
	SMTP_CMD_MAIL,		/* from here on: the message phase */
	SMTP_CMD_RCPT,
	SMTP_CMD_DATA,
	SMTP_CMD_BODY		/* DATA got 354: the body is going out */
};

static const char *const smtp_cmd_names[] = {
	"greeting", "EHLO", "STARTTLS", "AUTH", "command", "MAIL FROM",
	"RCPT TO", "DATA", "end of data"
};

/* State of one curl_easy_perform(), reset by smtp_xfer_reset(). */
struct smtp_xfer {
	enum smtp_cmd		 cmd;
	int			 answered;	/* cmd got its final reply */
	int			 in_reply;	/* inside a multi-line reply */
	int			 reply_line;	/* line number within it */
	int			 code;		/* last final reply code */
	int			 nehlo;
	int			 tls;		/* STARTTLS got 220 */
	int			 authenticated;
	size_t			 nrcpt_sent;
	int			 rcpt_tempfail;
	int			 nomem;
	char *const		*rcpts;
	size_t			 nrcpts;
	struct smtp_outcome	*out;		/* NULL outside deliver/probe */
	struct smtp_probe	*probe;		/* NULL outside probe */
	int			 fd;
	off_t			 pos;
	int			 eof;
	int			 read_errno;
};

struct smtp_session {
	CURL			*curl;
	int			 smtps;
	int			 verbose;
	struct buf		 reply;		/* the reply being gathered */
	struct smtp_xfer	 x;
	char			 errbuf[CURL_ERROR_SIZE];
};

void
smtp_outcome_init(struct smtp_outcome *out)
{
	out->code = 0;
	buf_init(&out->reply, SMTP_REPLY_MAX);
	buf_init(&out->error, SMTP_ERROR_MAX);
	out->in_doubt = 0;
	out->refused = NULL;
	out->nrefused = 0;
}

void
smtp_outcome_release(struct smtp_outcome *out)
{
	size_t i;

	for (i = 0; i < out->nrefused; i++) {
		free(out->refused[i].rcpt);
		free(out->refused[i].text);
	}
	free(out->refused);
	out->refused = NULL;
	out->nrefused = 0;
	out->code = 0;
	out->in_doubt = 0;
	buf_release(&out->reply);
	buf_release(&out->error);
}

const char *
smtp_status_name(enum smtp_status st)
{
	switch (st) {
	case SMTP_OK:
		return "ok";
	case SMTP_TEMPFAIL:
		return "tempfail";
	case SMTP_PERMFAIL:
		return "permfail";
	case SMTP_UNAVAILABLE:
		return "unavailable";
	case SMTP_CONFIG:
		return "config";
	}
	return "unknown";
}

void
smtp_probe_init(struct smtp_probe *p)
{
	buf_init(&p->greeting, SMTP_REPLY_MAX);
	buf_init(&p->capabilities, SMTP_CAPS_MAX);
	p->starttls_offered = 0;
	p->tls = 0;
	p->authenticated = 0;
	smtp_outcome_init(&p->outcome);
}

void
smtp_probe_release(struct smtp_probe *p)
{
	buf_release(&p->greeting);
	buf_release(&p->capabilities);
	smtp_outcome_release(&p->outcome);
}

/* The length of s without its trailing CR and LF. */
static size_t
smtp_chomp(const char *s, size_t n)
{
	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		n--;
	return n;
}

static int
smtp_add_refusal(struct smtp_outcome *out, const char *rcpt, int code,
    const char *text)
{
	struct smtp_refusal *r;

	r = realloc(out->refused, (out->nrefused + 1) * sizeof(*r));
	if (r == NULL)
		return -1;
	out->refused = r;
	r = &out->refused[out->nrefused];
	r->code = code;
	r->rcpt = strdup(rcpt);
	r->text = strdup(text);
	if (r->rcpt == NULL || r->text == NULL) {
		free(r->rcpt);
		free(r->text);
		return -1;
	}
	out->nrefused++;
	return 0;
}

/* Handles the final line of a reply to x->cmd.  0 aborts the transfer. */
static int
smtp_on_reply(struct smtp_session *s, int code)
{
	struct smtp_xfer *x = &s->x;
	size_t i;

	x->code = code;
	x->answered = 1;
	switch (x->cmd) {
	case SMTP_CMD_NONE:
		if (x->probe != NULL) {
			buf_reset(&x->probe->greeting);
			(void)buf_puts(&x->probe->greeting, s->reply.data);
		}
		break;
	case SMTP_CMD_STARTTLS:
		if (code == 220)
			x->tls = 1;
		break;
	case SMTP_CMD_AUTH:
		if (code == 235)
			x->authenticated = 1;
		break;
	case SMTP_CMD_DATA:
		if (code == 354) {
			x->cmd = SMTP_CMD_BODY;
			x->answered = 0;
		}
		break;
	case SMTP_CMD_RCPT:
		if (code < 400 || x->out == NULL)
			break;
		i = x->nrcpt_sent - 1;
		if (i < x->nrcpts && smtp_add_refusal(x->out, x->rcpts[i],
		    code, s->reply.data) == -1) {
			x->nomem = 1;	/* abort: a tempfail */
			return 0;
		}
		/*
		 * A 4xx recipient would be lost if the others got the message
		 * now, since a spooled message has one state: abort before
		 * DATA, and the whole message is deferred.
		 */
		if (code < 500) {
			x->rcpt_tempfail = 1;
			return 0;
		}
		break;
	default:
		break;
	}
	return 1;
}

/* CURLOPT_HEADERFUNCTION: libcurl hands over every reply line. */
static size_t
smtp_header_cb(char *data, size_t size, size_t nmemb, void *arg)
{
	struct smtp_session *s = arg;
	struct smtp_xfer *x = &s->x;
	size_t total = size * nmemb, n;
	int code, final;

	n = smtp_chomp(data, total);
	if (n < 3 || data[0] < '2' || data[0] > '5' ||
	    data[1] < '0' || data[1] > '9' || data[2] < '0' || data[2] > '9')
		return total;	/* not a reply line: nothing to learn */
	code = (data[0] - '0') * 100 + (data[1] - '0') * 10 + (data[2] - '0');
	final = n == 3 || data[3] != '-';

	if (!x->in_reply) {
		buf_reset(&s->reply);
		x->reply_line = 0;
	} else
		(void)buf_putc(&s->reply, '\n');
	/* Past the cap the text is cut: it is only for the logs. */
	(void)buf_append(&s->reply, data, n);
	x->in_reply = !final;

	/* EHLO keywords, for the probe; line 0 is the server's name. */
	if (x->cmd == SMTP_CMD_EHLO && x->probe != NULL) {
		if (x->reply_line == 0) {
			x->nehlo++;
			buf_reset(&x->probe->capabilities);
		} else if (n > 4) {
			if (x->probe->capabilities.len > 0)
				(void)buf_putc(&x->probe->capabilities, '\n');
			(void)buf_append(&x->probe->capabilities, data + 4,
			    n - 4);
			if (x->nehlo == 1 && n - 4 >= 8 &&
			    strncasecmp(data + 4, "STARTTLS", 8) == 0)
				x->probe->starttls_offered = 1;
		}
	}
	x->reply_line++;
	if (final && !smtp_on_reply(s, code))
		return 0;
	return total;
}

/*
 * Learns which command was sent from its line.  Returns the text that may
 * be logged: the line itself, or a redacted form for AUTH.
 */
static const char *
smtp_on_command(struct smtp_xfer *x, const char *line, size_t n)
{
	static const struct {
		const char	*verb;
		enum smtp_cmd	 cmd;
	} verbs[] = {
		{ "EHLO", SMTP_CMD_EHLO }, { "HELO", SMTP_CMD_EHLO },
		{ "STARTTLS", SMTP_CMD_STARTTLS }, { "AUTH", SMTP_CMD_AUTH },
		{ "MAIL", SMTP_CMD_MAIL }, { "RCPT", SMTP_CMD_RCPT },
		{ "DATA", SMTP_CMD_DATA }
	};
	size_t i, len;

	/* After a 334 challenge, the client's line is a credential. */
	if (x->cmd == SMTP_CMD_AUTH && x->answered && x->code == 334) {
		x->answered = 0;
		return "[AUTH response hidden]";
	}
	x->answered = 0;
	x->in_reply = 0;
	x->cmd = SMTP_CMD_OTHER;
	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		len = strlen(verbs[i].verb);
		if (n >= len && strncasecmp(line, verbs[i].verb, len) == 0 &&
		    (n == len || line[len] == ' ')) {
			x->cmd = verbs[i].cmd;
			break;
		}
	}
	if (x->cmd == SMTP_CMD_RCPT)
		x->nrcpt_sent++;
	if (x->cmd == SMTP_CMD_AUTH)
		return "AUTH [mechanism and initial response hidden]";
	return NULL;
}

/* CURLOPT_DEBUGFUNCTION: commands sent, and the dialogue for -v -v. */
static int
smtp_debug_cb(CURL *curl, curl_infotype type, char *data, size_t size,
    void *arg)
{
	struct smtp_session *s = arg;
	const char *shown;
	size_t n;

	(void)curl;
	n = smtp_chomp(data, size);
	switch (type) {
	case CURLINFO_HEADER_OUT:
		shown = smtp_on_command(&s->x, data, n);
		if (!s->verbose)
			break;
		if (shown != NULL)
			log_debug("smtp: > %s", shown);
		else
			log_debug("smtp: > %.*s", (int)n, data);
		break;
	case CURLINFO_HEADER_IN:
		if (s->verbose)
			log_debug("smtp: < %.*s", (int)n, data);
		break;
	case CURLINFO_TEXT:
		if (s->verbose)
			log_debug("smtp: * %.*s", (int)n, data);
		break;
	default:
		break;	/* never the message body nor TLS records */
	}
	return 0;
}

/* CURLOPT_READFUNCTION: the message from fd, by pread() at x->pos. */
static size_t
smtp_read_cb(char *dst, size_t size, size_t nmemb, void *arg)
{
	struct smtp_xfer *x = arg;
	ssize_t r;

	do
		r = pread(x->fd, dst, size * nmemb, x->pos);
	while (r == -1 && errno == EINTR);
	if (r == -1) {
		x->read_errno = errno;
		return CURL_READFUNC_ABORT;
	}
	if (r == 0)
		x->eof = 1;
	x->pos += r;
	return (size_t)r;
}

/* CURLOPT_WRITEFUNCTION for the probe: the NOOP reply is not data. */
static size_t
smtp_discard_cb(char *data, size_t size, size_t nmemb, void *arg)
{
	(void)data;
	(void)arg;
	return size * nmemb;
}

/* Refuses what smtp.h promises to refuse.  0, or -1 with err set. */
static int
smtp_check_options(const struct smtp_options *o, int *smtps, struct buf *err)
{
	CURLU *u = NULL;
	char *scheme = NULL, *user = NULL;
	int rv = -1;

	if (o->url == NULL || *o->url == '\0') {
		(void)buf_puts(err, "smtp url is not set");
		goto out;
	}
	if ((u = curl_url()) == NULL) {
		(void)buf_puts(err, "out of memory");
		goto out;
	}
	if (curl_url_set(u, CURLUPART_URL, o->url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK) {
		(void)buf_printf(err, "smtp url %s is not a valid URL", o->url);
		goto out;
	}
	if (strcasecmp(scheme, "smtp") != 0 &&
	    strcasecmp(scheme, "smtps") != 0) {
		(void)buf_printf(err, "smtp url %s: the scheme must be smtp "
		    "or smtps", o->url);
		goto out;
	}
	*smtps = strcasecmp(scheme, "smtps") == 0;
	/* libcurl would log in with them, whatever the TLS state. */
	if (curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK) {
		(void)buf_puts(err, "smtp url holds credentials: use "
		    "username and password_file");
		goto out;
	}
	if (*smtps && o->tls == SMTP_TLS_NONE) {
		(void)buf_puts(err, "smtps:// is implicit TLS, but tls = none");
		goto out;
	}
	if (o->username != NULL && *o->username != '\0') {
		if (!*smtps && o->tls != SMTP_TLS_REQUIRED) {
			(void)buf_puts(err, "a username is set but TLS is not "
			    "required: set tls = required or use smtps://, so "
			    "the password never goes out in clear text");
			goto out;
		}
		if (o->password == NULL) {
			(void)buf_puts(err, "a username is set but no password");
			goto out;
		}
	}
	rv = 0;
out:
	curl_free(user);
	curl_free(scheme);
	curl_url_cleanup(u);
	return rv;
}

/* The CA bundle must be there: verification is never skipped for lack of it. */
static int
smtp_check_ca(struct smtp_session *s, const char *ca_file, struct buf *err)
{
	struct stat st;
	char *path = NULL;

	if (ca_file != NULL) {
		if (stat(ca_file, &st) == -1 || access(ca_file, R_OK) == -1) {
			(void)buf_printf(err, "ca_file %s: %s", ca_file,
			    strerror(errno));
			return -1;
		}
		if (!S_ISREG(st.st_mode)) {
			(void)buf_printf(err, "ca_file %s: not a regular file",
			    ca_file);
			return -1;
		}
		return 0;
	}
	if (curl_easy_getinfo(s->curl, CURLINFO_CAINFO, &path) == CURLE_OK &&
	    path != NULL && access(path, R_OK) == 0)
		return 0;
	path = NULL;
	if (curl_easy_getinfo(s->curl, CURLINFO_CAPATH, &path) == CURLE_OK &&
	    path != NULL && access(path, R_OK | X_OK) == 0)
		return 0;
	(void)buf_puts(err, "no CA bundle found where libcurl looks for one: "
	    "set ca_file");
	return -1;
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
	if (smtp_check_options(o, &smtps, err) == -1) {
		errno = EINVAL;
		goto fail;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		(void)buf_puts(err, "out of memory");
		goto fail;
	}
	s->smtps = smtps;
	s->verbose = o->verbose;
	s->x.fd = -1;
	buf_init(&s->reply, SMTP_REPLY_MAX);
	if ((s->curl = curl_easy_init()) == NULL) {
		(void)buf_puts(err, "cannot set up libcurl");
		errno = EIO;
		goto fail;
	}
	if ((smtps || o->tls != SMTP_TLS_NONE) &&
	    smtp_check_ca(s, o->ca_file, err) == -1) {
		errno = EINVAL;
		goto fail;
	}
	cto = o->connect_timeout_s > 0 ? o->connect_timeout_s :
	    SMTP_CONNECT_TIMEOUT;
	to = o->timeout_s > 0 ? o->timeout_s : SMTP_TIMEOUT;
	if (smtps || o->tls == SMTP_TLS_REQUIRED)
		use_ssl = CURLUSESSL_ALL;
	else if (o->tls == SMTP_TLS_OPPORTUNISTIC)
		use_ssl = CURLUSESSL_TRY;
	else
		use_ssl = CURLUSESSL_NONE;

#define SET(opt, val)	(bad += curl_easy_setopt(s->curl, opt, val) != CURLE_OK)
	SET(CURLOPT_URL, o->url);
	SET(CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	SET(CURLOPT_USE_SSL, use_ssl);
	SET(CURLOPT_SSL_VERIFYPEER, 1L);
	SET(CURLOPT_SSL_VERIFYHOST, 2L);
	if (o->ca_file != NULL)
		SET(CURLOPT_CAINFO, o->ca_file);
	if (o->username != NULL && *o->username != '\0') {
		SET(CURLOPT_USERNAME, o->username);
		SET(CURLOPT_PASSWORD, o->password);
		SET(CURLOPT_SASL_IR, 1L);
	}
	SET(CURLOPT_CONNECTTIMEOUT, cto);
	SET(CURLOPT_SERVER_RESPONSE_TIMEOUT, to);
	/* A body upload that stalls for `to` seconds is a dead peer. */
	SET(CURLOPT_LOW_SPEED_LIMIT, 1L);
	SET(CURLOPT_LOW_SPEED_TIME, to);
	/* Signals belong to the daemon; the threaded resolver times out. */
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_TCP_KEEPALIVE, 1L);
#if LIBCURL_VERSION_NUM >= 0x080200
	SET(CURLOPT_MAIL_RCPT_ALLOWFAILS, 1L);
#else
	SET(CURLOPT_MAIL_RCPT_ALLLOWFAILS, 1L);
#endif
	/* VERBOSE only feeds smtp_debug_cb, which logs nothing unless -v. */
	SET(CURLOPT_VERBOSE, 1L);
	SET(CURLOPT_DEBUGFUNCTION, smtp_debug_cb);
	SET(CURLOPT_DEBUGDATA, s);
	SET(CURLOPT_HEADERFUNCTION, smtp_header_cb);
	SET(CURLOPT_HEADERDATA, s);
	SET(CURLOPT_READFUNCTION, smtp_read_cb);
	SET(CURLOPT_READDATA, &s->x);
	SET(CURLOPT_WRITEFUNCTION, smtp_discard_cb);
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

void
smtp_session_free(struct smtp_session *s)
{
	if (s == NULL)
		return;
	/* The QUIT dialogue still runs the callbacks: nothing to fill. */
	s->x.out = NULL;
	s->x.probe = NULL;
	if (s->curl != NULL)
		curl_easy_cleanup(s->curl);
	buf_release(&s->reply);
	free(s);
}

static void
smtp_xfer_reset(struct smtp_session *s, struct smtp_outcome *out)
{
	memset(&s->x, 0, sizeof(s->x));
	s->x.fd = -1;
	s->x.out = out;
	s->errbuf[0] = '\0';
	buf_reset(&s->reply);
	smtp_outcome_release(out);
	smtp_outcome_init(out);
}

/*
 * Turns the end of a transfer into a status (the table in smtp.h) and fills
 * out's code, reply, error and in_doubt.
 */
static enum smtp_status
smtp_classify(struct smtp_session *s, CURLcode rc, struct smtp_outcome *out)
{
	struct smtp_xfer *x = &s->x;
	enum smtp_cmd cmd = x->cmd;
	long info = 0;
	int code;

	if (curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &info) !=
	    CURLE_OK || info == 0)
		info = x->code;
	out->code = (int)info;
	(void)buf_puts(&out->reply, s->reply.data);
	if (rc == CURLE_OK)
		return SMTP_OK;

	/* Only a reply to the command in flight tells about it. */
	code = x->answered ? x->code : 0;
	out->in_doubt = cmd == SMTP_CMD_BODY && x->eof && !x->answered;
	(void)buf_printf(&out->error, "%s: %s", smtp_cmd_names[cmd],
	    s->errbuf[0] != '\0' ? s->errbuf : curl_easy_strerror(rc));

	if (x->read_errno != 0) {
		buf_reset(&out->error);
		(void)buf_printf(&out->error, "reading the message: %s",
		    strerror(x->read_errno));
		return SMTP_TEMPFAIL;
	}
	if (x->nomem) {
		buf_reset(&out->error);
		(void)buf_puts(&out->error, "out of memory");
		return SMTP_TEMPFAIL;
	}
	if (x->rcpt_tempfail) {
		buf_reset(&out->error);
		(void)buf_puts(&out->error, "a recipient was deferred (4xx): "
		    "the whole message waits");
		return SMTP_TEMPFAIL;
	}
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

enum smtp_status
smtp_session_deliver(struct smtp_session *s, const char *mail_from,
    char *const *rcpts, size_t nrcpts, int fd, off_t offset,
    struct smtp_outcome *out)
{
	struct curl_slist *list = NULL, *l;
	enum smtp_status st = SMTP_TEMPFAIL;
	struct stat sb;
	CURLcode rc;
	size_t i;

	smtp_xfer_reset(s, out);
	if (nrcpts == 0 || !smtp_address_ok(mail_from, 1)) {
		(void)buf_puts(&out->error, nrcpts == 0 ? "no recipient" :
		    "invalid sender address");
		return SMTP_PERMFAIL;
	}
	for (i = 0; i < nrcpts; i++) {
		if (!smtp_address_ok(rcpts[i], 0)) {
			(void)buf_puts(&out->error, "invalid recipient address");
			st = SMTP_PERMFAIL;
			goto out;
		}
		if ((l = curl_slist_append(list, rcpts[i])) == NULL) {
			(void)buf_puts(&out->error, "out of memory");
			goto out;
		}
		list = l;
	}
	if (fstat(fd, &sb) == -1) {
		(void)buf_printf(&out->error, "reading the message: %s",
		    strerror(errno));
		goto out;
	}
	if (offset < 0 || offset > sb.st_size) {
		(void)buf_puts(&out->error, "reading the message: offset "
		    "past the end of the file");
		goto out;
	}
	s->x.fd = fd;
	s->x.pos = offset;
	s->x.rcpts = rcpts;
	s->x.nrcpts = nrcpts;
	if (curl_easy_setopt(s->curl, CURLOPT_MAIL_FROM, mail_from) ||
	    curl_easy_setopt(s->curl, CURLOPT_MAIL_RCPT, list) ||
	    curl_easy_setopt(s->curl, CURLOPT_UPLOAD, 1L) ||
	    curl_easy_setopt(s->curl, CURLOPT_INFILESIZE_LARGE,
	    (curl_off_t)(sb.st_size - offset))) {
		(void)buf_puts(&out->error, "out of memory");
		goto out;
	}
	rc = curl_easy_perform(s->curl);
	st = smtp_classify(s, rc, out);
out:
	/* The list dies here; libcurl must not keep a pointer to it. */
	(void)curl_easy_setopt(s->curl, CURLOPT_MAIL_RCPT, NULL);
	curl_slist_free_all(list);
	s->x.out = NULL;
	s->x.rcpts = NULL;
	s->x.fd = -1;
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
	smtp_xfer_reset(s, &p->outcome);
	s->x.probe = p;
	/* Without MAIL_RCPT nor UPLOAD, libcurl's SMTP "transfer" is one
	 * custom command after the whole greeting/EHLO/STARTTLS/AUTH. */
	if (curl_easy_setopt(s->curl, CURLOPT_CUSTOMREQUEST, "NOOP") !=
	    CURLE_OK) {
		(void)buf_puts(&p->outcome.error, "out of memory");
		st = SMTP_UNAVAILABLE;
		goto out;
	}
	rc = curl_easy_perform(s->curl);
	st = smtp_classify(s, rc, &p->outcome);
	p->tls = s->smtps || s->x.tls;
	p->authenticated = s->x.authenticated;
out:
	smtp_session_free(s);
	return st;
}
