/*
 * The RADIUS adapter (src/chan/provisioning/radius.h): requests against
 * vectors computed apart from relance (Python's hashlib and hmac over the
 * RFC 2865/5176 formulas), replies accepted and refused, and radius_send
 * against a responder thread on 127.0.0.1 that misbehaves as no real NAS
 * will on demand: a wrong authenticator, a wrong identifier, a truncated
 * reply, a reply from another port, silence, a late answer.
 */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <re_md5.h>

#include "../../src/chan/provisioning/radius.h"

/* Disconnect-Request, id 0x2a, secret "testing123": Message-Authenticator,
 * User-Name "alice", Acct-Session-Id "s1", Event-Timestamp 1700000000.
 * CoA-Request, id 7, secret "s3cret": Message-Authenticator, User-Name
 * "bob", Mikrotik-Rate-Limit "1M/2M" (vendor 14988, type 8),
 * Framed-IP-Address 10.0.0.7, Session-Timeout 3600, no Event-Timestamp.
 * Disconnect-ACK answering the first; CoA-NAK answering the second with
 * Message-Authenticator, Error-Cause 503 and Reply-Message "no such
 * session"; the same NAK without Reply-Message whose Message-Authenticator
 * has one bit flipped (its Response Authenticator computed over it, so
 * only the Message-Authenticator is wrong). */
static const uint8_t disconnect_alice[] = {
	0x28, 0x2a, 0x00, 0x37, 0x03, 0x98, 0xe0, 0xc1, 0xe9, 0xbb, 0xca, 0xb4,
	0xda, 0xad, 0xa3, 0x64, 0x4d, 0x8a, 0xea, 0xae, 0x50, 0x12, 0xe8, 0x57,
	0x06, 0xa5, 0xe7, 0xec, 0x7a, 0xa7, 0x3c, 0x0b, 0xf4, 0x42, 0xe4, 0x71,
	0x1c, 0xcd, 0x01, 0x07, 0x61, 0x6c, 0x69, 0x63, 0x65, 0x2c, 0x04, 0x73,
	0x31, 0x37, 0x06, 0x65, 0x53, 0xf1, 0x00,
};
static const uint8_t coa_bob[] = {
	0x2b, 0x07, 0x00, 0x44, 0x27, 0x8b, 0xa3, 0x27, 0xce, 0x00, 0x3e, 0x05,
	0x30, 0x4d, 0x46, 0x2b, 0x05, 0x40, 0xaa, 0xac, 0x50, 0x12, 0xb6, 0x83,
	0x57, 0x99, 0xe4, 0x2c, 0xc7, 0x43, 0x66, 0x3e, 0xd5, 0x08, 0xf5, 0x7a,
	0x5d, 0x4e, 0x01, 0x05, 0x62, 0x6f, 0x62, 0x1a, 0x0d, 0x00, 0x00, 0x3a,
	0x8c, 0x08, 0x07, 0x31, 0x4d, 0x2f, 0x32, 0x4d, 0x08, 0x06, 0x0a, 0x00,
	0x00, 0x07, 0x1b, 0x06, 0x00, 0x00, 0x0e, 0x10,
};
static const uint8_t disconnect_ack[] = {
	0x29, 0x2a, 0x00, 0x14, 0xec, 0x26, 0x47, 0x61, 0x0a, 0x02, 0xc3, 0x3c,
	0x90, 0xed, 0x2d, 0x51, 0x3f, 0xfb, 0x42, 0xcf,
};
static const uint8_t coa_nak[] = {
	0x2d, 0x07, 0x00, 0x3d, 0xef, 0x1b, 0x5b, 0x86, 0xf0, 0x75, 0x2e, 0xb9,
	0x2e, 0xaf, 0xff, 0xaa, 0xf3, 0x8b, 0xeb, 0x5b, 0x50, 0x12, 0x86, 0x57,
	0x59, 0x87, 0xe2, 0x9e, 0x49, 0x71, 0xc9, 0xa9, 0xe6, 0x33, 0x04, 0x4f,
	0x25, 0x3b, 0x65, 0x06, 0x00, 0x00, 0x01, 0xf7, 0x12, 0x11, 0x6e, 0x6f,
	0x20, 0x73, 0x75, 0x63, 0x68, 0x20, 0x73, 0x65, 0x73, 0x73, 0x69, 0x6f,
	0x6e,
};
static const uint8_t coa_nak_bad_ma[] = {
	0x2d, 0x07, 0x00, 0x2c, 0x4c, 0x14, 0x3f, 0xc4, 0x9f, 0xdf, 0x90, 0x57,
	0xf8, 0x97, 0x32, 0x34, 0xda, 0xd8, 0x99, 0x2d, 0x50, 0x12, 0xe3, 0x60,
	0xa3, 0x94, 0x78, 0xed, 0x2b, 0x52, 0xd7, 0x80, 0x30, 0xcd, 0x56, 0x3f,
	0x7e, 0x39, 0x65, 0x06, 0x00, 0x00, 0x01, 0xf7,
};

