/*
 * conf_parse.h - internal to the configuration reader: the parse in
 * progress, which its files share (conf.c: the table of keys, the values
 * and conf_load(); conf_read.c: the lines handed to inih; conf_check.c:
 * the values that parse but cannot work).  Only they include it; every
 * other file uses conf.h.
 */
#ifndef SENDREPORTS_CONF_PARSE_H
#define SENDREPORTS_CONF_PARSE_H

#include <stddef.h>
#include <stdio.h>

#include "buf.h"

struct conf;

/*
 * The longest line read, without its line end, and so the longest value.
 * inih's own line buffer may be shorter (Debian's is set to hold it at
 * run time, ini_max_line; an inih without that knob keeps INI_MAX_LINE,
 * 200 by default): the shorter of the two is the limit, measured by
 * conf_inih_line_max().
 */
#define CONF_LINE_MAX	4096
#define CONF_VALUE_MAX	CONF_LINE_MAX

struct conf_parse {
	struct conf	*c;
	struct buf	*err;
	char		*dir;		/* the file's directory, with '/' */
	FILE		*fp;
	int		 line;		/* lines read so far */
	int		 err_line;	/* line of the message in err */
	int		 read_errno;	/* the file could not be read */
	int		 stop;		/* the reader gave up: a long line */
	size_t		 line_max;	/* the longest line read whole */
	struct buf	 pending;	/* the line being handed to inih */
	size_t		 off;		/* how much of it inih has */
	int		 all;		/* conf_load_all(): record problems */
	const char	*path;		/* for the problems' messages */
	int		*key_line;	/* where each key was set, by its
					   index in conf.c's table */
};

/* conf.c */

/* The line of the file where [section] name was set, 0 when it was not. */
int	conf_key_line(const struct conf_parse *p, const char *section,
	    const char *name);

/* conf_read.c */

/*
 * The longest line, without its line end, that this program reads whole:
 * CONF_LINE_MAX, or less when the linked inih's line buffer is shorter.
 * Measured on the first call, which sets inih's ini_max_line.
 */
size_t	conf_inih_line_max(void);

/*
 * inih's reader (ini_reader), with a struct conf_parse as its stream:
 * hands inih the lines of p->fp, up to p->line_max characters each,
 * counted in p->line.  NULL at the end of the file, on a read error
 * (p->read_errno), or at a longer line (an error naming it in p->err,
 * p->stop set).
 */
char	*conf_reader(char *str, int num, void *stream);

/* conf_check.c */

/*
 * Checks the values that parsed but cannot work, and fills in the time
 * zone when the file names none.  0, or -1 (p->err set) on the first
 * problem unless p->all, which records each in p->c->problems instead;
 * -1 also when out of memory.
 */
int	conf_validate(struct conf_parse *p);

#endif
