/*
 * os_time.c (Windows) - os_time.h with the rules this binary carries,
 * evaluated by tzrule.h.  The current zone is this module's (TZ is never
 * touched: the C library would misread it); none entered means UTC.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <windows.h>

#include "os_time.h"
#include "tzrule.h"

static struct tzrule	os_zone;	/* valid when os_zone_spec != NULL */
static char		*os_zone_spec;

int
os_zone_files(void)
{
	return 0;
}

/* The spec's n-th name (0: standard, 1: daylight saving) into out. */
static void
os_zone_name(const char *spec, int n, char *out, size_t size)
{
	const char *p = spec, *start;
	size_t len;
	int i;

	*out = '\0';
	for (i = 0; i <= n && *p; i++) {
		if (*p == '<') {
			start = ++p;
			while (*p && *p != '>')
				p++;
			len = (size_t)(p - start);
			if (*p)
				p++;
		} else {
			start = p;
			while (isalpha((unsigned char)*p))
				p++;
			len = (size_t)(p - start);
		}
		if (i == n) {
			snprintf(out, size, "%.*s", (int)len, start);
			return;
		}
		/* Past the offset to the next name. */
		while (*p && (isdigit((unsigned char)*p) || *p == '+' ||
		    *p == '-' || *p == ':'))
			p++;
	}
}

/* Makes spec current; NULL: UTC.  0, or -1 when it is not a rule. */
static int
os_zone_set(const char *spec)
{
	struct tzrule r;
	char *copy = NULL;

	if (spec != NULL) {
		if (tzrule_parse(spec, &r) == -1 ||
		    (copy = strdup(spec)) == NULL)
			return -1;
		os_zone = r;
	}
	free(os_zone_spec);
	os_zone_spec = copy;
	return 0;
}

int
os_zone_enter(const char *spec, struct os_zone_saved *sv)
{
	sv->had = os_zone_spec != NULL;
	sv->old = os_zone_spec ? strdup(os_zone_spec) : NULL;
	if (sv->had && sv->old == NULL)
		return -1;
	if (os_zone_set(spec) == -1) {
		free(sv->old);
		sv->old = NULL;
		return -1;
	}
	return 0;
}

void
os_zone_leave(struct os_zone_saved *sv)
{
	if (os_zone_set(sv->had ? sv->old : NULL) == -1)
		os_zone_set(NULL);
	free(sv->old);
	sv->old = NULL;
}

void
os_localtime(time_t t, struct tm *tm, long *gmtoff, char *abbr, size_t size)
{
	static const struct tzrule utc;
	long off;

	tzrule_localtime(os_zone_spec ? &os_zone : &utc, (long long)t, tm,
	    &off);
	if (gmtoff)
		*gmtoff = off;
	if (abbr && size > 0) {
		if (os_zone_spec)
			os_zone_name(os_zone_spec, tm->tm_isdst > 0, abbr,
			    size);
		else
			snprintf(abbr, size, "UTC");
	}
}

long long
os_monotonic_ms(void)
{
	return (long long)GetTickCount64();
}
