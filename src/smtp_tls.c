/*
 * smtp_tls.c - where the SMTP client's trust comes from (smtp_tls.h): the
 * CA bundle chosen for libcurl, or the relay's pinned public keys.
 */
#include <sys/stat.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "buf.h"
#include "cabundle.h"
#include "os_fs.h"
#include "smtp_tls.h"

/*
 * Chooses where the certificates come from, in this order: the configured
 * ca_file, which must be there; the bundle libcurl looks for on the box,
 * kept up to date by its owner (Windows' certificate store with Schannel);
 * the one the binary carries (cabundle.h).
 * With none of them it fails: verification is never skipped for lack of a
 * bundle.  0, or -1 with err set.
 */
int
smtp_tls_set_ca(CURL *curl, const char *ca_file, const char **ca_source,
    struct buf *err)
{
	const curl_version_info_data *vi;
	struct curl_blob blob;
	struct buf pem;
	struct stat st;
	char *path = NULL;
	int rv = -1;

	buf_init(&pem, cabundle_pem_len + 1);
	if (ca_file != NULL) {
		if (os_stat(ca_file, &st) == -1 || access(ca_file, R_OK) == -1) {
			(void)buf_printf(err, "ca_file %s: %s", ca_file,
			    strerror(errno));
			goto out;
		}
		if (!S_ISREG(st.st_mode)) {
			(void)buf_printf(err, "ca_file %s: not a regular file",
			    ca_file);
			goto out;
		}
		if (curl_easy_setopt(curl, CURLOPT_CAINFO, ca_file) !=
		    CURLE_OK)
			goto nomem;
		*ca_source = "ca_file";
		rv = 0;
		goto out;
	}
	if (curl_easy_getinfo(curl, CURLINFO_CAINFO, &path) == CURLE_OK &&
	    path != NULL && access(path, R_OK) == 0) {
		*ca_source = "system";
		rv = 0;
		goto out;
	}
	path = NULL;
	if (curl_easy_getinfo(curl, CURLINFO_CAPATH, &path) == CURLE_OK &&
	    path != NULL && access(path, R_OK | X_OK) == 0) {
		*ca_source = "system";
		rv = 0;
		goto out;
	}
	/* Schannel (the Windows build): the system's certificate store,
	 * which Windows keeps up to date, unless told otherwise.  Its
	 * revocation check, which the other builds do not make, must not
	 * fail a delivery when the CA's revocation server is unreachable. */
	if ((vi = curl_version_info(CURLVERSION_NOW)) != NULL &&
	    vi->ssl_version != NULL &&
	    strncmp(vi->ssl_version, "Schannel", 8) == 0) {
		if (curl_easy_setopt(curl, CURLOPT_SSL_OPTIONS,
		    (long)CURLSSLOPT_REVOKE_BEST_EFFORT) != CURLE_OK)
			goto nomem;
		*ca_source = "system";
		rv = 0;
		goto out;
	}
	if (cabundle_gz_len == 0) {
		(void)buf_puts(err, "no CA bundle found where libcurl looks "
		    "for one: set ca_file");
		goto out;
	}
	if (cabundle_pem(&pem, err) == -1)
		goto out;
	blob.data = pem.data;
	blob.len = pem.len;
	blob.flags = CURL_BLOB_COPY;
	/* The missing default file must not be tried (mbedTLS fails on it). */
	if (curl_easy_setopt(curl, CURLOPT_CAINFO, NULL) != CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_CAPATH, NULL) != CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_CAINFO_BLOB, &blob) != CURLE_OK)
		goto nomem;
	*ca_source = "built-in";
	rv = 0;
	goto out;
nomem:
	(void)buf_puts(err, "libcurl refused the CA bundle");
out:
	buf_release(&pem);
	return rv;
}

/* CURLOPT_PINNEDPUBLICKEY of "A;B": "sha256//A;sha256//B". */
int
smtp_tls_set_pins(CURL *h, const char *pins)
{
	struct buf v;
	const char *p;
	int rc;

	buf_init(&v, 4096);
	for (p = pins; *p; p += strcspn(p, ";"), p += *p == ';')
		if (buf_printf(&v, "%ssha256//%.*s", v.len ? ";" : "",
		    (int)strcspn(p, ";"), p) == -1) {
			buf_release(&v);
			return -1;
		}
	rc = curl_easy_setopt(h, CURLOPT_PINNEDPUBLICKEY, v.data) ==
	    CURLE_OK ? 0 : -1;
	buf_release(&v);
	return rc;
}
