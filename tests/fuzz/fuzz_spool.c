/*
 * fuzz_spool.c - the reader of queue files (spool.c's
 * spool_read_envelope), which flush runs on every file of queue/: a
 * damaged file must be refused with a reason (flush then moves it to
 * failed/), never read as a message to send, half of one least of all.
 *
 * The input is the whole queue file.  Invariants:
 *   - refused: -1 and a one-line reason;
 *   - accepted: a Message-Id, a Sender (maybe empty: the null sender)
 *     and at least one Recipient, none holding a control character;
 *     the message starts right after the envelope's empty line and is
 *     not empty, and when the envelope states the file's length, the
 *     file has it;
 *   - spool_envelope_release() is safe twice.
 */
#include "fuzz.h"

#include "spool.h"

static void
fuzz_spool_field(const char *what, const char *v)
{
	const unsigned char *p;

	FUZZ_CHECK(v != NULL, "no %s", what);
	for (p = (const unsigned char *)v; *p; p++)
		FUZZ_CHECK(*p >= 0x20 && *p != 0x7f, "%s holds 0x%02x", what,
		    *p);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	struct spool_envelope e;
	struct buf err;
	off_t body = -1;
	size_t i;

	if (fuzz_memfd_fill(&fd, "queue-file", data, size) == -1)
		return 0;
	/* The reader seeks to the start itself: leave it elsewhere. */
	(void)lseek(fd, (off_t)(size / 2), SEEK_SET);
	buf_init(&err, 4096);
	if (spool_read_envelope(fd, &e, &body, &err) == -1) {
		FUZZ_CHECK(err.len > 0 && strpbrk(err.data, "\r\n") == NULL,
		    "reason \"%s\"", err.data);
		FUZZ_CHECK(e.rcpts == NULL && e.nrcpts == 0 &&
		    e.message_id == NULL && e.sender == NULL,
		    "a refused envelope left something to free");
	} else {
		fuzz_spool_field("Message-Id", e.message_id);
		fuzz_spool_field("Sender", e.sender);
		if (e.occurrence)
			fuzz_spool_field("Occurrence", e.occurrence);
		if (e.created)
			fuzz_spool_field("Created", e.created);
		FUZZ_CHECK(e.nrcpts > 0, "no recipient");
		for (i = 0; i < e.nrcpts; i++)
			fuzz_spool_field("Recipient", e.rcpts[i]);
		FUZZ_CHECK(body >= 4 && (size_t)body < size,
		    "message at %lld of %zu", (long long)body, size);
		FUZZ_CHECK(memcmp(data + body - 4, "\r\n\r\n", 4) == 0,
		    "the message does not follow the empty line");
		FUZZ_CHECK(memcmp(data, SPOOL_MAGIC "\r\n",
		    sizeof(SPOOL_MAGIC) + 1) == 0, "no magic line");
		FUZZ_CHECK(memchr(data, '\0', (size_t)body) == NULL,
		    "NUL in the envelope");
	}
	spool_envelope_release(&e);
	spool_envelope_release(&e);
	buf_release(&err);
	return 0;
}
