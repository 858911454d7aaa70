/*
 * help.c - the help of each command (help.h), kept beside the README's
 * table of commands: the same words, with every option each command's
 * parser takes.  A test compares the options named here with the ones the
 * commands accept.
 */
#include <string.h>

#include "help.h"

#define TIME_HELP \
	"TIME is YYYY-MM-DD HH:MM[:SS] in [mail] timezone, or ISO 8601 with\n" \
	"Z or an offset (2026-11-23T08:00:00Z); --now replaces the clock\n" \
	"for one run (replays, tests) and never moves the clock guard's mark.\n"

struct help {
	const char	*command;
	const char	*text;
};

static const struct help helps[] = {
	{ "send",
	  "usage: sendreports send [--dry-run] [--now TIME] [--json]\n\n"
	  "Spools one message for every due report (scheduled_at <= now,\n"
	  "sent = 0) and marks it sent = 1; a report that cannot become a\n"
	  "message is given up with last_error.  Exit 0; 65 when a report\n"
	  "was given up; 75 when something is left for the next run.\n\n"
	  "  --dry-run     print what would happen, one line per due report;\n"
	  "                write nothing at all\n"
	  "  --now TIME    the run's clock instead of the real one\n"
	  "  --json        one JSON object: counts and each report's outcome\n"
	  "\n" TIME_HELP },
	{ "flush",
	  "usage: sendreports flush [--now TIME] [--max N] [--force]\n"
	  "                         [--id NAME] [--json]\n\n"
	  "Delivers the queued messages that are due for a try, over one SMTP\n"
	  "connection ([smtp] of the configuration).  Exit 0; 75 when the\n"
	  "server cannot be reached (the queue pauses); 78 for TLS or\n"
	  "authentication failures.\n\n"
	  "  --now TIME    the run's clock instead of the real one\n"
	  "  --max N       try at most N messages\n"
	  "  --force       ignore backoff and a paused queue (the network-up\n"
	  "                hook runs this)\n"
	  "  --id NAME     try only message NAME (sendreports queue lists the\n"
	  "                names), now: its backoff and the pause ignored\n"
	  "  --json        one JSON object: counts and each message's outcome\n"
	  "\n" TIME_HELP },
	{ "tick",
	  "usage: sendreports tick [--now TIME]\n\n"
	  "send, then flush: the line for cron, every minute.\n\n"
	  "  --now TIME    the run's clock instead of the real one\n"
	  "\n" TIME_HELP },
	{ "daemon",
	  "usage: sendreports daemon [--interval SECONDS] [--pidfile FILE]\n"
	  "                          [--background]\n\n"
	  "The tick loop as a service: a tick at each multiple of the interval,\n"
	  "sooner when a report falls due or a message is up for a retry.\n"
	  "SIGUSR1 flushes at once, SIGHUP rereads the configuration, SIGTERM\n"
	  "finishes the report or message in hand and exits 0.\n\n"
	  "  --interval SECONDS  between ticks (default 60: every minute at :00)\n"
	  "  --pidfile FILE      written and locked for the daemon's life\n"
	  "  --background        detach; return once the daemon runs\n" },
	{ "queue",
	  "usage: sendreports queue [--json]\n"
	  "       sendreports queue show NAME\n"
	  "       sendreports queue hold | release | delete | requeue NAME...\n"
	  "\n"
	  "The spool, like mailq: one line per queued or failed message, tab-\n"
	  "separated: spool name, report id, recipients, size, state (queued,\n"
	  "deferred, held, failed), attempts, next try, last error or reply;\n"
	  "a last line when the queue is paused, until when and why.\n\n"
	  "  --json        one JSON array, one object per message\n\n"
	  "On one message, named by its spool name (each action in the run\n"
	  "log, none on a message a flush is delivering):\n"
	  "  show NAME     its envelope, delivery state or reason, headers\n"
	  "  hold          keep it from flush until released\n"
	  "  release       back in the queue, tried by the next flush\n"
	  "  delete        remove it, queued or failed: never sent; its\n"
	  "                report stays sent\n"
	  "  requeue       a failed message back in the queue, its attempts\n"
	  "                reset\n" },
	{ "status",
	  "usage: sendreports status [--json]\n\n"
	  "Health for monitoring: key: value lines, then one problem a line\n"
	  "with what to do.  Exit 0 healthy, 1 not.  Runs even when the\n"
	  "configuration does not load, and changes nothing.\n\n"
	  "  --json        one JSON object, with the problems' codes and fixes\n" },
	{ "clock",
	  "usage: sendreports clock [--reset] [--json]\n\n"
	  "What the clock guard knows: the time, the release date, the\n"
	  "high-water mark and who recorded it, and whether sends are allowed\n"
	  "or held (and why, and the fix).\n\n"
	  "  --reset       forget the high-water mark (a clock once in the\n"
	  "                future); the next real run records a new one\n"
	  "  --json        one JSON object\n" },
	{ "render",
	  "usage: sendreports render ID [-o FILE]\n\n"
	  "Writes the fallback PDF of report ID from its report_data, without\n"
	  "sending or marking anything.\n\n"
	  "  -o, --output FILE  where to write it (default report-ID.pdf)\n" },
	{ "list",
	  "usage: sendreports list [--json] [--pending | --sent | --failed |\n"
	  "                        --log]\n\n"
	  "The reports and their state, tab-separated: id, state (pending,\n"
	  "sent, failed), scheduled time, title, recipients, last_error.\n\n"
	  "  --pending     only the reports not sent yet\n"
	  "  --sent        only the reports sent\n"
	  "  --failed      only the reports given up or refused\n"
	  "  --log         the run log instead: every occurrence handled\n"
	  "  --json        one JSON object\n" },
	{ "schedule",
	  "usage: sendreports schedule --to ADDRS --at TIME [--title T]\n"
	  "           [--subject S] [--body TEXT] [--cc ADDRS] [--bcc ADDRS]\n"
	  "           [--pdf FILE] [--data FILE|-] [--every CRON] [--tz ZONE]\n"
	  "\n"
	  "Adds a report to the local database and prints its id.\n\n"
	  "  --to ADDRS      the recipients, comma-separated\n"
	  "  --at TIME       when it is due (in --tz when given)\n"
	  "  --title T       the title (the subject and the file name)\n"
	  "  --subject S     the subject, when not the title\n"
	  "  --body TEXT     the text of the message ([mail] default_body)\n"
	  "  --cc ADDRS      copies\n"
	  "  --bcc ADDRS     blind copies: in the envelope only\n"
	  "  --pdf FILE      a PDF to attach, stored under the PDF directory\n"
	  "  --data FILE|-   report_data (JSON) for the fallback PDF\n"
	  "  --every CRON    recurring: a five-field cron schedule\n"
	  "  --tz ZONE       the report's time zone (its TIMEs and --every)\n" },
	{ "initdb",
	  "usage: sendreports initdb [--owner USER[:GROUP]] [--create-table]\n"
	  "\n"
	  "Makes the box ready: the database's directory, the spool (0700) and\n"
	  "the PDF directory with their missing parents, the reports database\n"
	  "(in a new or empty file) and the spool's state.db, migrated; an\n"
	  "existing spool made private again.\n\n"
	  "  --owner USER[:GROUP]  give what it makes to USER (as root)\n"
	  "  --create-table        add the reports table to a database that\n"
	  "                        holds other tables (never done unasked)\n" },
	{ "sendmail",
	  "usage: sendreports sendmail [-t] [-i] [-f ADDR] [-F NAME] [RCPT...]"
	  " < MESSAGE\n"
	  "       sendmail ... (the same, through a link named sendmail;\n"
	  "       -C FILE names the configuration); mailq (sendreports queue)\n"
	  "\n"
	  "Queues a message from standard input in the spool, for flush to\n"
	  "deliver with the reports: what cron, logwatch and mail(1) hand to\n"
	  "sendmail.  Checked before it is queued: lines of at most 998\n"
	  "characters, no NUL, every recipient an address.  A message without\n"
	  "From, Date or Message-ID gets them.  Exit 0 once it is durable.\n\n"
	  "  -t            take the recipients from To, Cc and Bcc (added to\n"
	  "                those given), and remove Bcc\n"
	  "  -i, -oi       a line of a single dot does not end the message\n"
	  "  -f ADDR       the envelope sender (default: [mail] from's address)\n"
	  "  -F NAME       the name of the From added to a message without one\n"
	  "  -bp           list the queue, as mailq\n"
	  "Other -o, -B, -N, -R, -V options are accepted and ignored; -bs is\n"
	  "refused.\n" },
	{ "check",
	  "usage: sendreports check [--smtp]\n\n"
	  "Validates the configuration, the database, the directories and\n"
	  "their permissions, one ok or FAIL line each, with the fix.  Exit 0,\n"
	  "or 78 when something fails.\n\n"
	  "  --smtp        also connect as flush would, and list what the server\n"
	  "                offers\n" },
};

int
help_print(FILE *fp, const char *command)
{
	size_t i;

	for (i = 0; i < sizeof(helps) / sizeof(helps[0]); i++)
		if (strcmp(helps[i].command, command) == 0) {
			fputs(helps[i].text, fp);
			return 0;
		}
	return -1;
}