static const uint8_t secret1[] = "testing123", secret2[] = "s3cret";
#define SECRET1 secret1, sizeof(secret1) - 1
#define SECRET2 secret2, sizeof(secret2) - 1

static void avp(const char *text, struct radius_avp *out)
{
	char err[256];

	cr_assert_eq(radius_avp_parse(text, out, err, sizeof(err)), RADIUS_OK, "%s: %s", text, err);
}

static void expect_bad_avp(const char *text, const char *says)
{
	struct radius_avp a;
	char err[256] = "";

	cr_assert_eq(radius_avp_parse(text, &a, err, sizeof(err)), RADIUS_EINVAL, "%s accepted", text);
	cr_assert(strstr(err, says) != NULL, "%s: '%s' does not say '%s'", text, err, says);
}

Test(radius, disconnect_request_matches_vector)
{
	struct radius_avp a[2];
	uint8_t pkt[RADIUS_MAX_PACKET];
	size_t len;

	avp("User-Name=alice", &a[0]);
	avp("acct-session-id=s1", &a[1]);
	cr_assert_eq(radius_request_encode(RADIUS_DISCONNECT_REQUEST, 0x2a, a, 2, 1700000000, SECRET1,
					   pkt, sizeof(pkt), &len), RADIUS_OK);
	cr_assert_eq(len, sizeof(disconnect_alice));
	cr_assert_arr_eq(pkt, disconnect_alice, len);
}

Test(radius, coa_request_with_vendor_attribute_matches_vector)
{
	struct radius_avp a[4];
	uint8_t pkt[RADIUS_MAX_PACKET];
	size_t len;

	avp("User-Name=bob", &a[0]);
	avp("Mikrotik-Rate-Limit=1M/2M", &a[1]);
	avp("Framed-IP-Address=10.0.0.7", &a[2]);
	avp("Session-Timeout=3600", &a[3]);
	cr_assert_eq(radius_request_encode(RADIUS_COA_REQUEST, 7, a, 4, -1, SECRET2, pkt, sizeof(pkt),
					   &len), RADIUS_OK);
	cr_assert_eq(len, sizeof(coa_bob));
	cr_assert_arr_eq(pkt, coa_bob, len);
}

Test(radius, event_timestamp_given_is_not_added_twice)
{
	struct radius_avp a[2];
	uint8_t pkt[RADIUS_MAX_PACKET];
	size_t len, count = 0;

	avp("User-Name=alice", &a[0]);
	avp("Event-Timestamp=12345", &a[1]);
	cr_assert_eq(radius_request_encode(RADIUS_COA_REQUEST, 1, a, 2, 1700000000, SECRET1, pkt,
					   sizeof(pkt), &len), RADIUS_OK);
	for (size_t i = RADIUS_HEADER_LEN; i < len; i += pkt[i + 1]) {
		if (pkt[i] == 55) {
			count++;
			cr_assert_eq(pkt[i + 5], 12345 & 0xff);
		}
	}
	cr_assert_eq(count, 1);
}

Test(radius, attribute_values)
{
	struct radius_avp a;
	char text[600];

	avp("Class=0x0a0B", &a);
	cr_assert_eq(a.len, 2);
	cr_assert_eq(a.value[0], 0x0a);
	cr_assert_eq(a.value[1], 0x0b);
	radius_avp_format(&a, text, sizeof(text));
	cr_assert_str_eq(text, "0x0a0b");
	avp("Class=plan-a", &a);
	cr_assert_eq(a.len, 6);
	avp("NAS-Port=4294967295", &a);
	radius_avp_format(&a, text, sizeof(text));
	cr_assert_str_eq(text, "4294967295");
	avp("NAS-IP-Address=192.0.2.1", &a);
	radius_avp_format(&a, text, sizeof(text));
	cr_assert_str_eq(text, "192.0.2.1");
	avp("Cisco-AVPair=subscriber:policy-name=walled=garden", &a);
	cr_assert_eq(a.len, strlen("subscriber:policy-name=walled=garden"));
	avp("Reply-Message=tab\there", &a);
	radius_avp_format(&a, text, sizeof(text));
	cr_assert_str_eq(text, "tab\\x09here");
	cr_assert_not_null(radius_attr_find("WISPR-REDIRECTION-URL"));
	cr_assert_eq(radius_attr_find("WISPr-Redirection-URL")->vendor, 14122);
	cr_assert_eq(radius_attr_by_type(14988, 8), radius_attr_find("Mikrotik-Rate-Limit"));
}

