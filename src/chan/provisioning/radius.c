/*
 * radius — RFC 5176 Disconnect-Request and CoA-Request to a NAS (radius.h).
 *
 * Wire format (RFC 2865 3, 5):
 *   0      1      2..3     4..19          20..
 *   Code   Ident  Length   Authenticator  Attributes: Type, Length (2 + value), value
 * A vendor's attribute travels inside Vendor-Specific (type 26):
 *   26, 8 + n, Vendor-Id (4 octets), vendor type, 2 + n, value (n octets)
 * Every number is big-endian.
 */
#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <re_md5.h>

#include "radius.h"

#define TYPE_REPLY_MESSAGE 18
#define TYPE_VENDOR_SPECIFIC 26
#define TYPE_EVENT_TIMESTAMP 55
#define TYPE_MESSAGE_AUTHENTICATOR 80
#define TYPE_ERROR_CAUSE 101
#define AUTH_LEN 16
#define MA_LEN (2 + AUTH_LEN)
#define VENDOR_MAX_VALUE (RADIUS_MAX_VALUE - 6)
#define HMAC_BLOCK 64

/*
 * The attributes relance knows, with the numbers of FreeRADIUS's
 * dictionaries (/usr/share/freeradius/dictionary.*), so that a server's log
 * shows them by name. identifies_session follows RFC 5176 3's list of
 * session identification attributes, minus Called-Station-Id (an access
 * point's, shared by all its sessions): a request must carry one, so that
 * it never acts on every session of a NAS.
 */
static const struct radius_attr_def dictionary[] = {
	{ "User-Name", 0, 1, RADIUS_STRING, 1, 1 },
	{ "NAS-IP-Address", 0, 4, RADIUS_IPV4, 0, 1 },
	{ "NAS-Port", 0, 5, RADIUS_INTEGER, 1, 1 },
	{ "Framed-IP-Address", 0, 8, RADIUS_IPV4, 1, 1 },
	{ "Filter-Id", 0, 11, RADIUS_STRING, 0, 1 },
	{ "Reply-Message", 0, TYPE_REPLY_MESSAGE, RADIUS_STRING, 0, 1 },
	{ "State", 0, 24, RADIUS_OCTETS, 0, 1 },
	{ "Class", 0, 25, RADIUS_OCTETS, 0, 1 },
	{ "Session-Timeout", 0, 27, RADIUS_INTEGER, 0, 1 },
	{ "Idle-Timeout", 0, 28, RADIUS_INTEGER, 0, 1 },
	{ "Called-Station-Id", 0, 30, RADIUS_STRING, 0, 1 },
	{ "Calling-Station-Id", 0, 31, RADIUS_STRING, 1, 1 },
	{ "NAS-Identifier", 0, 32, RADIUS_STRING, 0, 1 },
	{ "Acct-Session-Id", 0, 44, RADIUS_STRING, 1, 1 },
	{ "Acct-Multi-Session-Id", 0, 50, RADIUS_STRING, 1, 1 },
	{ "Event-Timestamp", 0, TYPE_EVENT_TIMESTAMP, RADIUS_DATE, 0, 1 },
	{ "Message-Authenticator", 0, TYPE_MESSAGE_AUTHENTICATOR, RADIUS_OCTETS, 0, 0 },
	{ "NAS-Port-Id", 0, 87, RADIUS_STRING, 1, 1 },
	{ "Chargeable-User-Identity", 0, 89, RADIUS_OCTETS, 1, 1 },
	{ "Error-Cause", 0, TYPE_ERROR_CAUSE, RADIUS_INTEGER, 0, 0 },
	{ "Cisco-AVPair", 9, 1, RADIUS_STRING, 0, 1 },
	{ "WISPr-Redirection-URL", 14122, 4, RADIUS_STRING, 0, 1 },
	{ "WISPr-Bandwidth-Max-Up", 14122, 7, RADIUS_INTEGER, 0, 1 },
	{ "WISPr-Bandwidth-Max-Down", 14122, 8, RADIUS_INTEGER, 0, 1 },
	{ "Mikrotik-Rate-Limit", 14988, 8, RADIUS_STRING, 0, 1 },
	{ "Mikrotik-Address-List", 14988, 19, RADIUS_STRING, 0, 1 },
};
#define N_DICTIONARY (sizeof(dictionary) / sizeof(dictionary[0]))

