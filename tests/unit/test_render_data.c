/*
 * test_render_data.c - report_data read for the fallback PDF: the texts
 * kept, the cells and their kinds, the chart's bars, and the problems
 * named.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "render_data.h"
#include "render_text.h"

static sqlite3 *db;

static int
setup(void **state)
{
	(void)state;
	return sqlite3_open(":memory:", &db) == SQLITE_OK ? 0 : -1;
}

static int
teardown(void **state)
{
	(void)state;
	sqlite3_close(db);
	return 0;
}

/* Loads json (WinAnsi unless utf8); fails the test unless it loads. */
static void
load(struct render_data *d, const char *json, int utf8)
{
	struct buf err;

	buf_init(&err, 4096);
	if (render_data_load(d, db, json, "Titre", utf8, &err) != RENDER_OK)
		fail_msg("%s: %s", json, err.data);
	buf_release(&err);
}

static void
expect_str(const struct render_data *d, struct render_str s,
    const char *want)
{
	assert_int_equal(s.len, strlen(want));
	assert_string_equal(render_data_str(d, s), want);
}

static void
test_render_data_cells_kept_with_their_kind(void **state)
{
	struct render_data d;
	struct render_cell c[RENDER_TABLE_MAX_COLS];
	struct render_row_at off = { 0, 0 };

	(void)state;
	load(&d, "{\"columns\": [\"N\xc2\xb0\", \"Libell\xc3\xa9\"], "
	    "\"rows\": [[1, \"caf\xc3\xa9\"], [null, 2.5, true], [], "
	    "[1e999, [2, {\"a\": 3}]]]}", 0);
	assert_int_equal(d.nnames, 2);
	assert_int_equal(d.ncols, 3);		/* a row is longer */
	assert_int_equal(d.nrows, 4);
	expect_str(&d, d.names[0], "N\xb0");
	expect_str(&d, d.title, "Titre");
	assert_int_equal(render_data_row(&d, &off, c), 2);
	assert_int_equal(c[0].kind, RENDER_CELL_NUMBER);
	assert_int_equal(c[1].kind, RENDER_CELL_TEXT);
	assert_int_equal(c[1].len, 4);
	assert_memory_equal(c[1].text, "caf\xe9", 4);
	assert_int_equal(render_data_row(&d, &off, c), 3);
	assert_int_equal(c[0].kind, RENDER_CELL_NULL);
	assert_int_equal(c[0].len, 0);
	assert_int_equal(c[1].len, 3);
	assert_memory_equal(c[1].text, "2.5", 3);
	assert_int_equal(c[2].kind, RENDER_CELL_TEXT);	/* true: "1" */
	assert_int_equal(render_data_row(&d, &off, c), 0);
	/* As SQLite reads them: infinity, and an array's JSON. */
	assert_int_equal(render_data_row(&d, &off, c), 2);
	assert_int_equal(c[0].len, 3);
	assert_memory_equal(c[0].text, "Inf", 3);
	assert_int_equal(c[1].len, strlen("[2,{\"a\":3}]"));
	assert_memory_equal(c[1].text, "[2,{\"a\":3}]", c[1].len);
	assert_int_equal(d.nblocks, 1);
	assert_int_equal(off.block, 0);
	assert_int_equal(off.off, d.blocks[0].len);
	/* Numbers or nulls only: right-aligned; a text, or true, not. */
	assert_true(d.numeric[0]);
	assert_false(d.numeric[1]);
	assert_false(d.numeric[2]);
	render_data_release(&d);
	render_data_release(&d);
}

static void
test_render_data_texts_encoded_and_cut(void **state)
{
	static char json[3 * RENDER_TEXT_MAX];
	struct render_data d;
	size_t i, n;

	(void)state;
	load(&d, "{\"title\": \"Th\xc3\xa9\", \"subtitle\": \"\xce\xa9\", "
	    "\"parameters\": {\"R\xc3\xa9gion\": \"Rh\xc3\xb4ne\", "
	    "\"n\": null}, "
	    "\"kpis\": [{\"label\": \"CA\", \"value\": 12}]}", 0);
	expect_str(&d, d.title, "Th\xe9");
	expect_str(&d, d.subtitle, "?");
	assert_int_equal(d.nparams, 2);
	expect_str(&d, d.params[0], "R\xe9gion:");
	expect_str(&d, d.params[1], "Rh\xf4ne");
	expect_str(&d, d.params[3], "");
	assert_int_equal(d.nkpis, 1);
	expect_str(&d, d.kpis[1], "12");
	render_data_release(&d);

	load(&d, "{\"title\": \"Th\xc3\xa9\"}", 1);
	expect_str(&d, d.title, "Th\xc3\xa9");
	render_data_release(&d);

	/* Past RENDER_TEXT_MAX: cut there, then the ellipsis. */
	n = (size_t)snprintf(json, sizeof(json), "{\"title\": \"");
	for (i = 0; i < RENDER_TEXT_MAX + 10; i++)
		json[n++] = 'x';
	memcpy(json + n, "\"}", 3);
	load(&d, json, 0);
	assert_int_equal(d.title.len, RENDER_TEXT_MAX + 1);
	assert_int_equal(render_data_str(&d, d.title)[RENDER_TEXT_MAX],
	    '\x85');
	render_data_release(&d);
}

