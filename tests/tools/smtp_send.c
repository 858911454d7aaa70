/*
 * smtp_send.c - test driver for src/smtp.c: delivers each FILE over one
 * smtp_session and prints one line per outcome on stdout:
 *
 *	STATUS CODE TEXT		(TEXT: the error, else the reply)
 *	refused RCPT CODE TEXT		(one per refused recipient)
 *	in_doubt			(when out.in_doubt is set)
 *
 * With -p it runs smtp_probe() instead and prints the same first line, then
 * "greeting TEXT", "tls N", "starttls_offered N", "authenticated N" and one
 * "cap KEYWORD" per EHLO capability.  Newlines in TEXT become " | ".
 * The password is read from a file (-P), never from argv.
 *
 * usage: smtp_send [-pv] -u URL [-t required|opportunistic|none] [-a CA]
 *	      [-U USER -P PASSFILE] [-c CONNECT_S] [-T TIMEOUT_S] [-o OFFSET]
 *	      [-f FROM] [-r RCPT]... [FILE]...
 * Exit: 0 when every file got an outcome, 1 when the session could not be
 * set up (the line "config 0 REASON" is printed), 2 on usage errors.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "buf.h"
#include "log.h"
#include "smtp.h"

#define MAX_RCPTS	32

static void
usage(void)
{
	fprintf(stderr, "usage: smtp_send [-pv] -u URL [-t TLS] [-a CA] "
	    "[-U USER -P PASSFILE] [-c S] [-T S] [-o OFFSET] [-f FROM] "
	    "[-r RCPT]... [FILE]...\n");
	exit(2);
}

static long
num(const char *s, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < 0 || v > max)
		usage();
	return v;
}

static void
print_text(const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\n')
			fputs(" | ", stdout);
		else
			putchar(*s);
	}
	putchar('\n');
}

static void
print_outcome(enum smtp_status st, const struct smtp_outcome *out)
{
	size_t i;

	printf("%s %d ", smtp_status_name(st), out->code);
	print_text(out->error.len > 0 ? out->error.data : out->reply.data);
	for (i = 0; i < out->nrefused; i++) {
		printf("refused %s %d ", out->refused[i].rcpt,
		    out->refused[i].code);
		print_text(out->refused[i].text);
	}
	if (out->in_doubt)
		puts("in_doubt");
}

/* The first line of path, without its newline.  NULL on failure. */
static char *
read_password(const char *path)
{
	char line[512];
	FILE *fp;
	size_t n;

	if ((fp = fopen(path, "r")) == NULL)
		return NULL;
	if (fgets(line, sizeof(line), fp) == NULL) {
		fclose(fp);
		return NULL;
	}
	fclose(fp);
	n = strcspn(line, "\r\n");
	line[n] = '\0';
	return strdup(line);
}

static int
probe(const struct smtp_options *o)
{
	struct smtp_probe p;
	enum smtp_status st;
	const char *c, *nl;

	smtp_probe_init(&p);
	st = smtp_probe(o, &p);
	print_outcome(st, &p.outcome);
	printf("greeting ");
	print_text(p.greeting.data);
	printf("tls %d\nstarttls_offered %d\nauthenticated %d\n", p.tls,
	    p.starttls_offered, p.authenticated);
	for (c = p.capabilities.data; *c != '\0'; c = nl + (*nl != '\0')) {
		nl = c + strcspn(c, "\n");
		printf("cap %.*s\n", (int)(nl - c), c);
	}
	smtp_probe_release(&p);
	return 0;
}

/* The message file, open; -1 (said on stderr) when it cannot be. */
static int
open_message(const char *path)
{
	int fd;

	if ((fd = open(path, O_RDONLY)) == -1)
		fprintf(stderr, "smtp_send: %s: %s\n", path, strerror(errno));
	return fd;
}

int
main(int argc, char *argv[])
{
	struct smtp_options o;
	struct smtp_session *s = NULL;
	struct smtp_outcome out;
	struct smtp_mail m[2], *cur, *next;
	struct buf err;
	char *rcpts[MAX_RCPTS], *password = NULL;
	const char *from = "", *passfile = NULL;
	enum smtp_status st;
	size_t nrcpts = 0;
	off_t offset = 0;
	int ch, i, do_probe = 0, rv = 0;

	memset(&o, 0, sizeof(o));
	o.tls = SMTP_TLS_REQUIRED;
	while ((ch = getopt(argc, argv, "a:c:f:o:pP:r:t:T:u:U:v")) != -1) {
		switch (ch) {
		case 'a':
			o.ca_file = optarg;
			break;
		case 'c':
			o.connect_timeout_s = num(optarg, 3600);
			break;
		case 'f':
			from = optarg;
			break;
		case 'o':
			offset = (off_t)num(optarg, LONG_MAX);
			break;
		case 'p':
			do_probe = 1;
			break;
		case 'P':
			passfile = optarg;
			break;
		case 'r':
			if (nrcpts == MAX_RCPTS)
				usage();
			rcpts[nrcpts++] = optarg;
			break;
		case 't':
			if (strcmp(optarg, "required") == 0)
				o.tls = SMTP_TLS_REQUIRED;
			else if (strcmp(optarg, "opportunistic") == 0)
				o.tls = SMTP_TLS_OPPORTUNISTIC;
			else if (strcmp(optarg, "none") == 0)
				o.tls = SMTP_TLS_NONE;
			else
				usage();
			break;
		case 'T':
			o.timeout_s = num(optarg, 3600);
			break;
		case 'u':
			o.url = optarg;
			break;
		case 'U':
			o.username = optarg;
			break;
		case 'v':
			o.verbose = 1;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (o.url == NULL)
		usage();
	if (passfile != NULL) {
		if ((password = read_password(passfile)) == NULL) {
			fprintf(stderr, "smtp_send: %s: cannot read\n",
			    passfile);
			return 2;
		}
		o.password = password;
	}
	log_init(o.verbose ? LOG_LEVEL_DEBUG : LOG_LEVEL_WARNING, 0,
	    LOG_LEVEL_INFO);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return 2;

	if (do_probe) {
		rv = probe(&o);
		goto done;
	}
	buf_init(&err, 1024);
	if ((s = smtp_session_new(&o, &err)) == NULL) {
		printf("config 0 %s\n", err.data);
		buf_release(&err);
		rv = 1;
		goto done;
	}
	buf_release(&err);
	smtp_outcome_init(&out);
	/* Each message is delivered with the one after it announced (its
	 * envelope pipelined behind this one's end of data). */
	for (i = 0; i < 2; i++) {
		m[i].from = from;
		m[i].rcpts = rcpts;
		m[i].nrcpts = nrcpts;
		m[i].offset = offset;
		m[i].fd = -1;
	}
	if (argc > 0 && (m[0].fd = open_message(argv[0])) == -1)
		rv = 2;
	for (i = 0; i < argc && m[i % 2].fd != -1; i++) {
		cur = &m[i % 2];
		next = &m[(i + 1) % 2];
		if (i + 1 < argc && (next->fd = open_message(argv[i + 1])) ==
		    -1)
			rv = 2;
		st = smtp_session_deliver(s, cur, next->fd != -1 ? next :
		    NULL, &out);
		close(cur->fd);
		cur->fd = -1;
		print_outcome(st, &out);
		fflush(stdout);
	}
	smtp_outcome_release(&out);
	smtp_session_free(s);
done:
	if (password != NULL) {
		explicit_bzero(password, strlen(password));
		free(password);
	}
	curl_global_cleanup();
	return rv;
}
