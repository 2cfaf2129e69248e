/*
 * sip media: the SDP answer relance parses (codec, address, port,
 * telephone-event), its own offer, RTP headers, RFC 4733 events, G.711,
 * and the call engine's pure helpers (status to outcome, numbers).
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/chan/sip/call.h"
#include "../../src/chan/sip/sdp.h"
#include "../../src/voice/g711.h"

/* sdp_answer_parse on a heap copy of exactly strlen(text) bytes, no NUL,
 * so that AddressSanitizer catches a read past the end. */
static int parse(const char *text, struct sdp_answer *a)
{
	size_t n = strlen(text);
	char *p = malloc(n ? n : 1);
	int rc;

	cr_assert_not_null(p);
	memcpy(p, text, n);
	memset(a, 0x5a, sizeof(*a));
	rc = sdp_answer_parse(p, n, a);
	free(p);
	return rc;
}

#define HEAD "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\n"

Test(sip_sdp, answer_pcmu_with_session_address)
{
	struct sdp_answer a;

	cr_assert_eq(parse(HEAD "c=IN IP4 192.0.2.10\r\nm=audio 40000 RTP/AVP 0 101\r\n"
			   "a=rtpmap:101 telephone-event/8000\r\n", &a), SDP_OK);
	cr_assert_str_eq(a.addr, "192.0.2.10");
	cr_assert_eq(a.ipv6, 0);
	cr_assert_eq(a.port, 40000);
	cr_assert_eq(a.codec, SDP_PT_PCMU);
	cr_assert_eq(a.codec_pt, 0);
	cr_assert_eq(a.telev_pt, 101);
}

Test(sip_sdp, answer_media_address_wins_and_first_codec_is_chosen)
{
	struct sdp_answer a;

	/* LF only, PCMA listed first, media-level c= over the session's. */
	cr_assert_eq(parse("v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\nc=IN IP4 192.0.2.1\nt=0 0\n"
			   "m=audio 5004 RTP/AVP 8 0\nc=IN IP4 198.51.100.7/127\n", &a), SDP_OK);
	cr_assert_str_eq(a.addr, "198.51.100.7");
	cr_assert_eq(a.codec, SDP_PT_PCMA);
	cr_assert_eq(a.telev_pt, -1);
}

Test(sip_sdp, answer_ipv6_and_dynamic_payload_types)
{
	struct sdp_answer a;

	cr_assert_eq(parse(HEAD "c=IN IP6 2001:db8::5\r\nm=audio 7078 RTP/AVP 18 97 96\r\n"
			   "a=rtpmap:18 G729/8000\r\na=rtpmap:97 pcmu/8000\r\n"
			   "a=rtpmap:96 telephone-event/8000\r\n", &a), SDP_OK);
	cr_assert_str_eq(a.addr, "2001:db8::5");
	cr_assert_eq(a.ipv6, 1);
	cr_assert_eq(a.codec, SDP_PT_PCMU);
	cr_assert_eq(a.codec_pt, 97);
	cr_assert_eq(a.telev_pt, 96);
}

Test(sip_sdp, answer_skips_rejected_and_video_streams)
{
	struct sdp_answer a;

	cr_assert_eq(parse(HEAD "c=IN IP4 192.0.2.10\r\nm=video 9000 RTP/AVP 96\r\n"
			   "m=audio 0 RTP/AVP 0\r\nm=audio 6000 RTP/AVP 8\r\n", &a), SDP_OK);
	cr_assert_eq(a.port, 6000);
	cr_assert_eq(a.codec, SDP_PT_PCMA);
}

