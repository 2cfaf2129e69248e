/*
 * radius — the RADIUS provisioning adapter: one RFC 5176 Disconnect-Request
 * or CoA-Request sent to a NAS over UDP, and its answer
 * (docs/provisioning-radius.md).
 *
 * A request is a code, an identifier, Message-Authenticator (always sent,
 * and first, where the defences against forged replies of CVE-2024-3596
 * look for it), the caller's attributes in the order given, then
 * Event-Timestamp when the caller gave none and passed a time:
 *
 *   Message-Authenticator = HMAC-MD5(secret, packet with a zero
 *                           authenticator and this attribute's value zero)
 *   Request Authenticator = MD5(Code, Identifier, Length, 16 zero octets,
 *                               Attributes, secret)         (RFC 5176 2.3)
 *
 * A reply is accepted only when it comes from the address and port the
 * request went to (the socket is connected), carries the request's
 * identifier and a code answering its code (Disconnect-ACK/-NAK for a
 * Disconnect-Request, CoA-ACK/-NAK for a CoA-Request), is well formed, has
 * the Response Authenticator
 *
 *   MD5(Code, Identifier, Length, Request Authenticator, Attributes, secret)
 *
 * and, when it holds a Message-Authenticator, the right one (HMAC-MD5 over
 * the reply with the Request Authenticator in place and that value zero).
 * Anything else is discarded, counted, and named in the reason when no
 * valid reply comes.
 *
 * radius_send is a small state machine, SENDING -> WAITING -> (SENDING
 * again after a time-out) -> DONE, reporting each transition as one log
 * line. A retransmission is the same packet, byte for byte (same
 * identifier, same authenticator), so a NAS that acted on the first copy
 * and whose answer was lost answers the second as a duplicate.
 *
 * Ownership: nothing here allocates. Attribute values are copied into
 * struct radius_avp; the secret is borrowed for the length of a call and
 * never copied into a result, a reason or a log line (buffers that held it
 * are wiped before returning).
 *
 * Costs: a packet is at most RADIUS_MAX_PACKET octets on the stack; a
 * request costs two MD5 passes over it (HMAC-MD5 and the authenticator),
 * a reply two more when it carries a Message-Authenticator. radius_send
 * opens one UDP socket for the call and blocks for at most
 * tries * timeout_ms (plus the name resolution of radius_target_parse,
 * done before). Synchronous, one request at a time per call, no global
 * state: any number of threads may send at once.
 */
#ifndef RELANCE_RADIUS_H
#define RELANCE_RADIUS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

enum {
	RADIUS_OK = 0,
	RADIUS_EINVAL = -1,     /* a bad argument: unknown attribute, bad value, bad address */
	RADIUS_ETOOBIG = -2,    /* the attributes do not fit in one packet */
	RADIUS_EMALFORMED = -3, /* a reply that is not a RADIUS packet */
	RADIUS_EMISMATCH = -4,  /* a reply to another request: identifier or code */
	RADIUS_EBADAUTH = -5,   /* a reply whose Response Authenticator is wrong */
	RADIUS_EBADMSGAUTH = -6,/* a reply whose Message-Authenticator is wrong */
	RADIUS_ESYS = -7,       /* a socket could not be opened or used */
};

/* Packet codes (RFC 5176 3). */
enum radius_code {
	RADIUS_DISCONNECT_REQUEST = 40,
	RADIUS_DISCONNECT_ACK = 41,
	RADIUS_DISCONNECT_NAK = 42,
	RADIUS_COA_REQUEST = 43,
	RADIUS_COA_ACK = 44,
	RADIUS_COA_NAK = 45,
};

#define RADIUS_HEADER_LEN 20
#define RADIUS_MAX_PACKET 4096
#define RADIUS_MAX_VALUE 253    /* a standard attribute's value; 247 for a vendor's */
#define RADIUS_MAX_SECRET 128
#define RADIUS_MAX_ATTRS 32     /* attributes a caller may give to one request */
#define RADIUS_DEFAULT_PORT 3799
#define RADIUS_DEFAULT_TIMEOUT_MS 3000
#define RADIUS_DEFAULT_TRIES 3