static void
test_render_data_first_of_duplicate_keys(void **state)
{
	struct render_data d;

	(void)state;
	/* As SQLite's paths read them: the first, null or not. */
	load(&d, "{\"title\": \"a\", \"title\": \"b\", \"rows\": [[1]], "
	    "\"rows\": 3}", 0);
	expect_str(&d, d.title, "a");
	assert_int_equal(d.nrows, 1);
	render_data_release(&d);
	load(&d, "{\"title\": null, \"title\": \"b\"}", 0);
	expect_str(&d, d.title, "Titre");
	render_data_release(&d);
	/* A key written with an escape is another key to SQLite's paths. */
	load(&d, "{\"ti\\u0074le\": \"b\"}", 0);
	expect_str(&d, d.title, "Titre");
	render_data_release(&d);
}

static void
test_render_data_chart_bars_of_the_first_rows(void **state)
{
	static char json[8192];
	struct render_data d;
	size_t n, i;

	(void)state;
	n = (size_t)snprintf(json, sizeof(json), "{\"chart\": {\"type\": "
	    "\"bar\", \"label_column\": 0, \"value_column\": 1}, "
	    "\"columns\": [\"Mois\", \"Montant\"], \"rows\": [");
	for (i = 0; i < 30; i++)
		n += (size_t)snprintf(json + n, sizeof(json) - n,
		    "%s[\"m%zu\", %zu.5]", i ? ", " : "", i, i);
	snprintf(json + n, sizeof(json) - n, ", [\"short\"]]}");
	load(&d, json, 0);
	assert_int_equal(d.nbars, RENDER_CHART_MAX_BARS);
	expect_str(&d, d.bar_label[3], "m3");
	assert_true(d.bar_value[3] == 3.5);
	expect_str(&d, d.bar_title, "Montant (first rows)");
	render_data_release(&d);

	load(&d, "{\"chart\": {\"type\": \"bar\", \"label_column\": 0, "
	    "\"value_column\": 1}, \"rows\": [[\"a\", 2], [\"b\"], "
	    "[\"c\", \"x\"]]}", 0);
	assert_int_equal(d.nbars, 3);
	assert_true(d.bar_value[0] == 2);
	assert_true(d.bar_value[1] == 0);	/* missing */
	assert_true(d.bar_value[2] == 0);	/* not a number */
	expect_str(&d, d.bar_title, "");
	render_data_release(&d);

	/* A long name: the title is copied from texts that move as they
	 * grow (found by fuzz_render). */
	n = (size_t)snprintf(json, sizeof(json), "{\"columns\": [\"a\", \"");
	for (i = 0; i < 3000; i++)
		json[n++] = 'x';
	snprintf(json + n, sizeof(json) - n, "\"], \"rows\": [[\"a\", 1]], "
	    "\"chart\": {\"type\": \"bar\", \"label_column\": 0, "
	    "\"value_column\": 1}}");
	load(&d, json, 0);
	assert_int_equal(d.bar_title.len, 3000);
	assert_int_equal(d.names[1].len, 3000);
	assert_memory_equal(render_data_str(&d, d.bar_title),
	    render_data_str(&d, d.names[1]), 3000);
	render_data_release(&d);
}

