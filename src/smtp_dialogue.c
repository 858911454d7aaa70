/*
 * smtp_dialogue.c - follows libcurl's SMTP dialogue for smtp.c (see
 * smtp_dialogue.h), and the result types of smtp.h: outcomes, refusals,
 * probe results.
 *
 * Secrets: the lines of an AUTH exchange are never copied nor logged; the
 * password lives only in libcurl's copy of CURLOPT_PASSWORD.
 */
#include <sys/types.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <curl/curl.h>

#include "buf.h"
#include "log.h"
#include "os_fs.h"
#include "smtp.h"
#include "smtp_dialogue.h"

#define SMTP_REPLY_MAX		4096
#define SMTP_CAPS_MAX		4096
#define SMTP_ERROR_MAX		1024

static const char *const smtp_dialogue_steps[] = {
	"connection", "EHLO", "STARTTLS", "AUTH", "command", "MAIL FROM",
	"RCPT TO", "DATA", "end of data"
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
	p->ca_source = NULL;
	smtp_outcome_init(&p->outcome);
}

void
smtp_probe_release(struct smtp_probe *p)
{
	buf_release(&p->greeting);
	buf_release(&p->capabilities);
	smtp_outcome_release(&p->outcome);
}

void
smtp_dialogue_init(struct smtp_dialogue *d, int verbose)
{
	memset(d, 0, sizeof(*d));
	d->verbose = verbose;
	buf_init(&d->reply, SMTP_REPLY_MAX);
}

void
smtp_dialogue_release(struct smtp_dialogue *d)
{
	buf_release(&d->reply);
}

void
smtp_dialogue_reset(struct smtp_dialogue *d, struct smtp_probe *probe)
{
	struct buf reply = d->reply;
	int verbose = d->verbose;

	/* The reply buffer keeps its memory across transfers. */
	memset(d, 0, sizeof(*d));
	d->reply = reply;
	buf_reset(&d->reply);
	d->verbose = verbose;
	d->probe = probe;
}

const char *
smtp_dialogue_step(enum smtp_cmd cmd)
{
	if ((size_t)cmd >= sizeof(smtp_dialogue_steps) /
	    sizeof(smtp_dialogue_steps[0]))
		return "?";
	return smtp_dialogue_steps[cmd];
}

/* The length of s without its trailing CR and LF. */
static size_t
smtp_chomp(const char *s, size_t n)
{
	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		n--;
	return n;
}

