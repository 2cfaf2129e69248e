/*
 * smtp — see smtp.h. The message is built in a capped growing buffer and
 * handed to libcurl through a read callback; libcurl speaks the protocol
 * (EHLO, STARTTLS, AUTH, MAIL, RCPT, DATA, dot-stuffing) and keeps the
 * connection in its cache between calls on the one easy handle.
 *
 * The session, as far as the outcome needs it, is a small state machine
 * fed by libcurl's debug callback (commands out, replies in) and by the
 * read callback:
 *
 *   SESSION --MAIL FROM--> MAIL --RCPT TO--> RCPT --DATA--> DATA
 *      --first read of the message--> BODY --read returns 0--> body_done
 *
 * A 4xx/5xx reply means something about the message only in MAIL, RCPT,
 * DATA or BODY; once body_done is set, libcurl may have sent the final
 * "." and the server may hold the message, so a lost connection is
 * uncertain. Before it, the server cannot have a complete message.
 */
#include <assert.h>
#include <curl/curl.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "../core/csvin.h"
#include "../core/dynbuf.h"
#include "chan_text.h"
#include "smtp.h"

enum smtp_stage { STAGE_SESSION, STAGE_MAIL, STAGE_RCPT, STAGE_DATA, STAGE_BODY };

struct smtp_sender {
	const struct config_smtp *cfg;
	CURL *curl;
	char mail_from[320];            /* "<address>" for MAIL FROM */
	char errbuf[CURL_ERROR_SIZE];
	/* per send */
	const char *msg;
	size_t msg_len, msg_pos;
	enum smtp_stage stage;
	int body_done;
	int quitting;                   /* libcurl closes the connection after a
					 * failure: the "221" is not the reply
					 * that matters */
	char reply[160];                /* last reply line, without CRLF */
};

/* ---- text checks and encodings ------------------------------------------ */

/* Length of the UTF-8 sequence at s[0..n) when well formed (shortest form,
 * no surrogates, at most U+10FFFF), else 0. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	size_t len;
	uint32_t c;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, c = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, c = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, c = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && (c < 0x800 || (c >= 0xd800 && c <= 0xdfff))) ||
	    (len == 4 && (c < 0x10000 || c > 0x10ffff)))
		return 0;
	return len;
}

/* Whole valid UTF-8 (no overlongs, no surrogates): the CSV reader's rule. */
static int utf8_valid(const char *s)
{
	return csvin_utf8_valid(s, strlen(s));
}

static int printable_ascii(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return 0;
	return 1;
}

/* Base64 of data[0..n) in lines of at most 76 characters, each ending in
 * CRLF (RFC 2045 section 6.8). */
static void add_base64_lines(struct dynbuf *b, const unsigned char *data, size_t n)
{
	/* 57 input bytes make one 76-character line. */
	for (size_t i = 0; i < n; i += 57) {
		size_t k = n - i < 57 ? n - i : 57;
		char line[80];

		sodium_bin2base64(line, sizeof(line), data + i, k, sodium_base64_VARIANT_ORIGINAL);
		dynbuf_str(b, line);
		dynbuf_add(b, "\r\n", 2);
	}
}

/*
 * RFC 2047 "B" encoded-words for UTF-8 text, each at most 75 characters
 * (12 of syntax + 60 of base64 = 45 bytes), cut between characters so each
 * word decodes on its own; words are separated by a folding CRLF SP.
 */
static void add_encoded_words(struct dynbuf *b, const char *s)
{
	size_t n = strlen(s);

	for (size_t i = 0; i < n;) {
		size_t k = 0;
		char word[64];

		while (i + k < n) {
			size_t c = utf8_seq((const unsigned char *)s + i + k, n - i - k);

			if (c == 0)
				c = 1;  /* checked valid before; keeps the loop finite */
			if (k + c > 45)
				break;
			k += c;
		}
		sodium_bin2base64(word, sizeof(word), (const unsigned char *)s + i, k,
				  sodium_base64_VARIANT_ORIGINAL);
		if (i > 0)
			dynbuf_add(b, "\r\n ", 3);
		dynbuf_str(b, "=?UTF-8?B?");
		dynbuf_str(b, word);
		dynbuf_str(b, "?=");
		i += k;
	}
}

