/*
 * The SMTP adapter against a real SMTP server on 127.0.0.1
 * (tests/peers/smtp-sink.js, started per test): the exact message, its
 * UTF-8 headers and bodies, STARTTLS, AUTH, and each outcome.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <jansson.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../src/chan/smtp.h"
#include "support.h"

static struct support_peer peer;
static char cert[128], key[128];

static void setup(void)
{
	support_peer_init(&peer, "smtp", "messages.jsonl");
	snprintf(cert, sizeof(cert), "%s/cert.pem", peer.dir);
	snprintf(key, sizeof(key), "%s/key.pem", peer.dir);
}

static void teardown(void)
{
	unlink(cert);
	unlink(key);
	support_peer_release(&peer);
}

/* Starts the peer with extra arguments (NULL-terminated); returns its port. */
static int start_sink(const char *const *extra)
{
	int port;

	peer.pid = support_start_peer("smtp-sink.js", peer.out, extra, &port);
	return port;
}

static json_t *recorded(int n)
{
	return support_jsonl_line(peer.out, n);
}

static int recorded_count(void)
{
	return support_jsonl_count(peer.out);
}

static const char *jstr(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	cr_assert_not_null(s, "no string %s in the record", k);
	return s;
}

/* The value of header `name` of a raw message (unfolded), malloc'ed. */
static char *header(const char *raw, const char *name)
{
	size_t n = strlen(name);
	const char *end = strstr(raw, "\r\n\r\n");

	for (const char *p = raw; p && p < end; p = strstr(p, "\r\n") ? strstr(p, "\r\n") + 2 : NULL) {
		if (strncasecmp(p, name, n) == 0 && p[n] == ':') {
			char *v = malloc(4096);
			size_t k = 0;

			for (p += n + 1; *p == ' '; p++)
				;
			while (*p && k < 4095) {
				if (p[0] == '\r' && p[1] == '\n' && (p[2] == ' ' || p[2] == '\t'))
					p += 2;
				else if (p[0] == '\r' && p[1] == '\n')
					break;
				else
					v[k++] = *p++;
			}
			v[k] = '\0';
			return v;
		}
	}
	return NULL;
}

/* Decodes a header value made of RFC 2047 B encoded-words in UTF-8. */
static char *decode_words(const char *v)
{
	char *out = malloc(4096);
	size_t k = 0;

	while ((v = strstr(v, "=?UTF-8?B?")) != NULL) {
		const char *end = strstr(v + 10, "?=");
		size_t bin_len;

		cr_assert_not_null(end);
		cr_assert_leq(end - v, 75, "encoded-word over 75 characters");
		cr_assert_eq(sodium_base642bin((unsigned char *)out + k, 4095 - k, v + 10,
					       (size_t)(end - v - 10), NULL, &bin_len, NULL,
					       sodium_base64_VARIANT_ORIGINAL), 0);
		k += bin_len;
		v = end + 2;
	}
	out[k] = '\0';
	return out;
}

/* Decodes base64 lines from `from` up to the next line starting "--" or the end. */
static char *decode_body(const char *from)
{
	const char *end = strstr(from, "\r\n--");
	size_t n = end ? (size_t)(end - from) : strlen(from), bin_len;
	char *out = malloc(n + 1);

	cr_assert_eq(sodium_base642bin((unsigned char *)out, n, from, n, "\r\n", &bin_len, NULL,
				       sodium_base64_VARIANT_ORIGINAL), 0);
	out[bin_len] = '\0';
	return out;
}

static struct config_smtp cfg_for(int port)
{
	static char url[64];

	snprintf(url, sizeof(url), "smtp://127.0.0.1:%d", port);
	return (struct config_smtp){
		.url = url, .from = "Service client <recouvrement@example.org>",
		.starttls = CONFIG_STARTTLS_AUTO, .timeout_s = 10,
	};
}

static const char *TEXT =
	"Bonjour Zoé,\n\nvotre facture n° 2024-07 de 12 500 FBu est échue depuis le 24 juillet.\n"
	"Merci de régler « rapidement ».\n\nДобрий день! Ваш рахунок прострочено.\n.\nFin.";