int
smtp_outcome_refuse(struct smtp_outcome *out, const char *rcpt, int code,
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

/* Handles the final line of a reply to x->cmd. */
static void
smtp_on_reply(struct smtp_dialogue *x, int code)
{
	x->code = code;
	x->answered = 1;
	switch (x->cmd) {
	case SMTP_CMD_NONE:
		if (x->probe != NULL) {
			buf_reset(&x->probe->greeting);
			(void)buf_puts(&x->probe->greeting, x->reply.data);
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
	default:
		break;
	}
}

/* An EHLO keyword line ("PIPELINING", "SIZE 10240000") of length n. */
static int
smtp_keyword(const char *line, size_t n, const char *kw)
{
	size_t len = strlen(kw);

	return n >= len && strncasecmp(line, kw, len) == 0 &&
	    (n == len || line[len] == ' ');
}

/* What an EHLO reply line (not the first) offers. */
static void
smtp_on_capability(struct smtp_dialogue *x, const char *kw, size_t n)
{
	x->pipelining |= smtp_keyword(kw, n, "PIPELINING");
	x->size |= smtp_keyword(kw, n, "SIZE");
	x->smtputf8 |= smtp_keyword(kw, n, "SMTPUTF8");
	if (x->probe == NULL)
		return;
	if (x->probe->capabilities.len > 0)
		(void)buf_putc(&x->probe->capabilities, '\n');
	(void)buf_append(&x->probe->capabilities, kw, n);
	if (x->nehlo == 1 && smtp_keyword(kw, n, "STARTTLS"))
		x->probe->starttls_offered = 1;
}

/* CURLOPT_HEADERFUNCTION: libcurl hands over every reply line. */
size_t
smtp_dialogue_header_cb(char *data, size_t size, size_t nmemb, void *arg)
{
	struct smtp_dialogue *x = arg;
	size_t total = size * nmemb, n;
	int code, final;

	n = smtp_chomp(data, total);
	if (n < 3 || data[0] < '2' || data[0] > '5' ||
	    data[1] < '0' || data[1] > '9' || data[2] < '0' || data[2] > '9')
		return total;	/* not a reply line: nothing to learn */
	code = (data[0] - '0') * 100 + (data[1] - '0') * 10 + (data[2] - '0');
	final = n == 3 || data[3] != '-';
	if (x->quitting) {
		x->quitting = !final;
		return total;
	}

	if (!x->in_reply) {
		buf_reset(&x->reply);
		x->reply_line = 0;
	} else
		(void)buf_putc(&x->reply, '\n');
	/* Past the cap the text is cut: it is only for the logs. */
	(void)buf_append(&x->reply, data, n);
	x->in_reply = !final;

	/* EHLO keywords (the last EHLO's count: STARTTLS changes them);
	 * line 0 is the server's name. */
	if (x->cmd == SMTP_CMD_EHLO) {
		if (x->reply_line == 0) {
			x->nehlo++;
			x->pipelining = x->size = x->smtputf8 = 0;
			if (x->probe != NULL)
				buf_reset(&x->probe->capabilities);
		} else if (n > 4)
			smtp_on_capability(x, data + 4, n - 4);
	}
	x->reply_line++;
	if (final)
		smtp_on_reply(x, code);
	return total;
}

/*
 * Learns which command was sent from its line.  Returns the text that may
 * be logged: the line itself, or a redacted form for AUTH.
 */
static const char *
smtp_on_command(struct smtp_dialogue *x, const char *line, size_t n)
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
	/*
	 * libcurl says QUIT inside curl_easy_perform() when it closes a
	 * connection: after a failed transfer, and before a new one when it
	 * prunes a cached connection that idled too long.  That exchange
	 * changes nothing here: it must not hide the reply the transfer
	 * failed on, nor the state of the transfer to come.
	 */
	if (n == 4 && strncasecmp(line, "QUIT", 4) == 0) {
		x->quitting = 1;
		return NULL;
	}
	x->quitting = 0;
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
	if (x->cmd == SMTP_CMD_AUTH)
		return "AUTH [mechanism and initial response hidden]";
	return NULL;
}

/* CURLOPT_DEBUGFUNCTION: commands sent, and the dialogue for -v -v. */
int
smtp_dialogue_debug_cb(CURL *curl, curl_infotype type, char *data, size_t size,
    void *arg)
{
	struct smtp_dialogue *x = arg;
	const char *shown;
	size_t n;

	(void)curl;
	n = smtp_chomp(data, size);
	switch (type) {
	case CURLINFO_HEADER_OUT:
		shown = smtp_on_command(x, data, n);
		if (!x->verbose)
			break;
		if (shown != NULL)
			log_debug("smtp: > %s", shown);
		else
			log_debug("smtp: > %.*s", (int)n, data);
		break;
	case CURLINFO_HEADER_IN:
		if (x->verbose)
			log_debug("smtp: < %.*s", (int)n, data);
		break;
	case CURLINFO_TEXT:
		if (x->verbose)
			log_debug("smtp: * %.*s", (int)n, data);
		break;
	default:
		break;	/* never the message body nor TLS records */
	}
	return 0;
}

/* CURLOPT_WRITEFUNCTION for the probe: the NOOP reply is not data. */
size_t
smtp_dialogue_discard_cb(char *data, size_t size, size_t nmemb, void *arg)
{
	(void)data;
	(void)arg;
	return size * nmemb;
}