const struct radius_attr_def *radius_attr_find(const char *name)
{
	for (size_t i = 0; i < N_DICTIONARY; i++)
		if (strcasecmp(dictionary[i].name, name) == 0)
			return &dictionary[i];
	return NULL;
}

const struct radius_attr_def *radius_attr_by_type(uint32_t vendor, uint8_t type)
{
	for (size_t i = 0; i < N_DICTIONARY; i++)
		if (dictionary[i].vendor == vendor && dictionary[i].type == type)
			return &dictionary[i];
	return NULL;
}

const struct radius_attr_def *radius_attr_at(size_t i)
{
	return i < N_DICTIONARY ? &dictionary[i] : NULL;
}

const char *radius_code_name(uint8_t code)
{
	switch (code) {
	case RADIUS_DISCONNECT_REQUEST: return "Disconnect-Request";
	case RADIUS_DISCONNECT_ACK: return "Disconnect-ACK";
	case RADIUS_DISCONNECT_NAK: return "Disconnect-NAK";
	case RADIUS_COA_REQUEST: return "CoA-Request";
	case RADIUS_COA_ACK: return "CoA-ACK";
	case RADIUS_COA_NAK: return "CoA-NAK";
	}
	return "Unknown";
}

const char *radius_outcome_name(enum radius_outcome o)
{
	switch (o) {
	case RADIUS_ACK: return "ACK";
	case RADIUS_NAK: return "NAK";
	case RADIUS_NO_ANSWER: return "NO_ANSWER";
	case RADIUS_FAILED: return "FAILED";
	}
	return "?";
}

const char *radius_state_name(enum radius_state s)
{
	switch (s) {
	case RADIUS_SENDING: return "SENDING";
	case RADIUS_WAITING: return "WAITING";
	case RADIUS_DONE: return "DONE";
	}
	return "?";
}

const char *radius_error_cause_name(uint32_t cause)
{
	switch (cause) {
	case 201: return "Residual-Session-Context-Removed";
	case 202: return "Invalid-EAP-Packet";
	case 401: return "Unsupported-Attribute";
	case 402: return "Missing-Attribute";
	case 403: return "NAS-Identification-Mismatch";
	case 404: return "Invalid-Request";
	case 405: return "Unsupported-Service";
	case 406: return "Unsupported-Extension";
	case 407: return "Invalid-Attribute-Value";
	case 501: return "Administratively-Prohibited";
	case 502: return "Request-Not-Routable";
	case 503: return "Session-Context-Not-Found";
	case 504: return "Session-Context-Not-Removable";
	case 505: return "Other-Proxy-Processing-Error";
	case 506: return "Resources-Unavailable";
	case 507: return "Request-Initiated";
	case 508: return "Multiple-Session-Selection-Unsupported";
	}
	return NULL;
}

int radius_avps_identify_session(const struct radius_avp *avps, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (avps[i].def && avps[i].def->identifies_session)
			return 1;
	return 0;
}

/* A decimal number 0..UINT32_MAX, digits only (no sign, no spaces). */
static int parse_u32(const char *s, uint32_t *out)
{
	uint64_t v = 0;

	if (*s == '\0')
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (uint64_t)(*s - '0');
		if (v > UINT32_MAX)
			return -1;
	}
	*out = (uint32_t)v;
	return 0;
}

static void put_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