Test(sip_sdp, answer_no_codec_in_common)
{
	struct sdp_answer a;

	cr_assert_eq(parse(HEAD "c=IN IP4 192.0.2.10\r\nm=audio 40000 RTP/AVP 18 101\r\n", &a),
		     SDP_ENOCODEC);
	/* An rtpmap that renames 0 to something else is believed. */
	cr_assert_eq(parse(HEAD "c=IN IP4 192.0.2.10\r\nm=audio 40000 RTP/AVP 0\r\n"
			   "a=rtpmap:0 G722/8000\r\n", &a), SDP_ENOCODEC);
	/* PCMU at another rate is not G.711 at 8 kHz. */
	cr_assert_eq(parse(HEAD "c=IN IP4 192.0.2.10\r\nm=audio 40000 RTP/AVP 97\r\n"
			   "a=rtpmap:97 PCMU/16000\r\n", &a), SDP_ENOCODEC);
}

Test(sip_sdp, answer_no_audio)
{
	struct sdp_answer a;

	cr_assert_eq(parse(HEAD "c=IN IP4 192.0.2.10\r\n", &a), SDP_ENOAUDIO);
	cr_assert_eq(parse(HEAD "c=IN IP4 192.0.2.10\r\nm=audio 0 RTP/AVP 0\r\n", &a), SDP_ENOAUDIO);
	cr_assert_eq(parse(HEAD "c=IN IP4 192.0.2.10\r\nm=audio 4000 RTP/SAVP 0\r\n", &a),
		     SDP_ENOAUDIO);
}

Test(sip_sdp, answer_malformed)
{
	static const char *const bad[] = {
		"",
		"\r\n\r\n",
		"o=- 1 1 IN IP4 192.0.2.1\r\nv=0\r\n",           /* v= not first */
		"v=1\r\n",
		"v=0\r\nm=audio 40000 RTP/AVP 0\r\n",              /* no c= at all */
		HEAD "c=IN IP4 example.com\r\nm=audio 40000 RTP/AVP 0\r\n",
		HEAD "c=IN IP4 192.0.2.300\r\nm=audio 40000 RTP/AVP 0\r\n",
		HEAD "c=IN IP7 192.0.2.3\r\nm=audio 40000 RTP/AVP 0\r\n",
		HEAD "c=IN IP4 192.0.2.3\r\nm=audio 70000 RTP/AVP 0\r\n",
		HEAD "c=IN IP4 192.0.2.3\r\nm=audio -1 RTP/AVP 0\r\n",
		HEAD "c=IN IP4 192.0.2.3\r\nm=audio 4000 RTP/AVP\r\n",
		HEAD "c=IN IP4 192.0.2.3\r\nm=audio 4000 RTP/AVP 0 x\r\n",
		HEAD "c=IN IP4 192.0.2.3\r\nm=audio 4000 RTP/AVP 0 128\r\n",
		HEAD "c=IN IP4 192.0.2.3\r\nm=audio 4000 RTP/AVP 0\r\na=rtpmap:0 PCMU\r\n",
		HEAD "c=IN IP4 192.0.2.3\r\nm=audio 4000 RTP/AVP 0\r\nbroken\r\n",
	};
	struct sdp_answer a;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(parse(bad[i], &a), SDP_EMALFORMED, "case %zu: %s", i, bad[i]);
}

Test(sip_sdp, offer_round_trips_through_the_parser)
{
	char buf[1024];
	size_t len;
	struct sdp_answer a;

	cr_assert_eq(sdp_offer(buf, sizeof(buf), &len, "127.0.0.1", 40002, 77, 0), SDP_OK);
	cr_assert_eq(len, strlen(buf));
	cr_assert(strstr(buf, "m=audio 40002 RTP/AVP 0 8 101\r\n") != NULL, "%s", buf);
	cr_assert(strstr(buf, "a=rtpmap:101 telephone-event/8000\r\n") != NULL);
	cr_assert(strstr(buf, "a=ptime:20\r\n") != NULL);
	cr_assert_eq(sdp_answer_parse(buf, len, &a), SDP_OK);
	cr_assert_str_eq(a.addr, "127.0.0.1");
	cr_assert_eq(a.port, 40002);
	cr_assert_eq(a.codec, SDP_PT_PCMU);
	cr_assert_eq(a.telev_pt, 101);
	cr_assert_eq(sdp_offer(buf, sizeof(buf), &len, "::1", 40002, 77, 1), SDP_OK);
	cr_assert(strstr(buf, "c=IN IP6 ::1\r\nt=0 0\r\nm=audio 40002 RTP/AVP 8 0 101") != NULL, "%s", buf);
	cr_assert_eq(sdp_offer(buf, 100, &len, "127.0.0.1", 40002, 77, 0), SDP_ESPACE);
}