Test(radius, bad_attributes_say_what)
{
	char long_text[300];

	expect_bad_avp("Nope=1", "unknown attribute 'Nope'");
	expect_bad_avp("User-Name", "not NAME=VALUE");
	expect_bad_avp("=x", "not NAME=VALUE");
	expect_bad_avp("User-Name=", "User-Name: a text of 1 to 253 octets");
	expect_bad_avp("Framed-IP-Address=10.0.0.256", "not an IPv4 address");
	expect_bad_avp("Session-Timeout=4294967296", "not a whole number");
	expect_bad_avp("Session-Timeout=-1", "not a whole number");
	expect_bad_avp("Session-Timeout= 5", "not a whole number");
	expect_bad_avp("Class=0xabc", "hex digits, even");
	expect_bad_avp("Class=0xzz", "not hex");
	expect_bad_avp("Message-Authenticator=0x00", "relance computes it");
	expect_bad_avp("Error-Cause=503", "belongs in replies");
	memset(long_text, 'a', sizeof(long_text));
	memcpy(long_text, "User-Name=", 10);
	long_text[10 + 254] = '\0';
	expect_bad_avp(long_text, "1 to 253 octets");
	memcpy(long_text, "Mikrotik-Rate-Limit=", 20);
	memset(long_text + 20, 'a', 248);
	long_text[20 + 248] = '\0';
	expect_bad_avp(long_text, "1 to 247 octets");
	long_text[20 + 247] = '\0';
	{
		struct radius_avp a;

		avp(long_text, &a);
		cr_assert_eq(a.len, 247);
	}
}

Test(radius, request_too_big_or_invalid)
{
	struct radius_avp a[RADIUS_MAX_ATTRS];
	uint8_t pkt[RADIUS_MAX_PACKET];
	char text[300];
	size_t len;

	memset(text, 'x', sizeof(text));
	memcpy(text, "Filter-Id=", 10);
	text[10 + 253] = '\0';
	for (int i = 0; i < RADIUS_MAX_ATTRS; i++)
		avp(text, &a[i]);
	cr_assert_eq(radius_request_encode(RADIUS_COA_REQUEST, 1, a, RADIUS_MAX_ATTRS, -1, SECRET1, pkt,
					   sizeof(pkt), &len), RADIUS_ETOOBIG);
	/* 15 of 255 octets and the header and Message-Authenticator fit. */
	cr_assert_eq(radius_request_encode(RADIUS_COA_REQUEST, 1, a, 15, -1, SECRET1, pkt,
					   sizeof(pkt), &len), RADIUS_OK);
	cr_assert_eq(len, 20 + 18 + 15 * 255);
	cr_assert_eq(radius_request_encode(RADIUS_COA_ACK, 1, a, 1, -1, SECRET1, pkt, sizeof(pkt),
					   &len), RADIUS_EINVAL);
	cr_assert_eq(radius_request_encode(RADIUS_COA_REQUEST, 1, a, 1, -1, secret1, 0, pkt,
					   sizeof(pkt), &len), RADIUS_EINVAL);
}

