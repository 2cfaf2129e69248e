/*
 * Fuzz target: what relance reads of a NAS's reply to a Disconnect-Request
 * or CoA-Request, and the NAME=VALUE attributes an operator types.
 * Invariants checked beyond "no crash":
 *  - a reply radius_reply_parse accepts has a Length from 20 to the input's
 *    size (and 4096), attributes of at least 2 octets each, and a printable
 *    Reply-Message;
 *  - the input as a whole reply to a fixed request is never accepted by
 *    radius_reply_check unless it parses, answers that request and, with
 *    one bit of its authenticator flipped, is refused;
 *  - the input as the attributes of a reply signed with the right secret
 *    is accepted exactly when it parses (or refused for a
 *    Message-Authenticator, which the input cannot know);
 *  - text radius_avp_parse accepts encodes into a request that parses as
 *    a packet of the encoded length; numbers and addresses format back to
 *    text that parses to the same value.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <re_md5.h>

#include "../src/chan/provisioning/radius.h"

static const uint8_t secret[] = "testing123";
#define SECRET secret, sizeof(secret) - 1

static void make_request(uint8_t *req, size_t *len)
{
	struct radius_avp a;
	char err[128];

	if (radius_avp_parse("User-Name=alice", &a, err, sizeof(err)) != RADIUS_OK ||
	    radius_request_encode(RADIUS_COA_REQUEST, 0x2a, &a, 1, 1700000000, SECRET, req,
				  RADIUS_MAX_PACKET, len) != RADIUS_OK)
		abort();
}

static void check_parse(const uint8_t *data, size_t size)
{
	struct radius_reply r;

	if (radius_reply_parse(data, size, &r) != RADIUS_OK)
		return;
	if (r.length < RADIUS_HEADER_LEN || r.length > size || r.length > RADIUS_MAX_PACKET ||
	    r.n_attrs > (size_t)(r.length - RADIUS_HEADER_LEN) / 2)
		abort();
	for (const char *p = r.reply_message; *p; p++)
		if (*p < 0x20 || *p > 0x7e)
			abort();
}

static void check_whole_reply(const uint8_t *req, size_t req_len, const uint8_t *data,
			      size_t size)
{
	struct radius_reply r, again;
	uint8_t copy[RADIUS_MAX_PACKET];

	if (radius_reply_check(req, req_len, data, size, SECRET, &r) != RADIUS_OK)
		return;
	if (radius_reply_parse(data, size, &again) != RADIUS_OK || r.id != req[1] ||
	    (r.code != RADIUS_COA_ACK && r.code != RADIUS_COA_NAK))
		abort();
	memcpy(copy, data, r.length);
	copy[4] ^= 1;
	if (radius_reply_check(req, req_len, copy, r.length, SECRET, &again) == RADIUS_OK)
		abort();
}

static void check_signed_reply(const uint8_t *req, size_t req_len, const uint8_t *data,
			       size_t size)
{
	uint8_t pkt[RADIUS_MAX_PACKET + sizeof(secret)];
	struct radius_reply r, parsed;
	size_t len;
	int rc, prc;

	if (size > RADIUS_MAX_PACKET - RADIUS_HEADER_LEN)
		size = RADIUS_MAX_PACKET - RADIUS_HEADER_LEN;
	len = RADIUS_HEADER_LEN + size;
	pkt[0] = size && data[0] & 1 ? RADIUS_COA_NAK : RADIUS_COA_ACK;
	pkt[1] = req[1];
	pkt[2] = (uint8_t)(len >> 8);
	pkt[3] = (uint8_t)len;
	memcpy(pkt + 4, req + 4, 16);
	memcpy(pkt + RADIUS_HEADER_LEN, data, size);
	memcpy(pkt + len, secret, sizeof(secret) - 1);
	md5(pkt, len + sizeof(secret) - 1, pkt + 4);
	rc = radius_reply_check(req, req_len, pkt, len, SECRET, &r);
	prc = radius_reply_parse(pkt, len, &parsed);
	if (prc != RADIUS_OK && rc != RADIUS_EMALFORMED)
		abort();
	if (prc == RADIUS_OK && rc != RADIUS_OK &&
	    !(rc == RADIUS_EBADMSGAUTH && parsed.has_message_authenticator))
		abort();
}

static void check_avp(const uint8_t *data, size_t size)
{
	char text[600], shown[800], back_text[900], err[256];
	struct radius_avp a, back;
	struct radius_reply r;
	uint8_t pkt[RADIUS_MAX_PACKET];
	size_t len;

	if (size >= sizeof(text) || memchr(data, 0, size))
		return;
	memcpy(text, data, size);
	text[size] = '\0';
	if (radius_avp_parse(text, &a, err, sizeof(err)) != RADIUS_OK)
		return;
	if (a.def == NULL || a.len == 0 || a.len > RADIUS_MAX_VALUE || !a.def->request_ok)
		abort();
	if (radius_request_encode(RADIUS_DISCONNECT_REQUEST, 1, &a, 1, 0, SECRET, pkt, sizeof(pkt),
				  &len) != RADIUS_OK ||
	    radius_reply_parse(pkt, len, &r) != RADIUS_OK || r.length != len)
		abort();
	if (a.def->kind != RADIUS_IPV4 && a.def->kind != RADIUS_INTEGER &&
	    a.def->kind != RADIUS_DATE)
		return;
	radius_avp_format(&a, shown, sizeof(shown));
	snprintf(back_text, sizeof(back_text), "%s=%s", a.def->name, shown);
	if (radius_avp_parse(back_text, &back, err, sizeof(err)) != RADIUS_OK ||
	    back.len != a.len || memcmp(back.value, a.value, a.len) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t req[RADIUS_MAX_PACKET];
	static size_t req_len;

	if (req_len == 0)
		make_request(req, &req_len);
	check_parse(data, size);
	check_whole_reply(req, req_len, data, size);
	check_signed_reply(req, req_len, data, size);
	check_avp(data, size);
	return 0;
}
