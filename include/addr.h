/*
 * addr.h - e-mail address lists as the reports database stores them.
 *
 * A list is comma-separated; each item is one of
 *	a@b.example
 *	Name <a@b.example>
 *	"Last, First" <a@b.example>
 *	Zoë Ñandú <z@x.fr>		(display names are UTF-8)
 * What is accepted, and why:
 *   - No control character anywhere (CR, LF, NUL can never reach a
 *     header); a tab counts as a space.  Whitespace around items and a
 *     trailing or doubled comma are tolerated; a list with no address at
 *     all is an error ("no recipient").
 *   - The mailbox is ASCII (no SMTPUTF8): the local part a dot-atom or a
 *     quoted string, the domain a dot-atom of letter-digit-hyphen labels
 *     with at least one dot, or an address literal [192.0.2.1] or
 *     [IPv6:...].  A single-label domain (a@localhost, bob@gmail) is
 *     refused: the mail leaves through a smarthost, where such a name is
 *     almost always a typo that would only bounce hours later.
 *   - Lengths per RFC 5321: local part <= 64, domain <= 255, address
 *     <= 254 octets; display names <= 256 octets of valid UTF-8.
 *   - Comments "(...)", groups "x: a@b;" and source routes are not
 *     supported.  An unquoted display name may hold any character but
 *     '"', '<' and '>'; runs of whitespace in it become one space.
 * Output is ASCII mailboxes and UTF-8 display names, unquoted: the MIME
 * writer (mime.h) quotes or encodes them again.
 */
#ifndef SENDREPORTS_ADDR_H
#define SENDREPORTS_ADDR_H

#include <stddef.h>

struct buf;

struct addr {
	char	*display;	/* UTF-8 display name, unquoted, or NULL */
	char	*mailbox;	/* local@domain, ASCII, never NULL */
};

/* Start one as { NULL, 0 }; the list owns every string in it. */
struct addr_list {
	struct addr	*v;
	size_t		 n;
};

#define ADDR_LOCAL_MAX		64
#define ADDR_DOMAIN_MAX		255
#define ADDR_MAILBOX_MAX	254
#define ADDR_DISPLAY_MAX	256

/*
 * Parses the comma-separated list text and appends its addresses to out,
 * so that To, Cc and Bcc can be gathered into one list.  Returns 0, or -1
 * with out unchanged and err replaced by a one-line reason that quotes
 * the bad item with control characters escaped, e.g.
 *	bad address "foo@": no domain
 *	no recipient
 * errno is EINVAL for a refused list, ENOMEM when memory ran out.  The
 * caller releases out with addr_list_release() either way.
 */
int	addr_list_parse(struct addr_list *out, const char *text,
	    struct buf *err);

/* Frees every address and leaves { NULL, 0 }; safe to call twice. */
void	addr_list_release(struct addr_list *l);

#endif
