/*
 * sdp — offer, answer, RTP headers, telephone events, G.711 (sdp.h).
 */
#include "sdp.h"

#include <arpa/inet.h>
#include <assert.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* A slice of the input: never NUL-terminated. */
struct span {
	const char *p;
	size_t n;
};

/* At most this many formats are looked at on one m= line: a real answer
 * holds a handful, and a longer line is not a reason to fail. */
#define MAX_FMTS 32

struct rtpmap {
	int pt;
	struct span name;
	long rate;
};

static int span_eq(struct span s, const char *lit)
{
	size_t n = strlen(lit);

	return s.n == n && memcmp(s.p, lit, n) == 0;
}

static int span_ieq(struct span s, const char *lit)
{
	size_t n = strlen(lit);

	return s.n == n && strncasecmp(s.p, lit, n) == 0;
}

/* The next space-separated token of *s, advancing it; n == 0 at the end. */
static struct span next_token(struct span *s)
{
	struct span t;

	while (s->n > 0 && *s->p == ' ') {
		s->p++;
		s->n--;
	}
	t.p = s->p;
	t.n = 0;
	while (t.n < s->n && s->p[t.n] != ' ')
		t.n++;
	s->p += t.n;
	s->n -= t.n;
	return t;
}

/* A decimal number of 1 to 9 digits, all of s; -1 otherwise. */
static long span_num(struct span s)
{
	long v = 0;

	if (s.n == 0 || s.n > 9)
		return -1;
	for (size_t i = 0; i < s.n; i++) {
		if (s.p[i] < '0' || s.p[i] > '9')
			return -1;
		v = v * 10 + (s.p[i] - '0');
	}
	return v;
}

/* "IN IP4 addr[/ttl]" into out; 0 or -1. */
static int parse_conn(struct span v, char *addr, size_t size, int *ipv6)
{
	struct span net = next_token(&v), type = next_token(&v), a = next_token(&v);
	unsigned char bin[16];
	char tmp[64];
	size_t n = 0;

	if (!span_eq(net, "IN") || next_token(&v).n != 0)
		return -1;
	if (span_eq(type, "IP4"))
		*ipv6 = 0;
	else if (span_eq(type, "IP6"))
		*ipv6 = 1;
	else
		return -1;
	while (n < a.n && a.p[n] != '/')
		n++;
	if (n == 0 || n >= sizeof(tmp) || n >= size)
		return -1;
	memcpy(tmp, a.p, n);
	tmp[n] = '\0';
	if (inet_pton(*ipv6 ? AF_INET6 : AF_INET, tmp, bin) != 1)
		return -1;
	memcpy(addr, tmp, n + 1);
	return 0;
}

/* "PT name/rate[/channels]" */
static int parse_rtpmap(struct span v, struct rtpmap *m)
{
	struct span pt = next_token(&v), enc = next_token(&v);
	size_t slash = 0, end;

	m->pt = (int)span_num(pt);
	if (m->pt < 0 || m->pt > 127 || enc.n == 0)
		return -1;
	while (slash < enc.n && enc.p[slash] != '/')
		slash++;
	if (slash == 0 || slash == enc.n)
		return -1;
	m->name.p = enc.p;
	m->name.n = slash;
	end = slash + 1;
	while (end < enc.n && enc.p[end] != '/')
		end++;
	m->rate = span_num((struct span){ enc.p + slash + 1, end - slash - 1 });
	return m->rate < 0 ? -1 : 0;
}