static struct chan_action mail(const char *to, const char *k)
{
	return (struct chan_action){
		.key = k, .at = 1721815200, .channel = "email", .action = "send",
		.to = to, .subject = "Relance : facture échue — Рахунок", .text = TEXT,
	};
}

static void send_ok(struct smtp_sender *s, const struct chan_action *a, struct chan_outcome *o)
{
	cr_assert_eq(smtp_send(s, a, o), 0);
	cr_assert_eq(o->status, CHAN_DONE, "status %d: %s", o->status, o->detail);
}

Test(smtp, sends_the_exact_message_with_utf8_headers_and_body, .init = setup, .fini = teardown)
{
	struct config_smtp cfg = cfg_for(start_sink(NULL));
	struct chan_action a = mail("zoe@example.com", "A-1|v3|notice#1|once|1");
	struct smtp_sender *s;
	struct chan_outcome o;
	char err[256], *built, *v, *d;
	size_t len;
	json_t *r;

	cr_assert_eq(smtp_sender_open(&cfg, &s, err, sizeof(err)), 0, "%s", err);
	send_ok(s, &a, &o);
	cr_assert_str_eq(o.detail, "accepted");
	cr_assert_str_eq(o.peer_id, "Q000001");
	smtp_sender_close(s);

	r = recorded(0);
	cr_assert_not_null(r);
	cr_assert_str_eq(jstr(r, "from"), "recouvrement@example.org");
	cr_assert_str_eq(json_string_value(json_array_get(json_object_get(r, "to"), 0)), "zoe@example.com");
	cr_assert(json_is_false(json_object_get(r, "secure")));
	built = smtp_message_build(&cfg, &a, &len, err, sizeof(err));
	cr_assert_not_null(built, "%s", err);
	/* What the server received is what was built, byte for byte (the
	 * sink gives the data with the dot-stuffing undone). */
	cr_assert_str_eq(jstr(r, "raw"), built);

	v = header(built, "Date");
	cr_assert_str_eq(v, "Wed, 24 Jul 2024 10:00:00 +0000");
	free(v);
	v = header(built, "From");
	cr_assert_str_eq(v, "Service client <recouvrement@example.org>");
	free(v);
	v = header(built, "To");
	cr_assert_str_eq(v, "zoe@example.com");
	free(v);
	v = header(built, "MIME-Version");
	cr_assert_str_eq(v, "1.0");
	free(v);
	v = header(built, "Content-Type");
	cr_assert_str_eq(v, "text/plain; charset=UTF-8");
	free(v);
	v = header(built, "Content-Transfer-Encoding");
	cr_assert_str_eq(v, "base64");
	free(v);
	v = header(built, "Subject");
	cr_assert(strncmp(v, "=?UTF-8?B?", 10) == 0, "%s", v);
	d = decode_words(v);
	cr_assert_str_eq(d, "Relance : facture échue — Рахунок");
	free(d);
	free(v);
	d = decode_body(strstr(built, "\r\n\r\n") + 4);
	cr_assert_str_eq(d, "Bonjour Zoé,\r\n\r\nvotre facture n° 2024-07 de 12 500 FBu est échue "
			    "depuis le 24 juillet.\r\nMerci de régler « rapidement ».\r\n\r\n"
			    "Добрий день! Ваш рахунок прострочено.\r\n.\r\nFin.");
	free(d);
	for (const char *p = built; *p; p++)
		cr_assert((unsigned char)*p < 0x80, "a raw byte over 0x7f in the message");
	free(built);
	json_decref(r);
}