int radius_avp_parse(const char *text, struct radius_avp *out, char *err, size_t errsize)
{
	const char *eq = strchr(text, '='), *value;
	const struct radius_attr_def *def;
	char name[64];
	size_t name_len, max, vlen;

	assert(out != NULL && err != NULL && errsize > 0);
	if (eq == NULL || eq == text) {
		snprintf(err, errsize, "'%s' is not NAME=VALUE", text);
		return RADIUS_EINVAL;
	}
	name_len = (size_t)(eq - text);
	if (name_len >= sizeof(name)) {
		snprintf(err, errsize, "unknown attribute '%.*s...'", 40, text);
		return RADIUS_EINVAL;
	}
	memcpy(name, text, name_len);
	name[name_len] = '\0';
	if ((def = radius_attr_find(name)) == NULL) {
		snprintf(err, errsize, "unknown attribute '%s' (docs/provisioning-radius.md lists "
			 "those known)", name);
		return RADIUS_EINVAL;
	}
	if (!def->request_ok) {
		snprintf(err, errsize, "%s cannot be given: %s", def->name,
			 def->type == TYPE_MESSAGE_AUTHENTICATOR ? "relance computes it" :
			 "it belongs in replies");
		return RADIUS_EINVAL;
	}
	value = eq + 1;
	vlen = strlen(value);
	max = def->vendor ? VENDOR_MAX_VALUE : RADIUS_MAX_VALUE;
	memset(out, 0, sizeof(*out));
	out->def = def;
	switch (def->kind) {
	case RADIUS_STRING:
		if (vlen == 0 || vlen > max) {
			snprintf(err, errsize, "%s: a text of 1 to %zu octets", def->name, max);
			return RADIUS_EINVAL;
		}
		memcpy(out->value, value, vlen);
		out->len = vlen;
		break;
	case RADIUS_OCTETS:
		if (value[0] == '0' && (value[1] == 'x' || value[1] == 'X')) {
			const char *h = value + 2;
			size_t hlen = vlen - 2;

			if (hlen == 0 || hlen % 2 || hlen / 2 > max) {
				snprintf(err, errsize, "%s: 0x and 2 to %zu hex digits, even", def->name,
					 max * 2);
				return RADIUS_EINVAL;
			}
			/* Without hex_end, libsodium fails unless every digit is hex. */
			if (sodium_hex2bin(out->value, hlen / 2, h, hlen, NULL, &out->len, NULL) != 0 ||
			    out->len != hlen / 2) {
				snprintf(err, errsize, "%s: '%s' is not hex", def->name, value);
				return RADIUS_EINVAL;
			}
		} else {
			if (vlen == 0 || vlen > max) {
				snprintf(err, errsize, "%s: 1 to %zu octets", def->name, max);
				return RADIUS_EINVAL;
			}
			memcpy(out->value, value, vlen);
			out->len = vlen;
		}
		break;
	case RADIUS_IPV4: {
		struct in_addr a;

		if (inet_pton(AF_INET, value, &a) != 1) {
			snprintf(err, errsize, "%s: '%s' is not an IPv4 address", def->name, value);
			return RADIUS_EINVAL;
		}
		memcpy(out->value, &a, 4);
		out->len = 4;
		break;
	}
	case RADIUS_INTEGER:
	case RADIUS_DATE: {
		uint32_t v;

		if (parse_u32(value, &v) != 0) {
			snprintf(err, errsize, "%s: '%s' is not a whole number from 0 to 4294967295",
				 def->name, value);
			return RADIUS_EINVAL;
		}
		put_u32(out->value, v);
		out->len = 4;
		break;
	}
	}
	return RADIUS_OK;
}

void radius_avp_format(const struct radius_avp *avp, char *buf, size_t size)
{
	size_t o = 0;

	if (size == 0)
		return;
	buf[0] = '\0';
	if (avp->def == NULL)
		return;
	switch (avp->def->kind) {
	case RADIUS_STRING:
		for (size_t i = 0; i < avp->len && o + 5 <= size; i++) {
			uint8_t c = avp->value[i];

			if (c >= 0x20 && c < 0x7f && c != '\\')
				buf[o++] = (char)c;
			else
				o += (size_t)snprintf(buf + o, size - o, "\\x%02x", c);
		}
		buf[o < size ? o : size - 1] = '\0';
		break;
	case RADIUS_OCTETS:
		o = (size_t)snprintf(buf, size, "0x");
		for (size_t i = 0; i < avp->len && o + 3 <= size; i++)
			o += (size_t)snprintf(buf + o, size - o, "%02x", avp->value[i]);
		break;
	case RADIUS_IPV4:
		if (avp->len == 4)
			snprintf(buf, size, "%u.%u.%u.%u", avp->value[0], avp->value[1],
				 avp->value[2], avp->value[3]);
		break;
	case RADIUS_INTEGER:
	case RADIUS_DATE:
		if (avp->len == 4)
			snprintf(buf, size, "%u", (unsigned)get_u32(avp->value));
		break;
	}
}

/*
 * MD5 of a || b. libre's md5() takes one buffer, so the two parts are
 * joined in a local one; it may hold the secret and is wiped.
 */
static void md5_two(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen,
		    uint8_t digest[AUTH_LEN])
{
	uint8_t joined[RADIUS_MAX_PACKET + RADIUS_MAX_SECRET + HMAC_BLOCK];

	assert(alen + blen <= sizeof(joined));
	memcpy(joined, a, alen);
	if (blen)
		memcpy(joined + alen, b, blen);
	md5(joined, alen + blen, digest);
	sodium_memzero(joined, alen + blen);
}

