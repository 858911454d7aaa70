/*
 * smtp_message.c - one message's SMTP transaction, pipelined where the
 * server offers it (smtp_message.h).
 *
 * The commands of a transaction are numbered in the order they are sent:
 * 0 is MAIL FROM, 1..n the RCPT TOs, n + 1 DATA.  A reply answers the
 * oldest command not yet answered, so two counters (commands sent, replies
 * read) are the whole bookkeeping, pipelined or not.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "os_fs.h"
#include "smtp_dialogue.h"
#include "smtp_message.h"
#include "smtp_wire.h"

/* Commands in one pipelined group: their replies fit any socket buffer. */
#define SMTP_GROUP_BYTES	((size_t)16 * 1024)
#define SMTP_TEXT_MAX		4096

struct smtp_txn {
	struct smtp_wire		*w;
	const struct smtp_caps		*caps;
	const struct smtp_envelope	*env;
	struct smtp_outcome		*out;
	struct buf			 text;	/* the reply being read */
	size_t				 total;	/* commands: nrcpts + 2 */
	size_t				 nsent;
	size_t				 nreplied;
	int				 mail_code;	/* 0: no reply yet */
	int				 data_code;
	int				 rcpt_4xx;	/* first 4xx to a RCPT */
	int				 last_rcpt_code;
	size_t				 naccepted;
	int				 stop;	/* send no more commands */
	int				 closing;	/* a 421 came */
};

/* The step command i stands for, in smtp_dialogue_step()'s words. */
static enum smtp_cmd
smtp_txn_step(const struct smtp_txn *t, size_t i)
{
	if (i == 0)
		return SMTP_CMD_MAIL;
	return i < t->total - 1 ? SMTP_CMD_RCPT : SMTP_CMD_DATA;
}

/* Whether an address needs SMTPUTF8: any byte past ASCII. */
static int
smtp_8bit(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s >= 0x80)
			return 1;
	return 0;
}

static int
smtp_txn_queue(struct smtp_txn *t)
{
	const struct smtp_envelope *e = t->env;
	size_t i = t->nsent++, k;
	char size[32] = "";
	int utf8 = 0;

	if (i == 0) {
		if (t->caps->size)
			snprintf(size, sizeof(size), " SIZE=%lld",
			    (long long)(e->end - e->offset));
		if (t->caps->smtputf8) {
			utf8 = smtp_8bit(e->from);
			for (k = 0; !utf8 && k < e->nrcpts; k++)
				utf8 = smtp_8bit(e->rcpts[k]);
		}
		return smtp_wire_command(t->w, "MAIL FROM:<%s>%s%s", e->from,
		    size, utf8 ? " SMTPUTF8" : "");
	}
	if (i < t->total - 1)
		return smtp_wire_command(t->w, "RCPT TO:<%s>", e->rcpts[i - 1]);
	return smtp_wire_command(t->w, "DATA");
}

/* The reply in t->text is the one the outcome shows (so far). */
static void
smtp_txn_show(struct smtp_txn *t, int code)
{
	t->out->code = code;
	buf_reset(&t->out->reply);
	(void)buf_puts(&t->out->reply, t->text.data);
}

/* Takes the reply to command i.  0, or -1: out of memory. */
static int
smtp_txn_reply(struct smtp_txn *t, size_t i, int code)
{
	if (code == 421)
		t->closing = 1;
	if (i == 0) {
		t->mail_code = code;
		t->stop |= code / 100 != 2;
		smtp_txn_show(t, code);
		return 0;
	}
	/* After a refused MAIL the rest only says "bad sequence". */
	if (t->mail_code / 100 != 2)
		return 0;
	if (i == t->total - 1) {
		t->data_code = code;
		if (t->rcpt_4xx == 0)
			smtp_txn_show(t, code);
		return 0;
	}
	t->last_rcpt_code = code;
	if (code < 400) {
		t->naccepted++;
		return 0;
	}
	if (t->rcpt_4xx == 0)
		smtp_txn_show(t, code);
	if (code < 500 && t->rcpt_4xx == 0) {
		/* A spooled message has one state: one recipient deferred
		 * defers them all, so nothing more is asked. */
		t->rcpt_4xx = code;
		t->stop = 1;
	}
	return smtp_outcome_refuse(t->out, t->env->rcpts[i - 1], code,
	    t->text.data);
}

/* Gives the connection up; the server drops the transaction with it. */
static void
smtp_txn_abandon(struct smtp_txn *t, const char *why)
{
	if (!t->w->broken) {
		t->w->broken = 1;
		snprintf(t->w->why, sizeof(t->w->why), "%s", why);
	}
}

