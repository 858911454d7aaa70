/*
 * send_message.c - the message of one report, for send.c: its addresses,
 * its PDF when the stored one is missing (the fallback, rendered from
 * report_data), and the spool file: the envelope and the MIME message
 * written under tmp/ and committed into queue/, step 2 of the crash
 * ordering written at the top of send.c.  Once committed, send_record
 * (send_record.c) does step 3.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "buf.h"
#include "conf.h"
#include "db.h"
#include "log.h"
#include "mime.h"
#include "os_fs.h"
#include "render.h"
#include "report.h"
#include "send.h"
#include "send_run.h"
#include "spool.h"
#include "timeutil.h"

/* Tells apart the fallback PDFs of one run in tmp/. */
static unsigned	send_render_count;

/* The JSON of report r, loaded only when the fallback needs it. */
static enum db_status
send_report_data(struct send_run *run, const struct report *r,
    struct report *full, struct buf *err)
{
	memset(full, 0, sizeof(*full));
	return report_load(&run->db, r->id, 1, full, err);
}

/*
 * The report has no usable stored PDF (why says what was wrong with it,
 * or is empty when it has none).  Without report_data there is nothing to
 * send; with it, the fallback PDF is rendered into tmp/ (cleaned at the
 * start of every run, so a crash leaves nothing), opened and unlinked.
 * Returns STEP_GO with *pdf_fd open on it, or the report's step.
 */
enum send_step
send_fallback(struct send_run *run, const struct report *r, struct buf *why,
    int *pdf_fd)
{
	struct render_options ro;
	struct report full;
	struct buf err, path;
	enum render_status rs;
	enum send_step step;
	enum db_status s;

	*pdf_fd = -1;
	if (!r->has_data) {
		if (why->len == 0)
			buf_puts(why, "no stored PDF");
		buf_puts(why, ", and no report_data for a fallback PDF");
		return send_give_up(run, r, NULL, why->data);
	}
	buf_init(&err, SEND_ERR_MAX);
	buf_init(&path, PATH_MAX);
	if ((s = send_report_data(run, r, &full, &err)) != DB_OK) {
		step = s == DB_NOTFOUND ? STEP_SKIP : send_db_failed(run, r, s,
		    err.data);
		goto out;
	}
	if (run->opt->dry_run) {
		/* Decide without drawing: is the JSON usable at all? */
		sqlite3_stmt *st = NULL;
		int valid = 0;

		if (db_prepare(&run->db, "SELECT json_valid(?1)", &st, &err) ==
		    DB_OK) {
			sqlite3_bind_text(st, 1, full.report_data, -1,
			    SQLITE_STATIC);
			if (sqlite3_step(st) == SQLITE_ROW)
				valid = sqlite3_column_int(st, 0);
			sqlite3_finalize(st);
		}
		step = valid ? STEP_GO : send_give_up(run, r, "fallback",
		    "report_data is not valid JSON");
		goto out;
	}
	memset(&ro, 0, sizeof(ro));
	ro.title = r->title;
	ro.timezone = r->timezone && *r->timezone ? r->timezone :
	    run->conf->timezone;
	ro.now = run->opt->now;
	ro.font_path = run->conf->font;
	ro.max_pages = run->conf->max_pages;
	/* A name of its own per report: on Windows the last one's may
	 * still be there, removed while open. */
	if (buf_printf(&path, "%s/tmp/render.%ld.%u.pdf", run->spool.path,
	    (long)getpid(), send_render_count++) == -1) {
		step = send_defer(run, r, "spool path too long");
		goto out;
	}
	rs = render_report(run->db.h, &full.report_data, &ro, path.data, &err);
	switch (rs) {
	case RENDER_OK:
		if ((*pdf_fd = os_open(path.data, O_RDONLY, 0)) == -1) {
			buf_printf(&err, "fallback PDF: %s", strerror(errno));
			step = send_defer(run, r, err.data);
			send_fail(run, SEND_IOERR);
		} else
			step = STEP_GO;
		unlink(path.data);
		break;
	case RENDER_DATAERR:
		step = send_give_up(run, r, "fallback", err.data);
		break;
	default:
		step = send_defer(run, r, err.data);
		/* The next report may not need a fallback: go on. */
		send_fail(run, rs == RENDER_NOMEM ? SEND_TEMPFAIL :
		    SEND_IOERR);
		break;
	}
out:
	report_release(&full);
	buf_release(&err);
	buf_release(&path);
	return step;
}

