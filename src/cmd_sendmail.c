/*
 * cmd_sendmail.c - `sendreports sendmail`, and the program invoked as
 * `sendmail`: a message on standard input, queued durably in the spool
 * beside the reports, for flush to deliver.  What the scripts of a box
 * use (cron's mail, logwatch, mail(1)):
 *
 *   sendmail [-t] [-i | -oi] [-f ADDR] [-F NAME] [-bm] [-o...] [--] [RCPT...]
 *   sendmail -bp             the queue, as mailq
 *
 * -t takes the recipients from To, Cc and Bcc (added to those of the
 * command line, as Postfix does) and removes Bcc.  Without -i, a line of
 * a single "." ends the message.  The envelope sender is -f, else the
 * address of [mail] from, which the relay knows; a message without From
 * gets one (-F names it), without Date or Message-ID gets them.  The
 * message is checked before anything is queued: lines of at most 998
 * characters (RFC 5322), no NUL, every recipient an address; line ends
 * become CRLF.  Other -o, -B, -N, -R, -V, -v options are accepted and
 * ignored; -bs (SMTP on standard input) is refused.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "app.h"
#include "buf.h"
#include "exitcode.h"
#include "log.h"
#include "mime.h"
#include "os_fs.h"
#include "os_libc.h"
#include "spool.h"
#include "timeutil.h"

#define SENDMAIL_MAX	((size_t)64 << 20)	/* the largest message */
#define SENDMAIL_LINE	998			/* RFC 5322 2.1.1 */

struct sendmail_opts {
	int		 from_headers;	/* -t */
	int		 dot_ends;	/* without -i */
	const char	*sender;	/* -f */
	const char	*full_name;	/* -F */
	char		**rcpts;	/* the operands */
	int		 nrcpts;
};

static int
sendmail_usage(void)
{
	fprintf(stderr, "usage: sendreports sendmail [-t] [-i] [-f ADDR] "
	    "[-F NAME] [RCPT...] < MESSAGE\n");
	return EXIT_USAGE;
}

/* The option's value: the rest of the word, or the next word. */
static const char *
sendmail_value(int argc, char **argv, int *i, const char *rest)
{
	if (*rest)
		return rest;
	if (*i + 1 < argc)
		return argv[++*i];
	return NULL;
}

/* -1: a usage error (told); 0; 1: -bp, list the queue. */
static int
sendmail_parse(int argc, char **argv, struct sendmail_opts *o)
{
	int i;

	memset(o, 0, sizeof(*o));
	o->dot_ends = 1;
	for (i = 1; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--") == 0) {
			i++;
			break;
		}
		switch (a[1]) {
		case 't':
			o->from_headers = 1;
			break;
		case 'i':
			o->dot_ends = 0;
			break;
		case 'o':
			if (strcmp(a, "-oi") == 0)
				o->dot_ends = 0;
			break;		/* -oem, -odb ...: nothing to do */
		case 'f':
		case 'r':		/* the old name of -f */
			if ((o->sender = sendmail_value(argc, argv, &i,
			    a + 2)) == NULL)
				return sendmail_usage(), -1;
			break;
		case 'F':
			if ((o->full_name = sendmail_value(argc, argv, &i,
			    a + 2)) == NULL)
				return sendmail_usage(), -1;
			break;
		case 'b':
			if (strcmp(a, "-bp") == 0)
				return 1;
			if (strcmp(a, "-bm") != 0) {
				log_warnx("sendmail: %s is not supported: only "
				    "-bm (a message on standard input) and "
				    "-bp", a);
				return -1;
			}
			break;
		case 'B':
		case 'N':
		case 'R':
		case 'V':
			if (a[2] == '\0')
				i++;	/* their value follows */
			break;
		case 'v':
		case 'm':
			break;
		default:
			log_warnx("sendmail: unknown option %s", a);
			return sendmail_usage(), -1;
		}
	}
	o->rcpts = argv + i;
	o->nrcpts = argc - i;
	return 0;
}

/*
 * Reads the message into msg as CRLF lines, refusing what cannot be
 * sent.  0, or -1 with why set.
 */
static int
sendmail_read(FILE *in, const struct sendmail_opts *o, struct buf *msg,
    struct buf *why)
{
	char *line = NULL;
	size_t cap = 0, len;
	ssize_t n;
	long lineno = 0;
	int rc = -1;

