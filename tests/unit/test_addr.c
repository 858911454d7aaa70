/*
 * test_addr.c - address lists: what is accepted, what is refused and why.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "buf.h"

struct accept_case {
	const char	*text;
	size_t		 n;
	const char	*display[3];	/* NULL: none expected */
	const char	*mailbox[3];
};

static const struct accept_case accept_cases[] = {
	{ "a@b.example", 1, { NULL }, { "a@b.example" } },
	{ "Name <a@b.example>", 1, { "Name" }, { "a@b.example" } },
	{ "\"Last, First\" <a@b.example>", 1, { "Last, First" },
	    { "a@b.example" } },
	{ "Zoë Ñandú <z@x.fr>", 1, { "Zoë Ñandú" }, { "z@x.fr" } },
	{ "  a@b.example ,  c@d.example , ", 2, { NULL, NULL },
	    { "a@b.example", "c@d.example" } },
	{ "a@b.example, ,c@d.example", 2, { NULL, NULL },
	    { "a@b.example", "c@d.example" } },
	{ "a@b.example,,c@d.example,", 2, { NULL, NULL },
	    { "a@b.example", "c@d.example" } },
	{ "\"Martin, Paul\" <paul@example.com>, Zoë <z@example.com>, "
	    "x@y.example", 3, { "Martin, Paul", "Zoë", NULL },
	    { "paul@example.com", "z@example.com", "x@y.example" } },
	{ "\"a \\\"b\\\" \\\\c\" <x@y.example>", 1, { "a \"b\" \\c" },
	    { "x@y.example" } },
	{ "\"\" <x@y.example>", 1, { NULL }, { "x@y.example" } },
	{ "<x@y.example>", 1, { NULL }, { "x@y.example" } },
	{ "Name < x@y.example >", 1, { "Name" }, { "x@y.example" } },
	{ "Jean  Pierre\tDupont <jp@x.example>", 1,
	    { "Jean Pierre Dupont" }, { "jp@x.example" } },
	{ "J. Smith (Sales) <j@x.example>", 1, { "J. Smith (Sales)" },
	    { "j@x.example" } },
	{ "\"john doe\"@example.com", 1, { NULL },
	    { "\"john doe\"@example.com" } },
	{ "first.last+tag@sub-domain.example.co.uk", 1, { NULL },
	    { "first.last+tag@sub-domain.example.co.uk" } },
	{ "o'brien!#$%&*/=?^_`{|}~@x.example", 1, { NULL },
	    { "o'brien!#$%&*/=?^_`{|}~@x.example" } },
	{ "x@[192.0.2.1]", 1, { NULL }, { "x@[192.0.2.1]" } },
	{ "x@[IPv6:2001:db8::1]", 1, { NULL }, { "x@[IPv6:2001:db8::1]" } },
	{ "a@b.example\t", 1, { NULL }, { "a@b.example" } },
	{ "x@1.2.3.example", 1, { NULL }, { "x@1.2.3.example" } },
};

static void
test_addr_accepts_table(void **state)
{
	size_t i, j;

	(void)state;
	for (i = 0; i < sizeof(accept_cases) / sizeof(accept_cases[0]); i++) {
		const struct accept_case *c = &accept_cases[i];
		struct addr_list l = { NULL, 0 };
		struct buf err;

		buf_init(&err, 1024);
		if (addr_list_parse(&l, c->text, &err) != 0)
			fail_msg("refused \"%s\": %s", c->text, err.data);
		assert_int_equal(err.len, 0);
		if (l.n != c->n)
			fail_msg("\"%s\": %zu addresses", c->text, l.n);
		for (j = 0; j < l.n; j++) {
			assert_string_equal(l.v[j].mailbox, c->mailbox[j]);
			if (c->display[j] == NULL)
				assert_null(l.v[j].display);
			else {
				assert_non_null(l.v[j].display);
				assert_string_equal(l.v[j].display,
				    c->display[j]);
			}
		}
		addr_list_release(&l);
		buf_release(&err);
	}
}

struct refuse_case {
	const char	*text;
	const char	*why;	/* a substring of the reason */
};