int sdp_answer_parse(const char *text, size_t len, struct sdp_answer *out)
{
	struct span rest = { text, len };
	char sess_addr[64] = "", media_addr[64] = "";
	int sess_v6 = 0, media_v6 = 0, in_chosen = 0, chosen = 0, first = 1;
	int fmts[MAX_FMTS];
	size_t n_fmts = 0, n_maps = 0;
	struct rtpmap maps[MAX_FMTS];
	long port = 0;

	assert(text != NULL || len == 0);
	assert(out != NULL);
	while (rest.n > 0) {
		struct span line = { rest.p, 0 }, v;
		const char *nl = memchr(rest.p, '\n', rest.n);

		line.n = nl ? (size_t)(nl - rest.p) : rest.n;
		rest.p += line.n + (nl != NULL);
		rest.n -= line.n + (nl != NULL);
		if (line.n > 0 && line.p[line.n - 1] == '\r')
			line.n--;
		if (line.n == 0)
			continue;
		if (line.n < 2 || line.p[1] != '=' || memchr(line.p, '\0', line.n))
			return SDP_EMALFORMED;
		v.p = line.p + 2;
		v.n = line.n - 2;
		if (first) {
			if (line.p[0] != 'v' || !span_eq(v, "0"))
				return SDP_EMALFORMED;
			first = 0;
			continue;
		}
		switch (line.p[0]) {
		case 'm': {
			struct span media = next_token(&v), p = next_token(&v), proto = next_token(&v);
			size_t slash = 0;

			in_chosen = 0;
			while (slash < p.n && p.p[slash] != '/')
				slash++;
			p.n = slash;
			if (media.n == 0 || proto.n == 0 || (port = span_num(p)) < 0 || port > 65535)
				return SDP_EMALFORMED;
			if (chosen || !span_eq(media, "audio"))
				break;
			if (port == 0 || !span_eq(proto, "RTP/AVP"))
				break;
			for (struct span f; (f = next_token(&v)).n > 0;) {
				long pt = span_num(f);

				if (pt < 0 || pt > 127)
					return SDP_EMALFORMED;
				if (n_fmts < MAX_FMTS)
					fmts[n_fmts++] = (int)pt;
			}
			if (n_fmts == 0)
				return SDP_EMALFORMED;
			chosen = in_chosen = 1;
			out->port = (uint16_t)port;
			break;
		}
		case 'c': {
			char *dst = in_chosen ? media_addr : sess_addr;
			int *v6 = in_chosen ? &media_v6 : &sess_v6;

			/* Other streams' c= lines are checked too: a malformed
			 * line anywhere means the peer's SDP cannot be trusted. */
			if (parse_conn(v, dst, sizeof(media_addr), v6) != 0)
				return SDP_EMALFORMED;
			break;
		}
		case 'a':
			if (in_chosen && v.n > 7 && memcmp(v.p, "rtpmap:", 7) == 0 && n_maps < MAX_FMTS) {
				v.p += 7;
				v.n -= 7;
				if (parse_rtpmap(v, &maps[n_maps]) != 0)
					return SDP_EMALFORMED;
				n_maps++;
			}
			break;
		default:
			break;
		}
	}
	if (first)
		return SDP_EMALFORMED;
	if (!chosen)
		return SDP_ENOAUDIO;
	if (media_addr[0]) {
		memcpy(out->addr, media_addr, sizeof(out->addr));
		out->ipv6 = media_v6;
	} else if (sess_addr[0]) {
		memcpy(out->addr, sess_addr, sizeof(out->addr));
		out->ipv6 = sess_v6;
	} else {
		return SDP_EMALFORMED;
	}
	out->codec = -1;
	out->telev_pt = -1;
	for (size_t i = 0; i < n_fmts; i++) {
		const struct rtpmap *m = NULL;
		int codec = -1;

		for (size_t k = 0; k < n_maps; k++)
			if (maps[k].pt == fmts[i])
				m = &maps[k];
		if (m != NULL) {
			/* An rtpmap, when present, says what the number means. */
			if (m->rate == SDP_RATE && span_ieq(m->name, "PCMU"))
				codec = SDP_PT_PCMU;
			else if (m->rate == SDP_RATE && span_ieq(m->name, "PCMA"))
				codec = SDP_PT_PCMA;
			else if (m->rate == SDP_RATE && span_ieq(m->name, "telephone-event") &&
				 out->telev_pt < 0)
				out->telev_pt = fmts[i];
		} else if (fmts[i] == SDP_PT_PCMU || fmts[i] == SDP_PT_PCMA) {
			codec = fmts[i];
		}
		if (codec >= 0 && out->codec < 0) {
			out->codec = codec;
			out->codec_pt = fmts[i];
		}
	}
	return out->codec < 0 ? SDP_ENOCODEC : SDP_OK;
}