Test(smtp, html_part_is_an_alternative_made_from_the_text, .init = setup, .fini = teardown)
{
	struct config_smtp cfg = cfg_for(start_sink(NULL));
	struct chan_action a = mail("zoe@example.com", "K-html");
	struct smtp_sender *s;
	struct chan_outcome o;
	char err[256], *v, *d, boundary[128], delim[140];
	const char *raw, *p;
	json_t *r;

	a.text = "Bonjour <Zoé> & \"Jean\",\n\nligne 1\nligne 2\n\n\nПривіт";
	cfg.html = 1;
	cr_assert_eq(smtp_sender_open(&cfg, &s, err, sizeof(err)), 0, "%s", err);
	send_ok(s, &a, &o);
	smtp_sender_close(s);

	r = recorded(0);
	raw = jstr(r, "raw");
	v = header(raw, "Content-Type");
	cr_assert_eq(sscanf(v, "multipart/alternative; boundary=\"%127[^\"]\"", boundary), 1, "%s", v);
	free(v);
	snprintf(delim, sizeof(delim), "\r\n--%s\r\n", boundary);
	p = strstr(raw, delim);
	cr_assert_not_null(p);
	p += strlen(delim);
	cr_assert(strncmp(p, "Content-Type: text/plain; charset=UTF-8\r\n"
			     "Content-Transfer-Encoding: base64\r\n\r\n", 77) == 0, "%.80s", p);
	d = decode_body(p + 77);
	cr_assert_str_eq(d, "Bonjour <Zoé> & \"Jean\",\r\n\r\nligne 1\r\nligne 2\r\n\r\n\r\nПривіт");
	free(d);
	p = strstr(p, delim);
	cr_assert_not_null(p);
	p += strlen(delim);
	cr_assert(strncmp(p, "Content-Type: text/html; charset=UTF-8\r\n"
			     "Content-Transfer-Encoding: base64\r\n\r\n", 76) == 0, "%.80s", p);
	d = decode_body(p + 76);
	cr_assert_str_eq(d, "<!DOCTYPE html>\r\n<html><head><meta charset=\"utf-8\"></head><body>\r\n"
			    "<p>Bonjour &lt;Zoé&gt; &amp; &quot;Jean&quot;,</p>\r\n"
			    "<p>ligne 1<br>\r\nligne 2</p>\r\n<p>Привіт</p>\r\n</body></html>\r\n");
	free(d);
	snprintf(delim, sizeof(delim), "\r\n--%s--\r\n", boundary);
	cr_assert_not_null(strstr(raw, delim));
	json_decref(r);
}

Test(smtp, same_key_same_message_id_and_one_connection, .init = setup, .fini = teardown)
{
	struct config_smtp cfg = cfg_for(start_sink(NULL));
	struct chan_action a = mail("zoe@example.com", "A-1|v3|notice#1|once|1");
	struct chan_action b = mail("jean@example.com", "A-2|v3|notice#1|once|1");
	struct smtp_sender *s;
	struct chan_outcome o;
	char err[256], *m0, *m1, *m2;
	json_t *r0, *r1, *r2;

	cr_assert_eq(smtp_sender_open(&cfg, &s, err, sizeof(err)), 0, "%s", err);
	send_ok(s, &a, &o);
	send_ok(s, &a, &o);
	cr_assert_str_eq(o.peer_id, "Q000002");
	send_ok(s, &b, &o);
	smtp_sender_close(s);

	r0 = recorded(0), r1 = recorded(1), r2 = recorded(2);
	m0 = header(jstr(r0, "raw"), "Message-ID");
	m1 = header(jstr(r1, "raw"), "Message-ID");
	m2 = header(jstr(r2, "raw"), "Message-ID");
	/* SHA-256 of the key, in hex. */
	cr_assert_eq(strlen(m0), 1 + 64 + strlen("@relance>"));
	cr_assert(m0[0] == '<' && strcmp(m0 + 65, "@relance>") == 0, "%s", m0);
	cr_assert_str_eq(m0, m1);
	cr_assert_str_neq(m0, m2);
	/* The connection was kept between the three messages. */
	cr_assert_str_eq(jstr(r0, "session"), jstr(r1, "session"));
	cr_assert_str_eq(jstr(r0, "session"), jstr(r2, "session"));
	free(m0), free(m1), free(m2);
	json_decref(r0), json_decref(r1), json_decref(r2);
}

static void make_cert(void)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd),
		 "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
		 "-keyout %s -out %s -days 2 -subj /CN=127.0.0.1 "
		 "-addext subjectAltName=IP:127.0.0.1 2>/dev/null", key, cert);
	cr_assert_eq(system(cmd), 0, "openssl could not make a certificate");
}

