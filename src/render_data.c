/*
 * render_data.c - report_data read for the fallback PDF (render_data.h).
 *
 * Each statement binds report_data as ?1 without copying it (the
 * caller's text outlives it) and is finalized before the next is
 * prepared, so that one of SQLite's copies and parses of report_data is
 * alive at a time.  Object keys are matched as SQLite's paths match them
 * (the key's text as written, the first of duplicates), so that the
 * statement over "$.rows" reads the "rows" the first one saw.
 *
 * Of several problems, the one named is the first in this order, that
 * of the drawing: the title and subtitle, the columns, the rows, the
 * parameters, the KPIs, the chart.
 *
 * The rows are read a piece at a time.  SQLite 3.40's JSON functions
 * copy and parse all of the text they are given, about 2.3 times its
 * size (the copy, then 16 bytes a value): for the 8 MB of a 100,000-row
 * table, more than the rest of the render together.  So when
 * report_data is an object whose "rows" is an array, the array's
 * contents are cut out (json_cut.h): SQLite reads the rest (l->top,
 * where "rows" is []) and then the rows DATA_PIECE bytes at a time, each
 * piece an array of its own cut between two rows.  Every byte still goes
 * through SQLite's parser, which judges each piece as it would have
 * judged the whole, and a piece that is not valid JSON makes report_data
 * invalid; a text json_cut.c finds unusual is read whole.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render_data.h"
#include "render_data_load.h"
#include "render_text.h"

static const struct {
	const char	*path;
	const char	*want;		/* the JSON types allowed */
	const char	*what;
} data_keys[KEY_COUNT] = {
	{ "$.title", "text", "text" },
	{ "$.subtitle", "text", "text" },
	{ "$.columns", "array", "an array" },
	{ "$.rows", "array", "an array" },
	{ "$.parameters", "object", "an object" },
	{ "$.kpis", "array", "an array" },
	{ "$.chart", "object", "an object" },
};

/* Records the problem; the first one wins.  Returns -1. */
int
data_fail(struct data_load *l, enum render_status s, const char *fmt, ...)
{
	va_list ap;
	char line[1024];

	if (l->status != RENDER_OK)
		return -1;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	buf_reset(l->err);
	buf_puts(l->err, line);
	l->status = s;
	return -1;
}

int
data_nomem(struct data_load *l)
{
	return data_fail(l, RENDER_NOMEM, "fallback PDF: out of memory");
}

/* Prepares sql with report_data as ?1; NULL with the error recorded. */
sqlite3_stmt *
data_prepare(struct data_load *l, const char *sql)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(l->db, sql, -1, &st, NULL) != SQLITE_OK) {
		data_fail(l, RENDER_NOMEM, "report_data: %s",
		    sqlite3_errmsg(l->db));
		sqlite3_finalize(st);
		return NULL;
	}
	sqlite3_bind_text(st, 1, l->top, -1, SQLITE_STATIC);
	return st;
}

/*
 * Steps st: 1 on a row, 0 at its end, -1 with the error recorded (a
 * failed step must not pass for the end: the table would be cut short
 * without a word).
 */
int
data_step(struct data_load *l, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	return data_fail(l, rc == SQLITE_NOMEM ? RENDER_NOMEM :
	    RENDER_DATAERR, "report_data: %s", sqlite3_errmsg(l->db));
}

/*
 * Appends the UTF-8 text s (NULL: empty) to b encoded for the fonts: at
 * most RENDER_TEXT_MAX bytes of it, then an ellipsis when it was longer.
 */
int
data_encode(struct data_load *l, struct buf *b, const char *s)
{
	int rc;

	if (s == NULL)
		return 0;
	rc = l->d->utf8 ? render_utf8(s, RENDER_TEXT_MAX, b) :
	    render_winansi(s, RENDER_TEXT_MAX, b);
	if (rc == 1)
		rc = buf_puts(b, l->d->utf8 ? "\xe2\x80\xa6" : "\x85");
	return rc == -1 ? data_nomem(l) : 0;
}

/* Adds s to d->strs (encoded, then a NUL) and points *out at it. */
int
data_str(struct data_load *l, const char *s, struct render_str *out)
{
	struct buf *b = &l->d->strs;

	out->off = b->len;
	if (data_encode(l, b, s) == -1 || buf_putc(b, '\0') == -1)
		return data_nomem(l);
	out->len = b->len - 1 - out->off;
	return 0;
}