/* Text with every line break (CRLF, LF or a lone CR) made CRLF: the
 * canonical form of a text body before it is encoded (RFC 2046 4.1.1). */
static void add_crlf_text(struct dynbuf *b, const char *s)
{
	for (; *s; s++) {
		if (*s == '\r') {
			if (s[1] == '\n')
				s++;
			dynbuf_add(b, "\r\n", 2);
		} else if (*s == '\n') {
			dynbuf_add(b, "\r\n", 2);
		} else {
			dynbuf_add(b, s, 1);
		}
	}
}

/* The HTML rendering of the text: escaped, paragraphs at blank lines,
 * <br> at single line breaks. Line breaks of the text are LF here. */
static void add_html(struct dynbuf *b, const char *s)
{
	int in_p = 0;

	dynbuf_str(b, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"></head><body>\n");
	while (*s) {
		size_t breaks = 0;

		while (*s == '\r' || *s == '\n') {
			if (*s == '\n' || s[1] != '\n')
				breaks++;
			s++;
		}
		if (*s == '\0')
			break;
		if (in_p && breaks == 1)
			dynbuf_str(b, "<br>\n");
		else if (in_p && breaks > 1)
			dynbuf_str(b, "</p>\n<p>");
		else if (!in_p)
			dynbuf_str(b, "<p>");
		in_p = 1;
		for (; *s && *s != '\r' && *s != '\n'; s++) {
			switch (*s) {
			case '&': dynbuf_str(b, "&amp;"); break;
			case '<': dynbuf_str(b, "&lt;"); break;
			case '>': dynbuf_str(b, "&gt;"); break;
			case '"': dynbuf_str(b, "&quot;"); break;
			case '\'': dynbuf_str(b, "&#39;"); break;
			default: dynbuf_add(b, s, 1);
			}
		}
	}
	if (in_p)
		dynbuf_str(b, "</p>\n");
	dynbuf_str(b, "</body></html>\n");
}

/* ---- addresses ----------------------------------------------------------- */

/* An addr-spec we are willing to put in RCPT TO and a header: printable
 * ASCII without the characters that would end or split it, one '@' with
 * something on each side. */
static int address_ok(const char *s)
{
	const char *at = strchr(s, '@');
	size_t n = strlen(s);

	if (n == 0 || n > 254 || at == NULL || at == s || at[1] == '\0' || strchr(at + 1, '@'))
		return 0;
	for (; *s; s++)
		if ((unsigned char)*s <= 0x20 || (unsigned char)*s > 0x7e || strchr("<>()[],;:\\\"", *s))
			return 0;
	return 1;
}

/* Splits "Name <address>" or "address" into its parts, the name without
 * surrounding blanks and quotes. Returns 0, or -1 when unusable. */