	while ((n = getline(&line, &cap, in)) != -1) {
		lineno++;
		len = (size_t)n;
		if (memchr(line, '\0', len) != NULL) {
			buf_printf(why, "line %ld holds a NUL byte", lineno);
			goto out;
		}
		while (len > 0 && (line[len - 1] == '\n' ||
		    line[len - 1] == '\r'))
			len--;
		if (o->dot_ends && len == 1 && line[0] == '.')
			break;
		if (len > SENDMAIL_LINE) {
			buf_printf(why, "line %ld is %zu characters long, over "
			    "the 998 a mail line may have", lineno, len);
			goto out;
		}
		if (memchr(line, '\r', len) != NULL) {
			buf_printf(why, "line %ld holds a carriage return",
			    lineno);
			goto out;
		}
		if (buf_append(msg, line, len) == -1 ||
		    buf_puts(msg, "\r\n") == -1) {
			buf_printf(why, "the message is over %zu MiB",
			    SENDMAIL_MAX >> 20);
			goto out;
		}
	}
	if (ferror(in)) {
		buf_printf(why, "standard input: %s", strerror(errno));
		goto out;
	}
	rc = 0;
out:
	free(line);
	return rc;
}

/* The length of the header block of msg (up to the empty line, which is
 * not counted); the whole message when it has none. */
static size_t
sendmail_head_len(const struct buf *msg)
{
	const char *p;

	if (msg->len >= 2 && memcmp(msg->data, "\r\n", 2) == 0)
		return 0;
	p = msg->len ? strstr(msg->data, "\r\n\r\n") : NULL;
	return p ? (size_t)(p - msg->data) + 2 : msg->len;
}

/* Whether the header line at p (of the block) is field `name`. */
static int
sendmail_is_field(const char *p, const char *name)
{
	size_t n = strlen(name);

	return strncasecmp(p, name, n) == 0 && p[n] == ':';
}

/*
 * Walks the fields of the header block head (len bytes): for each, its
 * start and its length with its continuation lines.  *at is the cursor.
 */
static int
sendmail_next_field(const char *head, size_t len, size_t *at,
    size_t *start, size_t *flen)
{
	size_t i = *at;

	if (i >= len)
		return 0;
	*start = i;
	for (;;) {
		const char *nl = memchr(head + i, '\n', len - i);

		i = nl ? (size_t)(nl - head) + 1 : len;
		if (i >= len || (head[i] != ' ' && head[i] != '\t'))
			break;
	}
	*flen = i - *start;
	*at = i;
	return 1;
}

/* The Message-ID of the field at f (flen bytes), when it is one <id>
 * without spaces: the envelope names the message by it. */
static void
sendmail_keep_id(const char *f, size_t flen, struct buf *found_id)
{
	const char *v = memchr(f, ':', flen), *end = f + flen;

	for (v++; v < end && (*v == ' ' || *v == '\t'); v++)
		;
	while (end > v && (end[-1] == '\r' || end[-1] == '\n' ||
	    end[-1] == ' ' || end[-1] == '\t'))
		end--;
	if (end - v >= 3 && *v == '<' && end[-1] == '>' &&
	    strcspn(v, " \t\r\n") >= (size_t)(end - v) &&
	    memchr(v + 1, '<', (size_t)(end - v - 2)) == NULL &&
	    memchr(v + 1, '>', (size_t)(end - v - 2)) == NULL) {
		buf_reset(found_id);
		buf_append(found_id, v, (size_t)(end - v));
	}
}

/*
 * The message as queued: the headers of msg but Bcc (with -t), those it
 * lacks added, then its body.  The recipients of To, Cc and Bcc (with -t)
 * join rcpts; its own Message-ID, when it is a plain <id>, goes to
 * found_id.  0, or -1 with why set.
 */
static int
sendmail_headers(const struct buf *msg, const struct sendmail_opts *o,
    const struct addr_list *from, const char *message_id, time_t now,
    struct addr_list *rcpts, struct buf *out, struct buf *found_id,
    struct buf *why)
{
	size_t head = sendmail_head_len(msg), at = 0, start, flen, k;
	int has_from = 0, has_date = 0, has_id = 0, bad = 0;
	struct buf value;