/*
 * MAIL, RCPT, DATA: sends and reads until every command sent has its
 * reply and either DATA is answered or the outcome is known.
 */
static void
smtp_txn_envelope(struct smtp_txn *t)
{
	struct smtp_wire *w = t->w;
	int code;

	while (t->nreplied < t->total && !w->broken) {
		while (t->nsent < t->total && !t->stop &&
		    (t->nsent == t->nreplied || (t->caps->pipelining &&
		    w->out.len < SMTP_GROUP_BYTES))) {
			/* Told one by one that nobody will take it: no DATA. */
			if (t->nsent == t->total - 1 &&
			    t->nreplied == t->nsent && t->naccepted == 0) {
				t->stop = 1;
				break;
			}
			if (smtp_txn_queue(t) == -1)
				return;
		}
		if (t->nreplied == t->nsent ||
		    smtp_wire_flush(w) == -1)
			return;
		while (t->nreplied < t->nsent) {
			if ((code = smtp_wire_reply(w, &t->text)) == -1)
				return;
			if (smtp_txn_reply(t, t->nreplied, code) == -1) {
				smtp_txn_abandon(t, "out of memory");
				return;
			}
			t->nreplied++;
		}
	}
}

/* After a refusal in step: RSET, or the connection goes. */
static void
smtp_txn_reset(struct smtp_txn *t)
{
	struct smtp_wire *w = t->w;
	int code;

	if (w->broken)
		return;
	if (t->closing) {
		smtp_txn_abandon(t, "the server is closing the connection "
		    "(421)");
		return;
	}
	if (smtp_wire_command(w, "RSET") == -1 || smtp_wire_flush(w) == -1 ||
	    (code = smtp_wire_reply(w, &t->text)) == -1)
		return;
	if (code / 100 != 2)
		smtp_txn_abandon(t, "RSET refused");
}

/*
 * The outcome of an envelope that did not end in 354, from the replies
 * in the order they decide.
 */
static enum smtp_status
smtp_txn_refused(struct smtp_txn *t)
{
	struct smtp_outcome *out = t->out;
	enum smtp_cmd step;
	int code;

	buf_reset(&out->error);
	if (t->mail_code != 0 && t->mail_code / 100 != 2) {
		code = t->mail_code;
		(void)buf_printf(&out->error, "MAIL FROM: %s",
		    out->reply.data);
		out->code = code;
		/* 530: the server wants AUTH or STARTTLS not configured. */
		if (code == 530)
			return SMTP_CONFIG;
		return code >= 500 ? SMTP_PERMFAIL : SMTP_TEMPFAIL;
	}
	if (t->rcpt_4xx) {
		out->code = t->rcpt_4xx;
		(void)buf_puts(&out->error, "a recipient was deferred (4xx): "
		    "the whole message waits");
		return SMTP_TEMPFAIL;
	}
	if (t->nreplied >= t->total - 1 && t->naccepted == 0) {
		out->code = t->last_rcpt_code;
		(void)buf_puts(&out->error, "RCPT TO: every recipient was "
		    "refused");
		return SMTP_PERMFAIL;
	}
	if (t->data_code == 0) {
		step = smtp_txn_step(t, t->nreplied);
		out->code = 0;
		buf_reset(&out->reply);
		(void)buf_printf(&out->error, "%s: %s",
		    smtp_dialogue_step(step), t->w->why);
		return SMTP_TEMPFAIL;
	}
	out->code = t->data_code;
	(void)buf_printf(&out->error, "DATA: %s", out->reply.data);
	return t->data_code >= 500 ? SMTP_PERMFAIL : SMTP_TEMPFAIL;
}

/*
 * Queues the whole envelope of next (MAIL, RCPTs, DATA) behind this
 * message's end of data: RFC 2920 lets a group start with a message's
 * content.  Only when it fits one group.  1 when queued, else 0.
 */
static int
smtp_txn_queue_next(struct smtp_txn *t, const struct smtp_envelope *next)
{
	struct smtp_txn n;
	size_t bytes, i;

	if (!t->caps->pipelining || next == NULL)
		return 0;
	bytes = strlen(next->from) + 64;
	for (i = 0; i < next->nrcpts && bytes <= SMTP_GROUP_BYTES; i++)
		bytes += strlen(next->rcpts[i]) + 12;
	if (bytes > SMTP_GROUP_BYTES)
		return 0;
	memset(&n, 0, sizeof(n));
	n.w = t->w;
	n.caps = t->caps;
	n.env = next;
	n.total = next->nrcpts + 2;
	while (n.nsent < n.total)
		if (smtp_txn_queue(&n) == -1)
			return 0;
	return 1;
}