/* HMAC-MD5 (RFC 2104) with a block of 64 octets; len <= RADIUS_MAX_PACKET. */
static void hmac_md5(const uint8_t *key, size_t key_len, const uint8_t *data, size_t len,
		     uint8_t mac[AUTH_LEN])
{
	uint8_t k0[HMAC_BLOCK] = { 0 }, pad[HMAC_BLOCK], inner[AUTH_LEN];

	assert(len <= RADIUS_MAX_PACKET);
	if (key_len > HMAC_BLOCK)
		md5(key, key_len, k0);
	else
		memcpy(k0, key, key_len);
	for (size_t i = 0; i < HMAC_BLOCK; i++)
		pad[i] = k0[i] ^ 0x36;
	md5_two(pad, HMAC_BLOCK, data, len, inner);
	for (size_t i = 0; i < HMAC_BLOCK; i++)
		pad[i] = k0[i] ^ 0x5c;
	md5_two(pad, HMAC_BLOCK, inner, AUTH_LEN, mac);
	sodium_memzero(k0, sizeof(k0));
	sodium_memzero(pad, sizeof(pad));
}

static int put_avp(uint8_t *out, size_t cap, size_t *pos, const struct radius_avp *a)
{
	size_t need = a->def->vendor ? 8 + a->len : 2 + a->len;

	if (a->len == 0 || a->len > (a->def->vendor ? VENDOR_MAX_VALUE : RADIUS_MAX_VALUE))
		return RADIUS_EINVAL;
	if (need > cap - *pos)
		return RADIUS_ETOOBIG;
	if (a->def->vendor) {
		out[*pos] = TYPE_VENDOR_SPECIFIC;
		out[*pos + 1] = (uint8_t)need;
		put_u32(out + *pos + 2, a->def->vendor);
		out[*pos + 6] = a->def->type;
		out[*pos + 7] = (uint8_t)(2 + a->len);
		memcpy(out + *pos + 8, a->value, a->len);
	} else {
		out[*pos] = a->def->type;
		out[*pos + 1] = (uint8_t)need;
		memcpy(out + *pos + 2, a->value, a->len);
	}
	*pos += need;
	return RADIUS_OK;
}

int radius_request_encode(uint8_t code, uint8_t id, const struct radius_avp *avps, size_t n,
			  int64_t event_time, const uint8_t *secret, size_t secret_len,
			  uint8_t *out, size_t cap, size_t *len)
{
	size_t pos = RADIUS_HEADER_LEN, ma;
	int has_time = 0, rc;
	uint8_t digest[AUTH_LEN];

	assert(out != NULL && len != NULL);
	if ((code != RADIUS_DISCONNECT_REQUEST && code != RADIUS_COA_REQUEST) || secret == NULL ||
	    secret_len == 0 || secret_len > RADIUS_MAX_SECRET || (n && avps == NULL) ||
	    event_time > (int64_t)UINT32_MAX)
		return RADIUS_EINVAL;
	if (cap > RADIUS_MAX_PACKET)
		cap = RADIUS_MAX_PACKET;
	if (cap < RADIUS_HEADER_LEN + MA_LEN)
		return RADIUS_ETOOBIG;
	memset(out, 0, RADIUS_HEADER_LEN);
	out[0] = code;
	out[1] = id;
	ma = pos;
	out[pos] = TYPE_MESSAGE_AUTHENTICATOR;
	out[pos + 1] = MA_LEN;
	memset(out + pos + 2, 0, AUTH_LEN);
	pos += MA_LEN;
	for (size_t i = 0; i < n; i++) {
		if (avps[i].def == NULL || !avps[i].def->request_ok)
			return RADIUS_EINVAL;
		if (avps[i].def->vendor == 0 && avps[i].def->type == TYPE_EVENT_TIMESTAMP)
			has_time = 1;
		if ((rc = put_avp(out, cap, &pos, &avps[i])) != RADIUS_OK)
			return rc;
	}
	if (!has_time && event_time >= 0) {
		struct radius_avp t = { .def = radius_attr_by_type(0, TYPE_EVENT_TIMESTAMP), .len = 4 };

		put_u32(t.value, (uint32_t)event_time);
		if ((rc = put_avp(out, cap, &pos, &t)) != RADIUS_OK)
			return rc;
	}
	out[2] = (uint8_t)(pos >> 8);
	out[3] = (uint8_t)pos;
	/* RFC 5176 3.5: the Message-Authenticator of a request is computed
	 * with its authenticator field zero, then the Request Authenticator
	 * covers the packet with that Message-Authenticator in it. */
	hmac_md5(secret, secret_len, out, pos, digest);
	memcpy(out + ma + 2, digest, AUTH_LEN);
	md5_two(out, pos, secret, secret_len, digest);
	memcpy(out + 4, digest, AUTH_LEN);
	*len = pos;
	return RADIUS_OK;
}

