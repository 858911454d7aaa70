/*
 * migrations.h - the schema of the reports database, compiled in from the
 * numbered files of db/.  Migration N brings PRAGMA user_version from N-1
 * to N.  The reports migrations name the table @table@ and its index
 * @due_index@, replaced by the configured name when they run; they run
 * only on a reports file the program created (db.h).
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