/* Appends a pair of texts to *v (n pairs so far). */
static int
data_pair(struct data_load *l, struct render_str **v, size_t *n,
    const char *a, const char *b)
{
	struct render_str *nv;
	size_t cap = 8;

	/* Room for 8 pairs, then twice as many each time it is full:
	 * when n is 0 or a power of two from 8 on. */
	while (cap < *n + 1)
		cap *= 2;
	if (*n < 8 ? *n == 0 : (*n & (*n - 1)) == 0) {
		if ((nv = realloc(*v, 2 * cap * sizeof(*nv))) == NULL)
			return data_nomem(l);
		*v = nv;
	}
	if (data_str(l, a, &(*v)[2 * *n]) == -1 ||
	    data_str(l, b, &(*v)[2 * *n + 1]) == -1)
		return -1;
	(*n)++;
	return 0;
}

/* Checks that key is of the type it must be; 1 present, 0 absent. */
int
data_key(struct data_load *l, enum data_key k)
{
	const char *t = l->type[k];

	if (*t == '\0')
		return 0;
	if (strcmp(t, data_keys[k].want) == 0)
		return 1;
	return data_fail(l, RENDER_DATAERR, "report_data: \"%s\" must be %s, "
	    "not %s", data_keys[k].path + 2, data_keys[k].what, t);
}

/*
 * The top level: that report_data is a JSON object, the type of each key
 * it has, and the title and subtitle.
 */
static int
data_top(struct data_load *l, const char *fallback_title)
{
	sqlite3_stmt *st;
	const char *key, *type, *p;
	char *title = NULL, *subtitle = NULL, **text;
	unsigned seen = 0;
	int k, rc;

	if ((st = data_prepare(l, "SELECT fullkey, type, atom FROM "
	    "json_each(?1)")) == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		key = (const char *)sqlite3_column_text(st, 0);
		type = (const char *)sqlite3_column_text(st, 1);
		for (k = 0; k < KEY_COUNT; k++)
			if (key && strcmp(key, data_keys[k].path) == 0)
				break;
		/* The first of duplicate keys, as SQLite's paths read;
		 * null is as good as absent. */
		if (k == KEY_COUNT || (seen & 1u << k) || type == NULL)
			continue;
		seen |= 1u << k;
		if (strcmp(type, "null") == 0)
			continue;
		snprintf(l->type[k], sizeof(l->type[k]), "%s", type);
		text = k == KEY_TITLE ? &title : k == KEY_SUBTITLE ?
		    &subtitle : NULL;
		if (text && strcmp(type, "text") == 0 &&
		    ((p = (const char *)sqlite3_column_text(st, 2)) == NULL ||
		    (*text = strdup(p)) == NULL)) {
			rc = SQLITE_NOMEM;
			break;
		}
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_NOMEM)
		data_nomem(l);
	else if (rc != SQLITE_DONE || data_rows_valid(l) == 0)
		/* json_each() refuses what json_valid() would. */
		data_fail(l, RENDER_DATAERR, "report_data is not a JSON "
		    "object: it is not valid JSON, or nests arrays and objects "
		    "deeper than SQLite reads");
	if (l->status == RENDER_OK) {
		/* Valid JSON: its first character says what it is. */
		for (p = l->json; *p == ' ' || (*p >= '\t' && *p <= '\r');
		    p++)
			;
		if (*p != '{')
			data_fail(l, RENDER_DATAERR, "report_data is not a "
			    "JSON object");
	}
	if (l->status == RENDER_OK && data_key(l, KEY_TITLE) >= 0 &&
	    data_key(l, KEY_SUBTITLE) >= 0) {
		if (title == NULL)
			title = strdup(fallback_title && *fallback_title ?
			    fallback_title : "Report");
		if (title == NULL)
			data_nomem(l);
		else if (data_str(l, title, &l->d->title) == 0 && subtitle)
			data_str(l, subtitle, &l->d->subtitle);
	}
	free(title);
	free(subtitle);
	return l->status == RENDER_OK ? 0 : -1;
}

/* The header: at most RENDER_TABLE_MAX_COLS names, counted first. */
static int
data_columns(struct data_load *l)
{
	struct render_data *d = l->d;
	sqlite3_stmt *st;
	size_t n = 0;
	int rc;

	if ((rc = data_key(l, KEY_COLUMNS)) < 0 || data_key(l, KEY_ROWS) < 0)
		return -1;
	memset(d->numeric, 1, sizeof(d->numeric));
	if (rc == 0)
		return 0;
	if ((st = data_prepare(l, "SELECT value FROM "
	    "json_each(?1, '$.columns')")) == NULL)
		return -1;
	while ((rc = data_step(l, st)) == 1) {
		if (n < RENDER_TABLE_MAX_COLS && data_str(l,
		    (const char *)sqlite3_column_text(st, 0), &d->names[n]) ==
		    -1)
			break;
		n++;
	}
	sqlite3_finalize(st);
	if (l->status != RENDER_OK)
		return -1;
	if (n > RENDER_TABLE_MAX_COLS)
		return data_fail(l, RENDER_DATAERR, "report_data: the table "
		    "has %zu columns, but at most %d fit across a page", n,
		    RENDER_TABLE_MAX_COLS);
	d->nnames = d->ncols = n;
	return 0;
}