Test(radius, replies_accepted)
{
	struct radius_reply r;
	uint8_t padded[sizeof(disconnect_ack) + 4];

	cr_assert_eq(radius_reply_check(disconnect_alice, sizeof(disconnect_alice), disconnect_ack,
					sizeof(disconnect_ack), SECRET1, &r), RADIUS_OK);
	cr_assert_eq(r.code, RADIUS_DISCONNECT_ACK);
	cr_assert_eq(r.has_error_cause, 0);
	cr_assert_eq(r.has_message_authenticator, 0);
	cr_assert_eq(radius_reply_check(coa_bob, sizeof(coa_bob), coa_nak, sizeof(coa_nak), SECRET2,
					&r), RADIUS_OK);
	cr_assert_eq(r.code, RADIUS_COA_NAK);
	cr_assert_eq(r.has_error_cause, 1);
	cr_assert_eq(r.error_cause, 503);
	cr_assert_str_eq(radius_error_cause_name(r.error_cause), "Session-Context-Not-Found");
	cr_assert_eq(r.has_message_authenticator, 1);
	cr_assert_str_eq(r.reply_message, "no such session");
	cr_assert_eq(r.n_attrs, 3);
	/* Octets past Length are padding (RFC 2865 3). */
	memcpy(padded, disconnect_ack, sizeof(disconnect_ack));
	memset(padded + sizeof(disconnect_ack), 0xee, 4);
	cr_assert_eq(radius_reply_check(disconnect_alice, sizeof(disconnect_alice), padded,
					sizeof(padded), SECRET1, &r), RADIUS_OK);
}

Test(radius, replies_refused)
{
	struct radius_reply r;
	uint8_t bad[sizeof(coa_nak)];

	cr_assert_eq(radius_reply_check(coa_bob, sizeof(coa_bob), coa_nak_bad_ma,
					sizeof(coa_nak_bad_ma), SECRET2, &r), RADIUS_EBADMSGAUTH);
	cr_assert_eq(radius_reply_check(coa_bob, sizeof(coa_bob), coa_nak, sizeof(coa_nak), SECRET1,
					&r), RADIUS_EBADAUTH, "another secret");
	memcpy(bad, coa_nak, sizeof(coa_nak));
	bad[10] ^= 0x80;
	cr_assert_eq(radius_reply_check(coa_bob, sizeof(coa_bob), bad, sizeof(coa_nak), SECRET2, &r),
		     RADIUS_EBADAUTH, "authenticator altered");
	memcpy(bad, coa_nak, sizeof(coa_nak));
	bad[sizeof(coa_nak) - 1] ^= 1;
	cr_assert_eq(radius_reply_check(coa_bob, sizeof(coa_bob), bad, sizeof(coa_nak), SECRET2, &r),
		     RADIUS_EBADAUTH, "an attribute altered");
	memcpy(bad, coa_nak, sizeof(coa_nak));
	bad[1] = 8;
	cr_assert_eq(radius_reply_check(coa_bob, sizeof(coa_bob), bad, sizeof(coa_nak), SECRET2, &r),
		     RADIUS_EMISMATCH, "another identifier");
	memcpy(bad, coa_nak, sizeof(coa_nak));
	bad[0] = RADIUS_DISCONNECT_NAK;
	cr_assert_eq(radius_reply_check(coa_bob, sizeof(coa_bob), bad, sizeof(coa_nak), SECRET2, &r),
		     RADIUS_EMISMATCH, "a Disconnect-NAK to a CoA-Request");
	cr_assert_eq(radius_reply_check(coa_bob, sizeof(coa_bob), coa_nak, sizeof(coa_nak) - 1,
					SECRET2, &r), RADIUS_EMALFORMED, "truncated");
	cr_assert_eq(radius_reply_check(coa_bob, sizeof(coa_bob), coa_nak, 19, SECRET2, &r),
		     RADIUS_EMALFORMED, "shorter than a header");
	memcpy(bad, coa_nak, sizeof(coa_nak));
	bad[3] = 19;
	cr_assert_eq(radius_reply_parse(bad, sizeof(coa_nak), &r), RADIUS_EMALFORMED, "Length 19");
	memcpy(bad, coa_nak, sizeof(coa_nak));
	bad[39] = 1;    /* Error-Cause's length */
	cr_assert_eq(radius_reply_parse(bad, sizeof(coa_nak), &r), RADIUS_EMALFORMED,
		     "attribute length 1");
	bad[39] = 7;
	cr_assert_eq(radius_reply_parse(bad, sizeof(coa_nak), &r), RADIUS_EMALFORMED,
		     "Error-Cause of 5 octets");
	memcpy(bad, coa_nak, sizeof(coa_nak));
	bad[21] = 17;   /* Message-Authenticator's length */
	cr_assert_eq(radius_reply_parse(bad, sizeof(coa_nak), &r), RADIUS_EMALFORMED,
		     "Message-Authenticator of 15 octets");
}

