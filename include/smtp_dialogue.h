/*
 * smtp_dialogue.h - internal to the SMTP client: follows the dialogue that
 * libcurl holds with the server, which libcurl 7.88 does not expose.
 *
 * libcurl holds the session phase (greeting, EHLO, STARTTLS, AUTH) and the
 * probe's NOOP; the message phase is smtp_message.c's.  smtp.c installs
 * these callbacks on its easy handle, all with a pointer to one struct
 * smtp_dialogue as their data.  Commands are learnt from
 * CURLOPT_DEBUGFUNCTION (CURLINFO_HEADER_OUT, so CURLOPT_VERBOSE must be on),
 * replies from CURLOPT_HEADERFUNCTION, which libcurl calls with every reply
 * line.  libcurl 7.88 sends one command at a time, so a reply answers the
 * last command seen.  The last EHLO's PIPELINING, SIZE and SMTPUTF8 are
 * noted for the message phase.  Nothing of an AUTH exchange is kept or
 * logged.  The outcome's helpers (smtp_outcome_refuse) are shared with
 * smtp_message.c.
 */
#ifndef SENDREPORTS_SMTP_DIALOGUE_H
#define SENDREPORTS_SMTP_DIALOGUE_H

#include <sys/types.h>

#include <stddef.h>

#include <curl/curl.h>

#include "buf.h"
#include "smtp.h"

/* The command the next reply answers, in the order of a dialogue. */
enum smtp_cmd {
	SMTP_CMD_NONE,		/* nothing sent yet: connection, greeting */
	SMTP_CMD_EHLO,		/* EHLO or HELO */
	SMTP_CMD_STARTTLS,
	SMTP_CMD_AUTH,		/* AUTH and each line of its exchange */
	SMTP_CMD_OTHER,		/* NOOP, RSET, HELP */
	SMTP_CMD_MAIL,		/* from here on: the message phase */
	SMTP_CMD_RCPT,
	SMTP_CMD_DATA,
	SMTP_CMD_BODY		/* DATA got 354: the body is going out */
};

/*
 * What one curl_easy_perform() has shown so far.  smtp_dialogue_reset()
 * starts each transfer; the fields are read by smtp.c afterwards.
 */
struct smtp_dialogue {
	int			 verbose;	/* log the dialogue (debug) */
	struct buf		 reply;		/* the last reply, lines joined
						   with "\n", capped */
	enum smtp_cmd		 cmd;
	int			 answered;	/* cmd got its final reply */
	int			 code;		/* last final reply, 0: none */
	int			 in_reply;	/* inside a multi-line reply */
	int			 reply_line;
	int			 quitting;	/* QUIT sent: stop following */
	int			 nehlo;
	int			 tls;		/* STARTTLS got 220 */
	int			 authenticated;	/* AUTH got 235 */
	int			 pipelining;	/* the last EHLO offered it */
	int			 size;		/* SIZE */
	int			 smtputf8;	/* SMTPUTF8 */
	struct smtp_probe	*probe;		/* EHLO capabilities, or NULL */
};

/* Cannot fail.  smtp_dialogue_release() frees the reply buffer. */
void	smtp_dialogue_init(struct smtp_dialogue *d, int verbose);
void	smtp_dialogue_release(struct smtp_dialogue *d);

/*
 * Starts a transfer: everything but verbose is cleared; probe (NULL: none)
 * receives the greeting and capabilities until the next reset.
 */
void	smtp_dialogue_reset(struct smtp_dialogue *d, struct smtp_probe *probe);

/*
 * Adds rcpt, refused with code and text, to out->refused.  0, or -1 (out
 * of memory).
 */
int	smtp_outcome_refuse(struct smtp_outcome *out, const char *rcpt,
	    int code, const char *text);

/* A name for the step a command stands for ("RCPT TO").  Static string. */
const char	*smtp_dialogue_step(enum smtp_cmd cmd);

/* The libcurl callbacks; arg is the struct smtp_dialogue. */
size_t	smtp_dialogue_header_cb(char *data, size_t size, size_t nmemb,
	    void *arg);
int	smtp_dialogue_debug_cb(CURL *curl, curl_infotype type, char *data,
	    size_t size, void *arg);
size_t	smtp_dialogue_discard_cb(char *data, size_t size, size_t nmemb,
	    void *arg);

#endif
