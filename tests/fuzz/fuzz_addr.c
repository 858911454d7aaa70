/*
 * fuzz_addr.c - the address list parser (addr.c) and the header it makes
 * (mime.c's mime_hdr_addrs).
 *
 * The input is the text of a recipients column.  Invariants:
 *   - refused: -1, a one-line reason, the list left as it was;
 *   - accepted: every address is what addr.h promises (an ASCII mailbox
 *     local@domain within RFC 5321's lengths that smtp.c can send: no
 *     control character, '<' or '>'), a display name of valid
 *     UTF-8 without control characters, single spaces, <= 256 bytes);
 *   - the MIME writer accepts every accepted list, writes lines of CRLF
 *     within 998 octets, and the header, unfolded and parsed again (its
 *     encoded-words decoded), gives back the same addresses.
 */
#include "fuzz.h"

#include "addr.h"
#include "buf.h"
#include "mime.h"
#include "utf8.h"

static void
fuzz_addr_check(const struct addr *a)
{
	const char *m = a->mailbox, *at, *p;

	FUZZ_CHECK(m != NULL && (at = strrchr(m, '@')) != NULL,
	    "mailbox \"%s\"", m ? m : "(null)");
	FUZZ_CHECK(strlen(m) <= ADDR_MAILBOX_MAX && (size_t)(at - m) <=
	    ADDR_LOCAL_MAX && at > m && (strchr(at, '.') != NULL ||
	    at[1] == '['),
	    "mailbox \"%s\"", m);
	for (p = m; *p; p++)
		FUZZ_CHECK(*p > 0x20 || (*p == ' ' && m[0] == '"'),
		    "mailbox \"%s\" holds 0x%02x", m, (unsigned char)*p);
	/* What smtp.c sends in RCPT TO; a Bcc goes nowhere else. */
	for (p = m; *p; p++)
		FUZZ_CHECK((unsigned char)*p < 0x7f && *p != '<' && *p != '>',
		    "mailbox \"%s\" cannot be sent", m);
	if (a->display == NULL)
		return;
	p = a->display;
	FUZZ_CHECK(*p != '\0' && *p != ' ' && p[strlen(p) - 1] != ' ' &&
	    strlen(p) <= ADDR_DISPLAY_MAX && strstr(p, "  ") == NULL,
	    "display \"%s\"", p);
	FUZZ_CHECK(utf8_valid(p, strlen(p)), "display not UTF-8");
	for (; *p; p++)
		FUZZ_CHECK((unsigned char)*p >= 0x20 && *p != 0x7f,
		    "display holds 0x%02x", (unsigned char)*p);
}

/* Whether an encoded-word starts at v[i]: "=?UTF-8?B?...?=" standing
 * alone between white space, base64 between the markers (a mailbox such
 * as "=?UTF-8?B?a@b.c" is atoms, not the start of a word); its end in
 * *end. */
static int
fuzz_addr_word(const char *v, size_t i, size_t *end)
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789+/=";
	const char *q;

	if ((i > 0 && v[i - 1] != ' ' && v[i - 1] != '\t') ||
	    strncmp(v + i, "=?UTF-8?B?", 10) != 0 ||
	    (q = strstr(v + i + 10, "?=")) == NULL ||
	    strspn(v + i + 10, b64) < (size_t)(q - (v + i + 10)) ||
	    (q[2] != '\0' && q[2] != ' ' && q[2] != '\t'))
		return 0;
	*end = (size_t)(q + 2 - v);
	return 1;
}

/*
 * The unfolded header value v with each run of encoded-words (outside
 * quoted strings) replaced by the atom "ENC<n>", run n decoded in dec[n]:
 * addr_list_parse() takes display names of at most 256 bytes of text,
 * and the encoded form of a long name is longer than that.
 */