/*
 * The body from the file, stuffed, and the final "." (with next's
 * envelope behind it when it can go: *next_sent).  0 once all of it is
 * sent, -1 when it could not be (w->broken, out->error says why).
 */
static int
smtp_txn_body(struct smtp_txn *t, const struct smtp_envelope *next,
    int *next_sent)
{
	const struct smtp_envelope *e = t->env;
	struct smtp_stuffing st = { 1, 0 };
	struct smtp_wire *w = t->w;
	off_t pos = e->offset;
	char *piece;
	size_t want;
	ssize_t r;

	if ((piece = malloc(SMTP_BODY_PIECE)) == NULL) {
		smtp_txn_abandon(t, "out of memory");
		return -1;
	}
	while (pos < e->end && !w->broken) {
		want = (off_t)SMTP_BODY_PIECE < e->end - pos ? SMTP_BODY_PIECE :
		    (size_t)(e->end - pos);
		do
			r = os_pread(e->fd, piece, want, pos);
		while (r == -1 && errno == EINTR);
		if (r <= 0) {
			(void)buf_printf(&t->out->error, "reading the message: "
			    "%s", r == 0 ? "the file ended early" :
			    strerror(errno));
			smtp_txn_abandon(t, "the message could not be read");
			break;
		}
		pos += r;
		if (smtp_stuff(&st, piece, (size_t)r, &w->out) == -1)
			smtp_txn_abandon(t, "out of memory");
		else if (w->out.len >= SMTP_BODY_PIECE)
			(void)smtp_wire_flush(w);
	}
	free(piece);
	if (!w->broken && smtp_stuff_end(&st, &w->out) == -1)
		smtp_txn_abandon(t, "out of memory");
	if (!w->broken) {
		*next_sent = smtp_txn_queue_next(t, next);
		(void)smtp_wire_flush(w);
	}
	if (w->broken && t->out->error.len == 0)
		(void)buf_printf(&t->out->error, "%s: %s",
		    smtp_dialogue_step(SMTP_CMD_BODY), w->why);
	return w->broken ? -1 : 0;
}

enum smtp_status
smtp_message_send(struct smtp_wire *w, const struct smtp_caps *caps,
    const struct smtp_envelope *env, int envelope_sent,
    const struct smtp_envelope *next, int *next_sent,
    struct smtp_outcome *out)
{
	struct smtp_txn t;
	enum smtp_status st;
	int code;

	memset(&t, 0, sizeof(t));
	t.w = w;
	t.caps = caps;
	t.env = env;
	t.out = out;
	t.total = env->nrcpts + 2;
	/* Sent with the last message's end of data: replies to read. */
	if (envelope_sent)
		t.nsent = t.total;
	*next_sent = 0;
	buf_init(&t.text, SMTP_TEXT_MAX);
	out->code = 0;
	buf_reset(&out->reply);

	smtp_txn_envelope(&t);
	if (t.data_code != 354) {
		st = smtp_txn_refused(&t);
		smtp_txn_reset(&t);
		goto done;
	}
	if (t.rcpt_4xx || t.naccepted == 0) {
		/* 354 for what must not go: only closing abandons it. */
		st = smtp_txn_refused(&t);
		smtp_txn_abandon(&t, "the message was abandoned after 354");
		goto done;
	}
	buf_reset(&out->error);
	if (smtp_txn_body(&t, next, next_sent) == -1) {
		out->code = 0;
		buf_reset(&out->reply);
		st = SMTP_TEMPFAIL;
		goto done;
	}
	if ((code = smtp_wire_reply(w, &t.text)) == -1) {
		/* All of it went out, and no word came back: the server may
		 * have it. */
		out->code = 0;
		buf_reset(&out->reply);
		out->in_doubt = 1;
		(void)buf_printf(&out->error, "%s: %s",
		    smtp_dialogue_step(SMTP_CMD_BODY), w->why);
		st = SMTP_TEMPFAIL;
		goto done;
	}
	out->code = code;
	buf_reset(&out->reply);
	(void)buf_puts(&out->reply, t.text.data);
	if (code / 100 == 2)
		st = SMTP_OK;
	else {
		(void)buf_printf(&out->error, "%s: %s",
		    smtp_dialogue_step(SMTP_CMD_BODY), t.text.data);
		st = code >= 500 && code < 600 ? SMTP_PERMFAIL : SMTP_TEMPFAIL;
		if (code / 100 == 3)
			smtp_txn_abandon(&t, "a 3xx reply to the end of data");
	}
	if (code == 421)
		smtp_txn_abandon(&t, "the server is closing the connection "
		    "(421)");
done:
	buf_release(&t.text);
	return st;
}