Test(radius, targets)
{
	struct radius_target t;
	char err[256];

	cr_assert_eq(radius_target_parse("127.0.0.1", &t, err, sizeof(err)), RADIUS_OK, "%s", err);
	cr_assert_str_eq(t.text, "127.0.0.1:3799");
	cr_assert_eq(radius_target_parse("127.0.0.1:1700", &t, err, sizeof(err)), RADIUS_OK);
	cr_assert_str_eq(t.text, "127.0.0.1:1700");
	cr_assert_eq(radius_target_parse("[::1]:3799", &t, err, sizeof(err)), RADIUS_OK);
	cr_assert_str_eq(t.text, "[::1]:3799");
	cr_assert_eq(radius_target_parse("::1", &t, err, sizeof(err)), RADIUS_OK);
	cr_assert_str_eq(t.text, "[::1]:3799");
	cr_assert_eq(radius_target_parse("localhost:3799", &t, err, sizeof(err)), RADIUS_OK, "%s",
		     err);
	cr_assert_eq(radius_target_parse("127.0.0.1:0", &t, err, sizeof(err)), RADIUS_EINVAL);
	cr_assert(strstr(err, "port") != NULL, "%s", err);
	cr_assert_eq(radius_target_parse("127.0.0.1:65536", &t, err, sizeof(err)), RADIUS_EINVAL);
	cr_assert_eq(radius_target_parse("127.0.0.1:x", &t, err, sizeof(err)), RADIUS_EINVAL);
	cr_assert_eq(radius_target_parse(":3799", &t, err, sizeof(err)), RADIUS_EINVAL);
	cr_assert_eq(radius_target_parse("[::1", &t, err, sizeof(err)), RADIUS_EINVAL);
	cr_assert_eq(radius_target_parse("", &t, err, sizeof(err)), RADIUS_EINVAL);
}

/* The responder: answers each request it receives as its script says. */
enum act {
	ACT_ACK,        /* a valid ACK */
	ACT_NAK,        /* a valid NAK, Error-Cause 503 */
	ACT_SILENT,     /* nothing */
	ACT_BAD_AUTH,   /* an ACK whose Response Authenticator is wrong */
	ACT_WRONG_ID,   /* a valid ACK for identifier + 1 */
	ACT_TRUNCATED,  /* a valid ACK cut short (Length above the datagram) */
	ACT_OTHER_PORT, /* a valid ACK from another socket (another port) */
	ACT_ACK_MA,     /* a valid ACK with a Message-Authenticator */
};

#define MAX_SCRIPT 8

struct responder {
	int fd, other_fd, port;
	const uint8_t *secret;
	size_t secret_len;
	enum act script[MAX_SCRIPT];
	size_t n_script;
	atomic_int stop;
	pthread_t thread;
	/* what came in */
	size_t received;
	uint8_t first[RADIUS_MAX_PACKET], last[RADIUS_MAX_PACKET];
	size_t first_len, last_len;
	int all_same;
};

static void md5_of(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen, uint8_t out[16])
{
	uint8_t buf[RADIUS_MAX_PACKET + 256];

	memcpy(buf, a, alen);
	memcpy(buf + alen, b, blen);
	md5(buf, alen + blen, out);
}

/* HMAC-MD5 written out again here, so that the test does not trust the
 * module's own. */
static void hmac_md5_of(const uint8_t *key, size_t key_len, const uint8_t *d, size_t n,
			uint8_t out[16])
{
	uint8_t k[64] = { 0 }, pad[64], inner[16];

	memcpy(k, key, key_len);
	for (int i = 0; i < 64; i++)
		pad[i] = k[i] ^ 0x36;
	md5_of(pad, 64, d, n, inner);
	for (int i = 0; i < 64; i++)
		pad[i] = k[i] ^ 0x5c;
	md5_of(pad, 64, inner, 16, out);
}

/* A reply to req, signed with the responder's secret. */
static size_t make_reply(const struct responder *rs, const uint8_t *req, enum act act,
			 uint8_t *out)
{
	uint8_t code = req[0] == RADIUS_COA_REQUEST ? RADIUS_COA_ACK : RADIUS_DISCONNECT_ACK;
	size_t len = RADIUS_HEADER_LEN;
	uint8_t auth[16];

	if (act == ACT_NAK)
		code = (uint8_t)(code + 1);
	out[0] = code;
	out[1] = act == ACT_WRONG_ID ? (uint8_t)(req[1] + 1) : req[1];
	memcpy(out + 4, req + 4, 16);
	if (act == ACT_ACK_MA) {
		out[len] = 80;
		out[len + 1] = 18;
		memset(out + len + 2, 0, 16);
		len += 18;
	}
	if (act == ACT_NAK) {
		const uint8_t cause[] = { 101, 6, 0, 0, 0x01, 0xf7 };

		memcpy(out + len, cause, sizeof(cause));
		len += sizeof(cause);
	}
	out[2] = (uint8_t)(len >> 8);
	out[3] = (uint8_t)len;
	if (act == ACT_ACK_MA) {
		hmac_md5_of(rs->secret, rs->secret_len, out, len, auth);
		memcpy(out + RADIUS_HEADER_LEN + 2, auth, 16);
	}
	md5_of(out, len, rs->secret, rs->secret_len, auth);
	memcpy(out + 4, auth, 16);
	if (act == ACT_BAD_AUTH)
		out[4] ^= 1;
	if (act == ACT_TRUNCATED)
		return len - 1;
	return len;
}

