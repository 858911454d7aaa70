/*
 * json_cut.h - report_data's "rows" cut out of its text, and cut again
 * into pieces of whole rows, so that SQLite's JSON functions, which copy
 * and parse all of the text they are given (SQLite 3.40: about 2.3 times
 * its size), are never given all of the rows at once (render_data.c).
 *
 * The cutting follows strings and brackets, no more: it judges nothing.
 * What it leaves out of one text it puts in another, and every byte
 * still goes through SQLite's parser: the rest of the object with
 * "rows": [] (its brackets kept), and each piece as "[" rows "]".  A
 * text it finds unusual (not an object, nesting deeper than 64, a
 * character JSON does not allow between two values, no "rows" array) is
 * not cut: SQLite reads it whole, as it is.
 */
#ifndef SENDREPORTS_JSON_CUT_H
#define SENDREPORTS_JSON_CUT_H

#include <stddef.h>

#include "buf.h"

struct json_cut {
	char		*top;		/* the text with "rows": [], or NULL:
					   not cut */
	const char	*rows_at;	/* the rows' contents in the text */
	const char	*rows_end;	/* (between the brackets), or NULL */
};

/*
 * Cuts the contents of the first "rows" key of the object json (keys as
 * SQLite's paths match them: the text as written) out into c, or leaves
 * c->top NULL when json is not to be cut.  0, or -1 out of memory.  json
 * must outlive c.
 */
int	json_cut_rows(const char *json, struct json_cut *c);

/*
 * The next piece of the rows, from *at (c->rows_at for the first), into
 * piece (emptied first), "[" rows "]": 1, or 0 when none is left (*at
 * NULL), -1 out of memory.  A piece ends at a comma between two rows once
 * it holds size bytes, never at a comma that nothing follows ("[1,2,]"
 * must stay invalid).
 */
int	json_cut_piece(const struct json_cut *c, const char **at,
	    size_t size, struct buf *piece);

/* Frees c->top; safe twice. */
void	json_cut_release(struct json_cut *c);

#endif