	buf_init(&value, SENDMAIL_MAX);
	while (sendmail_next_field(msg->data, head, &at, &start, &flen)) {
		const char *f = msg->data + start;
		int bcc = sendmail_is_field(f, "Bcc");

		if (memchr(f, ':', flen) == NULL) {
			/* Not a header: the body begins here, unseparated. */
			head = start;
			break;
		}
		has_from |= sendmail_is_field(f, "From");
		has_date |= sendmail_is_field(f, "Date");
		if (sendmail_is_field(f, "Message-ID")) {
			has_id = 1;
			sendmail_keep_id(f, flen, found_id);
		}
		if (o->from_headers && (bcc || sendmail_is_field(f, "To") ||
		    sendmail_is_field(f, "Cc"))) {
			/* Unfolded: the line breaks of the field go. */
			buf_reset(&value);
			for (k = (size_t)(strchr(f, ':') - f) + 1; k < flen;
			    k++)
				if (f[k] != '\r' && f[k] != '\n')
					bad |= buf_putc(&value, f[k]);
			if (!bad && value.len && strspn(value.data, " \t") !=
			    value.len && addr_list_parse(rcpts, value.data,
			    why) == -1) {
				buf_release(&value);
				return -1;
			}
		}
		if (!(o->from_headers && bcc))
			bad |= buf_append(out, f, flen);
	}
	buf_release(&value);
	if (!has_from)
		bad |= mime_hdr_addrs(out, "From", "from", from, why);
	if (!has_date)
		bad |= buf_puts(out, "Date: ") | mime_date(out, now) |
		    buf_puts(out, "\r\n");
	if (!has_id)
		bad |= buf_printf(out, "Message-ID: %s\r\n", message_id);
	bad |= buf_puts(out, "\r\n");
	if (head < msg->len) {
		size_t body = head;

		/* The empty line that ended the headers, written above. */
		if (msg->len - body >= 2 && memcmp(msg->data + body, "\r\n",
		    2) == 0)
			body += 2;
		bad |= buf_append(out, msg->data + body, msg->len - body);
	}
	if (bad) {
		if (why->len == 0)
			buf_printf(why, "the message is over %zu MiB",
			    SENDMAIL_MAX >> 20);
		return -1;
	}
	return 0;
}

/* The sender's address and the From of a message that has none. */
static int
sendmail_from(struct app *app, const struct sendmail_opts *o,
    struct addr_list *from, struct buf *why)
{
	struct addr_list conf = { NULL, 0 };
	struct buf text;
	int rc = -1;

	buf_init(&text, 4096);
	if (addr_list_parse(&conf, app->conf.from, why) == -1 ||
	    conf.n != 1) {
		if (why->len == 0)
			buf_printf(why, "[mail] from must be one address");
		goto out;
	}
	if (o->sender && *o->sender)
		buf_printf(&text, "%s%s<%s>", o->full_name ? o->full_name :
		    "", o->full_name ? " " : "", o->sender);
	else if (o->full_name)
		buf_printf(&text, "%s <%s>", o->full_name,
		    conf.v[0].mailbox);
	else
		buf_puts(&text, app->conf.from);
	if (addr_list_parse(from, text.data, why) == -1 || from->n != 1) {
		if (why->len == 0)
			buf_printf(why, "-f \"%s\": not one address",
			    o->sender);
		goto out;
	}
	rc = 0;
out:
	addr_list_release(&conf);
	buf_release(&text);
	return rc;
}