int sdp_offer(char *buf, size_t size, size_t *len, const char *addr, uint16_t port,
	      uint64_t sess_id, int pcma_first)
{
	int first = pcma_first ? SDP_PT_PCMA : SDP_PT_PCMU;
	int second = pcma_first ? SDP_PT_PCMU : SDP_PT_PCMA;
	const char *ip = strchr(addr, ':') ? "IP6" : "IP4";
	int n;

	assert(buf != NULL && addr != NULL && len != NULL);
	n = snprintf(buf, size,
		     "v=0\r\n"
		     "o=relance %llu 1 IN %s %s\r\n"
		     "s=relance\r\n"
		     "c=IN %s %s\r\n"
		     "t=0 0\r\n"
		     "m=audio %u RTP/AVP %d %d %d\r\n"
		     "a=rtpmap:%d PCMU/8000\r\n"
		     "a=rtpmap:%d PCMA/8000\r\n"
		     "a=rtpmap:%d telephone-event/8000\r\n"
		     "a=fmtp:%d 0-15\r\n"
		     "a=ptime:%d\r\n"
		     "a=sendrecv\r\n",
		     (unsigned long long)sess_id, ip, addr, ip, addr, (unsigned)port,
		     first, second, SDP_PT_TELEV, SDP_PT_PCMU, SDP_PT_PCMA,
		     SDP_PT_TELEV, SDP_PT_TELEV, SDP_PTIME_MS);
	if (n < 0 || (size_t)n >= size)
		return SDP_ESPACE;
	*len = (size_t)n;
	return SDP_OK;
}

const char *sdp_strerror(int rc)
{
	switch (rc) {
	case SDP_OK: return "ok";
	case SDP_EMALFORMED: return "malformed SDP";
	case SDP_ENOAUDIO: return "no audio stream accepted in the SDP";
	case SDP_ENOCODEC: return "no codec in common (neither PCMU nor PCMA)";
	case SDP_ESPACE: return "SDP too long";
	}
	return "unknown SDP error";
}

/* ---- RTP ------------------------------------------------------------- */

void rtp_header_write(uint8_t out[RTP_HEADER_LEN], const struct rtp_hdr *h)
{
	assert(h->pt < 128);
	out[0] = 0x80;
	out[1] = (uint8_t)((h->marker ? 0x80 : 0) | h->pt);
	out[2] = (uint8_t)(h->seq >> 8);
	out[3] = (uint8_t)h->seq;
	out[4] = (uint8_t)(h->ts >> 24);
	out[5] = (uint8_t)(h->ts >> 16);
	out[6] = (uint8_t)(h->ts >> 8);
	out[7] = (uint8_t)h->ts;
	out[8] = (uint8_t)(h->ssrc >> 24);
	out[9] = (uint8_t)(h->ssrc >> 16);
	out[10] = (uint8_t)(h->ssrc >> 8);
	out[11] = (uint8_t)h->ssrc;
}

int rtp_header_read(const uint8_t *pkt, size_t len, struct rtp_hdr *h)
{
	size_t off, pad = 0;

	if (len < RTP_HEADER_LEN || (pkt[0] >> 6) != 2)
		return -1;
	h->marker = (pkt[1] & 0x80) != 0;
	h->pt = pkt[1] & 0x7f;
	h->seq = (uint16_t)(pkt[2] << 8 | pkt[3]);
	h->ts = (uint32_t)pkt[4] << 24 | (uint32_t)pkt[5] << 16 | (uint32_t)pkt[6] << 8 | pkt[7];
	h->ssrc = (uint32_t)pkt[8] << 24 | (uint32_t)pkt[9] << 16 | (uint32_t)pkt[10] << 8 | pkt[11];
	off = RTP_HEADER_LEN + 4u * (pkt[0] & 0x0f);
	if (off > len)
		return -1;
	if (pkt[0] & 0x10) {
		size_t words;

		if (off + 4 > len)
			return -1;
		words = (size_t)(pkt[off + 2] << 8 | pkt[off + 3]);
		off += 4 + 4 * words;
		if (off > len)
			return -1;
	}
	if (pkt[0] & 0x20) {
		pad = pkt[len - 1];
		if (pad == 0 || pad > len - off)
			return -1;
	}
	h->payload_off = off;
	h->payload_len = len - off - pad;
	return 0;
}

int rtp_event_read(const uint8_t *p, size_t len, struct rtp_event *ev)
{
	if (len < 4)
		return -1;
	ev->event = p[0];
	ev->end = (p[1] & 0x80) != 0;
	ev->volume = p[1] & 0x3f;
	ev->duration = (uint16_t)(p[2] << 8 | p[3]);
	return 0;
}

char rtp_event_digit(uint8_t e)
{
	static const char digits[] = "0123456789*#ABCD";

	return e < 16 ? digits[e] : 0;
}

int rtp_event_digit_valid(char ch)
{
	return ch != '\0' && strchr("0123456789*#ABCD", ch) != NULL;
}
