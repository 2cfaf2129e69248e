/*
 * call — SIP calls on a libre loop thread (call.h).
 *
 * Threads: everything below marked "loop" runs on the trunk's thread only
 * and touches libre; sip_call_start, sip_trunk_next and sip_trunk_close run
 * on the caller's and share only t->mu-guarded fields (in_flight, the
 * result queue) and the mqueue, whose push is thread-safe (a pipe).
 *
 * A call's memory: malloc'ed by sip_call_start, owned by the loop from the
 * START message on, freed by call_release after its result is queued. libre
 * objects (the session, the RTP socket) are released there too, never from
 * inside one of libre's own handlers: the close handler only schedules the
 * release on a zero-delay timer, since the session is still on the stack.
 */
/* libre's headers pick their integer and bool types from these, which its
 * pkg-config file does not set; re_dbg.h (for dbg_init) wants a module. */
#define HAVE_INTTYPES_H 1
#define HAVE_STDBOOL_H 1
#include <re.h>
#define DEBUG_MODULE "relance"
#define DEBUG_LEVEL 0
#include <re_dbg.h>

#include "call.h"
#include "../../voice/g711.h"
#include "sdp.h"

#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { MQ_START = 1, MQ_CLOSE = 2 };

/* Late packets are sent at once, but at most this many in one go: after a
 * longer stall the schedule moves on rather than bursting the backlog. */
#define MAX_BURST 5

struct result_node {
	struct result_node *next;
	struct sip_result r;
};

struct call;

struct sip_trunk {
	const struct config_sip *cfg;
	sip_log_fn *log;
	void *log_arg;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	/* guarded by mu */
	int ready, setup_rc, in_flight;
	char setup_err[200];
	struct result_node *head, *tail;
	struct mqueue *mq;      /* set before ready; push from any thread */
	/* loop only */
	struct sip *sip;
	struct sipsess_sock *sock;
	struct sa local;        /* the address towards the proxy, port 0 */
	char local_text[64];
	char uri_host[300];     /* host[:port][;transport=tcp] of request URIs */
	char route[300];        /* "" when the proxy is numeric */
	char from[300];
	enum sip_transp tp;
	struct call *calls;
	unsigned next_id;
	int closing, exited;
	struct tmr close_tmr;
};

struct call {
	struct call *next;
	struct sip_trunk *t;
	unsigned id;
	char to[300];
	struct sip_step steps[SIP_MAX_STEPS];
	size_t n_steps, message;
	size_t cur;             /* the step in progress */
	size_t step_sent;       /* samples of the current PLAY sent */
	uint32_t step_packets;  /* its packets sent */
	size_t msg_sent;        /* samples of the message sent */
	size_t key_from;        /* digits from here on count for the next WAIT_KEY */
	uint64_t first_t0;      /* when the first step began: RTP time 0 */
	int prefer_pcma;
	enum sip_state state;
	struct sipsess *sess;
	struct udp_sock *rtp;
	struct mbuf *pkt;
	struct sa rtp_peer;
	int have_peer;
	struct sdp_answer ans;
	int sdp_rc;             /* the answer's SDP_* when it failed, else 0 */
	struct tmr ring_tmr, media_tmr, release_tmr;
	uint64_t t0, play_t0;
	size_t sent;
	uint16_t seq;
	uint32_t ts0, ssrc;
	int got_response, dtmf_seen, waiting, finished, drop, stray_logged;
	uint32_t dtmf_ts;
	struct sip_result res;
};

const char *sip_state_name(enum sip_state s)
{
	static const char *const names[] = { "IDLE", "INVITING", "RINGING", "ANSWERED",
					     "PLAYING", "ENDING", "DONE" };

	return (size_t)s < sizeof(names) / sizeof(names[0]) ? names[s] : "?";
}

const char *sip_outcome_name(enum sip_outcome o)
{
	static const char *const names[] = { "heard", "hung_up_early", "busy", "no_answer",
					     "bad_number", "trunk_failure", "not_confirmed" };

	return (size_t)o < sizeof(names) / sizeof(names[0]) ? names[o] : "?";
}

enum sip_outcome sip_outcome_of_status(int status)
{
	switch (status) {
	case 486: case 600: case 603:
		return SIP_BUSY;
	case 404: case 410: case 484: case 604:
		return SIP_BAD_NUMBER;
	case 408: case 480: case 487:
		return SIP_NO_ANSWER;
	}
	return SIP_TRUNK_FAILURE;
}

int sip_to_valid(const char *to)
{
	size_t n;

	if (to == NULL || (n = strlen(to)) == 0 || n > 200)
		return 0;
	if (strncmp(to, "sip:", 4) == 0 || strncmp(to, "sips:", 5) == 0) {
		/* A URI goes into the request line and To as it is: nothing
		 * that could end a header or a URI. */
		for (size_t i = 0; i < n; i++)
			if ((unsigned char)to[i] <= ' ' || strchr("<>\"", to[i]) || to[i] == 0x7f)
				return 0;
		return strchr(to, '@') != NULL;
	}
	for (size_t i = 0; i < n; i++) {
		char ch = to[i];

		if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') ||
		      (ch >= 'A' && ch <= 'Z') || strchr("+*#._-", ch)))
			return 0;
	}
	return 1;
}