int radius_reply_parse(const uint8_t *pkt, size_t len, struct radius_reply *out)
{
	size_t length, i;

	assert(out != NULL);
	memset(out, 0, sizeof(*out));
	if (pkt == NULL || len < RADIUS_HEADER_LEN)
		return RADIUS_EMALFORMED;
	length = (size_t)pkt[2] << 8 | pkt[3];
	if (length < RADIUS_HEADER_LEN || length > len || length > RADIUS_MAX_PACKET)
		return RADIUS_EMALFORMED;
	out->code = pkt[0];
	out->id = pkt[1];
	out->length = (uint16_t)length;
	for (i = RADIUS_HEADER_LEN; i < length;) {
		uint8_t type, alen;

		if (length - i < 2)
			return RADIUS_EMALFORMED;
		type = pkt[i];
		alen = pkt[i + 1];
		if (alen < 2 || alen > length - i)
			return RADIUS_EMALFORMED;
		switch (type) {
		case TYPE_MESSAGE_AUTHENTICATOR:
			if (alen != MA_LEN || out->has_message_authenticator)
				return RADIUS_EMALFORMED;
			out->has_message_authenticator = 1;
			break;
		case TYPE_ERROR_CAUSE:
			if (alen != 6)
				return RADIUS_EMALFORMED;
			if (!out->has_error_cause) {
				out->has_error_cause = 1;
				out->error_cause = get_u32(pkt + i + 2);
			}
			break;
		case TYPE_REPLY_MESSAGE:
			if (out->reply_message[0] == '\0') {
				size_t n = (size_t)alen - 2;

				for (size_t k = 0; k < n; k++) {
					uint8_t c = pkt[i + 2 + k];

					out->reply_message[k] = c >= 0x20 && c < 0x7f ? (char)c : '?';
				}
				out->reply_message[n] = '\0';
			}
			break;
		}
		out->n_attrs++;
		i += alen;
	}
	return RADIUS_OK;
}

/* The reply codes that answer a request code. */
static int answers(uint8_t request, uint8_t reply)
{
	if (request == RADIUS_DISCONNECT_REQUEST)
		return reply == RADIUS_DISCONNECT_ACK || reply == RADIUS_DISCONNECT_NAK;
	if (request == RADIUS_COA_REQUEST)
		return reply == RADIUS_COA_ACK || reply == RADIUS_COA_NAK;
	return 0;
}

/* Where the Message-Authenticator's value starts in a packet already
 * parsed, or 0. */
static size_t find_message_authenticator(const uint8_t *pkt, size_t length)
{
	for (size_t i = RADIUS_HEADER_LEN; i + 2 <= length && pkt[i + 1] >= 2; i += pkt[i + 1])
		if (pkt[i] == TYPE_MESSAGE_AUTHENTICATOR)
			return i + 2;
	return 0;
}

int radius_reply_check(const uint8_t *req, size_t req_len, const uint8_t *reply,
		       size_t reply_len, const uint8_t *secret, size_t secret_len,
		       struct radius_reply *out)
{
	uint8_t copy[RADIUS_MAX_PACKET], digest[AUTH_LEN], given[AUTH_LEN];
	size_t length, ma;
	int rc;

	assert(out != NULL);
	if (req == NULL || req_len < RADIUS_HEADER_LEN || secret == NULL || secret_len == 0 ||
	    secret_len > RADIUS_MAX_SECRET) {
		memset(out, 0, sizeof(*out));
		return RADIUS_EINVAL;
	}
	if ((rc = radius_reply_parse(reply, reply_len, out)) != RADIUS_OK)
		return rc;
	if (out->id != req[1] || !answers(req[0], out->code))
		return RADIUS_EMISMATCH;
	length = out->length;
	/* The Response Authenticator is the MD5 of the reply with the
	 * request's authenticator in its place, then the secret. */
	memcpy(copy, reply, length);
	memcpy(copy + 4, req + 4, AUTH_LEN);
	md5_two(copy, length, secret, secret_len, digest);
	if (sodium_memcmp(digest, reply + 4, AUTH_LEN) != 0)
		return RADIUS_EBADAUTH;
	if (out->has_message_authenticator) {
		ma = find_message_authenticator(copy, length);
		assert(ma != 0);
		memcpy(given, copy + ma, AUTH_LEN);
		memset(copy + ma, 0, AUTH_LEN);
		hmac_md5(secret, secret_len, copy, length, digest);
		if (sodium_memcmp(digest, given, AUTH_LEN) != 0)
			return RADIUS_EBADMSGAUTH;
	}
	return RADIUS_OK;
}