static int split_from(const char *from, char *name, size_t namesize, char *addr, size_t addrsize)
{
	const char *lt = strrchr(from, '<');
	size_t n = strlen(from);
	const char *ns, *ne;

	name[0] = '\0';
	if (lt == NULL) {
		if (n >= addrsize)
			return -1;
		memcpy(addr, from, n + 1);
		return address_ok(addr) ? 0 : -1;
	}
	if (n < 2 || from[n - 1] != '>' || (size_t)(from + n - 1 - (lt + 1)) >= addrsize)
		return -1;
	memcpy(addr, lt + 1, (size_t)(from + n - 1 - (lt + 1)));
	addr[from + n - 1 - (lt + 1)] = '\0';
	ns = from;
	ne = lt;
	while (ns < ne && (*ns == ' ' || *ns == '\t'))
		ns++;
	while (ne > ns && (ne[-1] == ' ' || ne[-1] == '\t'))
		ne--;
	if (ne - ns >= 2 && *ns == '"' && ne[-1] == '"')
		ns++, ne--;
	if ((size_t)(ne - ns) >= namesize)
		return -1;
	memcpy(name, ns, (size_t)(ne - ns));
	name[ne - ns] = '\0';
	if (!utf8_valid(name))
		return -1;
	for (const char *p = name; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return -1;
	return address_ok(addr) ? 0 : -1;
}

static void add_from(struct dynbuf *b, const char *name, const char *addr)
{
	int atoms = 1;

	dynbuf_str(b, "From: ");
	if (name[0] == '\0') {
		dynbuf_str(b, addr);
		dynbuf_str(b, "\r\n");
		return;
	}
	if (!printable_ascii(name)) {
		add_encoded_words(b, name);
	} else {
		/* atext and spaces may stand bare (RFC 5322 3.2.3); else quote. */
		for (const char *p = name; *p; p++)
			if (!(*p == ' ' || (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
			      (*p >= '0' && *p <= '9') || strchr("!#$%&'*+-/=?^_`{|}~", *p)))
				atoms = 0;
		if (atoms) {
			dynbuf_str(b, name);
		} else {
			dynbuf_str(b, "\"");
			for (const char *p = name; *p; p++) {
				if (*p == '"' || *p == '\\')
					dynbuf_str(b, "\\");
				dynbuf_add(b, p, 1);
			}
			dynbuf_str(b, "\"");
		}
	}
	dynbuf_str(b, " <");
	dynbuf_str(b, addr);
	dynbuf_str(b, ">\r\n");
}

/* ---- the message --------------------------------------------------------- */

/* HEX(SHA-256(key)), 64 characters and a NUL. */
static void key_hex(const char *key, char hex[65])
{
	unsigned char h[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(h, (const unsigned char *)key, strlen(key));
	sodium_bin2hex(hex, 65, h, sizeof(h));
}

static void add_text_part(struct dynbuf *b, const char *type, const char *content)
{
	struct dynbuf t = { .max = SMTP_MAX_MESSAGE };

	dynbuf_str(b, "Content-Type: ");
	dynbuf_str(b, type);
	dynbuf_str(b, "; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n");
	if (strcmp(type, "text/html") == 0) {
		struct dynbuf h = { .max = SMTP_MAX_MESSAGE };

		add_html(&h, content);
		if (h.failed)
			b->failed = 1;
		else
			add_crlf_text(&t, h.p);
		free(h.p);
	} else {
		add_crlf_text(&t, content);
	}
	if (t.failed)
		b->failed = 1;
	else if (t.len > 0)
		add_base64_lines(b, (const unsigned char *)t.p, t.len);
	free(t.p);
}

char *smtp_message_build(const struct config_smtp *cfg, const struct chan_action *a,
			 size_t *len, char *err, size_t errsize)
{
	static const char *const wday[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char *const mon[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct dynbuf b = { .max = SMTP_MAX_MESSAGE };
	char name[256], addr[256], hex[65], line[128];
	const char *text = a->text ? a->text : "";
	const char *subject = a->subject ? a->subject : "";
	time_t t = (time_t)a->at;
	struct tm tm;
	char *ret = NULL;

	assert(cfg != NULL && a != NULL && len != NULL);
	if (sodium_init() < 0) {
		snprintf(err, errsize, "libsodium did not initialise");
		goto out;
	}
	if (cfg->from == NULL || split_from(cfg->from, name, sizeof(name), addr, sizeof(addr)) != 0) {
		snprintf(err, errsize, "from is not an address or \"Name <address>\"");
		goto out;
	}
	if (a->to == NULL || !address_ok(a->to)) {
		snprintf(err, errsize, "not a usable e-mail address");
		goto out;
	}
	if (a->key == NULL || a->key[0] == '\0') {
		snprintf(err, errsize, "no idempotency key");
		goto out;
	}
	if (!utf8_valid(text) || !utf8_valid(subject)) {
		snprintf(err, errsize, "subject or text is not valid UTF-8");
		goto out;
	}
	if (gmtime_r(&t, &tm) == NULL) {
		snprintf(err, errsize, "time out of range");
		goto out;
	}
	key_hex(a->key, hex);

	snprintf(line, sizeof(line), "Date: %s, %02d %s %04d %02d:%02d:%02d +0000\r\n",
		 wday[tm.tm_wday], tm.tm_mday, mon[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour,
		 tm.tm_min, tm.tm_sec);
	dynbuf_str(&b, line);
	add_from(&b, name, addr);
	dynbuf_str(&b, "To: ");
	dynbuf_str(&b, a->to);
	dynbuf_str(&b, "\r\n");
	if (subject[0] != '\0') {
		dynbuf_str(&b, "Subject: ");
		/* Printable ASCII goes as it is (a long one is still one line,
		 * below the 998 limit); anything else, control characters
		 * included, is encoded so that no byte can end the header. */
		if (printable_ascii(subject) && strlen(subject) <= 900)
			dynbuf_str(&b, subject);
		else
			add_encoded_words(&b, subject);
		dynbuf_str(&b, "\r\n");
	}
	dynbuf_str(&b, "Message-ID: <");
	dynbuf_str(&b, hex);
	dynbuf_str(&b, "@relance>\r\nMIME-Version: 1.0\r\n");
	if (!cfg->html) {
		add_text_part(&b, "text/plain", text);
	} else {
		/* "=_" cannot occur in base64 text, so the boundary cannot
		 * occur in the parts (RFC 2045 6.7, RFC 2046 5.1.1). */
		char boundary[48];

		snprintf(boundary, sizeof(boundary), "=_relance_%.32s", hex);
		snprintf(line, sizeof(line), "Content-Type: multipart/alternative; boundary=\"%s\"\r\n\r\n",
			 boundary);
		dynbuf_str(&b, line);
		snprintf(line, sizeof(line), "--%s\r\n", boundary);
		dynbuf_str(&b, line);
		add_text_part(&b, "text/plain", text);
		dynbuf_str(&b, line);
		add_text_part(&b, "text/html", text);
		snprintf(line, sizeof(line), "--%s--\r\n", boundary);
		dynbuf_str(&b, line);
	}
	if (b.failed) {
		snprintf(err, errsize, "message over %u bytes or out of memory", SMTP_MAX_MESSAGE);
		goto out;
	}
	*len = b.len;
	ret = b.p;
	b.p = NULL;
out:
	free(b.p);
	return ret;
}

/* ---- the sender ---------------------------------------------------------- */

static size_t on_read(char *dst, size_t size, size_t nmemb, void *ctx)
{
	struct smtp_sender *s = ctx;
	size_t room = size * nmemb, n = s->msg_len - s->msg_pos;

	s->stage = STAGE_BODY;
	if (n > room)
		n = room;
	memcpy(dst, s->msg + s->msg_pos, n);
	s->msg_pos += n;
	/* libcurl stops reading at the size it was given, so the last byte
	 * handed over, not a read of 0, marks the end. */
	if (s->msg_pos == s->msg_len)
		s->body_done = 1;
	return n;
}

static int starts(const char *data, size_t size, const char *prefix)
{
	size_t n = strlen(prefix);

	return size >= n && strncasecmp(data, prefix, n) == 0;
}

/* Commands out move the stage; replies in are kept for the detail. Only
 * the command names are looked at: an AUTH line's data is never copied. */
static int on_debug(CURL *h, curl_infotype type, char *data, size_t size, void *ctx)
{
	struct smtp_sender *s = ctx;

	(void)h;
	if (type == CURLINFO_HEADER_OUT) {
		if (starts(data, size, "MAIL FROM:"))
			s->stage = STAGE_MAIL;
		else if (starts(data, size, "RCPT TO:"))
			s->stage = STAGE_RCPT;
		else if (starts(data, size, "DATA\r\n"))
			s->stage = STAGE_DATA;
		else if (starts(data, size, "EHLO ") || starts(data, size, "HELO ") ||
			 starts(data, size, "STARTTLS") || starts(data, size, "AUTH "))
			s->stage = STAGE_SESSION;
		else if (starts(data, size, "QUIT"))
			s->quitting = 1;
	} else if (type == CURLINFO_HEADER_IN && !s->quitting) {
		/* The last complete line of what arrived. */
		size_t end = size, start;

		while (end > 0 && (data[end - 1] == '\r' || data[end - 1] == '\n'))
			end--;
		start = end;
		while (start > 0 && data[start - 1] != '\n')
			start--;
		if (end - start >= sizeof(s->reply))
			end = start + sizeof(s->reply) - 1;
		memcpy(s->reply, data + start, end - start);
		s->reply[end - start] = '\0';
		for (char *p = s->reply; *p; p++)
			if ((unsigned char)*p < 0x20 || (unsigned char)*p == 0x7f)
				*p = ' ';
	}
	return 0;
}

int smtp_sender_open(const struct config_smtp *cfg, struct smtp_sender **out, char *err,
		     size_t errsize)
{
	static const struct smtp_options defaults;

	return smtp_sender_open_with(cfg, &defaults, out, err, errsize);
}

int smtp_sender_open_with(const struct config_smtp *cfg, const struct smtp_options *opt,
			  struct smtp_sender **out, char *err, size_t errsize)
{
	struct smtp_sender *s = NULL;
	char name[256], addr[256];
	long timeout;
	int global = 0, ret = -1;
	CURLcode c = CURLE_OK;

	assert(cfg != NULL && opt != NULL && out != NULL);
	*out = NULL;
	if (cfg->url == NULL || cfg->from == NULL) {
		snprintf(err, errsize, "smtp: url and from are required");
		goto out;
	}
	if (split_from(cfg->from, name, sizeof(name), addr, sizeof(addr)) != 0) {
		snprintf(err, errsize, "smtp: from is not an address or \"Name <address>\"");
		goto out;
	}
	if (sodium_init() < 0 || curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		snprintf(err, errsize, "smtp: libcurl or libsodium did not initialise");
		goto out;
	}
	global = 1;
	if ((s = calloc(1, sizeof(*s))) == NULL || (s->curl = curl_easy_init()) == NULL) {
		snprintf(err, errsize, "smtp: out of memory");
		goto out;
	}
	s->cfg = cfg;
	snprintf(s->mail_from, sizeof(s->mail_from), "<%s>", addr);
	timeout = cfg->timeout_s > 0 ? cfg->timeout_s : 30;

#define SET(opt_, val) do { if (c == CURLE_OK) c = curl_easy_setopt(s->curl, opt_, val); } while (0)
	SET(CURLOPT_URL, cfg->url);
	SET(CURLOPT_MAIL_FROM, s->mail_from);
	SET(CURLOPT_UPLOAD, 1L);
	SET(CURLOPT_READFUNCTION, on_read);
	SET(CURLOPT_READDATA, s);
	/* Verbose only so that the debug callback sees commands and
	 * replies; with a callback set, libcurl prints nothing itself. */
	SET(CURLOPT_DEBUGFUNCTION, on_debug);
	SET(CURLOPT_DEBUGDATA, s);
	SET(CURLOPT_VERBOSE, 1L);
	SET(CURLOPT_ERRORBUFFER, s->errbuf);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_CONNECTTIMEOUT, timeout);
	/* timeout_s is per command: the wait for each reply, and a stalled
	 * upload of the message. */
	SET(CURLOPT_SERVER_RESPONSE_TIMEOUT, timeout);
	SET(CURLOPT_LOW_SPEED_LIMIT, 1L);
	SET(CURLOPT_LOW_SPEED_TIME, timeout);
	SET(CURLOPT_USE_SSL, cfg->starttls == CONFIG_STARTTLS_ALWAYS ? (long)CURLUSESSL_ALL
			     : cfg->starttls == CONFIG_STARTTLS_NEVER ? (long)CURLUSESSL_NONE
			     : (long)CURLUSESSL_TRY);
	if (cfg->username != NULL)
		SET(CURLOPT_USERNAME, cfg->username);
	if (cfg->password != NULL)
		SET(CURLOPT_PASSWORD, cfg->password);
	if (opt->ca_file != NULL)
		SET(CURLOPT_CAINFO, opt->ca_file);
#undef SET
	if (c != CURLE_OK) {
		snprintf(err, errsize, "smtp: %s", curl_easy_strerror(c));
		goto out;
	}
	*out = s;
	s = NULL;
	global = 0;
	ret = 0;
out:
	if (s != NULL) {
		if (s->curl != NULL)
			curl_easy_cleanup(s->curl);
		free(s);
	}
	if (global)
		curl_global_cleanup();
	return ret;
}

void smtp_sender_close(struct smtp_sender *s)
{
	if (s == NULL)
		return;
	curl_easy_cleanup(s->curl);
	free(s);
	curl_global_cleanup();
}

/* "queued as ID" in a 250 reply (Postfix, Exim's "id=" is not read). */
static void queue_id(const char *reply, char *id, size_t idsize)
{
	const char *p = strstr(reply, "queued as ");
	size_t n = 0;

	id[0] = '\0';
	if (p == NULL)
		return;
	p += strlen("queued as ");
	while (p[n] && n + 1 < idsize &&
	       ((p[n] >= '0' && p[n] <= '9') || (p[n] >= 'A' && p[n] <= 'Z') ||
		(p[n] >= 'a' && p[n] <= 'z') || strchr("._-", p[n])))
		n++;
	memcpy(id, p, n);
	id[n] = '\0';
}

/* out->detail = prefix + text, cut to fit (what is cut is the end of a
 * reply or of libcurl's message, never needed whole). */
static void set_outcome(struct chan_outcome *out, int status, const char *prefix, const char *text)
{
	chan_detail_set(out, status, prefix, text, strlen(text));
}

int smtp_send(struct smtp_sender *s, const struct chan_action *a, struct chan_outcome *out)
{
	struct curl_slist *rcpt = NULL;
	char why[160];
	char *msg = NULL;
	size_t len = 0;
	long code = 0;
	CURLcode c;
	int ret = -1;

	assert(s != NULL && a != NULL && out != NULL);
	memset(out, 0, sizeof(*out));
	set_outcome(out, CHAN_FAILED, "not sent", "");
	if ((msg = smtp_message_build(s->cfg, a, &len, why, sizeof(why))) == NULL) {
		set_outcome(out, CHAN_REFUSED, why, "");
		ret = 0;
		goto out;
	}
	if ((rcpt = curl_slist_append(NULL, a->to)) == NULL) {
		set_outcome(out, CHAN_FAILED, "out of memory", "");
		goto out;
	}
	s->msg = msg;
	s->msg_len = len;
	s->msg_pos = 0;
	s->stage = STAGE_SESSION;
	s->body_done = 0;
	s->quitting = 0;
	s->reply[0] = '\0';
	s->errbuf[0] = '\0';
	if (curl_easy_setopt(s->curl, CURLOPT_MAIL_RCPT, rcpt) != CURLE_OK ||
	    curl_easy_setopt(s->curl, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len) != CURLE_OK) {
		set_outcome(out, CHAN_FAILED, "libcurl refused an option", "");
		goto out;
	}
	c = curl_easy_perform(s->curl);
	curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &code);
	ret = 0;
	if (c == CURLE_OK) {
		set_outcome(out, CHAN_DONE, "accepted", "");
		queue_id(s->reply, out->peer_id, sizeof(out->peer_id));
		goto out;
	}
	/* A reply about the message: its code and text are the detail. */
	if (s->stage != STAGE_SESSION && code >= 400 && code <= 599 &&
	    strtol(s->reply, NULL, 10) == code) {
		set_outcome(out, code >= 500 ? CHAN_REFUSED : CHAN_FAILED, "", s->reply);
		goto out;
	}
	if (c == CURLE_LOGIN_DENIED) {
		set_outcome(out, CHAN_FAILED, "authentication refused: ", s->reply);
	} else if (c == CURLE_USE_SSL_FAILED) {
		set_outcome(out, CHAN_FAILED, "the server does not offer STARTTLS (starttls: always)", "");
	} else if (s->body_done) {
		set_outcome(out, CHAN_UNCERTAIN, "no reply after the message was sent: ",
			    s->errbuf[0] ? s->errbuf : curl_easy_strerror(c));
	} else {
		set_outcome(out, CHAN_FAILED, "", s->errbuf[0] ? s->errbuf : curl_easy_strerror(c));
	}
out:
	if (s->curl != NULL)
		curl_easy_setopt(s->curl, CURLOPT_MAIL_RCPT, NULL);
	s->msg = NULL;
	curl_slist_free_all(rcpt);
	free(msg);
	return ret;
}