/* How a value is written on the command line and encoded on the wire. */
enum radius_kind {
	RADIUS_STRING,          /* UTF-8 text, 1..max octets */
	RADIUS_OCTETS,          /* "0x" + hex digits, or text taken as its octets */
	RADIUS_IPV4,            /* dotted quad, 4 octets */
	RADIUS_INTEGER,         /* decimal 0..4294967295, 4 octets big-endian */
	RADIUS_DATE,            /* seconds since 1970 UTC, as an integer */
};

/* One attribute of the built-in dictionary. vendor 0: a standard
 * attribute; otherwise the value goes in a Vendor-Specific (26) attribute
 * with this vendor id and `type` as the vendor's type. */
struct radius_attr_def {
	const char *name;       /* as FreeRADIUS's dictionaries spell it */
	uint32_t vendor;
	uint8_t type;
	enum radius_kind kind;
	unsigned identifies_session : 1; /* RFC 5176 3: picks the session acted on */
	unsigned request_ok : 1;         /* a caller may put it in a request */
};

/* The dictionary's entry for `name` (ASCII case ignored), or NULL. */
const struct radius_attr_def *radius_attr_find(const char *name);
/* The entry for a standard (vendor 0) or vendor attribute, or NULL. */
const struct radius_attr_def *radius_attr_by_type(uint32_t vendor, uint8_t type);
/* Entry i of the dictionary, in order; NULL past the end (for listings). */
const struct radius_attr_def *radius_attr_at(size_t i);

/* An attribute ready to encode: its definition and its value's octets. */
struct radius_avp {
	const struct radius_attr_def *def;
	size_t len;
	uint8_t value[RADIUS_MAX_VALUE];
};

/*
 * Parses "NAME=VALUE" (the first '=' splits) into *out: NAME must be in the
 * dictionary with request_ok, VALUE as its kind says and short enough for
 * it. Returns RADIUS_OK, or RADIUS_EINVAL with a one-line reason in err
 * naming the attribute.
 */
int radius_avp_parse(const char *text, struct radius_avp *out, char *err, size_t errsize);

/* Writes avp's value as text (NUL-terminated, truncated to size): strings
 * with non-printable octets as \xHH, octets as 0x + hex, addresses and
 * numbers in their usual form. */
void radius_avp_format(const struct radius_avp *avp, char *buf, size_t size);

/*
 * Encodes a request into out[0..cap): `code` (RADIUS_DISCONNECT_REQUEST or
 * RADIUS_COA_REQUEST), identifier `id`, Message-Authenticator, the
 * attributes in order, then Event-Timestamp = event_time unless
 * event_time < 0 or one is among avps; signs it as the top of this file
 * says.
 * Returns RADIUS_OK with *len set, RADIUS_EINVAL (bad code, empty or
 * over-long secret, an avp without a definition) or RADIUS_ETOOBIG.
 */
int radius_request_encode(uint8_t code, uint8_t id, const struct radius_avp *avps, size_t n,
			  int64_t event_time, const uint8_t *secret, size_t secret_len,
			  uint8_t *out, size_t cap, size_t *len);

/* What a reply says, once it passed radius_reply_check. */
struct radius_reply {
	uint8_t code, id;
	uint16_t length;
	int has_error_cause;
	uint32_t error_cause;           /* Error-Cause (101), RFC 5176 3.6 */
	int has_message_authenticator;
	size_t n_attrs;                 /* attributes of the reply, vendor ones included */
	char reply_message[RADIUS_MAX_VALUE + 1]; /* the first Reply-Message, printable
						   * ASCII only (others as '?'); "" when none */
};

/*
 * Checks the structure of a datagram (pkt, len) as a RADIUS packet — header,
 * Length within the datagram (octets past it are padding, ignored),
 * attributes exactly filling it, Message-Authenticator of 16 octets and at
 * most one, Error-Cause of 4 — and fills *out. Authenticates nothing.
 * Returns RADIUS_OK or RADIUS_EMALFORMED.
 */
int radius_reply_parse(const uint8_t *pkt, size_t len, struct radius_reply *out);

