/*
 * cmd_render.c - `sendreports render ID [-o FILE]`: writes the fallback
 * PDF of report ID (default report-ID.pdf) from its report_data, without
 * sending or marking anything.  Exit 65 for bad data, 66 for no such
 * report, 73 when the file cannot be written or is not one to replace
 * (a directory, a symbolic link, a FIFO); a device such as /dev/null is
 * written in place.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app.h"
#include "db.h"
#include "exitcode.h"
#include "log.h"
#include "render.h"
#include "report.h"

int
cmd_render(struct app *app, int argc, char **argv)
{
	struct render_options ro;
	struct report r;
	struct buf err;
	struct db db = { 0 };
	char defname[64], *end;
	const char *out = NULL, *arg = NULL;
	enum db_status s;
	long long id;
	int i, rc = EXIT_OK;

	/* By hand: "render 7 -o x.pdf" puts the option after the operand,
	 * which musl's getopt (no permutation) would not see. */
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-o") == 0 || strcmp(argv[i],
		    "--output") == 0) {
			if (++i == argc)
				goto usage;
			out = argv[i];
		} else if (strncmp(argv[i], "--output=", 9) == 0)
			out = argv[i] + 9;
		else if (arg == NULL && argv[i][0] != '-')
			arg = argv[i];
		else
			goto usage;
	}
	if (arg == NULL)
		goto usage;
	id = strtoll(arg, &end, 10);
	if (*arg == '\0' || *end != '\0' || id <= 0) {
		log_warnx("render: \"%s\" is not a report id", arg);
		return EXIT_USAGE;
	}
	if (out == NULL) {
		snprintf(defname, sizeof(defname), "report-%lld.pdf", id);
		out = defname;
	}
	buf_init(&err, 4096);
	memset(&r, 0, sizeof(r));
	if ((s = db_open(&db, &app->conf, DB_READONLY, &err)) != DB_OK ||
	    (s = report_load(&db, id, 1, &r, &err)) != DB_OK) {
		if (s == DB_NOTFOUND && db.h)
			log_warnx("render: no report %lld", id);
		else
			log_warnx("%s", err.data);
		rc = app_exit_for_db(s);
		goto out;
	}
	if (!r.has_data) {
		log_warnx("render: report %lld has no report_data", id);
		rc = EXIT_DATAERR;
		goto out;
	}
	memset(&ro, 0, sizeof(ro));
	ro.title = r.title;
	ro.timezone = r.timezone && *r.timezone ? r.timezone :
	    app->conf.timezone;
	ro.now = time(NULL);
	ro.font_path = app->conf.font;
	ro.max_pages = app->conf.max_pages;
	switch (render_report(db.h, &r.report_data, &ro, out, &err)) {
	case RENDER_OK:
		log_info("render: report %lld written to %s", id, out);
		break;
	case RENDER_DATAERR:
		log_warnx("report %lld: %s", id, err.data);
		rc = EXIT_DATAERR;
		break;
	case RENDER_IOERR:
		log_warnx("report %lld: %s", id, err.data);
		rc = EXIT_CANTCREAT;
		break;
	case RENDER_NOMEM:
		log_warnx("report %lld: %s", id, err.data);
		rc = EXIT_OSERR;
		break;
	}
out:
	report_release(&r);
	db_close(&db);
	buf_release(&err);
	return rc;
usage:
	fprintf(stderr, "usage: sendreports render ID [-o FILE]\n");
	return EXIT_USAGE;
}