/*
 * What the chart asks for, read before the rows so that they give their
 * bars as they go by; judged in data_chart(), where its problems come in
 * their turn.
 */
static int
data_chart_spec(struct data_load *l)
{
	sqlite3_stmt *st;
	const char *t;
	int i, c;

	l->chart_col[0] = l->chart_col[1] = -1;
	if (strcmp(l->type[KEY_CHART], "object") != 0)
		return 0;
	/* One statement: SQLite parses report_data once for it. */
	if ((st = data_prepare(l, "SELECT json_extract(?1, '$.chart.type') = "
	    "'bar', json_type(?1, '$.chart.label_column'), "
	    "json_extract(?1, '$.chart.label_column'), "
	    "json_type(?1, '$.chart.value_column'), "
	    "json_extract(?1, '$.chart.value_column')")) == NULL)
		return -1;
	if (data_step(l, st) == 1) {
		l->chart_bar = sqlite3_column_int(st, 0);
		for (i = 0; i < 2; i++) {
			c = 1 + 2 * i;
			t = (const char *)sqlite3_column_text(st, c);
			snprintf(l->chart_type[i], sizeof(l->chart_type[i]),
			    "%s", t ? t : "");
			t = (const char *)sqlite3_column_text(st, c + 1);
			snprintf(l->chart_text[i], sizeof(l->chart_text[i]),
			    "%s", t ? t : "");
			/* An integer past 64 bits is a real here. */
			if (strcmp(l->chart_type[i], "integer") == 0 &&
			    sqlite3_column_type(st, c + 1) == SQLITE_INTEGER &&
			    sqlite3_column_int64(st, c + 1) >= 0 &&
			    sqlite3_column_int64(st, c + 1) <
			    RENDER_TABLE_MAX_COLS)
				l->chart_col[i] = (long)sqlite3_column_int64(st,
				    c + 1);
		}
	}
	sqlite3_finalize(st);
	return l->status == RENDER_OK ? 0 : -1;
}

/* "Name: value" pairs of the parameters object. */
static int
data_parameters(struct data_load *l)
{
	sqlite3_stmt *st;
	struct buf key;
	const char *k;
	int rc;

	if ((rc = data_key(l, KEY_PARAMETERS)) <= 0)
		return rc;
	if ((st = data_prepare(l, "SELECT key, value FROM "
	    "json_each(?1, '$.parameters')")) == NULL)
		return -1;
	buf_init(&key, RENDER_TEXT_MAX + 8);
	while ((rc = data_step(l, st)) == 1) {
		/* The name with its colon: cut, the colon stays. */
		k = (const char *)sqlite3_column_text(st, 0);
		buf_reset(&key);
		if (buf_printf(&key, "%.*s:", (int)strnlen(k ? k : "",
		    RENDER_TEXT_MAX), k ? k : "") == -1 ||
		    data_pair(l, &l->d->params, &l->d->nparams, key.data,
		    (const char *)sqlite3_column_text(st, 1)) == -1)
			break;
	}
	buf_release(&key);
	sqlite3_finalize(st);
	return l->status == RENDER_OK ? 0 : -1;
}

/* The KPIs, each an object with a label and a value. */
static int
data_kpis(struct data_load *l)
{
	sqlite3_stmt *st;
	long long i = 0;
	int rc;

	if ((rc = data_key(l, KEY_KPIS)) <= 0)
		return rc;
	if ((st = data_prepare(l, "SELECT type = 'object', CASE WHEN type = "
	    "'object' THEN json_extract(value, '$.label') END, CASE WHEN "
	    "type = 'object' THEN json_extract(value, '$.value') END FROM "
	    "json_each(?1, '$.kpis')")) == NULL)
		return -1;
	while ((rc = data_step(l, st)) == 1) {
		if (!sqlite3_column_int(st, 0)) {
			data_fail(l, RENDER_DATAERR, "report_data: "
			    "\"kpis\"[%lld] must be an object with \"label\" "
			    "and \"value\"", i);
			break;
		}
		if (data_pair(l, &l->d->kpis, &l->d->nkpis, (const char *)
		    sqlite3_column_text(st, 1), (const char *)
		    sqlite3_column_text(st, 2)) == -1)
			break;
		i++;
	}
	sqlite3_finalize(st);
	return l->status == RENDER_OK ? 0 : -1;
}