/* The attachment's name: the title, made safe for a file name. */
static int
send_attachment_name(const struct report *r, struct buf *out)
{
	const unsigned char *p;

	for (p = (const unsigned char *)r->title; *p && out->len < 120; p++) {
		if (*p < 0x20 || *p == 0x7f || *p == '/' || *p == '\\' ||
		    *p == '"')
			continue;
		if (buf_putc(out, *p) == -1)
			return -1;
	}
	/* Never end in the middle of a UTF-8 sequence. */
	while (out->len && ((unsigned char)out->data[out->len - 1] & 0xc0) ==
	    0x80)
		out->len--;
	if (out->len && ((unsigned char)out->data[out->len - 1] & 0xc0) ==
	    0xc0)
		out->len--;
	out->data[out->len] = '\0';
	if (out->len == 0)
		return buf_printf(out, "report-%lld.pdf", r->id);
	return buf_puts(out, ".pdf");
}

/* Builds the envelope recipient list: To, Cc and Bcc, each once. */
static int
send_envelope_rcpts(const struct addr_list *all, char ***out, size_t *n)
{
	char **v;
	size_t i, j, len = 0;

	if ((v = calloc(all->n ? all->n : 1, sizeof(*v))) == NULL)
		return -1;
	for (i = 0; i < all->n; i++) {
		for (j = 0; j < len; j++)
			if (strcmp(v[j], all->v[i].mailbox) == 0)
				break;
		if (j == len)
			v[len++] = all->v[i].mailbox;	/* borrowed */
	}
	*out = v;
	*n = len;
	return 0;
}

/*
 * Writes the spool file of report r, with the attachment on pdf_fd, seals
 * it and hands it and r to the batch (send_batch_add), which links it
 * into queue/.  Returns the step, having told the caller's callback.
 */