static char *
fuzz_addr_placeholders(const char *v, char **dec, size_t *ndec, size_t max)
{
	size_t n = strlen(v), i = 0, o = 0, end, run;
	char *out = malloc(n + 1), *text;
	int inq = 0;

	if (out == NULL)
		abort();
	*ndec = 0;
	while (i < n) {
		if (inq || v[i] == '"') {
			if (inq && v[i] == '\\' && i + 1 < n)
				out[o++] = v[i++];
			else if (v[i] == '"')
				inq = !inq;
			out[o++] = v[i++];
			continue;
		}
		if (!fuzz_addr_word(v, i, &end)) {
			out[o++] = v[i++];
			continue;
		}
		/* The run: words separated by white space only. */
		for (run = end; ; ) {
			size_t j = run + strspn(v + run, " \t");

			if (!fuzz_addr_word(v, j, &end))
				break;
			run = end;
		}
		text = fuzz_strndup((const uint8_t *)v + i, run - i);
		FUZZ_CHECK(*ndec < max, "too many encoded names");
		dec[*ndec] = fuzz_decode_words(text);
		FUZZ_CHECK(dec[*ndec] != NULL, "bad encoded-words: %s", text);
		free(text);
		/* Never longer than the run it stands for (12 bytes+). */
		o += (size_t)snprintf(out + o, n + 1 - o, "ENC%zu",
		    (*ndec)++);
		i = run;
	}
	out[o] = '\0';
	return out;
}

/* The header written for l, parsed again, must give l back. */
static void
fuzz_addr_roundtrip(const struct addr_list *l)
{
	struct addr_list back = { NULL, 0 };
	struct buf h, err;
	char *v, *p, **dec;
	const char *d;
	size_t i, k, ndec;
	int used;

	buf_init(&h, 1 << 20);
	buf_init(&err, 4096);
	FUZZ_CHECK(mime_hdr_addrs(&h, "To", "to", l, &err) == 0,
	    "the MIME writer refused an accepted list: %s", err.data);
	fuzz_check_lines("To", h.data, h.len, 0);
	FUZZ_CHECK(strncmp(h.data, "To:", 3) == 0, "no name");
	v = fuzz_unfold(h.data + 3, h.len - 3);
	dec = calloc(l->n + 1, sizeof(*dec));
	if (dec == NULL)
		abort();
	p = fuzz_addr_placeholders(v, dec, &ndec, l->n);
	FUZZ_CHECK(addr_list_parse(&back, p, &err) == 0,
	    "the header does not parse again: %s: %s", err.data, v);
	FUZZ_CHECK(back.n == l->n, "%zu addresses back, not %zu", back.n,
	    l->n);
	for (i = 0; i < l->n; i++) {
		FUZZ_CHECK(strcmp(back.v[i].mailbox, l->v[i].mailbox) == 0,
		    "mailbox \"%s\" came back \"%s\"", l->v[i].mailbox,
		    back.v[i].mailbox);
		if (l->v[i].display == NULL) {
			FUZZ_CHECK(back.v[i].display == NULL, "a display "
			    "name appeared: %s", back.v[i].display);
			continue;
		}
		FUZZ_CHECK(back.v[i].display != NULL, "display lost");
		d = back.v[i].display;
		if (sscanf(d, "ENC%zu%n", &k, &used) == 1 &&
		    d[used] == '\0' && k < ndec)
			d = dec[k];
		FUZZ_CHECK(strcmp(d, l->v[i].display) == 0,
		    "display \"%s\" came back \"%s\" in %s", l->v[i].display,
		    d, v);
	}
	for (k = 0; k < ndec; k++)
		free(dec[k]);
	free(dec);
	free(p);
	free(v);
	addr_list_release(&back);
	buf_release(&h);
	buf_release(&err);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct addr_list l = { NULL, 0 };
	struct buf err;
	char *text = fuzz_strndup(data, size);
	size_t i;

	buf_init(&err, 4096);
	if (addr_list_parse(&l, text, &err) == -1) {
		FUZZ_CHECK(l.n == 0 && l.v == NULL, "list changed");
		FUZZ_CHECK(err.len > 0 && strpbrk(err.data, "\r\n") == NULL,
		    "reason \"%s\"", err.data);
	} else {
		FUZZ_CHECK(l.n > 0, "accepted an empty list");
		for (i = 0; i < l.n; i++)
			fuzz_addr_check(&l.v[i]);
		fuzz_addr_roundtrip(&l);
	}
	addr_list_release(&l);
	addr_list_release(&l);
	buf_release(&err);
	free(text);
	return 0;
}