static const struct {
	const char	*json;
	const char	*err;
} bad[] = {
	{ "{oops", "report_data is not a JSON object: it is not valid" },
	{ "", "report_data is not a JSON object: it is not valid" },
	{ "[1, 2]", "report_data is not a JSON object" },
	{ "[]", "report_data is not a JSON object" },
	{ " 3 ", "report_data is not a JSON object" },
	{ "{\"title\": 42}", "\"title\" must be text, not integer" },
	{ "{\"subtitle\": []}", "\"subtitle\" must be text, not array" },
	{ "{\"rows\": 3}", "\"rows\" must be an array, not integer" },
	{ "{\"columns\": {}}", "\"columns\" must be an array, not object" },
	{ "{\"rows\": [[1], \"x\"]}", "\"rows\"[1] must be an array, not "
	    "text" },
	{ "{\"rows\": [{\"a\": 1}]}", "\"rows\"[0] must be an array, not "
	    "object" },
	{ "{\"rows\": [[0,1,2,3,4,5,6,7,8,9,0,1,2,3,4,5,6,7,8,9,0,1,2,3,4,"
	    "5,6,7,8,9,0,1,2,3,4,5]]}", "\"rows\"[0] has more than 35 cells" },
	{ "{\"parameters\": [1]}", "\"parameters\" must be an object, not "
	    "array" },
	{ "{\"kpis\": [{\"label\": 1}, 2]}", "\"kpis\"[1] must be an object" },
	{ "{\"chart\": 1}", "\"chart\" must be an object, not integer" },
	{ "{\"rows\": [[1]], \"chart\": {\"type\": \"pie\"}}",
	    "\"chart\".\"type\" must be \"bar\"" },
	{ "{\"rows\": [[1]], \"chart\": {\"type\": \"bar\"}}",
	    "\"chart\" needs \"label_column\"" },
	{ "{\"rows\": [[1]], \"chart\": {\"type\": \"bar\", \"label_column\": "
	    "0, \"value_column\": \"1\"}}",
	    "\"chart\".\"value_column\" must be a column number, not text" },
	{ "{\"rows\": [[1]], \"chart\": {\"type\": \"bar\", \"label_column\": "
	    "0, \"value_column\": 1}}", "\"chart\".\"value_column\" is 1, but "
	    "the table has 1 columns" },
	{ "{\"rows\": [[1, 1e999]], \"chart\": {\"type\": \"bar\", "
	    "\"label_column\": 0, \"value_column\": 1}}", "the chart value in "
	    "\"rows\"[0] is not a finite number" },
	/* The order of the drawing: the rows before the KPIs. */
	{ "{\"kpis\": 1, \"rows\": [2]}", "\"rows\"[0] must be an array" },
};

static void
test_render_data_problems_named(void **state)
{
	struct render_data d;
	struct buf err;
	size_t i;

	(void)state;
	buf_init(&err, 4096);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		buf_reset(&err);
		if (render_data_load(&d, db, bad[i].json, NULL, 0, &err) !=
		    RENDER_DATAERR || strstr(err.data, bad[i].err) == NULL)
			fail_msg("%s: got \"%s\"", bad[i].json, err.data);
		render_data_release(&d);
	}
	buf_release(&err);
}

/*
 * n rows of everything a cell can be, strings holding what the cutting
 * of the rows into pieces must step over (brackets, commas, quotes),
 * between head and tail.
 */
static void
rows_json(struct buf *b, const char *head, size_t n, const char *tail)
{
	size_t i;

	buf_reset(b);
	assert_int_equal(buf_puts(b, head), 0);
	for (i = 0; i < n; i++)
		assert_int_equal(buf_printf(b, "%s[%zu, \"a],[b\\\", {c\", "
		    "%s, null, -1.5e3, [1, [\"]\"]], {\"k\": \"}\"}, "
		    "\"\\u00e9t\\u00e9\", true]\n", i ? ", " : "", i,
		    i % 7 ? "\"x\"" : "2.25"), 0);
	assert_int_equal(buf_puts(b, tail), 0);
}

/* Every row of a and b the same, cell for cell. */
static void
expect_same_rows(const struct render_data *a, const struct render_data *b)
{
	struct render_cell ca[RENDER_TABLE_MAX_COLS], cb[RENDER_TABLE_MAX_COLS];
	struct render_row_at pa = { 0, 0 }, pb = { 0, 0 };
	long long r;
	size_t i, n;

	assert_int_equal(a->nrows, b->nrows);
	assert_int_equal(a->ncols, b->ncols);
	assert_memory_equal(a->numeric, b->numeric, sizeof(a->numeric));
	for (r = 0; r < a->nrows; r++) {
		n = render_data_row(a, &pa, ca);
		assert_int_equal(render_data_row(b, &pb, cb), n);
		for (i = 0; i < n; i++) {
			assert_int_equal(ca[i].kind, cb[i].kind);
			assert_int_equal(ca[i].len, cb[i].len);
			assert_memory_equal(ca[i].text, cb[i].text, ca[i].len);
		}
	}
}

