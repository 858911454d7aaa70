/*
 * fuzz_render.c - the fallback PDF (render.c): report_data JSON read
 * with SQLite's JSON functions and laid out with libharu.
 *
 * The input is report_data (up to its first NUL, as a TEXT column holds
 * it).  It is rendered into a file of a private temporary directory,
 * with at most FUZZ_MAX_PAGES pages so that a run stays quick; one input
 * in eight (by the sum of its bytes) uses the TrueType font when
 * fonts-dejavu-core is installed, the others the built-in Helvetica.
 *
 * Invariants: the status is one of render.h's; RENDER_OK leaves a PDF of
 * at most FUZZ_MAX_PAGES pages at the path; any other status a one-line
 * reason and nothing at the path, nor its
 * temporary beside it.  Bad JSON, keys of the wrong type and too many
 * pages are RENDER_DATAERR.
 */
#include "fuzz.h"

#include <sqlite3.h>
#include <sys/stat.h>

#include "render.h"

#define FUZZ_MAX_PAGES	8
#define FUZZ_FONT	"/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"

static sqlite3 *fuzz_db;
static char fuzz_dir[] = "/tmp/fuzz_render.XXXXXX";
static char fuzz_out[64], fuzz_tmp[64];

static void
fuzz_render_cleanup(void)
{
	unlink(fuzz_out);
	unlink(fuzz_tmp);
	rmdir(fuzz_dir);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (sqlite3_open(":memory:", &fuzz_db) != SQLITE_OK ||
	    mkdtemp(fuzz_dir) == NULL)
		abort();
	snprintf(fuzz_out, sizeof(fuzz_out), "%s/report.pdf", fuzz_dir);
	snprintf(fuzz_tmp, sizeof(fuzz_tmp), "%s.tmp", fuzz_out);
	atexit(fuzz_render_cleanup);
	return 0;
}

/*
 * The file at fuzz_out is a PDF of 1 to FUZZ_MAX_PAGES pages: libharu
 * compresses the page contents, not the dictionaries, so the page tree's
 * "/Count N" can be read as it is.  Removes it.
 */
static void
fuzz_render_check_pdf(void)
{
	static char pdf[8 << 20];
	const char *pages, *count;
	size_t n;
	long np;
	FILE *fp;

	fp = fopen(fuzz_out, "rb");
	FUZZ_CHECK(fp != NULL, "no PDF at the path");
	n = fread(pdf, 1, sizeof(pdf) - 1, fp);
	fclose(fp);
	pdf[n] = '\0';
	FUZZ_CHECK(n > 5 && memcmp(pdf, "%PDF-", 5) == 0, "not a PDF");
	FUZZ_CHECK(memmem(pdf, n, "%%EOF", 5) != NULL, "no %%%%EOF");
	pages = memmem(pdf, n, "/Type /Pages", 12);
	FUZZ_CHECK(pages != NULL, "no page tree");
	count = memmem(pdf, n, "/Count ", 7);
	FUZZ_CHECK(count != NULL, "no page count");
	np = strtol(count + 7, NULL, 10);
	FUZZ_CHECK(np >= 1 && np <= FUZZ_MAX_PAGES, "%ld pages", np);
	FUZZ_CHECK(unlink(fuzz_out) == 0, "unlink");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct render_options opt;
	struct buf err;
	struct stat st;
	enum render_status s;
	char *json = fuzz_strndup(data, size);
	unsigned sum = 0;
	size_t i;

	for (i = 0; i < size; i++)
		sum += data[i];
	memset(&opt, 0, sizeof(opt));
	opt.title = "Rapport";
	opt.timezone = "Europe/Paris";
	opt.now = 1795420800;
	opt.max_pages = FUZZ_MAX_PAGES;
	if (sum % 8 == 7 && access(FUZZ_FONT, R_OK) == 0)
		opt.font_path = FUZZ_FONT;

	buf_init(&err, 4096);
	s = render_report(fuzz_db, &json, &opt, fuzz_out, &err);
	if (getenv("FUZZ_VERBOSE"))	/* what each seed does */
		fprintf(stderr, "render: status %d%s%s\n", (int)s,
		    err.len ? ": " : "", err.data);
	FUZZ_CHECK(lstat(fuzz_tmp, &st) == -1, "a temporary was left");
	if (s == RENDER_OK) {
		fuzz_render_check_pdf();
	} else {
		FUZZ_CHECK(s == RENDER_DATAERR || s == RENDER_IOERR ||
		    s == RENDER_NOMEM, "status %d", (int)s);
		FUZZ_CHECK(s != RENDER_IOERR, "I/O error: %s", err.data);
		FUZZ_CHECK(err.len > 0 && strpbrk(err.data, "\r\n") == NULL,
		    "reason \"%s\"", err.data);
		FUZZ_CHECK(lstat(fuzz_out, &st) == -1, "a file at the path "
		    "after a failure");
	}
	/* A statement left open would keep the database busy. */
	FUZZ_CHECK(sqlite3_next_stmt(fuzz_db, NULL) == NULL,
	    "a statement was not finalized");
	buf_release(&err);
	free(json);
	return 0;
}
