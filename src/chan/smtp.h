/*
 * smtp — the e-mail adapter: one message per action, submitted over SMTP
 * with libcurl (docs/configuration.md "channels.email", "adapter: smtp").
 *
 * The message is built here, byte for byte, so that tests can check it:
 *
 *   Date: <a->at, RFC 5322, +0000>
 *   From: <cfg->from; a non-ASCII display name as an RFC 2047 encoded-word>
 *   To: <a->to>
 *   Subject: <a->subject as is when printable ASCII, else RFC 2047 base64
 *             encoded-words of whole UTF-8 characters>
 *   Message-ID: <HEX(SHA-256(a->key))@relance>
 *   MIME-Version: 1.0
 *
 * then, without cfg->html, one text/plain; charset=UTF-8 body; with it, a
 * multipart/alternative of that text/plain part and a text/html part made
 * from the text (escaped; a blank line separates paragraphs, a single line
 * break becomes <br>). Bodies are base64 (lines of 76) of the text with CRLF
 * line breaks. The Message-ID and the MIME boundary depend only on the key,
 * so a key sent twice gives the same Message-ID and a receiver can drop the
 * second copy.
 *
 * Outcome of smtp_send (out->status, enum chan_status):
 *   CHAN_DONE       250 after the end of the data; out->peer_id is the
 *                   server's queue id when its reply says "queued as ID".
 *   CHAN_REFUSED    a 5xx reply to MAIL FROM, RCPT TO, DATA or the end of
 *                   the data ("550 5.1.1 no such user" in out->detail), or
 *                   an action that cannot be a message (no address, a
 *                   header-breaking address, text over SMTP_MAX_MESSAGE).
 *   CHAN_FAILED     a 4xx reply to those; any failure before the first byte
 *                   of the message was handed to the connection: connection
 *                   refused, time-out, TLS failure, STARTTLS not offered with
 *                   starttls: always, authentication refused, a 5xx to the
 *                   greeting or EHLO (none of those is the address's fault).
 *   CHAN_UNCERTAIN  the connection was lost or timed out after the message
 *                   was handed to it and before the final reply: the server
 *                   may have queued it. Never resent automatically.
 * How: the reply code is CURLINFO_RESPONSE_CODE; which command it answered
 * is known from the commands libcurl reports sending (its debug callback,
 * read for command names only: the AUTH lines are never copied); whether
 * the message was handed over is known from our read callback, which
 * libcurl calls only after the 354 to DATA. A reply line is read for the
 * detail and the queue id.
 *
 * Errors: smtp_send returns 0 whenever *out is filled (every status above);
 * -1 only on a broken argument or an allocation failure, with out->status
 * CHAN_FAILED and out->detail saying why. Nothing here logs; the password
 * never appears in out->detail.
 *
 * Threads: one sender per thread. libcurl's global state is set up by the
 * first open and released by the last close (curl_global_init/cleanup are
 * reference counted).
 */
#ifndef RELANCE_SMTP_H
#define RELANCE_SMTP_H

#include <stddef.h>

#include "../core/config.h"
#include "chan.h"

/* The message, headers and encoded bodies, is at most this long. */
#define SMTP_MAX_MESSAGE (4u << 20)

struct smtp_sender;

/* What the operations file does not say. All zero: the defaults. */
struct smtp_options {
	/* PEM file of the certificate authorities to trust instead of the
	 * system's (a private CA, or a test's self-signed peer); NULL: the
	 * system's. Certificates and host names are always verified. */
	const char *ca_file;
};

/*
 * Opens a sender for cfg, which is borrowed and must outlive the sender
 * (the options too). Connects lazily: at the first smtp_send. Returns 0 with
 * *out set, or -1 with a one-line reason in err (a missing url or from, an
 * unusable from, libcurl not initialising).
 */
int smtp_sender_open(const struct config_smtp *cfg, struct smtp_sender **out, char *err,
		     size_t errsize);
int smtp_sender_open_with(const struct config_smtp *cfg, const struct smtp_options *opt,
			  struct smtp_sender **out, char *err, size_t errsize);
/* Closes the connection (QUIT) and frees s. NULL is harmless. */
void smtp_sender_close(struct smtp_sender *s);

/*
 * Sends one message: a->to (an address), a->subject (NULL or "": no
 * subject), a->text (UTF-8), a->key, a->at. Reuses the connection of the
 * previous call when the server kept it. Fills *out; see the top of this
 * file for the statuses and the return value.
 */
int smtp_send(struct smtp_sender *s, const struct chan_action *a, struct chan_outcome *out);

/*
 * The whole message smtp_send would submit for a, in a malloc'ed buffer of
 * *len bytes (NUL-terminated) owned by the caller. NULL with a reason in
 * err when a cannot be a message or memory runs out.
 */
char *smtp_message_build(const struct config_smtp *cfg, const struct chan_action *a,
			 size_t *len, char *err, size_t errsize);

#endif