/* chart.<key> (i: 0 label, 1 value) as a column: 0, or -1. */
static int
data_chart_column(struct data_load *l, int i, const char *key)
{
	const char *type = l->chart_type[i], *v = l->chart_text[i];
	char *end;
	long c;

	if (*type == '\0')
		return data_fail(l, RENDER_DATAERR, "report_data: \"chart\" "
		    "needs \"%s\"", key);
	if (strcmp(type, "integer") != 0)
		return data_fail(l, RENDER_DATAERR, "report_data: "
		    "\"chart\".\"%s\" must be a column number, not %s", key,
		    type);
	/* An integer past 64 bits comes back from SQLite as a real
	 * ("1.0e+20"): not a column either. */
	errno = 0;
	c = strtol(v, &end, 10);
	if (errno || *end != '\0' || c < 0 || (size_t)c >= l->d->ncols)
		return data_fail(l, RENDER_DATAERR, "report_data: "
		    "\"chart\".\"%s\" is %.40s, but the table has %zu columns",
		    key, v, l->d->ncols);
	return 0;
}

/* The chart: a bar chart of two columns, each bar a finite number. */
static int
data_chart(struct data_load *l)
{
	struct render_data *d = l->d;
	struct render_str s = { 0, 0 };
	struct buf title;
	size_t i;
	int rc;

	if ((rc = data_key(l, KEY_CHART)) <= 0) {
		d->nbars = 0;
		return rc;
	}
	if (!l->chart_bar)
		return data_fail(l, RENDER_DATAERR, "report_data: "
		    "\"chart\".\"type\" must be \"bar\"");
	if (data_chart_column(l, 0, "label_column") == -1 ||
	    data_chart_column(l, 1, "value_column") == -1)
		return -1;
	/* 1e999 is valid JSON, and SQLite reads it as infinity: no bar
	 * has that height. */
	for (i = 0; i < d->nbars; i++)
		if (!isfinite(d->bar_value[i]))
			return data_fail(l, RENDER_DATAERR, "report_data: the "
			    "chart value in \"rows\"[%zu] is not a finite "
			    "number", i);
	/* Its title: the value column's name, copied first (d->strs may
	 * move as it grows). */
	if ((size_t)l->chart_col[1] < d->nnames)
		s = d->names[l->chart_col[1]];
	buf_init(&title, RENDER_TEXT_MAX + 32);
	if (buf_append(&title, d->strs.data + s.off, s.len) == 0 &&
	    buf_puts(&title, (size_t)d->nrows > d->nbars ? " (first rows)" :
	    "") == 0) {
		d->bar_title.off = d->strs.len;
		d->bar_title.len = title.len;
		rc = buf_append(&d->strs, title.data, title.len + 1);
	} else
		rc = -1;
	buf_release(&title);
	return rc == -1 ? data_nomem(l) : 0;
}

enum render_status
render_data_load(struct render_data *d, sqlite3 *db, const char *json,
    const char *fallback_title, int utf8, struct buf *err)
{
	struct data_load l;

	memset(d, 0, sizeof(*d));
	d->utf8 = utf8;
	/* Outside input, though never four times the JSON it comes from
	 * (a cell of two bytes, "1e9,", is at most 15 here), or a few KiB:
	 * caps that are never reached. */
	buf_init(&d->strs, 8 * strlen(json) + (1 << 16));
	d->rows_max = 8 * strlen(json) + (1 << 16);
	memset(&l, 0, sizeof(l));
	l.d = d;
	l.db = db;
	l.json = json;
	l.top = json;
	l.err = err;
	/* A piece is DATA_PIECE bytes and a row: at most the rows. */
	buf_init(&l.piece, strlen(json) + 2);
	/* The empty text, where every render_str starts. */
	if (buf_putc(&d->strs, '\0') == -1) {
		data_nomem(&l);
		return l.status;
	}
	if (data_split(&l) == 0 && data_top(&l, fallback_title) == 0 &&
	    data_columns(&l) == 0 && data_chart_spec(&l) == 0 &&
	    data_rows(&l) == 0 && data_parameters(&l) == 0 &&
	    data_kpis(&l) == 0)
		data_chart(&l);
	json_cut_release(&l.cut);
	buf_release(&l.piece);
	return l.status;
}

void
render_data_release(struct render_data *d)
{
	size_t i;

	buf_release(&d->strs);
	for (i = 0; i < d->nblocks; i++)
		buf_release(&d->blocks[i]);
	free(d->blocks);
	d->blocks = NULL;
	d->nblocks = 0;
	free(d->params);
	free(d->kpis);
	d->params = d->kpis = NULL;
	d->nparams = d->nkpis = 0;
}

const char *
render_data_str(const struct render_data *d, struct render_str s)
{
	return d->strs.data + s.off;
}