static const struct refuse_case refuse_cases[] = {
	{ "a@b.example\r\nBcc: x@y.example", "line break" },
	{ "a@b.example\nBcc: x@y.example", "line break" },
	{ "Evil\r\n <a@b.example>", "line break" },
	{ "a\001@b.example", "control character" },
	{ "a@b.example\177", "control character" },
	{ "foo@", "bad address \"foo@\": no domain" },
	{ "not-an-address", "bad address \"not-an-address\": no @" },
	{ "ok@x.example, a@", "\"a@\": no domain" },
	{ "@b.example", "no local part" },
	{ "john doe@example.com", "space in local part" },
	{ "Paul <paul@exa mple.com>", "space in domain" },
	{ "Bob <bob@example.com", "unbalanced <" },
	{ "x@example.com, <broken", "unbalanced <" },
	{ "Bob <<bob@example.com>>", "unbalanced <" },
	{ "Bob bob@example.com>", "unbalanced >" },
	{ "\"Bob <bob@example.com>", "unbalanced quote" },
	{ "\"Bob\\\" <bob@example.com>", "unbalanced quote" },
	{ "Bob \"x\" <a@b.example>", "quote inside a name" },
	{ "\"Last, First\" Jr <a@b.example>", "text after the quoted name" },
	{ "Bob <a@b.example> x", "text after >" },
	{ "<>", "empty address <>" },
	{ "Name <>", "empty address <>" },
	{ "Name < >", "empty address <>" },
	{ "", "no recipient" },
	{ " , ,, ", "no recipient" },
	{ "a@localhost", "domain has no dot" },
	{ "a@-b.example", "starts with a hyphen" },
	{ "a@b-.example", "ends with a hyphen" },
	{ "a@b..example", "empty label" },
	{ "a@.b.example", "empty label" },
	{ "a@b.example.", "empty label" },
	{ "a@b_c.example", "bad character in domain" },
	{ ".a@b.example", "bad character in local part" },
	{ "a.@b.example", "bad character in local part" },
	{ "a..b@b.example", "bad character in local part" },
	{ "a(b)@b.example", "bad character in local part" },
	{ "zoë@example.com", "non-ASCII" },
	{ "z@exämple.com", "non-ASCII" },
	{ "a@b@c.example", "more than one @" },
	{ "x@[300.1.1.1]", "bad address literal" },
	{ "x@[1.2.3]", "bad address literal" },
	{ "x@[IPv6:zz]", "bad address literal" },
	{ "\"\"@b.example", "empty local part" },
	{ "\"a\"b@c.example", "text after the quoted local part" },
	/* Found by fuzz_addr: accepted, then refused by the MIME writer
	 * or, for a Bcc, by flush (the whole message failed). */
	{ "\"q\toted local\"@example.com", "tab in the address" },
	{ "Name <\"a\tb\"@c.example>", "tab in the address" },
	{ "\"qu ut <rr>$ lal\"@exale.c", "< or > in a quoted local part" },
	{ "Name <\"a\\>\"@c.example>", "< or > in a quoted local part" },
	{ "\xc3( <a@b.example>", "not valid UTF-8" },
	{ "\xed\xa0\x80 <a@b.example>", "not valid UTF-8" },
	{ "\xc0\xaf <a@b.example>", "not valid UTF-8" },
};

static void
test_addr_refuses_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(refuse_cases) / sizeof(refuse_cases[0]); i++) {
		const struct refuse_case *c = &refuse_cases[i];
		struct addr_list l = { NULL, 0 };
		struct buf err;

		buf_init(&err, 1024);
		errno = 0;
		if (addr_list_parse(&l, c->text, &err) != -1)
			fail_msg("accepted \"%s\"", c->text);
		assert_int_equal(errno, EINVAL);
		assert_int_equal(l.n, 0);
		assert_null(l.v);
		if (strstr(err.data, c->why) == NULL)
			fail_msg("\"%s\": got \"%s\", want \"%s\"", c->text,
			    err.data, c->why);
		/* One line, whatever the input held. */
		assert_null(strpbrk(err.data, "\r\n"));
		buf_release(&err);
	}
}

static void
test_addr_null_text_is_no_recipient(void **state)
{
	struct addr_list l = { NULL, 0 };
	struct buf err;

	(void)state;
	buf_init(&err, 1024);
	assert_int_equal(addr_list_parse(&l, NULL, &err), -1);
	assert_string_equal(err.data, "no recipient");
	buf_release(&err);
}

