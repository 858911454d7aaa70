/*
 * conf_read.c - hands inih the configuration file whole lines, for
 * conf.c: each line read and counted (the error messages name it), and
 * a line longer than inih's buffer, measured once (conf_inih_line_max),
 * refused as an error that names it, so that no part of a line is ever
 * taken for a line of its own.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "buf.h"
#include "conf_parse.h"

/* A line given to inih piece by piece, as fgets() would. */
struct conf_probe {
	const char	*text;
	size_t		 off;
	size_t		 value_len;
	int		 called;
};

static char *
conf_probe_reader(char *str, int num, void *stream)
{
	struct conf_probe *pr = stream;
	size_t n = strlen(pr->text + pr->off);

	if (n == 0 || num < 2)
		return NULL;
	if (n > (size_t)num - 1)
		n = (size_t)num - 1;
	memcpy(str, pr->text + pr->off, n);
	str[n] = '\0';
	pr->off += n;
	return str;
}

static int
conf_probe_handler(void *user, const char *section, const char *name,
    const char *value)
{
	struct conf_probe *pr = user;

	(void)section;
	(void)name;
	if (!pr->called)
		pr->value_len = strlen(value);
	pr->called = 1;
	return 1;
}

/*
 * The longest line, without its line end, that this program reads whole:
 * CONF_LINE_MAX, or less when the linked inih's line buffer is shorter.
 * How inih was built (INI_MAX_LINE, INI_USE_STACK, INI_ALLOW_REALLOC,
 * INI_INITIAL_ALLOC) is not told by its header, and a line that does not
 * fit is cut, its first part parsed as a line; so it is measured once, on
 * a line longer than CONF_LINE_MAX: inih keeps T characters of it when
 * its buffer holds T and the NUL, and then reads lines of T - 1
 * characters and their line end.
 */
size_t
conf_inih_line_max(void)
{
	static size_t max;
	struct conf_probe pr;
	char *text;

	if (max != 0)
		return max;
	/*
	 * Debian's inih (every build of ours uses it) takes its line length
	 * at run time: room for CONF_LINE_MAX, its line end and the NUL.
	 */
	ini_max_line = CONF_LINE_MAX + 2;
	/* "k=", CONF_LINE_MAX 'x', "\n" and the NUL. */
	if ((text = malloc(CONF_LINE_MAX + 4)) == NULL)
		return CONF_LINE_MAX;	/* and inih will cut what it must */
	memcpy(text, "k=", 2);
	memset(text + 2, 'x', CONF_LINE_MAX);
	memcpy(text + 2 + CONF_LINE_MAX, "\n", 2);
	memset(&pr, 0, sizeof(pr));
	pr.text = text;
	(void)ini_parse_stream(conf_probe_reader, &pr, conf_probe_handler,
	    &pr);
	free(text);
	if (!pr.called || pr.value_len >= CONF_LINE_MAX)
		max = CONF_LINE_MAX;
	else
		max = pr.value_len + 2 > 1 ? pr.value_len + 2 - 1 : 1;
	return max;
}

/*
 * Reads the next line of the file into p->pending, and counts it.  -1 at
 * the end of the file, on a read error (p->read_errno), or for a line
 * longer than p->line_max: an error naming it (p->err) that ends the
 * parse (p->stop), so that no part of it is ever taken for a line.
 */
static int
conf_read_line(struct conf_parse *p)
{
	size_t len = 0;		/* characters before the LF */
	int ch = EOF, any = 0;

	buf_reset(&p->pending);
	p->off = 0;
	while ((ch = getc(p->fp)) != EOF) {
		any = 1;
		if (ch != '\n')
			len++;
		/* Beyond the limit the line is only measured. */
		if (len <= p->line_max + 1 && buf_putc(&p->pending, ch) == -1) {
			p->read_errno = ENOMEM;
			return -1;
		}
		if (ch == '\n')
			break;
	}
	if (ferror(p->fp)) {
		p->read_errno = errno ? errno : EIO;
		return -1;
	}
	if (!any)
		return -1;
	p->line++;
	if (ch == '\n' && len > 0 && len <= p->line_max + 1 &&
	    p->pending.data[p->pending.len - 2] == '\r')
		len--;		/* CR LF */
	if (len > p->line_max) {
		if (p->err->len == 0) {
			p->err_line = p->line;
			buf_printf(p->err, "line of %zu characters, longer "
			    "than the %zu this build reads", len, p->line_max);
		}
		p->stop = 1;
		return -1;
	}
	return 0;
}

/*
 * inih's reader: hands inih the file line by line, as fgets() into its
 * buffer of num bytes would, counting lines for the error messages.  A
 * line that does not fit goes in pieces, which an inih with a growing
 * buffer asks for and joins; conf_inih_line_max() keeps the others from
 * ever meeting such a line.
 */
char *
conf_reader(char *str, int num, void *stream)
{
	struct conf_parse *p = stream;
	size_t n;

	if (p->stop || num < 2)
		return NULL;
	if (p->off == p->pending.len && conf_read_line(p) == -1)
		return NULL;
	n = p->pending.len - p->off;
	if (n > (size_t)num - 1)
		n = (size_t)num - 1;
	memcpy(str, p->pending.data + p->off, n);
	str[n] = '\0';
	p->off += n;
	return str;
}