enum send_step
send_spool(struct send_run *run, struct report *r, const char *source,
    int pdf_fd, const struct stat *pdf_opened, const struct addr_list *to,
    const struct addr_list *cc, const struct addr_list *all)
{
	struct spool_file f = { NULL, "", NULL };
	struct spool_envelope env;
	struct mime_message m;
	struct buf err, msgid, fname;
	char compact[17], name[SPOOL_NAME_MAX], **rcpts = NULL;
	enum send_step step;
	size_t nrcpts = 0;
	time_t occ_t;
	int saved, fd;

	buf_init(&err, SEND_ERR_MAX);
	buf_init(&msgid, 512);
	buf_init(&fname, 1024);
	if (time_parse_db(r->occurrence, &occ_t) == -1) {
		step = send_give_up(run, r, source, "scheduled_at is not a "
		    "time");
		goto out;
	}
	time_format_compact(occ_t, compact);
	snprintf(name, sizeof(name), "r%lld.%s", r->id, compact);
	if (buf_printf(&msgid, "<%s.sendreports@%s>", name,
	    run->from_domain) == -1 || send_attachment_name(r, &fname) == -1 ||
	    send_envelope_rcpts(all, &rcpts, &nrcpts) == -1) {
		step = send_defer(run, r, "out of memory");
		send_fail(run, SEND_TEMPFAIL);
		step = STEP_STOP;
		goto out;
	}

	memset(&m, 0, sizeof(m));
	m.from = &run->from;
	m.to = to;
	m.cc = cc;
	m.subject = r->subject && *r->subject ? r->subject : r->title;
	m.date = run->opt->now;
	m.message_id = msgid.data;
	m.body = r->body && *r->body ? r->body : run->conf->default_body;
	m.filename = fname.data;
	m.pdf_fd = pdf_fd;
	m.pdf_opened = pdf_opened;
	m.boundary = NULL;

	env.report_id = r->id;
	env.occurrence = r->occurrence;
	env.message_id = msgid.data;
	env.created = run->now;
	env.sender = run->from.v[0].mailbox;
	env.rcpts = rcpts;
	env.nrcpts = nrcpts;

	/* What flush could not read back must not be written. */
	if (spool_envelope_size(&env) > SPOOL_ENVELOPE_MAX) {
		buf_printf(&err, "%zu recipients: more than one message "
		    "can carry", nrcpts);
		step = send_give_up(run, r, source, err.data);
		goto out;
	}
	if (spool_file_create(&run->spool, &f, &err) == -1) {
		saved = errno;
		log_warnx("report %lld: %s", r->id, err.data);
		send_fail(run, send_status_of_errno(saved));
		run->res->deferred++;
		send_tell(run, r, source, "deferred", NULL, err.data);
		step = STEP_STOP;
		goto out;
	}
	if (spool_write_envelope(f.fp, &env) == -1) {
		saved = errno;
		buf_printf(&err, "spool: write '%s/tmp/%s': %s",
		    run->spool.path, f.tmpname, strerror(saved));
		goto write_failed;
	}
	if (mime_write_message(f.fp, &m, &err) == -1) {
		saved = errno;
		if (saved != EINVAL && saved != EMSGSIZE) {
			/* The disk or the PDF file: mime names the file
			 * it read, not the one it wrote. */
			if (err.data && strncmp(err.data, "write:", 6) == 0) {
				buf_reset(&err);
				buf_printf(&err, "spool: write '%s/tmp/%s': %s",
				    run->spool.path, f.tmpname,
				    strerror(saved));
			}
			goto write_failed;
		}
		/* Refused content: a header that cannot be written safely. */
		spool_file_discard(&run->spool, &f);
		step = send_give_up(run, r, source, err.data);
		goto out;
	}
	if (spool_seal(&run->spool, &f, name, &fd, &err) == -1) {
		saved = errno;
		goto commit_failed;
	}
	/* The batch syncs it and links it into queue/ a little later, and
	 * records it once its name is durable (step 3). */
	step = send_batch_add(run, r, source, msgid.data, name, fd,
	    f.tmpname);
	goto out;

write_failed:
	spool_file_discard(&run->spool, &f);
commit_failed:
	log_warnx("report %lld: %s", r->id, err.data);
	send_fail(run, send_status_of_errno(saved));
	run->res->deferred++;
	send_tell(run, r, source, "deferred", NULL, err.data);
	step = STEP_STOP;
out:
	free(rcpts);
	buf_release(&err);
	buf_release(&msgid);
	buf_release(&fname);
	return step;
}

/* Parses To, Cc and Bcc; on failure, *why is the reason to give up for. */
int
send_addresses(const struct report *r, struct addr_list *to,
    struct addr_list *cc, struct addr_list *all, struct buf *why)
{
	struct buf err;
	int rc = -1;

	buf_init(&err, SEND_ERR_MAX);
	if (addr_list_parse(to, r->recipients, &err) == -1) {
		buf_printf(why, "recipients: %s", err.data);
		goto out;
	}
	if (r->cc && *r->cc && addr_list_parse(cc, r->cc, &err) == -1) {
		buf_printf(why, "cc: %s", err.data);
		goto out;
	}
	if (addr_list_parse(all, r->recipients, &err) == -1 ||
	    (r->cc && *r->cc && addr_list_parse(all, r->cc, &err) == -1)) {
		buf_printf(why, "recipients: %s", err.data);
		goto out;
	}
	if (r->bcc && *r->bcc && addr_list_parse(all, r->bcc, &err) == -1) {
		buf_printf(why, "bcc: %s", err.data);
		goto out;
	}
	rc = 0;
out:
	buf_release(&err);
	return rc;
}