static void
test_render_data_rows_in_pieces_as_whole(void **state)
{
	struct render_data pieces, whole;
	struct render_cell c[RENDER_TABLE_MAX_COLS];
	struct render_row_at at = { 0, 0 };
	struct buf json;
	size_t i;
	long long r;

	(void)state;
	buf_init(&json, 64 << 20);
	/* Some 2 MB of rows: several pieces, many blocks. */
	rows_json(&json, "{\"title\": \"T\", \"rows\" : [", 20000,
	    "], \"kpis\": [{\"label\": \"n\", \"value\": 1}]}");
	load(&pieces, json.data, 1);
	/* The same with something nested deeper than the cutting follows:
	 * SQLite reads the whole text, as before there were pieces. */
	json.len -= 1;
	assert_int_equal(buf_puts(&json, ", \"deep\": "), 0);
	for (i = 0; i < 80; i++)
		assert_int_equal(buf_putc(&json, '['), 0);
	for (i = 0; i < 80; i++)
		assert_int_equal(buf_putc(&json, ']'), 0);
	assert_int_equal(buf_putc(&json, '}'), 0);
	load(&whole, json.data, 1);
	assert_int_equal(pieces.nrows, 20000);
	assert_true(pieces.nblocks > 8);
	assert_int_equal(whole.nkpis, 1);
	assert_int_equal(pieces.nkpis, 1);
	expect_same_rows(&pieces, &whole);
	expect_str(&pieces, pieces.title, "T");
	/* The drawn rows' blocks given back, the rest still readable. */
	for (r = 0; r < pieces.nrows; r++) {
		render_data_row(&pieces, &at, c);
		render_data_drop(&pieces, &at);
	}
	assert_int_equal(at.block, pieces.nblocks - 1);
	assert_int_equal(c[0].len, 5);
	assert_memory_equal(c[0].text, "19999", 5);
	assert_int_equal(pieces.blocks[0].alloc, 0);
	render_data_release(&pieces);
	render_data_release(&whole);
	buf_release(&json);
}

/* A problem in a later piece is named as it was for the whole text. */
static void
test_render_data_problems_in_pieces(void **state)
{
	static const struct {
		const char	*head;
		const char	*tail;
		const char	*err;
	} cases[] = {
		/* Invalid JSON first, before the title's type. */
		{ "{\"title\": 1, \"rows\": [", ", [tru]]}", "it is not valid" },
		{ "{\"rows\": [", ", [1}]}", "it is not valid" },
		{ "{\"rows\": [", ", [1], ]}", "it is not valid" },
		{ "{\"rows\": [", ",]}", "it is not valid" },
		{ "{\"rows\": [", ", , [1]]}", "it is not valid" },
		{ "{\"rows\": [", "]", "it is not valid" },
		{ "{\"rows\": [", "]} x", "it is not valid" },
		{ "{\"rows\": [", ", [\"\x01\"]]}", "it is not valid" },
		{ "{\"rows\": [", ", 7]}", "\"rows\"[20000] must be an array, "
		    "not integer" },
		{ "{\"rows\": [", "], \"rows\": 3}", NULL },
		{ "{\"rows\": 3, \"rows\": [", "]}", "\"rows\" must be an "
		    "array, not integer" },
	};
	struct render_data d;
	struct buf json, err;
	size_t i;

	(void)state;
	buf_init(&json, 64 << 20);
	buf_init(&err, 4096);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		rows_json(&json, cases[i].head, 20000, cases[i].tail);
		buf_reset(&err);
		if (cases[i].err == NULL) {
			/* The first "rows" is read, as SQLite's paths do. */
			load(&d, json.data, 0);
			assert_int_equal(d.nrows, 20000);
		} else if (render_data_load(&d, db, json.data, NULL, 0, &err)
		    != RENDER_DATAERR || strstr(err.data, cases[i].err) ==
		    NULL)
			fail_msg("case %zu: got \"%s\"", i, err.data);
		render_data_release(&d);
	}
	/* A row longer than a piece, then a comma that nothing follows:
	 * no piece ends there, or "[]" would pass for what follows. */
	buf_reset(&json);
	assert_int_equal(buf_puts(&json, "{\"rows\": [[\""), 0);
	for (i = 0; i < 300000; i++)
		assert_int_equal(buf_putc(&json, 'x'), 0);
	assert_int_equal(buf_puts(&json, "\"] , ]}"), 0);
	buf_reset(&err);
	assert_int_equal(render_data_load(&d, db, json.data, NULL, 0, &err),
	    RENDER_DATAERR);
	assert_non_null(strstr(err.data, "it is not valid"));
	render_data_release(&d);
	buf_release(&err);
	buf_release(&json);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_render_data_cells_kept_with_their_kind),
		cmocka_unit_test(test_render_data_texts_encoded_and_cut),
		cmocka_unit_test(test_render_data_first_of_duplicate_keys),
		cmocka_unit_test(
		    test_render_data_chart_bars_of_the_first_rows),
		cmocka_unit_test(test_render_data_problems_named),
		cmocka_unit_test(test_render_data_rows_in_pieces_as_whole),
		cmocka_unit_test(test_render_data_problems_in_pieces),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