/* ---- loop: logging, transitions, results -------------------------------- */

static void logf_(struct sip_trunk *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void logf_(struct sip_trunk *t, const char *fmt, ...)
{
	char line[400];
	va_list ap;

	if (t->log == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	t->log(t->log_arg, line);
}

static uint32_t since_start(const struct call *c)
{
	return (uint32_t)(tmr_jiffies() - c->t0);
}

static void transition(struct call *c, enum sip_state to, const char *why)
{
	if (c->state == to)
		return;
	logf_(c->t, "sip: call %u: %s -> %s%s%s%s", c->id, sip_state_name(c->state),
	      sip_state_name(to), why ? " (" : "", why ? why : "", why ? ")" : "");
	c->state = to;
	if (c->res.n_transitions < SIP_MAX_TRANSITIONS) {
		c->res.transitions[c->res.n_transitions].to = to;
		c->res.transitions[c->res.n_transitions].at_ms = since_start(c);
		c->res.n_transitions++;
	}
}

/* Settles the outcome; the first one set wins (a BYE racing the end of the
 * message must not turn "heard" into anything else). */
static void settle(struct call *c, enum sip_outcome o, int status, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void settle(struct call *c, enum sip_outcome o, int status, const char *fmt, ...)
{
	va_list ap;

	if (c->finished)
		return;
	c->finished = 1;
	c->res.outcome = o;
	if (status)
		c->res.status = status;
	va_start(ap, fmt);
	vsnprintf(c->res.reason, sizeof(c->res.reason), fmt, ap);
	va_end(ap);
}

static void queue_result(struct sip_trunk *t, const struct sip_result *r, int drop)
{
	struct result_node *n = drop ? NULL : malloc(sizeof(*n));

	pthread_mutex_lock(&t->mu);
	if (n != NULL) {
		n->next = NULL;
		n->r = *r;
		if (t->tail)
			t->tail->next = n;
		else
			t->head = n;
		t->tail = n;
	}
	/* Out of memory loses the result, but never the slot: the caller
	 * must not wait for ever on a call that is gone. */
	t->in_flight--;
	pthread_cond_broadcast(&t->cv);
	pthread_mutex_unlock(&t->mu);
}

/* Ends the call now: BYE or CANCEL through libre's session destructor when
 * the session is still up, then DONE, the result queued, the memory freed. */
static void call_release(struct call *c)
{
	struct sip_trunk *t = c->t;
	struct call **pp;

	assert(c->finished);
	tmr_cancel(&c->ring_tmr);
	tmr_cancel(&c->media_tmr);
	tmr_cancel(&c->release_tmr);
	c->sess = mem_deref(c->sess);
	c->rtp = mem_deref(c->rtp);
	c->pkt = mem_deref(c->pkt);
	transition(c, SIP_DONE, NULL);
	c->res.samples_sent = c->msg_sent;
	c->res.permille = (int)((uint64_t)c->msg_sent * 1000 / c->steps[c->message].len);
	c->res.step = c->cur < c->n_steps ? c->cur : c->n_steps;
	if (c->res.outcome == SIP_HEARD)
		c->res.permille = 1000;
	logf_(t, "sip: call %u: %s, %d per mille played%s%s%s", c->id,
	      sip_outcome_name(c->res.outcome), c->res.permille,
	      c->res.reason[0] ? " (" : "", c->res.reason, c->res.reason[0] ? ")" : "");
	queue_result(t, &c->res, c->drop);
	for (pp = &t->calls; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	free(c);
}

static void release_tmr_h(void *arg)
{
	call_release(arg);
}

/* From inside a libre handler: release on the next turn of the loop. */
static void release_later(struct call *c)
{
	tmr_start(&c->release_tmr, 0, release_tmr_h, c);
}

/* ---- loop: media ------------------------------------------------------- */

static void send_packet(struct call *c)
{
	const struct sip_step *st = &c->steps[c->cur];
	size_t n = st->len - c->step_sent < SDP_SAMPLES_PER_PACKET ? st->len - c->step_sent :
		   SDP_SAMPLES_PER_PACKET;
	uint8_t buf[RTP_HEADER_LEN + SDP_SAMPLES_PER_PACKET];
	int pcma = c->ans.codec == SDP_PT_PCMA;
	/* The timestamp counts samples of wall time from the first step, so
	 * that a silent WAIT_KEY between two prompts shows as a gap; within a
	 * PLAY it moves by 160 a packet. */
	uint32_t base = c->ts0 + (uint32_t)((c->play_t0 - c->first_t0) * (SDP_RATE / 1000));
	struct rtp_hdr h = {
		.marker = c->step_packets == 0,     /* each prompt is a talkspurt */
		.pt = (uint8_t)c->ans.codec_pt,
		.seq = (uint16_t)(c->seq + c->res.packets_sent),
		.ts = base + c->step_packets * SDP_SAMPLES_PER_PACKET,
		.ssrc = c->ssrc,
	};
	int err;

	rtp_header_write(buf, &h);
	memcpy(buf + RTP_HEADER_LEN, st->audio + c->step_sent, n);
	if (pcma)
		g711_ulaw_to_alaw(buf + RTP_HEADER_LEN, n);
	/* The last packet is padded with silence to a whole 20 ms frame. */
	memset(buf + RTP_HEADER_LEN + n, pcma ? 0xd5 : 0xff, SDP_SAMPLES_PER_PACKET - n);
	c->pkt->pos = 0;
	c->pkt->end = 0;
	if (mbuf_write_mem(c->pkt, buf, sizeof(buf)) == 0) {
		c->pkt->pos = 0;
		err = udp_send(c->rtp, &c->rtp_peer, c->pkt);
		if (err && c->res.packets_sent == 0)
			logf_(c->t, "sip: call %u: RTP send failed: %s", c->id, strerror(err));
	}
	c->step_sent += n;
	if (c->cur == c->message)
		c->msg_sent += n;
	c->step_packets++;
	c->res.packets_sent++;
	if (c->res.packets_sent == 1)
		transition(c, SIP_PLAYING, pcma ? "PCMA" : "PCMU");
}

static int message_done(const struct call *c)
{
	return c->msg_sent >= c->steps[c->message].len;
}

/* The call ends by the plan: at its end, or at a WAIT_KEY without its key. */
static void plan_end(struct call *c, const char *why)
{
	if (message_done(c))
		settle(c, SIP_HEARD, 0, "played to the end%s%s", why ? ", " : "", why ? why : "");
	else
		settle(c, SIP_NOT_CONFIRMED, 0, "the message never started: %s", why ? why : "");
	transition(c, SIP_ENDING, "BYE sent");
	call_release(c);
}

static void run_step(struct call *c);

static void next_step(void *arg)
{
	struct call *c = arg;

	c->cur++;
	run_step(c);
}

static void wait_expired(void *arg)
{
	struct call *c = arg;
	const struct sip_step *st = &c->steps[c->cur];
	char why[80];

	c->waiting = 0;
	if (st->key)
		snprintf(why, sizeof(why), "no key %c in %d ms", st->key, st->timeout_ms);
	else
		snprintf(why, sizeof(why), "no digit in %d ms", st->timeout_ms);
	plan_end(c, why);
}

/* Whether a digit pressed since key_from is the one the WAIT_KEY awaits. */
static int key_pressed(const struct call *c, char key)
{
	const char *d = c->res.digits + c->key_from;

	return key ? strchr(d, key) != NULL : *d != '\0';
}

static void media_tick(void *arg)
{
	struct call *c = arg;
	const struct sip_step *st = &c->steps[c->cur];
	uint64_t now = tmr_jiffies(), due = (now - c->play_t0) / SDP_PTIME_MS + 1;

	/* Packet k of a prompt leaves at play_t0 + 20k ms: the schedule is
	 * absolute, so a late timer never makes the stream drift. */
	if (due > c->step_packets + MAX_BURST) {
		c->play_t0 += (due - c->step_packets - MAX_BURST) * SDP_PTIME_MS;
		due = c->step_packets + MAX_BURST;
	}
	while (c->step_packets < due && c->step_sent < st->len)
		send_packet(c);
	{
		uint64_t next = c->play_t0 + (uint64_t)c->step_packets * SDP_PTIME_MS;

		/* The next step begins when the last packet has played out. */
		tmr_start(&c->media_tmr, next > now ? next - now : 0,
			  c->step_sent < st->len ? media_tick : next_step, c);
	}
}

static void run_step(struct call *c)
{
	const struct sip_step *st;

	if (c->cur >= c->n_steps) {
		plan_end(c, c->n_steps > 1 && c->res.digits[0] ? "digit received" : NULL);
		return;
	}
	st = &c->steps[c->cur];
	if (st->kind == SIP_STEP_PLAY) {
		if (c->n_steps > 1)
			logf_(c->t, "sip: call %u: step %zu: play %zu ms%s", c->id, c->cur,
			      st->len / 8, c->cur == c->message ? " (the message)" : "");
		c->key_from = strlen(c->res.digits);
		c->play_t0 = tmr_jiffies();
		c->step_sent = 0;
		c->step_packets = 0;
		media_tick(c);
		return;
	}
	if (key_pressed(c, st->key)) {
		c->key_from = strlen(c->res.digits);
		next_step(c);
		return;
	}
	logf_(c->t, "sip: call %u: step %zu: waiting %d ms for %s%c", c->id, c->cur, st->timeout_ms,
	      st->key ? "key " : "a digit", st->key ? st->key : ' ');
	c->waiting = 1;
	tmr_start(&c->media_tmr, (uint64_t)st->timeout_ms, wait_expired, c);
}

static void rtp_recv(const struct sa *src, struct mbuf *mb, void *arg)
{
	struct call *c = arg;
	const uint8_t *p = mbuf_buf(mb);
	size_t n = mbuf_get_left(mb);
	struct rtp_hdr h;
	struct rtp_event ev;
	char digit, from[64];

	if (c->finished || !c->have_peer)
		return;         /* before the answer: early media, ignored */
	if (!sa_cmp(src, &c->rtp_peer, SA_ADDR) || rtp_header_read(p, n, &h) != 0) {
		c->res.rtp_ignored++;
		if (!c->stray_logged) {
			c->stray_logged = 1;
			if (sa_ntop(src, from, sizeof(from)) != 0)
				from[0] = '\0';
			if (sa_cmp(src, &c->rtp_peer, SA_ADDR))
				logf_(c->t, "sip: call %u: ignoring a packet from %s:%u: not RTP",
				      c->id, from, sa_port(src));
			else
				logf_(c->t, "sip: call %u: ignoring RTP from %s:%u: not the "
				      "answer's address", c->id, from, sa_port(src));
		}
		return;
	}
	if (c->ans.telev_pt < 0 || h.pt != c->ans.telev_pt ||
	    rtp_event_read(p + h.payload_off, h.payload_len, &ev) != 0 ||
	    (digit = rtp_event_digit(ev.event)) == 0)
		return;
	/* An event is sent as several packets (and three end packets) with one
	 * timestamp: a digit is its first packet with a new timestamp. */
	if (c->dtmf_seen && h.ts == c->dtmf_ts)
		return;
	c->dtmf_seen = 1;
	c->dtmf_ts = h.ts;
	{
		size_t k = strlen(c->res.digits);

		if (k < SIP_MAX_DIGITS) {
			c->res.digits[k] = digit;
			c->res.digits[k + 1] = '\0';
		}
	}
	logf_(c->t, "sip: call %u: DTMF %c", c->id, digit);
	if (c->waiting && key_pressed(c, c->steps[c->cur].key)) {
		c->waiting = 0;
		c->key_from = strlen(c->res.digits);
		tmr_start(&c->media_tmr, 0, next_step, c);
	}
}

/* ---- loop: signalling -------------------------------------------------- */

static int auth_handler(char **user, char **pass, const char *realm, void *arg)
{
	struct sip_trunk *t = arg;

	(void)realm;
	if (t->cfg->username == NULL)
		return EACCES;
	if (str_dup(user, t->cfg->username) != 0)
		return ENOMEM;
	if (str_dup(pass, t->cfg->password ? t->cfg->password : "") != 0) {
		*user = mem_deref(*user);
		return ENOMEM;
	}
	return 0;
}

static void progress_handler(const struct sip_msg *msg, void *arg)
{
	struct call *c = arg;
	char why[80];

	c->got_response = 1;
	/* 183 with SDP is early media: the callee has not answered, and what
	 * it plays is not listened to. */
	if (msg->scode >= 180 && c->state == SIP_INVITING) {
		snprintf(why, sizeof(why), "%u %.*s", msg->scode, (int)msg->reason.l, msg->reason.p);
		transition(c, SIP_RINGING, why);
	}
}

static int answer_handler(const struct sip_msg *msg, void *arg)
{
	struct call *c = arg;
	int rc;

	c->got_response = 1;
	rc = sdp_answer_parse((const char *)mbuf_buf(msg->mb), mbuf_get_left(msg->mb), &c->ans);
	if (rc == SDP_OK && sa_set_str(&c->rtp_peer, c->ans.addr, c->ans.port) != 0)
		rc = SDP_EMALFORMED;
	if (rc != SDP_OK) {
		/* libre ACKs, sends BYE, then calls close_handler with this error. */
		c->sdp_rc = rc;
		return EPROTO;
	}
	c->res.codec = c->ans.codec;
	c->have_peer = 1;
	return 0;
}

static void estab_handler(const struct sip_msg *msg, void *arg)
{
	struct call *c = arg;
	char why[80];

	tmr_cancel(&c->ring_tmr);
	c->res.status = msg->scode;
	snprintf(why, sizeof(why), "%u %.*s, ACK sent", msg->scode, (int)msg->reason.l,
		 msg->reason.p);
	transition(c, SIP_ANSWERED, why);
	c->first_t0 = tmr_jiffies();
	c->cur = 0;
	run_step(c);
}

static void close_handler(int err, const struct sip_msg *msg, void *arg)
{
	struct call *c = arg;

	tmr_cancel(&c->ring_tmr);
	tmr_cancel(&c->media_tmr);
	if (c->sdp_rc) {
		settle(c, SIP_TRUNK_FAILURE, msg ? msg->scode : 0, "the answer's SDP: %s",
		       sdp_strerror(c->sdp_rc));
		transition(c, SIP_ENDING, "BYE sent");
	} else if (err == ECONNRESET) {
		/* The callee's BYE: libre has answered it with 200. */
		if (c->state >= SIP_ANSWERED && message_done(c))
			settle(c, SIP_HEARD, 0, "played to the end, then the callee hung up");
		else if (c->cur < c->message)
			settle(c, SIP_NOT_CONFIRMED, 0, "the callee hung up before the message");
		else
			settle(c, SIP_HUNG_UP_EARLY, 0, "the callee hung up after %zu ms of %zu",
			       c->msg_sent / 8, c->steps[c->message].len / 8);
		transition(c, SIP_ENDING, "BYE received");
	} else if (err == ETIMEDOUT) {
		settle(c, SIP_TRUNK_FAILURE, 0, "no response from the trunk");
	} else if (err) {
		settle(c, SIP_TRUNK_FAILURE, 0, "transport: %s", strerror(err));
	} else if (msg != NULL) {
		int s = msg->scode;

		if (s == 401 || s == 407)
			settle(c, SIP_TRUNK_FAILURE, s, "%d %.*s: the trunk refused the credentials",
			       s, (int)msg->reason.l, msg->reason.p);
		else
			settle(c, sip_outcome_of_status(s), s, "%d %.*s", s, (int)msg->reason.l,
			       msg->reason.p);
	} else {
		settle(c, SIP_TRUNK_FAILURE, 0, "the session closed");
	}
	release_later(c);
}

static void ring_timeout(void *arg)
{
	struct call *c = arg;
	int s = c->t->cfg->ring_timeout_s;

	if (c->got_response) {
		settle(c, SIP_NO_ANSWER, 0, "no answer after %d s", s);
		transition(c, SIP_ENDING, "CANCEL sent");
	} else {
		settle(c, SIP_TRUNK_FAILURE, 0, "no response from the trunk in %d s", s);
		transition(c, SIP_ENDING, "INVITE abandoned");
	}
	call_release(c);
}

static void call_begin(struct sip_trunk *t, struct call *c)
{
	char to_uri[700], sdp[1024];
	const char *routev[1];
	struct mbuf *desc = NULL;
	struct sa la = t->local;
	size_t sdp_len;
	int err;

	c->t = t;
	c->id = ++t->next_id;
	c->t0 = tmr_jiffies();
	c->res.codec = -1;
	c->next = t->calls;
	t->calls = c;
	c->ssrc = rand_u32();
	c->seq = rand_u16();
	c->ts0 = rand_u32();
	logf_(t, "sip: call %u to %s", c->id, c->to);
	if (t->closing) {
		c->drop = 1;
		settle(c, SIP_TRUNK_FAILURE, 0, "the trunk is closing");
		goto fail;
	}
	sa_set_port(&la, 0);
	c->pkt = mbuf_alloc(RTP_HEADER_LEN + SDP_SAMPLES_PER_PACKET);
	if (c->pkt == NULL || (err = udp_listen(&c->rtp, &la, rtp_recv, c)) != 0 ||
	    (err = udp_local_get(c->rtp, &la)) != 0) {
		settle(c, SIP_TRUNK_FAILURE, 0, "no RTP socket: %s", strerror(c->pkt ? err : ENOMEM));
		goto fail;
	}
	if (sdp_offer(sdp, sizeof(sdp), &sdp_len, t->local_text, sa_port(&la), rand_u64() >> 1,
		      c->prefer_pcma) != SDP_OK || (desc = mbuf_alloc(sdp_len)) == NULL ||
	    mbuf_write_mem(desc, (const uint8_t *)sdp, sdp_len) != 0) {
		settle(c, SIP_TRUNK_FAILURE, 0, "out of memory");
		goto fail;
	}
	desc->pos = 0;
	if (strncmp(c->to, "sip:", 4) == 0 || strncmp(c->to, "sips:", 5) == 0)
		snprintf(to_uri, sizeof(to_uri), "%s", c->to);
	else
		snprintf(to_uri, sizeof(to_uri), "sip:%s@%s", c->to, t->uri_host);
	routev[0] = t->route;
	transition(c, SIP_INVITING, "INVITE sent");
	err = sipsess_connect(&c->sess, t->sock, to_uri, NULL, t->from, "relance",
			      t->route[0] ? routev : NULL, t->route[0] ? 1 : 0, "application/sdp",
			      desc, auth_handler, t, false, NULL, answer_handler, progress_handler,
			      estab_handler, NULL, NULL, close_handler, c, NULL);
	mem_deref(desc);
	if (err) {
		c->sess = NULL;
		settle(c, SIP_TRUNK_FAILURE, 0, "INVITE not sent: %s", strerror(err));
		goto fail;
	}
	tmr_start(&c->ring_tmr, (uint64_t)t->cfg->ring_timeout_s * 1000, ring_timeout, c);
	return;
fail:
	call_release(c);
}

/* ---- loop: the trunk --------------------------------------------------- */

static void conn_handler(const struct sip_msg *msg, void *arg)
{
	struct sip_trunk *t = arg;

	/* relance only calls out. */
	(void)sip_treply(NULL, t->sip, msg, 603, "Decline");
}

static void exit_handler(void *arg)
{
	struct sip_trunk *t = arg;

	t->exited = 1;
	re_cancel();
}

static void close_tmr_h(void *arg)
{
	(void)arg;
	re_cancel();
}

static void trunk_shutdown(struct sip_trunk *t)
{
	t->closing = 1;
	while (t->calls) {
		struct call *c = t->calls;

		c->drop = 1;
		settle(c, SIP_TRUNK_FAILURE, 0, "the trunk closed");
		transition(c, SIP_ENDING, c->state >= SIP_ANSWERED ? "BYE sent" : "CANCEL sent");
		call_release(c);
	}
	t->sock = mem_deref(t->sock);
	/* sip_close gives up our reference: exit_handler runs once the last
	 * transaction (the BYEs and CANCELs just sent) has ended. */
	sip_close(t->sip, false);
	tmr_start(&t->close_tmr, 3000, close_tmr_h, t);
}

static void mq_handler(int id, void *data, void *arg)
{
	struct sip_trunk *t = arg;

	if (id == MQ_START)
		call_begin(t, data);
	else if (id == MQ_CLOSE && !t->closing)
		trunk_shutdown(t);
}

static int setup_err(struct sip_trunk *t, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int setup_err(struct sip_trunk *t, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(t->setup_err, sizeof(t->setup_err), fmt, ap);
	va_end(ap);
	return rc;
}

/* The proxy's address, and the local address the system would use to
 * reach it (a connected UDP socket sends nothing). */
static int resolve(struct sip_trunk *t, struct sa *proxy)
{
	struct addrinfo hints = { .ai_socktype = SOCK_DGRAM }, *ai = NULL;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char port[16];
	int fd, rc;

	snprintf(port, sizeof(port), "%d", t->cfg->port);
	if ((rc = getaddrinfo(t->cfg->proxy, port, &hints, &ai)) != 0 || ai == NULL)
		return setup_err(t, SIP_EINVAL, "proxy %s: %s", t->cfg->proxy, gai_strerror(rc));
	if (sa_set_sa(proxy, ai->ai_addr) != 0) {
		freeaddrinfo(ai);
		return setup_err(t, SIP_EINVAL, "proxy %s: not an IP address", t->cfg->proxy);
	}
	fd = socket(ai->ai_family, SOCK_DGRAM, 0);
	rc = fd < 0 || connect(fd, ai->ai_addr, ai->ai_addrlen) != 0 ||
	     getsockname(fd, (struct sockaddr *)&ss, &sl) != 0;
	freeaddrinfo(ai);
	if (fd >= 0)
		close(fd);
	if (rc || sa_set_sa(&t->local, (struct sockaddr *)&ss) != 0)
		return setup_err(t, SIP_ESYS, "no local address towards %s", t->cfg->proxy);
	sa_set_port(&t->local, 0);
	if (sa_ntop(&t->local, t->local_text, sizeof(t->local_text)) != 0)
		return setup_err(t, SIP_ESYS, "no local address towards %s", t->cfg->proxy);
	return SIP_OK;
}

static int trunk_setup(struct sip_trunk *t)
{
	const struct config_sip *cfg = t->cfg;
	const char *tparam = cfg->transport == CONFIG_TCP ? ";transport=tcp" : "";
	struct sa proxy, numeric;
	char ptext[64];
	int err, rc;

	t->tp = cfg->transport == CONFIG_TCP ? SIP_TRANSP_TCP : SIP_TRANSP_UDP;
	if ((rc = resolve(t, &proxy)) != SIP_OK)
		return rc;
	if (sa_set_str(&numeric, cfg->proxy, (uint16_t)cfg->port) == 0) {
		snprintf(t->uri_host, sizeof(t->uri_host), "%s%s%s:%d%s",
			 sa_af(&numeric) == AF_INET6 ? "[" : "", cfg->proxy,
			 sa_af(&numeric) == AF_INET6 ? "]" : "", cfg->port, tparam);
		t->route[0] = '\0';
	} else {
		/* A name: requests name it, but go to the address resolved
		 * now through a loose route, so libre needs no DNS client. */
		if (sa_ntop(&proxy, ptext, sizeof(ptext)) != 0)
			return setup_err(t, SIP_ESYS, "proxy %s: no address", cfg->proxy);
		snprintf(t->uri_host, sizeof(t->uri_host), "%s:%d%s", cfg->proxy, cfg->port, tparam);
		snprintf(t->route, sizeof(t->route), "<sip:%s%s%s:%d;lr%s>",
			 sa_af(&proxy) == AF_INET6 ? "[" : "", ptext,
			 sa_af(&proxy) == AF_INET6 ? "]" : "", cfg->port, tparam);
	}
	if (cfg->from)
		snprintf(t->from, sizeof(t->from), "%s", cfg->from);
	else
		snprintf(t->from, sizeof(t->from), "sip:%s@%s",
			 cfg->username ? cfg->username : "relance", cfg->proxy);
	if ((err = sip_alloc(&t->sip, NULL, 32, 32, 32, "relance", exit_handler, t)) != 0)
		return setup_err(t, SIP_ESYS, "SIP stack: %s", strerror(err));
	if ((err = sip_transp_add(t->sip, t->tp, &t->local)) != 0)
		return setup_err(t, SIP_ESYS, "SIP transport on %s: %s", t->local_text,
				 strerror(err));
	if ((err = sipsess_listen(&t->sock, t->sip, 32, conn_handler, t)) != 0)
		return setup_err(t, SIP_ESYS, "SIP sessions: %s", strerror(err));
	return SIP_OK;
}

static void *trunk_main(void *arg)
{
	struct sip_trunk *t = arg;
	struct mqueue *mq = NULL;
	int rc = SIP_OK, err;

	if ((err = re_thread_init()) != 0)
		rc = setup_err(t, SIP_ESYS, "libre thread: %s", strerror(err));
	if (rc == SIP_OK && (err = mqueue_alloc(&mq, mq_handler, t)) != 0)
		rc = setup_err(t, SIP_ESYS, "libre queue: %s", strerror(err));
	if (rc == SIP_OK)
		rc = trunk_setup(t);
	pthread_mutex_lock(&t->mu);
	t->mq = mq;
	t->setup_rc = rc;
	t->ready = 1;
	pthread_cond_broadcast(&t->cv);
	pthread_mutex_unlock(&t->mu);
	if (rc == SIP_OK) {
		re_main(NULL);
		tmr_cancel(&t->close_tmr);
	}
	while (t->calls) {
		t->calls->drop = 1;
		settle(t->calls, SIP_TRUNK_FAILURE, 0, "the trunk closed");
		call_release(t->calls);
	}
	t->sock = mem_deref(t->sock);
	if (rc != SIP_OK) {
		if (t->sip)
			sip_close(t->sip, true);
		t->sip = mem_deref(t->sip);
	} else {
		/* trunk_shutdown's sip_close gave up our reference; libre takes
		 * one again just before exit_handler. When the trunk did not
		 * answer the last BYEs in time, their transactions are closed
		 * by force, which ends the stack the same way. */
		if (!t->exited)
			sip_close(t->sip, true);
		if (t->exited)
			t->sip = mem_deref(t->sip);
	}
	/* Nothing is pushed any more: sip_call_start and sip_trunk_close
	 * see NULL. */
	pthread_mutex_lock(&t->mu);
	t->mq = NULL;
	pthread_mutex_unlock(&t->mu);
	mem_deref(mq);
	re_thread_close();
	return NULL;
}

/* ---- any thread -------------------------------------------------------- */

static pthread_once_t libre_once = PTHREAD_ONCE_INIT;
static int libre_rc;

static void libre_start(void)
{
	libre_rc = libre_init();
	/* libre's own warnings would mix with relance's lines: errors only. */
	dbg_init(DBG_ERR, DBG_NONE);
}

int sip_trunk_open(const struct config_sip *cfg, sip_log_fn *log, void *log_arg,
		   struct sip_trunk **out, char *err, size_t errsize)
{
	struct sip_trunk *t;
	int rc;

	assert(cfg != NULL && out != NULL);
	if (cfg->proxy == NULL || cfg->port < 1 || cfg->port > 65535 || cfg->max_calls < 1 ||
	    cfg->ring_timeout_s < 1) {
		snprintf(err, errsize, "channels.voice: a proxy, a port, max_calls and "
			 "ring_timeout_s are needed");
		return SIP_EINVAL;
	}
	pthread_once(&libre_once, libre_start);
	if (libre_rc != 0) {
		snprintf(err, errsize, "libre: %s", strerror(libre_rc));
		return SIP_ESYS;
	}
	if ((t = calloc(1, sizeof(*t))) == NULL) {
		snprintf(err, errsize, "out of memory");
		return SIP_ESYS;
	}
	t->cfg = cfg;
	t->log = log;
	t->log_arg = log_arg;
	pthread_mutex_init(&t->mu, NULL);
	pthread_cond_init(&t->cv, NULL);
	if (pthread_create(&t->thread, NULL, trunk_main, t) != 0) {
		snprintf(err, errsize, "cannot start the SIP thread");
		rc = SIP_ESYS;
		goto fail;
	}
	pthread_mutex_lock(&t->mu);
	while (!t->ready)
		pthread_cond_wait(&t->cv, &t->mu);
	rc = t->setup_rc;
	pthread_mutex_unlock(&t->mu);
	if (rc != SIP_OK) {
		pthread_join(t->thread, NULL);
		snprintf(err, errsize, "%s", t->setup_err);
		goto fail;
	}
	*out = t;
	return SIP_OK;
fail:
	pthread_cond_destroy(&t->cv);
	pthread_mutex_destroy(&t->mu);
	free(t);
	return rc;
}

/* Whether steps make a plan the loop can run: each PLAY has audio, each
 * WAIT_KEY a time, and `message` is a PLAY. */
static int steps_valid(const struct sip_step *st, size_t n, size_t message)
{
	if (n == 0 || n > SIP_MAX_STEPS || message >= n || st[message].kind != SIP_STEP_PLAY)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (st[i].kind == SIP_STEP_PLAY && (st[i].audio == NULL || st[i].len == 0))
			return 0;
		if (st[i].kind == SIP_STEP_WAIT_KEY &&
		    (st[i].timeout_ms <= 0 || (st[i].key && !rtp_event_digit_valid(st[i].key))))
			return 0;
		if (st[i].kind != SIP_STEP_PLAY && st[i].kind != SIP_STEP_WAIT_KEY)
			return 0;
	}
	return 1;
}

int sip_call_start(struct sip_trunk *t, const struct sip_call_req *req)
{
	struct call *c;

	assert(t != NULL && req != NULL);
	if (!sip_to_valid(req->to))
		return SIP_EINVAL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return SIP_ESYS;
	if (req->n_steps > 0) {
		if (req->steps == NULL || !steps_valid(req->steps, req->n_steps, req->message)) {
			free(c);
			return SIP_EINVAL;
		}
		memcpy(c->steps, req->steps, req->n_steps * sizeof(*c->steps));
		c->n_steps = req->n_steps;
		c->message = req->message;
	} else {
		/* One message, then perhaps a wait for any digit. */
		if (req->audio == NULL || req->audio_len == 0 || req->wait_dtmf_ms < 0) {
			free(c);
			return SIP_EINVAL;
		}
		c->steps[0] = (struct sip_step){ .kind = SIP_STEP_PLAY, .audio = req->audio,
						 .len = req->audio_len };
		c->n_steps = 1;
		if (req->wait_dtmf_ms > 0)
			c->steps[c->n_steps++] = (struct sip_step){ .kind = SIP_STEP_WAIT_KEY,
								    .timeout_ms = req->wait_dtmf_ms };
		c->message = 0;
	}
	snprintf(c->to, sizeof(c->to), "%s", req->to);
	c->prefer_pcma = req->prefer_pcma;
	c->res.tag = req->tag;
	pthread_mutex_lock(&t->mu);
	if (t->in_flight >= t->cfg->max_calls) {
		pthread_mutex_unlock(&t->mu);
		free(c);
		return SIP_EFULL;
	}
	t->in_flight++;
	if (t->mq == NULL || mqueue_push(t->mq, MQ_START, c) != 0) {
		t->in_flight--;
		pthread_mutex_unlock(&t->mu);
		free(c);
		return SIP_ESYS;
	}
	pthread_mutex_unlock(&t->mu);
	return SIP_OK;
}

int sip_trunk_next(struct sip_trunk *t, int timeout_ms, struct sip_result *out)
{
	struct timespec until;
	int rc = SIP_OK;

	assert(t != NULL && out != NULL);
	clock_gettime(CLOCK_REALTIME, &until);
	if (timeout_ms >= 0) {
		until.tv_sec += timeout_ms / 1000;
		until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
	}
	pthread_mutex_lock(&t->mu);
	while (t->head == NULL) {
		if (t->in_flight == 0) {
			rc = SIP_EIDLE;
			goto out;
		}
		if (timeout_ms < 0)
			pthread_cond_wait(&t->cv, &t->mu);
		else if (pthread_cond_timedwait(&t->cv, &t->mu, &until) == ETIMEDOUT &&
			 t->head == NULL) {
			rc = SIP_ETIMEDOUT;
			goto out;
		}
	}
	{
		struct result_node *n = t->head;

		t->head = n->next;
		if (t->head == NULL)
			t->tail = NULL;
		*out = n->r;
		free(n);
	}
out:
	pthread_mutex_unlock(&t->mu);
	return rc;
}

void sip_trunk_close(struct sip_trunk *t)
{
	int pushed;

	if (t == NULL)
		return;
	pthread_mutex_lock(&t->mu);
	pushed = t->mq != NULL && mqueue_push(t->mq, MQ_CLOSE, NULL) == 0;
	pthread_mutex_unlock(&t->mu);
	/* Not pushed: the loop has already ended (it only ends on close). */
	(void)pushed;
	pthread_join(t->thread, NULL);
	while (t->head) {
		struct result_node *n = t->head;

		t->head = n->next;
		free(n);
	}
	pthread_cond_destroy(&t->cv);
	pthread_mutex_destroy(&t->mu);
	free(t);
}
