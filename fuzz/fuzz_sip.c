/*
 * Fuzz target: what relance parses itself of a call — the SDP answer, RTP
 * headers and RFC 4733 events from the peer, and the number a call is
 * placed to. Invariants checked beyond "no crash":
 *  - an accepted SDP answer has a port, a numeric address that inet_pton
 *    takes, PCMU or PCMA with a payload type < 128, and a telephone-event
 *    payload type of -1 or < 128;
 *  - the offer relance writes for that address parses back to it;
 *  - an RTP header read leaves its payload inside the packet;
 *  - a number sip_to_valid accepts holds no byte that could end a header.
 * The input is given to each parser whole.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "../src/chan/sip/call.h"
#include "../src/chan/sip/sdp.h"

static void check_sdp(const uint8_t *data, size_t size)
{
	struct sdp_answer a, back;
	unsigned char bin[16];
	char offer[1024];
	size_t len;

	if (sdp_answer_parse((const char *)data, size, &a) != SDP_OK)
		return;
	if (a.port == 0 || memchr(a.addr, 0, sizeof(a.addr)) == NULL ||
	    inet_pton(a.ipv6 ? AF_INET6 : AF_INET, a.addr, bin) != 1)
		abort();
	if ((a.codec != SDP_PT_PCMU && a.codec != SDP_PT_PCMA) || a.codec_pt < 0 ||
	    a.codec_pt > 127 || a.telev_pt < -1 || a.telev_pt > 127)
		abort();
	if (sdp_offer(offer, sizeof(offer), &len, a.addr, a.port, 1, a.codec == SDP_PT_PCMA) !=
	    SDP_OK || sdp_answer_parse(offer, len, &back) != SDP_OK ||
	    strcmp(back.addr, a.addr) != 0 || back.port != a.port || back.codec != a.codec ||
	    back.telev_pt != SDP_PT_TELEV)
		abort();
}

static void check_rtp(const uint8_t *data, size_t size)
{
	struct rtp_hdr h;
	struct rtp_event ev;

	if (rtp_header_read(data, size, &h) != 0)
		return;
	if (h.payload_off < RTP_HEADER_LEN || h.payload_off > size ||
	    h.payload_len > size - h.payload_off || h.pt > 127)
		abort();
	if (rtp_event_read(data + h.payload_off, h.payload_len, &ev) == 0 &&
	    (ev.volume > 63 || (rtp_event_digit(ev.event) != 0) != (ev.event < 16)))
		abort();
}

static void check_to(const uint8_t *data, size_t size)
{
	char to[256];

	if (size >= sizeof(to))
		return;
	memcpy(to, data, size);
	to[size] = '\0';
	if (!sip_to_valid(to))
		return;
	for (size_t i = 0; i < strlen(to); i++)
		if ((unsigned char)to[i] <= ' ' || to[i] == '<' || to[i] == '>' || to[i] == '"')
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_sdp(data, size);
	check_rtp(data, size);
	check_to(data, size);
	return 0;
}