Test(smtp, starttls_is_used_when_offered, .init = setup, .fini = teardown)
{
	const char *args[] = { "--starttls", cert, key, NULL };
	struct smtp_options opt = { .ca_file = cert };
	struct config_smtp cfg;
	struct chan_action a = mail("zoe@example.com", "K-tls");
	struct smtp_sender *s;
	struct chan_outcome o;
	char err[256];
	json_t *r;

	make_cert();
	cfg = cfg_for(start_sink(args));
	cr_assert_eq(smtp_sender_open_with(&cfg, &opt, &s, err, sizeof(err)), 0, "%s", err);
	send_ok(s, &a, &o);
	smtp_sender_close(s);
	cfg.starttls = CONFIG_STARTTLS_NEVER;
	cr_assert_eq(smtp_sender_open_with(&cfg, &opt, &s, err, sizeof(err)), 0, "%s", err);
	send_ok(s, &a, &o);
	smtp_sender_close(s);

	r = recorded(0);
	cr_assert(json_is_true(json_object_get(r, "secure")), "auto did not upgrade");
	json_decref(r);
	r = recorded(1);
	cr_assert(json_is_false(json_object_get(r, "secure")), "never upgraded");
	json_decref(r);
}

Test(smtp, smtps_is_tls_from_the_first_byte, .init = setup, .fini = teardown)
{
	const char *args[] = { "--tls", cert, key, NULL };
	struct smtp_options opt = { .ca_file = cert };
	struct config_smtp cfg;
	struct chan_action a = mail("zoe@example.com", "K-smtps");
	struct smtp_sender *s;
	struct chan_outcome o;
	char err[256], url[80];
	json_t *r;

	make_cert();
	cfg = cfg_for(start_sink(args));
	snprintf(url, sizeof(url), "smtps://%s", cfg.url + strlen("smtp://"));
	cfg.url = url;
	cr_assert_eq(smtp_sender_open_with(&cfg, &opt, &s, err, sizeof(err)), 0, "%s", err);
	send_ok(s, &a, &o);
	smtp_sender_close(s);
	r = recorded(0);
	cr_assert(json_is_true(json_object_get(r, "secure")));
	json_decref(r);

	/* A certificate nobody vouches for is not accepted. */
	cr_assert_eq(smtp_sender_open(&cfg, &s, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(smtp_send(s, &a, &o), 0);
	cr_assert_eq(o.status, CHAN_FAILED, "%d %s", o.status, o.detail);
	smtp_sender_close(s);
	cr_assert_eq(recorded_count(), 1);
}

Test(smtp, replies_to_the_end_of_the_message_decide, .init = setup, .fini = teardown)
{
	const char *args[] = { "--refuse-data", "^spam@", "--defer-data", "^later@", NULL };
	struct config_smtp cfg = cfg_for(start_sink(args));
	struct chan_action a = mail("spam@example.com", "K-554");
	struct chan_action b = mail("later@example.com", "K-451");
	struct smtp_sender *s;
	struct chan_outcome o;
	char err[256];

	cr_assert_eq(smtp_sender_open(&cfg, &s, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(smtp_send(s, &a, &o), 0);
	cr_assert_eq(o.status, CHAN_REFUSED, "%d %s", o.status, o.detail);
	cr_assert_str_eq(o.detail, "554 5.7.1 message refused");
	cr_assert_eq(smtp_send(s, &b, &o), 0);
	cr_assert_eq(o.status, CHAN_FAILED, "%d %s", o.status, o.detail);
	cr_assert_str_eq(o.detail, "451 4.3.0 try again later");
	smtp_sender_close(s);
	cr_assert_eq(recorded_count(), 2);
}

Test(smtp, starttls_always_fails_on_a_server_without_it, .init = setup, .fini = teardown)
{
	struct config_smtp cfg = cfg_for(start_sink(NULL));
	struct chan_action a = mail("zoe@example.com", "K-always");
	struct smtp_sender *s;
	struct chan_outcome o;
	char err[256];

	cfg.starttls = CONFIG_STARTTLS_ALWAYS;
	cr_assert_eq(smtp_sender_open(&cfg, &s, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(smtp_send(s, &a, &o), 0);
	cr_assert_eq(o.status, CHAN_FAILED, "%d %s", o.status, o.detail);
	cr_assert_not_null(strstr(o.detail, "STARTTLS"), "%s", o.detail);
	smtp_sender_close(s);
	cr_assert_eq(recorded_count(), 0);
}

Test(smtp, authenticates_and_keeps_the_password_out_of_details, .init = setup, .fini = teardown)
{
	const char *args[] = { "--auth", "relance:s3cret-pw", NULL };
	struct config_smtp cfg = cfg_for(start_sink(args));
	struct chan_action a = mail("zoe@example.com", "K-auth");
	struct smtp_sender *s;
	struct chan_outcome o;
	char err[256];
	json_t *r;

	cfg.username = "relance";
	cfg.password = "s3cret-pw";
	cr_assert_eq(smtp_sender_open(&cfg, &s, err, sizeof(err)), 0, "%s", err);
	send_ok(s, &a, &o);
	smtp_sender_close(s);
	r = recorded(0);
	cr_assert_str_eq(jstr(r, "user"), "relance");
	json_decref(r);

	cfg.password = "wrong-pw";
	cr_assert_eq(smtp_sender_open(&cfg, &s, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(smtp_send(s, &a, &o), 0);
	cr_assert_eq(o.status, CHAN_FAILED, "%d %s", o.status, o.detail);
	cr_assert_str_eq(o.detail, "authentication refused: 535 5.7.8 authentication failed");
	cr_assert_null(strstr(o.detail, "wrong-pw"));
	smtp_sender_close(s);
	cr_assert_eq(recorded_count(), 1);
}

Test(smtp, rejected_recipients_are_refused_or_failed, .init = setup, .fini = teardown)
{
	const char *args[] = { "--reject-550", "^nobody@", "--reject-450", "^busy@", NULL };
	struct config_smtp cfg = cfg_for(start_sink(args));
	struct chan_action a = mail("nobody@example.com", "K-550");
	struct chan_action b = mail("busy@example.com", "K-450");
	struct chan_action c = mail("zoe@example.com", "K-ok");
	struct smtp_sender *s;
	struct chan_outcome o;
	char err[256];

	cr_assert_eq(smtp_sender_open(&cfg, &s, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(smtp_send(s, &a, &o), 0);
	cr_assert_eq(o.status, CHAN_REFUSED, "%d %s", o.status, o.detail);
	cr_assert_str_eq(o.detail, "550 5.1.1 no such user");
	cr_assert_str_eq(o.peer_id, "");
	cr_assert_eq(smtp_send(s, &b, &o), 0);
	cr_assert_eq(o.status, CHAN_FAILED, "%d %s", o.status, o.detail);
	cr_assert_str_eq(o.detail, "450 4.2.1 mailbox busy");
	/* The sender is still usable after a refusal. */
	send_ok(s, &c, &o);
	smtp_sender_close(s);
	cr_assert_eq(recorded_count(), 1);
}

Test(smtp, connection_dropped_after_the_data_is_uncertain, .init = setup, .fini = teardown)
{
	const char *args[] = { "--drop", "^lost@", NULL };
	struct config_smtp cfg = cfg_for(start_sink(args));
	struct chan_action a = mail("lost@example.com", "K-drop");
	struct chan_action c = mail("zoe@example.com", "K-after");
	struct smtp_sender *s;
	struct chan_outcome o;
	char err[256];
	json_t *r;

	cr_assert_eq(smtp_sender_open(&cfg, &s, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(smtp_send(s, &a, &o), 0);
	cr_assert_eq(o.status, CHAN_UNCERTAIN, "%d %s", o.status, o.detail);
	cr_assert(strncmp(o.detail, "no reply after the message was sent", 35) == 0, "%s", o.detail);
	/* The server did have it: that is why it must not be resent. */
	r = recorded(0);
	cr_assert_str_eq(jstr(r, "outcome"), "dropped");
	json_decref(r);
	/* A new connection is made for the next message. */
	send_ok(s, &c, &o);
	smtp_sender_close(s);
}

Test(smtp, no_final_reply_within_the_timeout_is_uncertain, .init = setup, .fini = teardown)
{
	const char *args[] = { "--silent", "^slow@", NULL };
	struct config_smtp cfg = cfg_for(start_sink(args));
	struct chan_action a = mail("slow@example.com", "K-silent");
	struct smtp_sender *s;
	struct chan_outcome o;
	char err[256];

	cfg.timeout_s = 1;
	cr_assert_eq(smtp_sender_open(&cfg, &s, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(smtp_send(s, &a, &o), 0);
	cr_assert_eq(o.status, CHAN_UNCERTAIN, "%d %s", o.status, o.detail);
	smtp_sender_close(s);
	cr_assert_eq(recorded_count(), 1);
}

Test(smtp, server_down_fails, .init = setup, .fini = teardown)
{
	struct config_smtp cfg = cfg_for(support_dead_port());
	struct chan_action a = mail("zoe@example.com", "K-down");
	struct smtp_sender *s;
	struct chan_outcome o;
	char err[256];

	cr_assert_eq(smtp_sender_open(&cfg, &s, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(smtp_send(s, &a, &o), 0);
	cr_assert_eq(o.status, CHAN_FAILED, "%d %s", o.status, o.detail);
	cr_assert_neq(o.detail[0], '\0');
	smtp_sender_close(s);
}

Test(smtp, unusable_actions_are_refused_without_connecting, .init = setup, .fini = teardown)
{
	struct config_smtp cfg = cfg_for(support_dead_port());
	struct chan_action a = mail("zoe@example.com\r\nBcc: x@example.com", "K-bad");
	struct smtp_sender *s;
	struct chan_outcome o;
	char err[256];

	cr_assert_eq(smtp_sender_open(&cfg, &s, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(smtp_send(s, &a, &o), 0);
	cr_assert_eq(o.status, CHAN_REFUSED, "%d %s", o.status, o.detail);
	cr_assert_str_eq(o.detail, "not a usable e-mail address");
	a = mail("zoe@example.com", "K-bad");
	a.text = "\xff\xfe";
	cr_assert_eq(smtp_send(s, &a, &o), 0);
	cr_assert_eq(o.status, CHAN_REFUSED, "%d %s", o.status, o.detail);
	smtp_sender_close(s);
}

Test(smtp, display_names_are_quoted_or_encoded)
{
	struct config_smtp cfg = { .url = "smtp://127.0.0.1:1", .from = "Société Générale <r@example.org>" };
	struct chan_action a = mail("zoe@example.com", "K-from");
	char err[256], *m, *v, *d;
	size_t len;

	m = smtp_message_build(&cfg, &a, &len, err, sizeof(err));
	cr_assert_not_null(m, "%s", err);
	v = header(m, "From");
	cr_assert(strncmp(v, "=?UTF-8?B?", 10) == 0 && strstr(v, "?= <r@example.org>"), "%s", v);
	d = decode_words(v);
	cr_assert_str_eq(d, "Société Générale");
	free(d), free(v), free(m);

	cfg.from = "Service, client <r@example.org>";
	m = smtp_message_build(&cfg, &a, &len, err, sizeof(err));
	v = header(m, "From");
	cr_assert_str_eq(v, "\"Service, client\" <r@example.org>");
	free(v), free(m);

	cfg.from = "r@example.org";
	a.subject = "Plain ASCII subject";
	m = smtp_message_build(&cfg, &a, &len, err, sizeof(err));
	v = header(m, "From");
	cr_assert_str_eq(v, "r@example.org");
	free(v);
	v = header(m, "Subject");
	cr_assert_str_eq(v, "Plain ASCII subject");
	free(v), free(m);

	/* A long subject is cut into words of whole characters. */
	a.subject = "Ваш рахунок прострочено, будь ласка, сплатіть якнайшвидше — дякуємо";
	m = smtp_message_build(&cfg, &a, &len, err, sizeof(err));
	v = header(m, "Subject");
	d = decode_words(v);
	cr_assert_str_eq(d, a.subject);
	free(d), free(v), free(m);
}

Test(smtp, open_checks_the_configuration)
{
	struct config_smtp cfg = { .url = "smtp://127.0.0.1:1", .from = "not an address" };
	struct smtp_sender *s = (struct smtp_sender *)&cfg;
	char err[256];

	cr_assert_eq(smtp_sender_open(&cfg, &s, err, sizeof(err)), -1);
	cr_assert_null(s);
	cr_assert_str_eq(err, "smtp: from is not an address or \"Name <address>\"");
	cfg.from = "r@example.org";
	cfg.url = NULL;
	cr_assert_eq(smtp_sender_open(&cfg, &s, err, sizeof(err)), -1);
	cr_assert_str_eq(err, "smtp: url and from are required");
	smtp_sender_close(NULL);
}
