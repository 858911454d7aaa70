/*
 * json_cut.c - report_data's rows cut for SQLite (json_cut.h).
 */
#include <stdlib.h>
#include <string.h>

#include "json_cut.h"

/* The nesting followed; deeper, the text is read whole. */
#define CUT_DEPTH	64

/* JSON's white space from p on. */
static const char *
cut_space(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	return p;
}

/* The end of the string whose quote is at p, or NULL: the text ends. */
static const char *
cut_string(const char *p)
{
	for (p++; *p != '"'; p++)
		if (*p == '\0' || (*p == '\\' && *++p == '\0'))
			return NULL;
	return p + 1;
}

/*
 * The end of the value at p, or NULL: the text ends first, or nests
 * deeper than CUT_DEPTH.  Strings and brackets are followed; what is
 * between them, a number or a word, is left for SQLite to judge.
 */
static const char *
cut_value(const char *p)
{
	int depth = 0;

	if (*p != '"' && *p != '[' && *p != '{') {
		while (*p != '\0' && strchr(" \t\n\r,:[]{}\"", *p) == NULL)
			p++;
		return p;
	}
	do {
		if (*p == '"') {
			if ((p = cut_string(p)) == NULL)
				return NULL;
			continue;
		}
		if (*p == '\0')
			return NULL;
		if (*p == '[' || *p == '{') {
			if (++depth > CUT_DEPTH)
				return NULL;
		} else if (*p == ']' || *p == '}')
			depth--;
		p++;
	} while (depth > 0);
	return p;
}

int
json_cut_rows(const char *json, struct json_cut *c)
{
	const char *p = cut_space(json), *key, *v, *end;
	const char *at = NULL, *to = NULL;
	size_t head, tail;
	int rows;

	memset(c, 0, sizeof(*c));
	if (*p++ != '{')
		return 0;
	for (p = cut_space(p); *p != '}'; p = cut_space(p + 1)) {
		key = p;
		if (*key != '"' || (end = cut_string(key)) == NULL)
			return 0;
		rows = end - key == 6 && memcmp(key, "\"rows\"", 6) == 0;
		if (*(p = cut_space(end)) != ':')
			return 0;
		v = cut_space(p + 1);
		if ((end = cut_value(v)) == NULL || end == v)
			return 0;
		if (rows && at == NULL) {
			/* The first "rows": an array, or read whole (its
			 * brackets stay in top: SQLite judges them). */
			if (*v != '[')
				return 0;
			at = v + 1;
			to = end - 1;
		}
		if (*(p = cut_space(end)) != ',' && *p != '}')
			return 0;
		if (*p == '}')
			break;
	}
	if (at == NULL || *cut_space(p + 1) != '\0')
		return 0;
	head = (size_t)(at - json);
	tail = strlen(to);
	if ((c->top = malloc(head + tail + 1)) == NULL)
		return -1;
	memcpy(c->top, json, head);
	memcpy(c->top + head, to, tail + 1);
	c->rows_at = at;
	c->rows_end = to;
	return 0;
}

int
json_cut_piece(const struct json_cut *c, const char **at, size_t size,
    struct buf *piece)
{
	const char *start = *at, *p = start, *end = c->rows_end;
	int depth = 0;

	if (start == NULL)
		return 0;
	while (p < end) {
		if (*p == '"') {
			/* Whole, as json_cut_rows() saw it. */
			p = cut_string(p);
			continue;
		}
		if (*p == '[' || *p == '{')
			depth++;
		else if (*p == ']' || *p == '}')
			depth--;
		else if (*p == ',' && depth == 0 && (size_t)(p - start) >=
		    size && cut_space(p + 1) < end)
			break;
		p++;
	}
	*at = p < end ? p + 1 : NULL;
	buf_reset(piece);
	if (buf_putc(piece, '[') == -1 || buf_append(piece, start,
	    (size_t)(p - start)) == -1 || buf_putc(piece, ']') == -1)
		return -1;
	return 1;
}

void
json_cut_release(struct json_cut *c)
{
	free(c->top);
	c->top = NULL;
	c->rows_at = c->rows_end = NULL;
}