static void *respond(void *arg)
{
	struct responder *rs = arg;
	uint8_t req[RADIUS_MAX_PACKET], reply[RADIUS_MAX_PACKET];
	struct sockaddr_in from;

	while (!atomic_load(&rs->stop)) {
		struct pollfd p = { .fd = rs->fd, .events = POLLIN };
		socklen_t flen = sizeof(from);
		ssize_t n;
		size_t rlen;
		enum act act;

		if (poll(&p, 1, 20) <= 0)
			continue;
		n = recvfrom(rs->fd, req, sizeof(req), 0, (struct sockaddr *)&from, &flen);
		if (n < RADIUS_HEADER_LEN)
			continue;
		if (rs->received == 0) {
			memcpy(rs->first, req, (size_t)n);
			rs->first_len = (size_t)n;
			rs->all_same = 1;
		} else if ((size_t)n != rs->first_len || memcmp(req, rs->first, (size_t)n) != 0) {
			rs->all_same = 0;
		}
		memcpy(rs->last, req, (size_t)n);
		rs->last_len = (size_t)n;
		act = rs->received < rs->n_script ? rs->script[rs->received] : ACT_SILENT;
		rs->received++;
		if (act == ACT_SILENT)
			continue;
		rlen = make_reply(rs, req, act, reply);
		sendto(act == ACT_OTHER_PORT ? rs->other_fd : rs->fd, reply, rlen, 0,
		       (struct sockaddr *)&from, flen);
	}
	return NULL;
}

static int udp_socket(int *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert(fd >= 0);
	cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	if (port)
		*port = ntohs(a.sin_port);
	return fd;
}

static void responder_start(struct responder *rs, const uint8_t *secret, size_t secret_len,
			    size_t n, const enum act *script)
{
	memset(rs, 0, sizeof(*rs));
	rs->fd = udp_socket(&rs->port);
	rs->other_fd = udp_socket(NULL);
	rs->secret = secret;
	rs->secret_len = secret_len;
	cr_assert(n <= MAX_SCRIPT);
	memcpy(rs->script, script, n * sizeof(*script));
	rs->n_script = n;
	cr_assert_eq(pthread_create(&rs->thread, NULL, respond, rs), 0);
}

static void responder_stop(struct responder *rs)
{
	atomic_store(&rs->stop, 1);
	pthread_join(rs->thread, NULL);
	close(rs->fd);
	close(rs->other_fd);
}

struct log_lines {
	char text[4096];
	size_t len;
};

static void collect(void *arg, const char *line)
{
	struct log_lines *l = arg;
	int n = snprintf(l->text + l->len, sizeof(l->text) - l->len, "%s\n", line);

	if (n > 0 && (size_t)n < sizeof(l->text) - l->len)
		l->len += (size_t)n;
}

/* Sends a CoA-Request for User-Name alice to the responder playing
 * `script`, 150 ms a try, 3 tries. */
static void exchange(size_t n, const enum act *script, const uint8_t *nas_secret,
		     size_t nas_secret_len, struct radius_result *res, struct responder *rs,
		     struct log_lines *log)
{
	struct radius_target t;
	struct radius_avp a;
	struct radius_options opt = { .timeout_ms = 150, .tries = 3, .event_time = 1700000000,
				      .log = collect, .log_arg = log };
	char err[256], where[32];

	responder_start(rs, nas_secret, nas_secret_len, n, script);
	snprintf(where, sizeof(where), "127.0.0.1:%d", rs->port);
	cr_assert_eq(radius_target_parse(where, &t, err, sizeof(err)), RADIUS_OK, "%s", err);
	avp("User-Name=alice", &a);
	cr_assert_eq(radius_send(&t, RADIUS_COA_REQUEST, &a, 1, SECRET1, &opt, res), RADIUS_OK, "%s",
		     res->reason);
	responder_stop(rs);
}

