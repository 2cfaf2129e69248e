/*
 * sdp — what relance writes and reads itself of a call's media: the SDP
 * offer, the SDP answer, RTP headers, RFC 4733 telephone events, G.711
 * companding and the test tone. No I/O and no libre: every function is
 * pure, so the unit tests and fuzz/fuzz_sip.c reach all of it.
 *
 * Everything that comes from the peer (an SDP body, an RTP packet) is
 * untrusted: parsers take a pointer and a length, never read past it, need
 * no terminating NUL, and return an error code instead of a partial result.
 */
#ifndef RELANCE_SIP_SDP_H
#define RELANCE_SIP_SDP_H

#include <stddef.h>
#include <stdint.h>

enum {
	SDP_OK = 0,
	SDP_EMALFORMED = -1,    /* not SDP: no v=0, a bad m= or c= line */
	SDP_ENOAUDIO = -2,      /* no audio stream accepted (none, or port 0) */
	SDP_ENOCODEC = -3,      /* an audio stream, but neither PCMU nor PCMA */
	SDP_ESPACE = -4,        /* the output buffer is too small */
};

/* The payload types relance offers: PCMU and PCMA (static, RFC 3551) and
 * RFC 4733 telephone-event (dynamic, 101 in the offer). */
enum { SDP_PT_PCMU = 0, SDP_PT_PCMA = 8, SDP_PT_TELEV = 101 };

/* A call's media is 8 kHz G.711, 20 ms an RTP packet. */
enum { SDP_RATE = 8000, SDP_PTIME_MS = 20, SDP_SAMPLES_PER_PACKET = 160 };

/* What an SDP answer says about the audio stream relance will send. */
struct sdp_answer {
	char addr[64];          /* where to send RTP: the c= address, numeric */
	int ipv6;               /* c=IN IP6 */
	uint16_t port;          /* m=audio port, never 0 on success */
	int codec;              /* SDP_PT_PCMU or SDP_PT_PCMA: the first of the two in m= order */
	int codec_pt;           /* the payload type to send it with (0, 8 or a dynamic one) */
	int telev_pt;           /* telephone-event/8000's payload type; -1 when absent */
};

/*
 * Writes relance's offer into buf (NUL-terminated; *len without the NUL):
 * audio from addr:port (numeric IPv4 or IPv6), PCMU, PCMA and
 * telephone-event 0-15 at 20 ms (PCMA before PCMU when pcma_first).
 * sess_id names the session in o=. Returns SDP_OK or SDP_ESPACE.
 */
int sdp_offer(char *buf, size_t size, size_t *len, const char *addr, uint16_t port,
	      uint64_t sess_id, int pcma_first);

/*
 * Parses an SDP answer of len bytes: the first m=audio line with a port
 * other than 0, its connection address (media level, else session level),
 * the codec chosen and the telephone-event payload type. Returns SDP_OK
 * with *out filled, or SDP_EMALFORMED, SDP_ENOAUDIO or SDP_ENOCODEC with
 * *out undefined.
 */
int sdp_answer_parse(const char *text, size_t len, struct sdp_answer *out);

/* A short English phrase for an SDP_* code. */
const char *sdp_strerror(int rc);

/* ---- RTP (RFC 3550) ------------------------------------------------- */

enum { RTP_HEADER_LEN = 12 };

struct rtp_hdr {
	int marker;
	uint8_t pt;
	uint16_t seq;
	uint32_t ts;
	uint32_t ssrc;
	size_t payload_off;     /* decode: where the payload starts */
	size_t payload_len;     /* decode: its length, padding removed */
};

/* Writes the 12-byte header of version 2, no padding, extension or CSRC. */
void rtp_header_write(uint8_t out[RTP_HEADER_LEN], const struct rtp_hdr *h);

/* Reads a packet's header, skipping CSRCs and an extension and removing
 * padding. Returns 0, or -1 when the packet is not RTP version 2 or its
 * lengths do not add up. */
int rtp_header_read(const uint8_t *pkt, size_t len, struct rtp_hdr *h);

/* ---- RFC 4733 telephone events -------------------------------------- */

struct rtp_event {
	uint8_t event;          /* 0-9, 10 '*', 11 '#', 12-15 A-D, others non-DTMF */
	int end;                /* the E bit */
	uint8_t volume;         /* 0..63, -dBm0 */
	uint16_t duration;      /* in timestamp units */
};

/* Reads a telephone-event payload (the first 4 bytes; more are redundant
 * events, ignored). Returns 0, or -1 when len < 4. */
int rtp_event_read(const uint8_t *p, size_t len, struct rtp_event *ev);

/* The DTMF digit of event code e ("0123456789*#ABCD"), or 0 for other events. */
char rtp_event_digit(uint8_t e);

/* Whether ch is one of those digits. */
int rtp_event_digit_valid(char ch);

#endif