static int parse_port(const char *s, uint16_t *port)
{
	uint32_t v;

	if (parse_u32(s, &v) != 0 || v < 1 || v > 65535)
		return -1;
	*port = (uint16_t)v;
	return 0;
}

int radius_target_parse(const char *text, struct radius_target *out, char *err, size_t errsize)
{
	char host[256], shown[INET6_ADDRSTRLEN];
	const char *port_text = NULL, *colon;
	uint16_t port = RADIUS_DEFAULT_PORT;
	struct addrinfo hints = { 0 }, *res = NULL;
	size_t hlen;
	int rc;

	assert(out != NULL && err != NULL && errsize > 0);
	memset(out, 0, sizeof(*out));
	if (text == NULL || *text == '\0') {
		snprintf(err, errsize, "no NAS address");
		return RADIUS_EINVAL;
	}
	if (text[0] == '[') {
		const char *close = strchr(text, ']');

		if (close == NULL || (close[1] != '\0' && close[1] != ':')) {
			snprintf(err, errsize, "'%s': [IPV6]:PORT expected", text);
			return RADIUS_EINVAL;
		}
		hlen = (size_t)(close - text - 1);
		if (hlen >= sizeof(host)) {
			snprintf(err, errsize, "NAS address too long");
			return RADIUS_EINVAL;
		}
		memcpy(host, text + 1, hlen);
		host[hlen] = '\0';
		if (close[1] == ':')
			port_text = close + 2;
	} else if ((colon = strchr(text, ':')) != NULL && strchr(colon + 1, ':') == NULL) {
		hlen = (size_t)(colon - text);
		if (hlen >= sizeof(host)) {
			snprintf(err, errsize, "NAS address too long");
			return RADIUS_EINVAL;
		}
		memcpy(host, text, hlen);
		host[hlen] = '\0';
		port_text = colon + 1;
	} else {
		/* No colon, or an IPv6 address without brackets (and so
		 * without a port). */
		if (strlen(text) >= sizeof(host)) {
			snprintf(err, errsize, "NAS address too long");
			return RADIUS_EINVAL;
		}
		snprintf(host, sizeof(host), "%s", text);
	}
	if (host[0] == '\0') {
		snprintf(err, errsize, "'%s': no host", text);
		return RADIUS_EINVAL;
	}
	if (port_text && parse_port(port_text, &port) != 0) {
		snprintf(err, errsize, "'%s': the port must be a number from 1 to 65535", text);
		return RADIUS_EINVAL;
	}
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_protocol = IPPROTO_UDP;
	if ((rc = getaddrinfo(host, NULL, &hints, &res)) != 0 || res == NULL) {
		snprintf(err, errsize, "'%s': %s", host, rc ? gai_strerror(rc) : "no address");
		if (res)
			freeaddrinfo(res);
		return RADIUS_EINVAL;
	}
	if (res->ai_addrlen > sizeof(out->addr) ||
	    (res->ai_family != AF_INET && res->ai_family != AF_INET6)) {
		snprintf(err, errsize, "'%s': not an IP address", host);
		freeaddrinfo(res);
		return RADIUS_EINVAL;
	}
	memcpy(&out->addr, res->ai_addr, res->ai_addrlen);
	out->addr_len = (socklen_t)res->ai_addrlen;
	freeaddrinfo(res);
	if (out->addr.ss_family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)&out->addr;

		in->sin_port = htons(port);
		inet_ntop(AF_INET, &in->sin_addr, shown, sizeof(shown));
		snprintf(out->text, sizeof(out->text), "%s:%u", shown, (unsigned)port);
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&out->addr;

		in6->sin6_port = htons(port);
		inet_ntop(AF_INET6, &in6->sin6_addr, shown, sizeof(shown));
		snprintf(out->text, sizeof(out->text), "[%s]:%u", shown, (unsigned)port);
	}
	return RADIUS_OK;
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One exchange in progress: what radius_send's states share. */
struct exchange {
	const struct radius_target *nas;
	const struct radius_options *opt;
	struct radius_result *res;
	enum radius_state state;
	uint8_t code;
	int64_t started;
	uint32_t refused;               /* ICMP port unreachable seen */
	int last_discard;               /* radius_reply_check's code for the last discarded */
	char send_error[64];
};

