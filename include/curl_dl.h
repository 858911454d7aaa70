/*
 * curl_dl.h - libcurl loaded when it is first needed, in the dynamic
 * build (SENDREPORTS_CURL_DLOPEN).  Debian's libcurl brings some 38 shared
 * libraries with it (TLS, HTTP/2, LDAP, Kerberos, SSH, IDN ...): linked,
 * every command would map them at start, and the tick a box runs every
 * minute would pay 12 MB of memory and most of its time for a library it
 * calls only when something is to be sent.  So the dynamic build does
 * not link libcurl: curl_dl.c defines the few libcurl functions the
 * program calls, each forwarding to the library's own, which the first
 * call loads (dlopen of CURL_DL_SONAME, dl_lib.h).  The static builds
 * link libcurl and have no use for this file.
 */
#ifndef SENDREPORTS_CURL_DL_H
#define SENDREPORTS_CURL_DL_H

#include <stddef.h>

#ifndef CURL_DL_SONAME
#define CURL_DL_SONAME	"libcurl.so.4"
#endif

/*
 * Loads libcurl and resolves the functions, once.  0, or -1 with why
 * (size bytes) saying what is missing ("libcurl.so.4: cannot open shared
 * object file: No such file or directory").  In a build that links
 * libcurl, 0.
 */
int	curl_dl_load(char *why, size_t size);

#endif
