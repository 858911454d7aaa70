/*
 * exitcode.h - the exit statuses of sendreports (sysexits values), named
 * here so that the build does not depend on the C library's <sysexits.h>.
 * Only main.c and the cmd_*.c files choose one.
 */
#ifndef SENDREPORTS_EXITCODE_H
#define SENDREPORTS_EXITCODE_H

enum exitcode {
	EXIT_OK = 0,		/* done, nothing to do, or lock held elsewhere */
	EXIT_UNHEALTHY = 1,	/* status: the queue needs attention */
	EXIT_USAGE = 64,	/* bad command line */
	EXIT_DATAERR = 65,	/* at least one report given up for bad data */
	EXIT_NOINPUT = 66,	/* a named input file is missing */
	EXIT_SOFTWARE = 70,	/* internal error */
	EXIT_OSERR = 71,	/* out of memory, fork failed */
	EXIT_CANTCREAT = 73,	/* cannot create a spool or output file */
	EXIT_IOERR = 74,	/* I/O error */
	EXIT_TEMPFAIL = 75,	/* try again later */
	EXIT_CONFIG = 78	/* configuration error, TLS, authentication */
};

#endif