static void exchange_log(struct exchange *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void exchange_log(struct exchange *x, const char *fmt, ...)
{
	char line[256];
	int n;
	va_list ap;

	if (x->opt->log == NULL)
		return;
	n = snprintf(line, sizeof(line), "radius: %s id %u to %s: ", radius_code_name(x->code),
		     (unsigned)x->res->id, x->nas->text);
	if (n < 0 || (size_t)n >= sizeof(line))
		n = 0;
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	x->opt->log(x->opt->log_arg, line);
}

static void transition(struct exchange *x, enum radius_state to, const char *why)
{
	exchange_log(x, "%s -> %s: %s", radius_state_name(x->state), radius_state_name(to), why);
	x->state = to;
}

static const char *discard_reason(int rc)
{
	switch (rc) {
	case RADIUS_EMALFORMED: return "not a well-formed RADIUS packet";
	case RADIUS_EMISMATCH: return "another identifier or an unexpected code";
	case RADIUS_EBADAUTH: return "wrong Response Authenticator (is the secret right?)";
	case RADIUS_EBADMSGAUTH: return "wrong Message-Authenticator (is the secret right?)";
	}
	return "invalid";
}

static void accept_reply(struct exchange *x, const struct radius_reply *r)
{
	struct radius_result *res = x->res;
	const char *cause;
	size_t o;

	res->code = r->code;
	res->outcome = r->code == RADIUS_DISCONNECT_ACK || r->code == RADIUS_COA_ACK ?
		       RADIUS_ACK : RADIUS_NAK;
	res->has_error_cause = r->has_error_cause;
	res->error_cause = r->error_cause;
	memcpy(res->reply_message, r->reply_message, sizeof(res->reply_message));
	o = (size_t)snprintf(res->reason, sizeof(res->reason), "%s from %s", radius_code_name(r->code),
			     x->nas->text);
	if (r->has_error_cause && o < sizeof(res->reason)) {
		cause = radius_error_cause_name(r->error_cause);
		o += (size_t)snprintf(res->reason + o, sizeof(res->reason) - o, ": Error-Cause %u%s%s",
				      (unsigned)r->error_cause, cause ? " " : "", cause ? cause : "");
	}
	if (r->reply_message[0] && o < sizeof(res->reason))
		snprintf(res->reason + o, sizeof(res->reason) - o, " (\"%.80s\")", r->reply_message);
}

static void no_answer(struct exchange *x)
{
	struct radius_result *res = x->res;
	size_t o, cap = sizeof(res->reason);

	res->outcome = RADIUS_NO_ANSWER;
	o = (size_t)snprintf(res->reason, cap, "no answer from %s after %d tr%s (%u ms)",
			     x->nas->text, res->tries, res->tries == 1 ? "y" : "ies",
			     (unsigned)(mono_ms() - x->started));
	if (res->discarded && o < cap)
		o += (size_t)snprintf(res->reason + o, cap - o, "; %u repl%s discarded, the last: %s",
				      (unsigned)res->discarded, res->discarded == 1 ? "y" : "ies",
				      discard_reason(x->last_discard));
	if (x->refused && o < cap)
		o += (size_t)snprintf(res->reason + o, cap - o,
				      "; ICMP port unreachable: nothing listens on that port");
	if (x->send_error[0] && o < cap)
		snprintf(res->reason + o, cap - o, "; send: %s", x->send_error);
}

/* Sends the packet once. A pending ICMP error of the previous try comes
 * back from send() on a connected socket, and that packet is not sent:
 * it is counted and sent again. */
static void send_once(struct exchange *x, int fd, const uint8_t *pkt, size_t len)
{
	ssize_t n;

	for (int attempt = 0; attempt < 2; attempt++) {
		n = send(fd, pkt, len, 0);
		if (n == (ssize_t)len)
			return;
		if (n < 0 && errno == ECONNREFUSED) {
			x->refused++;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		break;
	}
	snprintf(x->send_error, sizeof(x->send_error), "%s", n < 0 ? strerror(errno) : "short write");
}

int radius_send(const struct radius_target *nas, uint8_t code, const struct radius_avp *avps,
		size_t n, const uint8_t *secret, size_t secret_len,
		const struct radius_options *opt, struct radius_result *out)
{
	static const struct radius_options defaults = { .event_time = -1 };
	uint8_t pkt[RADIUS_MAX_PACKET], buf[RADIUS_MAX_PACKET + 1];
	struct exchange x = { .nas = nas, .opt = opt ? opt : &defaults, .res = out, .code = code };
	struct radius_reply reply;
	int timeout_ms, tries, fd = -1, rc;
	int64_t deadline = 0;
	size_t len;
	char why[96];

	assert(out != NULL);
	memset(out, 0, sizeof(*out));
	out->outcome = RADIUS_FAILED;
	timeout_ms = x.opt->timeout_ms ? x.opt->timeout_ms : RADIUS_DEFAULT_TIMEOUT_MS;
	tries = x.opt->tries ? x.opt->tries : RADIUS_DEFAULT_TRIES;
	if (nas == NULL || nas->addr_len == 0 || timeout_ms < 1 || tries < 1 || tries > 100 ||
	    n > RADIUS_MAX_ATTRS) {
		snprintf(out->reason, sizeof(out->reason), "bad arguments");
		return RADIUS_EINVAL;
	}
	if (sodium_init() < 0) {
		snprintf(out->reason, sizeof(out->reason), "libsodium did not initialise");
		return RADIUS_ESYS;
	}
	randombytes_buf(&out->id, 1);
	rc = radius_request_encode(code, out->id, avps, n, x.opt->event_time, secret, secret_len,
				   pkt, sizeof(pkt), &len);
	if (rc != RADIUS_OK) {
		snprintf(out->reason, sizeof(out->reason), "%s",
			 rc == RADIUS_ETOOBIG ? "the attributes do not fit in one packet" :
			 "bad request: code, attributes or secret");
		return rc;
	}
	/* Connected: the kernel drops datagrams from any other address or
	 * port, and reports the NAS's ICMP port unreachable to us. */
	fd = socket(nas->addr.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_UDP);
	if (fd < 0 || connect(fd, (const struct sockaddr *)&nas->addr, nas->addr_len) != 0) {
		snprintf(out->reason, sizeof(out->reason), "socket to %s: %s", nas->text,
			 strerror(errno));
		rc = RADIUS_ESYS;
		goto out;
	}
	x.started = mono_ms();
	x.state = RADIUS_SENDING;
	while (x.state != RADIUS_DONE) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int64_t now, left;
		ssize_t got;

		if (x.state == RADIUS_SENDING) {
			send_once(&x, fd, pkt, len);
			out->tries++;
			snprintf(why, sizeof(why), "try %d of %d, %zu octets%s", out->tries, tries, len,
				 x.send_error[0] ? ", not sent" : "");
			transition(&x, RADIUS_WAITING, why);
			deadline = mono_ms() + timeout_ms;
			continue;
		}
		now = mono_ms();
		left = deadline - now;
		if (left <= 0) {
			if (out->tries < tries) {
				snprintf(why, sizeof(why), "no answer in %d ms", timeout_ms);
				transition(&x, RADIUS_SENDING, why);
			} else {
				no_answer(&x);
				transition(&x, RADIUS_DONE, "no answer after the last try");
			}
			continue;
		}
		rc = poll(&p, 1, (int)left);
		if (rc < 0 && errno != EINTR) {
			snprintf(out->reason, sizeof(out->reason), "poll: %s", strerror(errno));
			out->outcome = RADIUS_FAILED;
			rc = RADIUS_ESYS;
			goto out;
		}
		if (rc <= 0)
			continue;
		got = recv(fd, buf, sizeof(buf), 0);
		if (got < 0) {
			if (errno == ECONNREFUSED)
				x.refused++;
			continue;
		}
		rc = radius_reply_check(pkt, len, buf, (size_t)got, secret, secret_len, &reply);
		if (rc != RADIUS_OK) {
			out->discarded++;
			x.last_discard = rc;
			exchange_log(&x, "discarded a reply of %zd octets: %s", got, discard_reason(rc));
			continue;
		}
		accept_reply(&x, &reply);
		snprintf(why, sizeof(why), "%s after %u ms", radius_code_name(reply.code),
			 (unsigned)(mono_ms() - x.started));
		transition(&x, RADIUS_DONE, why);
	}
	rc = RADIUS_OK;
out:
	if (x.started)
		out->elapsed_ms = (uint32_t)(mono_ms() - x.started);
	if (fd >= 0)
		close(fd);
	return rc;
}
