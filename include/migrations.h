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

/* The reports database (db/NNN_*.sql). */
extern const struct migration	reports_migrations[];
extern const size_t		reports_migrations_count;

/* The state database beside the spool (db/state/NNN_*.sql). */
extern const struct migration	state_migrations[];
extern const size_t		state_migrations_count;

#endif