/*
 * Whether (reply, reply_len) is a valid answer to the request (req,
 * req_len) as encoded by radius_request_encode, under `secret`: parse, then
 * identifier and code, then the Response Authenticator, then the
 * Message-Authenticator when there is one. Returns RADIUS_OK with *out
 * filled, or the first thing wrong: RADIUS_EMALFORMED, RADIUS_EMISMATCH,
 * RADIUS_EBADAUTH, RADIUS_EBADMSGAUTH (RADIUS_EINVAL for a bad request or
 * secret). Comparisons of authenticators take constant time.
 */
int radius_reply_check(const uint8_t *req, size_t req_len, const uint8_t *reply,
		       size_t reply_len, const uint8_t *secret, size_t secret_len,
		       struct radius_reply *out);

/* Where a request goes. */
struct radius_target {
	struct sockaddr_storage addr;
	socklen_t addr_len;
	char text[80];          /* "192.0.2.1:3799", "[2001:db8::1]:3799" */
};

/*
 * Parses "HOST", "HOST:PORT", "[IPV6]" or "[IPV6]:PORT" (port 1..65535,
 * default 3799) and resolves HOST (the first address getaddrinfo gives).
 * Returns RADIUS_OK, or RADIUS_EINVAL with a reason in err.
 */
int radius_target_parse(const char *text, struct radius_target *out, char *err, size_t errsize);

/* One log line without a newline, valid during the call only. */
typedef void radius_log_fn(void *arg, const char *line);

struct radius_options {
	int timeout_ms;         /* wait for a reply after each try; 0: RADIUS_DEFAULT_TIMEOUT_MS */
	int tries;              /* packets sent at most; 0: RADIUS_DEFAULT_TRIES */
	int64_t event_time;     /* Event-Timestamp to add; < 0: none. The NAS compares it
				 * with its own clock (RFC 5176 3.3): give the real time. */
	radius_log_fn *log;     /* may be NULL */
	void *log_arg;
};

enum radius_state { RADIUS_SENDING, RADIUS_WAITING, RADIUS_DONE };

enum radius_outcome {
	RADIUS_ACK,             /* the NAS did it */
	RADIUS_NAK,             /* the NAS refused; error_cause says why when it said */
	RADIUS_NO_ANSWER,       /* no valid reply after every try: unknown whether it acted */
	RADIUS_FAILED,          /* nothing could be sent (socket, encoding) */
};

struct radius_result {
	enum radius_outcome outcome;
	uint8_t code;           /* the accepted reply's code; 0 when none */
	uint8_t id;             /* the request's identifier */
	int tries;              /* packets sent */
	uint32_t elapsed_ms;
	uint32_t discarded;     /* replies that failed radius_reply_check */
	int has_error_cause;
	uint32_t error_cause;
	char reply_message[RADIUS_MAX_VALUE + 1];
	char reason[200];       /* what happened, in words; never the secret */
};

/*
 * Sends one request (code RADIUS_DISCONNECT_REQUEST or RADIUS_COA_REQUEST)
 * with the attributes avps[0..n) to `nas`, under `secret`, with a random
 * identifier, and waits for its answer, resending after each time-out up to
 * opt->tries packets (opt may be NULL: the defaults, no Event-Timestamp).
 * Fills *out in every case. Returns RADIUS_OK when a valid reply came or
 * none did (outcome ACK, NAK, NO_ANSWER); RADIUS_EINVAL, RADIUS_ETOOBIG or
 * RADIUS_ESYS (outcome FAILED) when nothing could be sent.
 */
int radius_send(const struct radius_target *nas, uint8_t code, const struct radius_avp *avps,
		size_t n, const uint8_t *secret, size_t secret_len,
		const struct radius_options *opt, struct radius_result *out);

/* "Disconnect-Request", "CoA-ACK" ...; "Unknown" for other codes. */
const char *radius_code_name(uint8_t code);
/* "ACK", "NAK", "NO_ANSWER", "FAILED". */
const char *radius_outcome_name(enum radius_outcome o);
/* "SENDING", "WAITING", "DONE". */
const char *radius_state_name(enum radius_state s);
/* RFC 5176 3.6's name of an Error-Cause ("Session-Context-Not-Found"), or NULL. */
const char *radius_error_cause_name(uint32_t cause);
/* Whether the request's attributes name a session (one with identifies_session). */
int radius_avps_identify_session(const struct radius_avp *avps, size_t n);

#endif