/* Queues msg for rcpts in the spool: a name of its own, durably. */
static int
sendmail_queue(struct app *app, const struct addr_list *from,
    const struct addr_list *rcpts, const char *message_id,
    const struct buf *msg, time_t now, char *name, struct buf *why)
{
	struct spool s = SPOOL_INIT;
	struct spool_file f = { NULL, "", NULL };
	struct spool_envelope env;
	char created[TIME_DB_LEN], compact[17], **v = NULL;
	size_t i;
	int tries, saved, rc = -1;

	if ((v = calloc(rcpts->n, sizeof(*v))) == NULL) {
		buf_printf(why, "out of memory");
		return -1;
	}
	for (i = 0; i < rcpts->n; i++)
		v[i] = rcpts->v[i].mailbox;
	time_format_db(now, created);
	memset(&env, 0, sizeof(env));
	env.message_id = (char *)message_id;
	env.created = created;
	env.sender = from->v[0].mailbox;
	env.rcpts = v;
	env.nrcpts = rcpts->n;
	if (spool_envelope_size(&env) > SPOOL_ENVELOPE_MAX) {
		buf_printf(why, "%zu recipients: more than one message can "
		    "carry", rcpts->n);
		goto out;
	}
	if (spool_open(&s, app->conf.spool_dir, 1, why) == -1)
		goto out;
	time_format_compact(now, compact);
	for (tries = 0; tries < 8; tries++) {
		/* s<time>.<pid>.<n>: never a report's (r...) nor a
		 * notice's (n...). */
		snprintf(name, SPOOL_NAME_MAX, "s%s.%ld.%d", compact,
		    (long)getpid(), tries);
		if (spool_file_create(&s, &f, why) == -1)
			goto out;
		if (spool_write_envelope(f.fp, &env) == -1 ||
		    fwrite(msg->data, 1, msg->len, f.fp) != msg->len) {
			buf_printf(why, "spool: write '%s/tmp/%s': %s", s.path,
			    f.tmpname, strerror(errno));
			spool_file_discard(&s, &f);
			goto out;
		}
		switch (spool_commit(&s, &f, name, why)) {
		case SPOOL_COMMITTED:
			rc = 0;
			goto out;
		case SPOOL_EXISTS:
			continue;	/* a name of this second taken */
		case SPOOL_FAILED:
			goto out;
		}
	}
	buf_printf(why, "spool: no free name for the message");
out:
	saved = errno;
	free(v);
	spool_close(&s);
	errno = saved;
	return rc;
}

int
cmd_sendmail(struct app *app, int argc, char **argv)
{
	struct sendmail_opts o;
	struct addr_list from = { NULL, 0 }, rcpts = { NULL, 0 };
	struct buf msg, out, why, msgid, own_id;
	char name[SPOOL_NAME_MAX];
	const char *domain;
	time_t now = time(NULL);
	int i, rc = EXIT_DATAERR;

	switch (sendmail_parse(argc, argv, &o)) {
	case -1:
		return EXIT_USAGE;
	case 1: {
		char *q[] = { (char *)"queue", NULL };

		optind = 1;
		return cmd_queue(app, 1, q);
	}
	}
	buf_init(&msg, SENDMAIL_MAX);
	buf_init(&out, SENDMAIL_MAX + 4096);
	buf_init(&why, 4096);
	buf_init(&msgid, 512);
	buf_init(&own_id, 512);
	if (sendmail_from(app, &o, &from, &why) == -1) {
		rc = EXIT_USAGE;
		goto fail;
	}
	for (i = 0; i < o.nrcpts; i++)
		if (addr_list_parse(&rcpts, o.rcpts[i], &why) == -1) {
			rc = EXIT_USAGE;
			goto fail;
		}
	if (sendmail_read(stdin, &o, &msg, &why) == -1)
		goto fail;
	domain = strrchr(from.v[0].mailbox, '@');
	buf_printf(&msgid, "<s%lld.%ld.sendreports@%s>", (long long)now,
	    (long)getpid(), domain ? domain + 1 : "localhost");
	if (sendmail_headers(&msg, &o, &from, msgid.data, now, &rcpts, &out,
	    &own_id, &why) == -1)
		goto fail;
	if (own_id.len) {
		buf_reset(&msgid);
		buf_append(&msgid, own_id.data, own_id.len);
	}
	if (rcpts.n == 0) {
		buf_printf(&why, "no recipient: name them as arguments, or "
		    "use -t to take them from To, Cc and Bcc");
		rc = EXIT_USAGE;
		goto fail;
	}
	if (sendmail_queue(app, &from, &rcpts, msgid.data, &out, now, name,
	    &why) == -1) {
		rc = errno == ENOSPC || errno == EDQUOT ? EXIT_TEMPFAIL :
		    EXIT_CANTCREAT;
		goto fail;
	}
	log_info("%s: from=<%s> nrcpt=%zu size=%zu status=queued (sendmail)",
	    name, from.v[0].mailbox, rcpts.n, out.len);
	rc = EXIT_OK;
	goto out;
fail:
	log_warnx("sendmail: %s", why.data);
out:
	addr_list_release(&from);
	addr_list_release(&rcpts);
	buf_release(&msg);
	buf_release(&out);
	buf_release(&why);
	buf_release(&msgid);
	buf_release(&own_id);
	return rc;
}