Test(radius, send_ack)
{
	static const enum act script[] = { ACT_ACK };
	struct radius_result r;
	struct responder rs;
	struct log_lines log = { 0 };

	exchange(1, script, SECRET1, &r, &rs, &log);
	cr_assert_eq(r.outcome, RADIUS_ACK, "%s", r.reason);
	cr_assert_eq(r.code, RADIUS_COA_ACK);
	cr_assert_eq(r.tries, 1);
	cr_assert_eq(r.discarded, 0);
	cr_assert_eq(rs.received, 1);
	cr_assert_eq(rs.first[1], r.id);
	cr_assert(strstr(log.text, "SENDING -> WAITING: try 1 of 3") != NULL, "%s", log.text);
	cr_assert(strstr(log.text, "WAITING -> DONE: CoA-ACK") != NULL, "%s", log.text);
	cr_assert(strstr(log.text, "testing123") == NULL, "the secret was logged");
	cr_assert(strstr(r.reason, "testing123") == NULL);
}

Test(radius, send_nak_with_error_cause)
{
	static const enum act script[] = { ACT_NAK };
	struct radius_result r;
	struct responder rs;
	struct log_lines log = { 0 };

	exchange(1, script, SECRET1, &r, &rs, &log);
	cr_assert_eq(r.outcome, RADIUS_NAK, "%s", r.reason);
	cr_assert_eq(r.code, RADIUS_COA_NAK);
	cr_assert_eq(r.has_error_cause, 1);
	cr_assert_eq(r.error_cause, 503);
	cr_assert(strstr(r.reason, "Error-Cause 503 Session-Context-Not-Found") != NULL, "%s",
		  r.reason);
}

Test(radius, silence_is_no_answer_after_the_retries)
{
	static const enum act script[] = { ACT_SILENT, ACT_SILENT, ACT_SILENT };
	struct radius_result r;
	struct responder rs;
	struct log_lines log = { 0 };

	exchange(3, script, SECRET1, &r, &rs, &log);
	cr_assert_eq(r.outcome, RADIUS_NO_ANSWER, "%s", r.reason);
	cr_assert_eq(r.tries, 3);
	cr_assert_eq(rs.received, 3);
	cr_assert(rs.all_same, "a retransmission differs from the first packet");
	cr_assert(r.elapsed_ms >= 450, "%u ms", (unsigned)r.elapsed_ms);
	cr_assert(strstr(r.reason, "no answer from 127.0.0.1:") != NULL, "%s", r.reason);
	cr_assert(strstr(r.reason, "after 3 tries") != NULL, "%s", r.reason);
	cr_assert(strstr(log.text, "WAITING -> SENDING: no answer in 150 ms") != NULL, "%s",
		  log.text);
	cr_assert(strstr(log.text, "WAITING -> DONE: no answer after the last try") != NULL, "%s",
		  log.text);
}

/*
 * Exchanges that differ only in what the NAS does and in what comes of it.
 * -1 and NULL: not checked.
 */
static const struct exchange_case {
	const char *name;
	size_t n;
	enum act script[3];
	int wrong_secret;               /* the NAS has SECRET2 */
	enum radius_outcome outcome;
	int tries, discarded;
	int same_packets;               /* every try reached the NAS, the same packet */
	const char *in_reason[2], *in_log;
} exchange_cases[] = {
	{ "ack with a Message-Authenticator", 1, { ACT_ACK_MA }, 0, RADIUS_ACK, -1, 0, 0,
	  { NULL, NULL }, NULL },
	{ "bad authenticators are discarded, never an ACK", 3,
	  { ACT_BAD_AUTH, ACT_BAD_AUTH, ACT_BAD_AUTH }, 0, RADIUS_NO_ANSWER, 3, 3, 0,
	  { "3 replies discarded", "Response Authenticator" }, NULL },
	{ "a wrong secret at the NAS is no answer", 3, { ACT_ACK, ACT_ACK, ACT_ACK }, 1,
	  RADIUS_NO_ANSWER, -1, 3, 0, { "is the secret right?", NULL }, NULL },
	/* The bad reply is to the first try; the second try's ACK counts. */
	{ "a bad reply, then a good one on the next try", 2, { ACT_BAD_AUTH, ACT_ACK }, 0,
	  RADIUS_ACK, 2, 1, 0, { NULL, NULL },
	  "discarded a reply of 20 octets: wrong Response Authenticator" },
	{ "a wrong identifier is discarded", 2, { ACT_WRONG_ID, ACT_ACK }, 0, RADIUS_ACK, 2, 1, 0,
	  { NULL, NULL }, "another identifier" },
	{ "a truncated reply is discarded", 3, { ACT_TRUNCATED, ACT_TRUNCATED, ACT_TRUNCATED }, 0,
	  RADIUS_NO_ANSWER, -1, 3, 0, { "not a well-formed RADIUS packet", NULL }, NULL },
	{ "a reply from another port is ignored", 3,
	  { ACT_OTHER_PORT, ACT_OTHER_PORT, ACT_OTHER_PORT }, 0, RADIUS_NO_ANSWER, 3, -1, 0,
	  { NULL, NULL }, NULL },
	{ "a slow reply on the second try", 2, { ACT_SILENT, ACT_ACK }, 0, RADIUS_ACK, 2, -1, 1,
	  { NULL, NULL }, NULL },
};