Test(sip_rtp, header_write_and_read)
{
	uint8_t pkt[RTP_HEADER_LEN + 4] = { 0 };
	struct rtp_hdr h = { .marker = 1, .pt = 8, .seq = 0xfffe, .ts = 0x01020304,
			     .ssrc = 0xdeadbeef }, back;
	static const uint8_t want[RTP_HEADER_LEN] = { 0x80, 0x88, 0xff, 0xfe, 1, 2, 3, 4,
						      0xde, 0xad, 0xbe, 0xef };

	rtp_header_write(pkt, &h);
	cr_assert_arr_eq(pkt, want, sizeof(want));
	cr_assert_eq(rtp_header_read(pkt, sizeof(pkt), &back), 0);
	cr_assert_eq(back.marker, 1);
	cr_assert_eq(back.pt, 8);
	cr_assert_eq(back.seq, 0xfffe);
	cr_assert_eq(back.ts, 0x01020304u);
	cr_assert_eq(back.ssrc, 0xdeadbeefu);
	cr_assert_eq(back.payload_off, RTP_HEADER_LEN);
	cr_assert_eq(back.payload_len, 4);
}

Test(sip_rtp, header_read_csrc_extension_padding_and_errors)
{
	/* 1 CSRC, an extension of 1 word, 4 payload bytes, 2 of them padding. */
	uint8_t pkt[] = { 0xb1, 101, 0, 1, 0, 0, 0, 9, 0, 0, 0, 7,
			  1, 2, 3, 4,
			  0xbe, 0xde, 0, 1, 9, 9, 9, 9,
			  0xaa, 0xbb, 0, 2 };
	struct rtp_hdr h;

	cr_assert_eq(rtp_header_read(pkt, sizeof(pkt), &h), 0);
	cr_assert_eq(h.payload_off, 24);
	cr_assert_eq(h.payload_len, 2);
	cr_assert_eq(rtp_header_read(pkt, 11, &h), -1);
	cr_assert_eq(rtp_header_read(pkt, 20, &h), -1);   /* extension cut */
	pkt[sizeof(pkt) - 1] = 5;                         /* padding beyond the payload */
	cr_assert_eq(rtp_header_read(pkt, sizeof(pkt), &h), -1);
	pkt[sizeof(pkt) - 1] = 0;                         /* padding of 0 */
	cr_assert_eq(rtp_header_read(pkt, sizeof(pkt), &h), -1);
	pkt[0] = 0x40;                                    /* version 1 */
	cr_assert_eq(rtp_header_read(pkt, sizeof(pkt), &h), -1);
}

Test(sip_rtp, telephone_events)
{
	static const uint8_t one_start[] = { 1, 0x0a, 0x00, 0xa0 };
	static const uint8_t pound_end[] = { 11, 0x8a, 0x03, 0x20 };
	struct rtp_event ev;

	cr_assert_eq(rtp_event_read(one_start, 4, &ev), 0);
	cr_assert_eq(ev.event, 1);
	cr_assert_eq(ev.end, 0);
	cr_assert_eq(ev.volume, 10);
	cr_assert_eq(ev.duration, 160);
	cr_assert_eq(rtp_event_digit(ev.event), '1');
	cr_assert_eq(rtp_event_read(pound_end, 4, &ev), 0);
	cr_assert_eq(ev.end, 1);
	cr_assert_eq(ev.duration, 800);
	cr_assert_eq(rtp_event_digit(ev.event), '#');
	cr_assert_eq(rtp_event_digit(10), '*');
	cr_assert_eq(rtp_event_digit(15), 'D');
	cr_assert_eq(rtp_event_digit(16), 0);     /* flash: not a digit */
	cr_assert_eq(rtp_event_read(one_start, 3, &ev), -1);
}

