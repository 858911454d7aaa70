/*
 * curl_dl.c - the libcurl functions the program calls, loaded on first
 * use (curl_dl.h).  Each definition below has the name and prototype of
 * libcurl's own and calls it through a pointer that dl_lib.c takes with
 * dlsym() when the first is called.  Before the library could be loaded,
 * each returns what libcurl returns when it cannot work
 * (CURLE_FAILED_INIT, NULL).
 */
#include "curl_dl.h"

#ifdef SENDREPORTS_CURL_DLOPEN

/* The definitions below are the functions; no type-checking macros. */
#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>

#include <stdarg.h>

#include "dl_lib.h"

#undef curl_easy_setopt
#undef curl_easy_getinfo

typedef void (*curl_dl_fn)(void);

/* The functions, in the order of curl_dl_names. */
enum {
	F_GLOBAL_INIT, F_GLOBAL_CLEANUP, F_VERSION_INFO, F_EASY_INIT,
	F_EASY_CLEANUP, F_EASY_SETOPT, F_EASY_GETINFO, F_EASY_PERFORM,
	F_EASY_STRERROR, F_FREE, F_SLIST_APPEND, F_SLIST_FREE_ALL, F_URL,
	F_URL_CLEANUP, F_URL_GET, F_URL_SET, F_EASY_SEND, F_EASY_RECV,
	F_EASY_DUPHANDLE, F_COUNT
};

static const char *const curl_dl_names[F_COUNT] = {
	"curl_global_init", "curl_global_cleanup", "curl_version_info",
	"curl_easy_init", "curl_easy_cleanup", "curl_easy_setopt",
	"curl_easy_getinfo", "curl_easy_perform", "curl_easy_strerror",
	"curl_free", "curl_slist_append", "curl_slist_free_all", "curl_url",
	"curl_url_cleanup", "curl_url_get", "curl_url_set", "curl_easy_send",
	"curl_easy_recv", "curl_easy_duphandle"
};

static curl_dl_fn curl_dl_fns[F_COUNT];
static struct dl_lib curl_dl = {
	CURL_DL_SONAME, curl_dl_names, curl_dl_fns, F_COUNT,
	" (libcurl older than 7.62?)", 0, ""
};

int
curl_dl_load(char *why, size_t size)
{
	return dl_lib_load(&curl_dl, why, size);
}

/* The pointer to function f, of type T, or NULL when not loaded. */
#define CURL_DL(T, f)	DL_LIB_FN(&curl_dl, T, f)

CURLcode
curl_global_init(long flags)
{
	CURLcode (*f)(long) = CURL_DL(CURLcode (*)(long), F_GLOBAL_INIT);

	return f ? f(flags) : CURLE_FAILED_INIT;
}

void
curl_global_cleanup(void)
{
	void (*f)(void) = CURL_DL(void (*)(void), F_GLOBAL_CLEANUP);

	if (f)
		f();
}

curl_version_info_data *
curl_version_info(CURLversion v)
{
	curl_version_info_data *(*f)(CURLversion) = CURL_DL(
	    curl_version_info_data *(*)(CURLversion), F_VERSION_INFO);

	return f ? f(v) : NULL;
}

CURL *
curl_easy_init(void)
{
	CURL *(*f)(void) = CURL_DL(CURL *(*)(void), F_EASY_INIT);

	return f ? f() : NULL;
}

CURL *
curl_easy_duphandle(CURL *h)
{
	CURL *(*f)(CURL *) = CURL_DL(CURL *(*)(CURL *), F_EASY_DUPHANDLE);

	return f ? f(h) : NULL;
}

void
curl_easy_cleanup(CURL *h)
{
	void (*f)(CURL *) = CURL_DL(void (*)(CURL *), F_EASY_CLEANUP);

	if (f)
		f(h);
}

/*
 * The argument's type follows from the option's number (curl.h's
 * CURLOPTTYPE_* ranges): a long, an object pointer, a function pointer,
 * a curl_off_t, or a blob pointer.
 */
CURLcode
curl_easy_setopt(CURL *h, CURLoption opt, ...)
{
	CURLcode (*f)(CURL *, CURLoption, ...) = CURL_DL(
	    CURLcode (*)(CURL *, CURLoption, ...), F_EASY_SETOPT);
	CURLcode rc;
	va_list ap;

	if (f == NULL)
		return CURLE_FAILED_INIT;
	va_start(ap, opt);
	if (opt < CURLOPTTYPE_OBJECTPOINT)
		rc = f(h, opt, va_arg(ap, long));
	else if (opt < CURLOPTTYPE_FUNCTIONPOINT)
		rc = f(h, opt, va_arg(ap, void *));
	else if (opt < CURLOPTTYPE_OFF_T)
		rc = f(h, opt, va_arg(ap, curl_dl_fn));
	else if (opt < CURLOPTTYPE_BLOB)
		rc = f(h, opt, va_arg(ap, curl_off_t));
	else
		rc = f(h, opt, va_arg(ap, void *));
	va_end(ap);
	return rc;
}