Test(radius, exchanges)
{
	for (size_t i = 0; i < sizeof(exchange_cases) / sizeof(exchange_cases[0]); i++) {
		const struct exchange_case *c = &exchange_cases[i];
		struct radius_result r;
		struct responder rs;
		struct log_lines log = { 0 };

		if (c->wrong_secret)
			exchange(c->n, c->script, SECRET2, &r, &rs, &log);
		else
			exchange(c->n, c->script, SECRET1, &r, &rs, &log);
		cr_assert_eq(r.outcome, c->outcome, "%s: %s", c->name, r.reason);
		if (c->outcome == RADIUS_NO_ANSWER)
			cr_assert_eq(r.code, 0, "%s", c->name);
		if (c->tries >= 0)
			cr_assert_eq(r.tries, c->tries, "%s", c->name);
		if (c->discarded >= 0)
			cr_assert_eq(r.discarded, c->discarded, "%s", c->name);
		if (c->same_packets) {
			cr_assert_eq(rs.received, r.tries, "%s", c->name);
			cr_assert(rs.all_same, "%s: a try is not the same packet", c->name);
		}
		for (size_t k = 0; k < 2; k++)
			if (c->in_reason[k] != NULL)
				cr_assert(strstr(r.reason, c->in_reason[k]) != NULL, "%s: %s", c->name,
					  r.reason);
		if (c->in_log != NULL)
			cr_assert(strstr(log.text, c->in_log) != NULL, "%s: %s", c->name, log.text);
	}
}

Test(radius, nothing_listening_is_no_answer)
{
	struct radius_target t;
	struct radius_avp a;
	struct radius_options opt = { .timeout_ms = 100, .tries = 2, .event_time = -1 };
	struct radius_result r;
	char err[256], where[32];
	int port, fd = udp_socket(&port);

	close(fd);
	snprintf(where, sizeof(where), "127.0.0.1:%d", port);
	cr_assert_eq(radius_target_parse(where, &t, err, sizeof(err)), RADIUS_OK);
	avp("Acct-Session-Id=s1", &a);
	cr_assert_eq(radius_send(&t, RADIUS_DISCONNECT_REQUEST, &a, 1, SECRET1, &opt, &r), RADIUS_OK);
	cr_assert_eq(r.outcome, RADIUS_NO_ANSWER);
	cr_assert_eq(r.tries, 2);
	cr_assert(strstr(r.reason, "ICMP port unreachable") != NULL, "%s", r.reason);
}

Test(radius, send_refuses_bad_arguments)
{
	struct radius_target t;
	struct radius_avp a;
	struct radius_result r;
	char err[256];

	cr_assert_eq(radius_target_parse("127.0.0.1:9", &t, err, sizeof(err)), RADIUS_OK);
	avp("User-Name=alice", &a);
	cr_assert_eq(radius_send(&t, RADIUS_COA_ACK, &a, 1, SECRET1, NULL, &r), RADIUS_EINVAL);
	cr_assert_eq(r.outcome, RADIUS_FAILED);
	cr_assert_eq(radius_send(&t, RADIUS_COA_REQUEST, &a, 1, secret1, 0, NULL, &r),
		     RADIUS_EINVAL);
	cr_assert_eq(r.outcome, RADIUS_FAILED);
	cr_assert(radius_avps_identify_session(&a, 1));
	avp("Filter-Id=walled", &a);
	cr_assert(!radius_avps_identify_session(&a, 1));
}