/* Lengths of RFC 5321: local 64, domain 255, label 63, whole 254. */
static void
test_addr_length_limits(void **state)
{
	struct addr_list l = { NULL, 0 };
	struct buf err, t;
	int i;

	(void)state;
	buf_init(&err, 1024);
	buf_init(&t, 4096);

	for (i = 0; i < 64; i++)
		buf_putc(&t, 'l');
	buf_puts(&t, "@x.example");
	assert_int_equal(addr_list_parse(&l, t.data, &err), 0);
	buf_reset(&t);
	for (i = 0; i < 65; i++)
		buf_putc(&t, 'l');
	buf_puts(&t, "@x.example");
	assert_int_equal(addr_list_parse(&l, t.data, &err), -1);
	assert_non_null(strstr(err.data, "longer than 64"));

	buf_reset(&t);
	buf_puts(&t, "a@");
	for (i = 0; i < 63; i++)
		buf_putc(&t, 'd');
	buf_puts(&t, ".example");
	assert_int_equal(addr_list_parse(&l, t.data, &err), 0);
	buf_reset(&t);
	buf_puts(&t, "a@");
	for (i = 0; i < 64; i++)
		buf_putc(&t, 'd');
	buf_puts(&t, ".example");
	assert_int_equal(addr_list_parse(&l, t.data, &err), -1);
	assert_non_null(strstr(err.data, "longer than 63"));

	/* 4 labels of 60 and ".example": 250-octet domain, 254 in all. */
	buf_reset(&t);
	buf_puts(&t, "ab@");
	for (i = 0; i < 4 * 61; i++)
		buf_putc(&t, i % 61 == 60 ? '.' : 'd');
	buf_puts(&t, "abcdef");
	assert_int_equal(t.len, 253);
	assert_int_equal(addr_list_parse(&l, t.data, &err), 0);
	buf_puts(&t, "g");
	assert_int_equal(addr_list_parse(&l, t.data, &err), 0);
	buf_puts(&t, "h");
	assert_int_equal(addr_list_parse(&l, t.data, &err), -1);
	assert_non_null(strstr(err.data, "longer than 254"));

	buf_reset(&t);
	buf_puts(&t, "a@");
	for (i = 0; i < 5 * 52; i++)
		buf_putc(&t, i % 52 == 51 ? '.' : 'd');
	buf_puts(&t, "example");
	assert_int_equal(addr_list_parse(&l, t.data, &err), -1);
	assert_non_null(strstr(err.data, "longer than 255"));

	buf_reset(&t);
	for (i = 0; i < ADDR_DISPLAY_MAX + 1; i++)
		buf_putc(&t, 'n');
	buf_puts(&t, " <a@b.example>");
	assert_int_equal(addr_list_parse(&l, t.data, &err), -1);
	assert_non_null(strstr(err.data, "name longer than 256"));

	assert_int_equal(l.n, 4);
	addr_list_release(&l);
	buf_release(&t);
	buf_release(&err);
}

/* To, Cc, Bcc into one list; a refused list leaves it as it was. */
static void
test_addr_appends_and_failure_leaves_list_unchanged(void **state)
{
	struct addr_list l = { NULL, 0 };
	struct buf err;

	(void)state;
	buf_init(&err, 1024);
	assert_int_equal(addr_list_parse(&l, "a@b.example, Zoë <z@x.fr>",
	    &err), 0);
	assert_int_equal(addr_list_parse(&l, "\"C, D\" <c@d.example>", &err),
	    0);
	assert_int_equal(l.n, 3);
	assert_int_equal(addr_list_parse(&l, "e@f.example, bad@", &err), -1);
	assert_int_equal(l.n, 3);
	assert_string_equal(l.v[0].mailbox, "a@b.example");
	assert_string_equal(l.v[1].display, "Zoë");
	assert_string_equal(l.v[2].display, "C, D");
	assert_string_equal(l.v[2].mailbox, "c@d.example");
	addr_list_release(&l);
	addr_list_release(&l);
	assert_null(l.v);
	assert_int_equal(l.n, 0);
	buf_release(&err);
}

/* A long bad item is cut and its control characters escaped. */
static void
test_addr_error_is_short_and_escaped(void **state)
{
	struct addr_list l = { NULL, 0 };
	struct buf err, t;
	int i;

	(void)state;
	buf_init(&err, 1024);
	buf_init(&t, 4096);
	buf_puts(&t, "a\r\n\t");
	for (i = 0; i < 500; i++)
		buf_putc(&t, 'x');
	assert_int_equal(addr_list_parse(&l, t.data, &err), -1);
	assert_null(strpbrk(err.data, "\r\n"));
	assert_non_null(strstr(err.data, "\"a\\r\\n\\x09xxx"));
	assert_non_null(strstr(err.data, "...\": contains a line break"));
	assert_true(err.len < 200);
	buf_release(&t);
	buf_release(&err);
}

/* A full error buffer does not make a refused list look accepted. */
static void
test_addr_tiny_error_buffer_still_fails(void **state)
{
	struct addr_list l = { NULL, 0 };
	struct buf err;

	(void)state;
	buf_init(&err, 4);
	assert_int_equal(addr_list_parse(&l, "nope", &err), -1);
	assert_int_equal(l.n, 0);
	buf_release(&err);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_addr_accepts_table),
		cmocka_unit_test(test_addr_refuses_table),
		cmocka_unit_test(test_addr_null_text_is_no_recipient),
		cmocka_unit_test(test_addr_length_limits),
		cmocka_unit_test(
		    test_addr_appends_and_failure_leaves_list_unchanged),
		cmocka_unit_test(test_addr_error_is_short_and_escaped),
		cmocka_unit_test(test_addr_tiny_error_buffer_still_fails),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
