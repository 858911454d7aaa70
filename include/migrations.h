/*
 * migrations.h - the schema of the reports database, compiled in from the
 * numbered files of db/.  Migration N brings PRAGMA user_version from N-1
 * to N.  Every migration is written so that it also applies cleanly to a
 * file made by the sync job that holds only scheduled_reports.
 */
#ifndef SENDREPORTS_MIGRATIONS_H
#define SENDREPORTS_MIGRATIONS_H

#include <stddef.h>

struct migration {
	int		 version;	/* user_version after it */
	const char	*name;		/* the file it came from */
	const char	*sql;
};

extern const struct migration	migrations[];
extern const size_t		migrations_count;

#endif