/* Every CURLINFO_* takes a pointer. */
CURLcode
curl_easy_getinfo(CURL *h, CURLINFO info, ...)
{
	CURLcode (*f)(CURL *, CURLINFO, ...) = CURL_DL(
	    CURLcode (*)(CURL *, CURLINFO, ...), F_EASY_GETINFO);
	CURLcode rc;
	va_list ap;

	if (f == NULL)
		return CURLE_FAILED_INIT;
	va_start(ap, info);
	rc = f(h, info, va_arg(ap, void *));
	va_end(ap);
	return rc;
}

CURLcode
curl_easy_perform(CURL *h)
{
	CURLcode (*f)(CURL *) = CURL_DL(CURLcode (*)(CURL *), F_EASY_PERFORM);

	return f ? f(h) : CURLE_FAILED_INIT;
}

CURLcode
curl_easy_send(CURL *h, const void *p, size_t n, size_t *sent)
{
	CURLcode (*f)(CURL *, const void *, size_t, size_t *) = CURL_DL(
	    CURLcode (*)(CURL *, const void *, size_t, size_t *), F_EASY_SEND);

	return f ? f(h, p, n, sent) : CURLE_FAILED_INIT;
}

CURLcode
curl_easy_recv(CURL *h, void *p, size_t n, size_t *got)
{
	CURLcode (*f)(CURL *, void *, size_t, size_t *) = CURL_DL(
	    CURLcode (*)(CURL *, void *, size_t, size_t *), F_EASY_RECV);

	return f ? f(h, p, n, got) : CURLE_FAILED_INIT;
}

const char *
curl_easy_strerror(CURLcode c)
{
	const char *(*f)(CURLcode) = CURL_DL(const char *(*)(CURLcode),
	    F_EASY_STRERROR);

	return f ? f(c) : curl_dl.why;
}

void
curl_free(void *p)
{
	void (*f)(void *) = CURL_DL(void (*)(void *), F_FREE);

	if (f)
		f(p);
}

struct curl_slist *
curl_slist_append(struct curl_slist *l, const char *s)
{
	struct curl_slist *(*f)(struct curl_slist *, const char *) = CURL_DL(
	    struct curl_slist *(*)(struct curl_slist *, const char *),
	    F_SLIST_APPEND);

	return f ? f(l, s) : NULL;
}

void
curl_slist_free_all(struct curl_slist *l)
{
	void (*f)(struct curl_slist *) = CURL_DL(
	    void (*)(struct curl_slist *), F_SLIST_FREE_ALL);

	if (f)
		f(l);
}

CURLU *
curl_url(void)
{
	CURLU *(*f)(void) = CURL_DL(CURLU *(*)(void), F_URL);

	return f ? f() : NULL;
}

void
curl_url_cleanup(CURLU *u)
{
	void (*f)(CURLU *) = CURL_DL(void (*)(CURLU *), F_URL_CLEANUP);

	if (f)
		f(u);
}

/* libcurl 8 made the handle of curl_url_get() const. */
#if LIBCURL_VERSION_NUM >= 0x080000
typedef const CURLU curl_dl_url_in;
#else
typedef CURLU curl_dl_url_in;
#endif

CURLUcode
curl_url_get(curl_dl_url_in *u, CURLUPart what, char **part,
    unsigned int flags)
{
	CURLUcode (*f)(curl_dl_url_in *, CURLUPart, char **, unsigned int) =
	    CURL_DL(CURLUcode (*)(curl_dl_url_in *, CURLUPart, char **,
	    unsigned int), F_URL_GET);

	return f ? f(u, what, part, flags) : CURLUE_OUT_OF_MEMORY;
}

CURLUcode
curl_url_set(CURLU *u, CURLUPart what, const char *part, unsigned int flags)
{
	CURLUcode (*f)(CURLU *, CURLUPart, const char *, unsigned int) =
	    CURL_DL(CURLUcode (*)(CURLU *, CURLUPart, const char *,
	    unsigned int), F_URL_SET);

	return f ? f(u, what, part, flags) : CURLUE_OUT_OF_MEMORY;
}

#else

int
curl_dl_load(char *why, size_t size)
{
	(void)why;
	(void)size;
	return 0;
}

#endif
