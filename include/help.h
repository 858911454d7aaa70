/*
 * help.h - the help of each command: `sendreports COMMAND --help` and
 * `sendreports help COMMAND` print it, what the README's table of
 * commands says, with every option.
 */
#ifndef SENDREPORTS_HELP_H
#define SENDREPORTS_HELP_H

#include <stdio.h>

/*
 * Prints the help of `command` on fp: its usage line(s), what it does,
 * its options, one a line.  0, or -1 when no command has that name.
 */
int	help_print(FILE *fp, const char *command);

#endif