Test(sip_g711, known_values_and_round_trips)
{
	uint8_t buf[3] = { 0xff, 0x7e, 0x00 };

	cr_assert_eq(g711_linear_to_ulaw(0), 0xff);
	cr_assert_eq(g711_ulaw_to_linear(0xff), 0);
	cr_assert_eq(g711_ulaw_to_linear(0x80), 32124);
	cr_assert_eq(g711_ulaw_to_linear(0x00), -32124);
	cr_assert_eq(g711_linear_to_alaw(0), 0xd5);
	cr_assert_eq(g711_linear_to_alaw(32767), 0xaa);
	cr_assert_eq(g711_linear_to_alaw(-32768), 0x2a);
	for (int v = -32768; v <= 32767; v += 97) {
		int16_t back = g711_ulaw_to_linear(g711_linear_to_ulaw((int16_t)v));
		int err = abs(back - v);

		/* µ-law's step is at most 1/16 of the magnitude, plus the bias. */
		cr_assert(err <= abs(v) / 16 + 140, "%d -> %d", v, back);
	}
	g711_ulaw_to_alaw(buf, 3);
	cr_assert_eq(buf[0], 0xd5);  /* silence stays silence */
	cr_assert_eq(buf[1], 0x55);  /* -8, the smallest negative step */
	cr_assert_eq(buf[2], 0x2a);  /* full scale negative */
}

Test(sip_g711, tone_is_audible_and_fades)
{
	uint8_t t[800];
	int peak = 0;

	g711_tone(t, sizeof(t));
	cr_assert_eq(g711_ulaw_to_linear(t[0]), 0);
	for (size_t i = 0; i < sizeof(t); i++)
		if (abs(g711_ulaw_to_linear(t[i])) > peak)
			peak = abs(g711_ulaw_to_linear(t[i]));
	cr_assert(peak > 8000 && peak < 11000, "peak %d", peak);
	cr_assert(abs(g711_ulaw_to_linear(t[799])) < 400);
}

Test(sip_call, outcome_of_status)
{
	cr_assert_eq(sip_outcome_of_status(486), SIP_BUSY);
	cr_assert_eq(sip_outcome_of_status(600), SIP_BUSY);
	cr_assert_eq(sip_outcome_of_status(404), SIP_BAD_NUMBER);
	cr_assert_eq(sip_outcome_of_status(484), SIP_BAD_NUMBER);
	cr_assert_eq(sip_outcome_of_status(604), SIP_BAD_NUMBER);
	cr_assert_eq(sip_outcome_of_status(480), SIP_NO_ANSWER);
	cr_assert_eq(sip_outcome_of_status(408), SIP_NO_ANSWER);
	cr_assert_eq(sip_outcome_of_status(500), SIP_TRUNK_FAILURE);
	cr_assert_eq(sip_outcome_of_status(503), SIP_TRUNK_FAILURE);
	cr_assert_eq(sip_outcome_of_status(403), SIP_TRUNK_FAILURE);
	cr_assert_str_eq(sip_outcome_name(SIP_HUNG_UP_EARLY), "hung_up_early");
	cr_assert_str_eq(sip_state_name(SIP_PLAYING), "PLAYING");
}

Test(sip_call, numbers_and_uris)
{
	cr_assert(sip_to_valid("+33612345678"));
	cr_assert(sip_to_valid("0612*45#"));
	cr_assert(sip_to_valid("sip:alice@192.0.2.1:5060;user=phone"));
	cr_assert(!sip_to_valid(""));
	cr_assert(!sip_to_valid("06 12"));
	cr_assert(!sip_to_valid("06\r\nX-Evil: 1"));
	cr_assert(!sip_to_valid("a@b"));
	cr_assert(!sip_to_valid("sip:nobody"));
	cr_assert(!sip_to_valid("sip:a@b>;x"));
}
