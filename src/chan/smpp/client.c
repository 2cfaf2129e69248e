/*
 * smpp client — the ESME session (see client.h and docs/smpp.md).
 *
 * Everything happens in step(): one pass over the timers of the current
 * state, then one poll(2) on the socket bounded by the earliest timer, then
 * the I/O. smpp_client_send and smpp_client_poll only call step() in a loop
 * until their work is done or their time is up, so there is exactly one
 * place where the session moves.
 *
 * What reached the SMSC is tracked in octets: wr_total counts the octets of
 * this connection the kernel took, and each submit_sm remembers the stream
 * offset of its first octet. When a connection is lost, a part whose first
 * octet was written may be at the SMSC (CHAN_UNCERTAIN, never resent); a
 * part still wholly in our write buffer never left and is sent again on
 * the next connection.
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "pdu.h"
#include "../../core/caltime.h"
#include "../../core/sms.h"

#define NS_PER_MS 1000000LL
#define NS_PER_S 1000000000LL
#define SEQ_MAX 0x7FFFFFFFu
/* Outgoing octets waiting for the socket: a full window of submit_sm
 * (under 400 octets each) plus answers. A peer that does not read for this
 * long is dropped rather than buffered for. */
#define WBUF_CAP (256u * 1024u)
/* Receipts kept for smpp_client_poll; past this the SMSC is told "not now"
 * (ESME_RX_T_APPN) and keeps the receipt for later. */
#define RECEIPTS_MAX 65536u
/* After ESME_RTHROTTLED / ESME_RMSGQFUL: no submit for this long, and the
 * rate halves (not below 1/s); it doubles back every THROTTLE_RECOVER_NS
 * without another such answer. */
#define THROTTLE_PAUSE_NS (100 * NS_PER_MS)
#define THROTTLE_RECOVER_NS (2 * NS_PER_S)
#define UNBIND_WAIT_NS NS_PER_S
#define BACKOFF_FLOOR_NS (100 * NS_PER_MS)

enum state {
	ST_DISCONNECTED,
	ST_CONNECTING,
	ST_BINDING,
	ST_BOUND,
	ST_UNBINDING,
	ST_BACKOFF,
};

static const char *const state_names[] = {
	[ST_DISCONNECTED] = "DISCONNECTED",
	[ST_CONNECTING] = "CONNECTING",
	[ST_BINDING] = "BINDING",
	[ST_BOUND] = "BOUND",
	[ST_UNBINDING] = "UNBINDING",
	[ST_BACKOFF] = "BACKOFF",
};

/* A part's life: WAIT -> SENT -> OK | REFUSED | LOST, or back to WAIT when
 * throttled or when its connection died before it was written; GAVE_UP
 * when the deadline or the throttle budget ran out before it was accepted;
 * SKIPPED when another part of its message was refused. */
enum part_state { PART_WAIT, PART_SENT, PART_OK, PART_REFUSED, PART_LOST, PART_GAVE_UP, PART_SKIPPED };

struct part {
	struct sms_part sp;
	size_t msg;
	enum part_state st;
	uint32_t seq;
	uint64_t off;             /* stream offset of its first octet */
	int64_t sent_ns;
	int throttles;
	uint32_t status;          /* the last error status answered */
	const char *why;          /* LOST / GAVE_UP: a static phrase */
	char message_id[SMPP_MESSAGE_ID_MAX];
};

/* The smpp_client_send call in progress. */
struct batch {
	struct part *parts;
	size_t nparts;
	size_t cursor;            /* no part before it is in PART_WAIT */
	size_t inflight;          /* parts in PART_SENT */
	struct part **slot;       /* cfg->window entries: the parts in PART_SENT,
				   * NULL for a free one; a response is looked up
				   * here, never by walking every part */
	char (*dest)[SMPP_ADDR_MAX];
};

struct rcpt {
	char id[SMPP_MESSAGE_ID_MAX];
	int delivery;
	int64_t done_at;
	char err[8];
};

struct smpp_client {
	const struct config_smpp *cfg;
	smpp_client_log_fn *log;
	void *log_arg;

	enum state st;
	int fd;
	uint32_t seq;             /* the last sequence_number used */
	int64_t state_since;
	int64_t wake;             /* earliest timer, set anew by every step() */

	int64_t deadline_ns, resp_timeout_ns;
	int throttle_retries;

	uint8_t *rbuf;            /* SMPP_PDU_MAX octets: one whole PDU fits */
	size_t rlen;
	uint8_t *wbuf;            /* WBUF_CAP octets */
	size_t wlen;
	uint64_t wr_total;        /* octets of this connection written */
	uint64_t q_total;         /* octets of this connection queued */

	uint32_t bind_seq, unbind_seq, enq_seq; /* 0: none outstanding */
	int64_t enq_sent_ns, last_rx_ns, backoff_until;
	int attempts;             /* failed connections since the last bind */
	int ever_bound;
	char last_error[160];

	struct smpp_client_bucket bucket;
	double rate;
	int64_t pause_until, last_throttle_ns;
	uint64_t rng;
	uint8_t ref;              /* next concatenation reference */

	struct rcpt *rq;          /* ring of queued receipts */
	size_t rq_head, rq_len, rq_cap;

	struct batch *batch;
	struct smpp_client_stats stats;
};

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * NS_PER_S + ts.tv_nsec;
}

static void logf_(struct smpp_client *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void logf_(struct smpp_client *c, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	if (!c->log)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	c->log(c->log_arg, line);
}

static const char *status_name(uint32_t s)
{
	switch (s) {
	case SMPP_ESME_ROK: return "ESME_ROK";
	case SMPP_ESME_RINVMSGLEN: return "ESME_RINVMSGLEN";
	case SMPP_ESME_RINVCMDLEN: return "ESME_RINVCMDLEN";
	case SMPP_ESME_RINVCMDID: return "ESME_RINVCMDID";
	case SMPP_ESME_RINVBNDSTS: return "ESME_RINVBNDSTS";
	case SMPP_ESME_RALYBND: return "ESME_RALYBND";
	case SMPP_ESME_RSYSERR: return "ESME_RSYSERR";
	case SMPP_ESME_RINVSRCADR: return "ESME_RINVSRCADR";
	case SMPP_ESME_RINVDSTADR: return "ESME_RINVDSTADR";
	case SMPP_ESME_RINVMSGID: return "ESME_RINVMSGID";
	case SMPP_ESME_RBINDFAIL: return "ESME_RBINDFAIL";
	case SMPP_ESME_RINVPASWD: return "ESME_RINVPASWD";
	case SMPP_ESME_RINVSYSID: return "ESME_RINVSYSID";
	case SMPP_ESME_RMSGQFUL: return "ESME_RMSGQFUL";
	case SMPP_ESME_RINVSERTYP: return "ESME_RINVSERTYP";
	case SMPP_ESME_RINVESMCLASS: return "ESME_RINVESMCLASS";
	case SMPP_ESME_RSUBMITFAIL: return "ESME_RSUBMITFAIL";
	case SMPP_ESME_RTHROTTLED: return "ESME_RTHROTTLED";
	case SMPP_ESME_RX_T_APPN: return "ESME_RX_T_APPN";
	case SMPP_ESME_RX_P_APPN: return "ESME_RX_P_APPN";
	case SMPP_ESME_RX_R_APPN: return "ESME_RX_R_APPN";
	case SMPP_ESME_RINVOPTPARSTREAM: return "ESME_RINVOPTPARSTREAM";
	case SMPP_ESME_RINVPARLEN: return "ESME_RINVPARLEN";
	default: return "error";
	}
}

/* "Not now": the part was not accepted, resending it is no duplicate. */
static int status_is_temporary(uint32_t s)
{
	return s == SMPP_ESME_RTHROTTLED || s == SMPP_ESME_RMSGQFUL;
}

static uint32_t next_seq(struct smpp_client *c)
{
	c->seq = c->seq >= SEQ_MAX ? 1 : c->seq + 1;
	return c->seq;
}

static uint64_t rnd(struct smpp_client *c)
{
	/* xorshift64: jitter only, no need for more. */
	c->rng ^= c->rng << 13;
	c->rng ^= c->rng >> 7;
	c->rng ^= c->rng << 17;
	return c->rng;
}

static void wake_at(struct smpp_client *c, int64_t t)
{
	if (t < c->wake)
		c->wake = t;
}

static void set_state(struct smpp_client *c, enum state st, const char *why)
{
	logf_(c, "smpp: %s -> %s%s%s%s", state_names[c->st], state_names[st], why ? " (" : "",
	      why ? why : "", why ? ")" : "");
	c->st = st;
	c->state_since = now_ns();
}

/* ---- token bucket ---------------------------------------------------- */

static int64_t cost_of(double rate)
{
	double ns = (double)NS_PER_S / rate;

	return ns < 1 ? 1 : (int64_t)(ns + 0.5);
}

void smpp_client_bucket_init(struct smpp_client_bucket *b, double rate, int64_t now)
{
	assert(rate > 0);
	b->cost_ns = cost_of(rate);
	b->cap_ns = b->cost_ns > NS_PER_S ? b->cost_ns : NS_PER_S;
	b->credit_ns = b->cost_ns;
	b->last_ns = now;
}

void smpp_client_bucket_set_rate(struct smpp_client_bucket *b, double rate)
{
	assert(rate > 0);
	b->cost_ns = cost_of(rate);
	b->cap_ns = b->cost_ns > NS_PER_S ? b->cost_ns : NS_PER_S;
	if (b->credit_ns > b->cap_ns)
		b->credit_ns = b->cap_ns;
}

int64_t smpp_client_bucket_take(struct smpp_client_bucket *b, int64_t now)
{
	if (now > b->last_ns) {
		b->credit_ns += now - b->last_ns;
		b->last_ns = now;
		if (b->credit_ns > b->cap_ns)
			b->credit_ns = b->cap_ns;
	}
	if (b->credit_ns >= b->cost_ns) {
		b->credit_ns -= b->cost_ns;
		return 0;
	}
	return b->cost_ns - b->credit_ns;
}

/* ---- connection ------------------------------------------------------ */

/* Appends an encoded PDU to the write buffer. Returns 0, or -1 when it does
 * not fit (the caller waits, or drops a peer that does not read). */
static int queue_pdu(struct smpp_client *c, struct smpp_pdu *p)
{
	size_t len = 0;
	int rc = smpp_encode(p, c->wbuf + c->wlen, WBUF_CAP - c->wlen, &len);

	if (rc != SMPP_OK) {
		logf_(c, "smpp: cannot encode %s: %s", smpp_command_name(p->h.command_id),
		      smpp_strerror(rc));
		return -1;
	}
	c->wlen += len;
	c->q_total += len;
	return 0;
}

static void send_header_only(struct smpp_client *c, uint32_t id, uint32_t status, uint32_t seq)
{
	struct smpp_pdu p;

	memset(&p, 0, sizeof(p));
	p.h.command_id = id;
	p.h.command_status = status;
	p.h.sequence_number = seq;
	queue_pdu(c, &p);
}

static void close_fd(struct smpp_client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->rlen = 0;
	c->wlen = 0;
	c->wr_total = 0;
	c->q_total = 0;
	c->bind_seq = c->unbind_seq = c->enq_seq = 0;
}

/* Settles the parts in flight on a connection that is gone: those whose
 * first octet left may be at the SMSC, the others go back to the queue. */
static void settle_inflight(struct smpp_client *c, const char *why)
{
	struct batch *b = c->batch;

	if (!b)
		return;
	for (size_t k = 0; k < (size_t)c->cfg->window; k++) {
		struct part *p = b->slot[k];
		size_t i;

		if (!p)
			continue;
		assert(p->st == PART_SENT);
		b->slot[k] = NULL;
		i = (size_t)(p - b->parts);
		if (p->off < c->wr_total) {
			p->st = PART_LOST;
			p->why = why;
			c->stats.uncertain++;
		} else {
			p->st = PART_WAIT;
			if (i < b->cursor)
				b->cursor = i;
		}
	}
	b->inflight = 0;
}

/* Drops the connection and waits before the next one: reconnect_min_s
 * doubled per failure since the last good bind, capped at reconnect_max_s,
 * then a uniform jitter over its upper half so that many clients do not
 * reconnect in step. */
static void drop(struct smpp_client *c, const char *why, int failure)
{
	int64_t lo = (int64_t)c->cfg->reconnect_min_s * NS_PER_S;
	int64_t hi = (int64_t)c->cfg->reconnect_max_s * NS_PER_S;
	int64_t d = lo;
	char text[200];

	settle_inflight(c, why);
	close_fd(c);
	if (failure) {
		c->stats.bind_failures++;
		for (int i = 0; i < c->attempts && d < hi; i++)
			d *= 2;
		c->attempts++;
	}
	if (d > hi)
		d = hi;
	if (d < BACKOFF_FLOOR_NS)
		d = BACKOFF_FLOOR_NS;
	d = d / 2 + (int64_t)(rnd(c) % (uint64_t)(d / 2 + 1));
	c->backoff_until = now_ns() + d;
	snprintf(text, sizeof(text), "%s; next attempt in %lld ms", why, (long long)(d / NS_PER_MS));
	set_state(c, ST_BACKOFF, text);
}

static void fail_conn(struct smpp_client *c, const char *why)
{
	snprintf(c->last_error, sizeof(c->last_error), "%s", why);
	drop(c, why, 1);
}

static void send_bind(struct smpp_client *c)
{
	const struct config_smpp *cfg = c->cfg;
	struct smpp_pdu p;

	memset(&p, 0, sizeof(p));
	p.h.command_id = SMPP_BIND_TRANSCEIVER;
	p.h.sequence_number = c->bind_seq = next_seq(c);
	snprintf(p.u.bind.system_id, sizeof(p.u.bind.system_id), "%s", cfg->system_id);
	snprintf(p.u.bind.password, sizeof(p.u.bind.password), "%s",
		 cfg->password ? cfg->password : "");
	snprintf(p.u.bind.system_type, sizeof(p.u.bind.system_type), "%s",
		 cfg->system_type ? cfg->system_type : "");
	p.u.bind.interface_version = SMPP_INTERFACE_VERSION;
	queue_pdu(c, &p);
	memset(p.u.bind.password, 0, sizeof(p.u.bind.password));
	set_state(c, ST_BINDING, NULL);
}

static void start_connect(struct smpp_client *c)
{
	struct addrinfo hints, *ai = NULL;
	char port[8], why[160] = "";
	int fd, rc, one = 1;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	snprintf(port, sizeof(port), "%d", c->cfg->port);
	set_state(c, ST_CONNECTING, NULL);
	rc = getaddrinfo(c->cfg->host, port, &hints, &ai);
	if (rc != 0) {
		snprintf(why, sizeof(why), "resolve %s: %s", c->cfg->host, gai_strerror(rc));
		goto out;
	}
	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
	if (fd < 0) {
		snprintf(why, sizeof(why), "socket: %s", strerror(errno));
		goto out;
	}
	/* submit_sm are small and answered one by one: no Nagle delay. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->fd = fd;
	if (connect(c->fd, ai->ai_addr, ai->ai_addrlen) == 0)
		send_bind(c);
	else if (errno != EINPROGRESS) {
		snprintf(why, sizeof(why), "connect %s:%d: %s", c->cfg->host, c->cfg->port,
			 strerror(errno));
		goto out;
	}
out:
	if (ai)
		freeaddrinfo(ai);
	if (why[0])
		fail_conn(c, why);
}

static void finish_connect(struct smpp_client *c)
{
	int err = 0;
	socklen_t len = sizeof(err);
	char why[160];

	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	if (err == EINPROGRESS)
		return;
	if (err) {
		snprintf(why, sizeof(why), "connect %s:%d: %s", c->cfg->host, c->cfg->port,
			 strerror(err));
		fail_conn(c, why);
		return;
	}
	send_bind(c);
}

static void flush(struct smpp_client *c)
{
	while (c->fd >= 0 && c->wlen > 0) {
		ssize_t n = send(c->fd, c->wbuf, c->wlen, MSG_NOSIGNAL | MSG_DONTWAIT);
		char why[160];

		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			if (errno == EINTR)
				continue;
			snprintf(why, sizeof(why), "write: %s", strerror(errno));
			fail_conn(c, why);
			return;
		}
		memmove(c->wbuf, c->wbuf + n, c->wlen - (size_t)n);
		c->wlen -= (size_t)n;
		c->wr_total += (uint64_t)n;
	}
}

/* ---- receipts -------------------------------------------------------- */

static int delivery_of(enum smpp_stat st)
{
	switch (st) {
	case SMPP_STAT_DELIVRD: return CHAN_DELIVERED;
	case SMPP_STAT_UNDELIV:
	case SMPP_STAT_REJECTD:
	case SMPP_STAT_DELETED: return CHAN_UNDELIVERED;
	case SMPP_STAT_EXPIRED: return CHAN_EXPIRED;
	default: return CHAN_DELIVERY_UNKNOWN;
	}
}

/* Returns 0, or -1 when the queue is full. */
static int rq_push(struct smpp_client *c, const struct rcpt *r)
{
	if (c->rq_len == c->rq_cap) {
		size_t cap = c->rq_cap ? c->rq_cap * 2 : 64;
		struct rcpt *q;

		if (c->rq_cap >= RECEIPTS_MAX)
			return -1;
		q = malloc(cap * sizeof(*q));
		if (!q)
			return -1;
		/* Unroll the ring into the new array. */
		for (size_t i = 0; i < c->rq_len; i++)
			q[i] = c->rq[(c->rq_head + i) % c->rq_cap];
		free(c->rq);
		c->rq = q;
		c->rq_cap = cap;
		c->rq_head = 0;
	}
	c->rq[(c->rq_head + c->rq_len) % c->rq_cap] = *r;
	c->rq_len++;
	return 0;
}

static void on_deliver_sm(struct smpp_client *c, const struct smpp_pdu *p)
{
	const struct smpp_sm *sm = &p->u.sm;
	struct smpp_receipt r;
	struct rcpt q;
	struct smpp_pdu resp;
	int parsed;

	memset(&resp, 0, sizeof(resp));
	resp.h.command_id = SMPP_DELIVER_SM_RESP;
	resp.h.sequence_number = p->h.sequence_number;
	if (!smpp_is_receipt(sm->esm_class)) {
		logf_(c, "smpp: deliver_sm that is not a delivery receipt ignored");
		queue_pdu(c, &resp);
		return;
	}
	memset(&q, 0, sizeof(q));
	parsed = smpp_receipt_parse(sm->short_message, sm->sm_length, &r) == SMPP_OK;
	if (sm->has_receipted_message_id)
		snprintf(q.id, sizeof(q.id), "%s", sm->receipted_message_id);
	else if (parsed)
		snprintf(q.id, sizeof(q.id), "%s", r.id);
	if (!q.id[0]) {
		/* Acknowledged all the same: sent again, it would be as unreadable. */
		logf_(c, "smpp: unreadable delivery receipt ignored");
		queue_pdu(c, &resp);
		return;
	}
	if (parsed)
		q.delivery = delivery_of(r.stat);
	else if (sm->has_message_state)
		q.delivery = delivery_of((enum smpp_stat)sm->message_state);
	else
		q.delivery = CHAN_DELIVERY_UNKNOWN;
	if (parsed && r.has_done_date) {
		int32_t day;

		if (date_from_ymd(r.done_date.year, r.done_date.month, r.done_date.day, &day) == 0)
			q.done_at = (int64_t)day * 86400 + r.done_date.hour * 3600 +
				    r.done_date.minute * 60 + r.done_date.second;
	}
	if (parsed)
		snprintf(q.err, sizeof(q.err), "%s", r.err);
	if (rq_push(c, &q) < 0) {
		resp.h.command_status = SMPP_ESME_RX_T_APPN;
		logf_(c, "smpp: receipt queue full, receipt for %s left with the SMSC", q.id);
	} else {
		c->stats.receipts++;
	}
	queue_pdu(c, &resp);
}

/* ---- submits --------------------------------------------------------- */

/* The slot of the part in flight with this sequence_number, or -1. */
static int find_inflight(struct smpp_client *c, uint32_t seq)
{
	struct batch *b = c->batch;

	if (!b)
		return -1;
	for (int k = 0; k < c->cfg->window; k++)
		if (b->slot[k] && b->slot[k]->seq == seq)
			return k;
	return -1;
}

static void on_throttled(struct smpp_client *c, uint32_t status)
{
	double base = c->cfg->rate_per_second;
	int64_t now = now_ns();

	c->stats.throttled++;
	c->pause_until = now + THROTTLE_PAUSE_NS;
	c->last_throttle_ns = now;
	if (c->rate > 1) {
		c->rate = c->rate / 2 < 1 ? 1 : c->rate / 2;
		smpp_client_bucket_set_rate(&c->bucket, c->rate);
	}
	logf_(c, "smpp: %s, rate now %.1f/s of %.0f/s", status_name(status), c->rate, base);
}

static void on_submit_resp(struct smpp_client *c, const struct smpp_pdu *p)
{
	int k = find_inflight(c, p->h.sequence_number);
	uint32_t s = p->h.command_status;
	struct batch *b = c->batch;
	struct part *part;

	if (k < 0) {
		/* Late: its part was settled when a deadline passed. */
		logf_(c, "smpp: %s for unknown sequence %u ignored", smpp_command_name(p->h.command_id),
		      p->h.sequence_number);
		return;
	}
	part = b->slot[k];
	b->slot[k] = NULL;
	assert(b->inflight > 0 && part->st == PART_SENT);
	b->inflight--;
	part->status = s;
	if (s == SMPP_ESME_ROK && p->h.command_id == SMPP_SUBMIT_SM_RESP) {
		part->st = PART_OK;
		snprintf(part->message_id, sizeof(part->message_id), "%s", p->u.sm_resp.message_id);
		c->stats.accepted++;
		return;
	}
	if (status_is_temporary(s)) {
		on_throttled(c, s);
		if (++part->throttles > c->throttle_retries) {
			part->st = PART_GAVE_UP;
			part->why = "throttled more times than the retry budget";
		} else {
			part->st = PART_WAIT;
			if ((size_t)(part - b->parts) < b->cursor)
				b->cursor = (size_t)(part - b->parts);
		}
		return;
	}
	part->st = PART_REFUSED;
	c->stats.refused++;
	logf_(c, "smpp: submit_sm to %s refused: %s (0x%08x)", b->dest[part->msg], status_name(s), s);
	/* The message cannot be complete: its other parts stay unsent. */
	for (size_t i = 0; i < b->nparts; i++)
		if (b->parts[i].msg == part->msg && b->parts[i].st == PART_WAIT)
			b->parts[i].st = PART_SKIPPED;
}

static int write_submit(struct smpp_client *c, struct part *part)
{
	const struct config_smpp *cfg = c->cfg;
	struct smpp_pdu p;
	struct smpp_sm *sm = &p.u.sm;

	memset(&p, 0, sizeof(p));
	p.h.command_id = SMPP_SUBMIT_SM;
	p.h.sequence_number = next_seq(c);
	sm->source_addr_ton = (uint8_t)cfg->source_ton;
	sm->source_addr_npi = (uint8_t)cfg->source_npi;
	snprintf(sm->source_addr, sizeof(sm->source_addr), "%s", cfg->source_addr ? cfg->source_addr : "");
	sm->dest_addr_ton = (uint8_t)cfg->dest_ton;
	sm->dest_addr_npi = (uint8_t)cfg->dest_npi;
	snprintf(sm->destination_addr, sizeof(sm->destination_addr), "%s", c->batch->dest[part->msg]);
	sm->esm_class = part->sp.esm_class;
	sm->registered_delivery = cfg->registered_delivery ? 1 : 0;
	sm->data_coding = part->sp.data_coding;
	sm->sm_length = (uint8_t)part->sp.len;
	memcpy(sm->short_message, part->sp.data, part->sp.len);
	part->off = c->q_total;
	if (queue_pdu(c, &p) < 0)
		return -1;
	for (int k = 0;; k++) {
		assert(k < cfg->window);
		if (!c->batch->slot[k]) {
			c->batch->slot[k] = part;
			break;
		}
	}
	part->seq = p.h.sequence_number;
	part->st = PART_SENT;
	part->sent_ns = now_ns();
	c->batch->inflight++;
	c->stats.submits++;
	return 0;
}

/* Writes as many waiting parts as the window, the pause and the bucket let
 * through, and sets the wake-up for the next one. */
static void fill_window(struct smpp_client *c, int64_t now)
{
	struct batch *b = c->batch;

	while (b->inflight < (size_t)c->cfg->window) {
		int64_t wait;

		while (b->cursor < b->nparts && b->parts[b->cursor].st != PART_WAIT)
			b->cursor++;
		if (b->cursor == b->nparts)
			return;
		if (now < c->pause_until) {
			wake_at(c, c->pause_until);
			return;
		}
		/* The largest submit_sm is well under 512 octets. */
		if (WBUF_CAP - c->wlen < 512)
			return;
		wait = smpp_client_bucket_take(&c->bucket, now);
		if (wait > 0) {
			wake_at(c, now + wait);
			return;
		}
		if (write_submit(c, &b->parts[b->cursor]) < 0)
			return;
	}
}

/* ---- incoming PDUs --------------------------------------------------- */

static void on_pdu(struct smpp_client *c, const struct smpp_pdu *p)
{
	uint32_t id = p->h.command_id, seq = p->h.sequence_number;
	char why[160];

	switch (id) {
	case SMPP_BIND_TRANSCEIVER_RESP:
		if (c->st != ST_BINDING || seq != c->bind_seq)
			break;
		c->bind_seq = 0;
		if (p->h.command_status != SMPP_ESME_ROK) {
			snprintf(why, sizeof(why), "bind refused: %s (0x%08x)",
				 status_name(p->h.command_status), p->h.command_status);
			fail_conn(c, why);
			return;
		}
		c->stats.connects++;
		if (c->ever_bound)
			c->stats.reconnects++;
		c->ever_bound = 1;
		c->attempts = 0;
		c->last_error[0] = '\0';
		c->enq_seq = 0;
		snprintf(why, sizeof(why), "system_id %s", c->cfg->system_id);
		set_state(c, ST_BOUND, why);
		return;
	case SMPP_SUBMIT_SM_RESP:
		on_submit_resp(c, p);
		return;
	case SMPP_GENERIC_NACK:
		if (seq && seq == c->bind_seq) {
			snprintf(why, sizeof(why), "bind answered generic_nack %s",
				 status_name(p->h.command_status));
			fail_conn(c, why);
		} else if (seq && seq == c->enq_seq) {
			c->enq_seq = 0;
		} else if (find_inflight(c, seq) >= 0) {
			on_submit_resp(c, p);
		} else {
			logf_(c, "smpp: generic_nack %s for sequence %u", status_name(p->h.command_status), seq);
		}
		return;
	case SMPP_DELIVER_SM:
		/* Unanswered while unbinding: the SMSC keeps it for the next session. */
		if (c->st != ST_UNBINDING)
			on_deliver_sm(c, p);
		return;
	case SMPP_ENQUIRE_LINK:
		send_header_only(c, SMPP_ENQUIRE_LINK_RESP, SMPP_ESME_ROK, seq);
		return;
	case SMPP_ENQUIRE_LINK_RESP:
		if (seq == c->enq_seq)
			c->enq_seq = 0;
		return;
	case SMPP_UNBIND:
		send_header_only(c, SMPP_UNBIND_RESP, SMPP_ESME_ROK, seq);
		flush(c);
		if (c->fd >= 0) {
			/* Not a failure of ours: reconnect after the shortest wait. */
			c->attempts = 0;
			drop(c, "unbound by the SMSC", 0);
		}
		return;
	case SMPP_UNBIND_RESP:
		if (c->st == ST_UNBINDING && seq == c->unbind_seq) {
			c->unbind_seq = 0;
			close_fd(c);
			set_state(c, ST_DISCONNECTED, "unbound");
		}
		return;
	default:
		break;
	}
	if (!(id & SMPP_RESP_BIT)) {
		/* A request an ESME is never sent (submit_sm, a bind ...). */
		c->stats.pdus_refused++;
		logf_(c, "smpp: unexpected %s from the SMSC, generic_nack sent", smpp_command_name(id));
		send_header_only(c, SMPP_GENERIC_NACK, SMPP_ESME_RINVCMDID, seq);
	} else {
		logf_(c, "smpp: unexpected %s (sequence %u) ignored", smpp_command_name(id), seq);
	}
}

/* Reads what is available and handles every whole PDU in it; a few reads
 * per round at most, so that an SMSC that never stops talking cannot keep
 * the timers and the window from their turn. */
static void read_input(struct smpp_client *c)
{
	for (int round = 0; round < 16; round++) {
		ssize_t n = recv(c->fd, c->rbuf + c->rlen, SMPP_PDU_MAX - c->rlen, MSG_DONTWAIT);
		char why[160];
		size_t at = 0;

		if (n == 0) {
			fail_conn(c, "connection closed by the SMSC");
			return;
		}
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			snprintf(why, sizeof(why), "read: %s", strerror(errno));
			fail_conn(c, why);
			return;
		}
		c->rlen += (size_t)n;
		c->last_rx_ns = now_ns();
		while (c->fd >= 0 && c->rlen - at >= 4) {
			struct smpp_pdu p;
			size_t need = 0, used = 0;
			int rc = smpp_pdu_need(c->rbuf + at, c->rlen - at, &need);

			if (rc != SMPP_OK) {
				/* The stream cannot be resynchronised. */
				c->stats.pdus_refused++;
				snprintf(why, sizeof(why), "bad PDU from the SMSC: %s", smpp_strerror(rc));
				if (c->rlen - at >= SMPP_HEADER_LEN) {
					const uint8_t *h = c->rbuf + at + 12;

					send_header_only(c, SMPP_GENERIC_NACK, SMPP_ESME_RINVCMDLEN,
							 (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 |
								 (uint32_t)h[2] << 8 | h[3]);
					flush(c);
				}
				if (c->fd >= 0)
					fail_conn(c, why);
				return;
			}
			if (c->rlen - at < need)
				break;
			rc = smpp_decode(c->rbuf + at, need, &p, &used);
			at += need;
			if (rc != SMPP_OK) {
				c->stats.pdus_refused++;
				logf_(c, "smpp: bad PDU from the SMSC: %s (command_id 0x%08x), generic_nack sent",
				      smpp_strerror(rc), p.h.command_id);
				send_header_only(c, SMPP_GENERIC_NACK, smpp_error_status(rc),
						 p.h.sequence_number);
				continue;
			}
			on_pdu(c, &p);
		}
		if (c->fd < 0)
			return;
		memmove(c->rbuf, c->rbuf + at, c->rlen - at);
		c->rlen -= at;
	}
}

/* ---- the one place the session moves ---------------------------------- */

static int batch_busy(const struct batch *b)
{
	for (size_t i = b->cursor; i < b->nparts; i++)
		if (b->parts[i].st == PART_WAIT)
			return 1;
	return b->inflight > 0;
}

/* One round: timers of the current state, then poll until the earliest of
 * them or until, then the I/O. connect: whether to (re)connect when down. */
static void step(struct smpp_client *c, int64_t until, int connect_)
{
	int64_t now = now_ns(), rt = c->resp_timeout_ns;
	struct pollfd pfd;
	int ms;

	c->wake = until;
	if (c->st == ST_BACKOFF) {
		if (now >= c->backoff_until)
			set_state(c, ST_DISCONNECTED, NULL);
		else
			wake_at(c, c->backoff_until);
	}
	if (c->st == ST_DISCONNECTED && connect_)
		start_connect(c);
	if ((c->st == ST_CONNECTING || c->st == ST_BINDING) && now - c->state_since >= rt)
		fail_conn(c, c->st == ST_CONNECTING ? "connect timed out" : "no bind_transceiver_resp");
	if (c->st == ST_UNBINDING && now - c->state_since >= UNBIND_WAIT_NS) {
		close_fd(c);
		set_state(c, ST_DISCONNECTED, "no unbind_resp");
	}
	if (c->st == ST_CONNECTING || c->st == ST_BINDING)
		wake_at(c, c->state_since + rt);
	if (c->st == ST_BOUND && c->rate < c->cfg->rate_per_second &&
	    now - c->last_throttle_ns >= THROTTLE_RECOVER_NS) {
		c->rate *= 2;
		if (c->rate > c->cfg->rate_per_second)
			c->rate = c->cfg->rate_per_second;
		c->last_throttle_ns = now;
		smpp_client_bucket_set_rate(&c->bucket, c->rate);
		logf_(c, "smpp: rate back to %.1f/s", c->rate);
	}
	if (c->st == ST_BOUND && c->enq_seq && now - c->enq_sent_ns >= rt)
		fail_conn(c, "no enquire_link_resp");
	if (c->st == ST_BOUND && c->enq_seq)
		wake_at(c, c->enq_sent_ns + rt);
	if (c->st == ST_BOUND && !c->enq_seq && c->cfg->enquire_link_s > 0) {
		int64_t due = c->last_rx_ns + (int64_t)c->cfg->enquire_link_s * NS_PER_S;

		if (now >= due) {
			c->enq_seq = next_seq(c);
			c->enq_sent_ns = now;
			c->stats.enquire_links++;
			send_header_only(c, SMPP_ENQUIRE_LINK, SMPP_ESME_ROK, c->enq_seq);
			wake_at(c, now + rt);
		} else {
			wake_at(c, due);
		}
	}
	if (c->st == ST_BOUND && c->batch) {
		struct batch *b = c->batch;
		int64_t oldest = INT64_MAX;

		for (int k = 0; k < c->cfg->window && b->inflight; k++)
			if (b->slot[k] && b->slot[k]->sent_ns < oldest)
				oldest = b->slot[k]->sent_ns;
		if (oldest != INT64_MAX && now - oldest >= rt)
			fail_conn(c, "no submit_sm_resp in time");
		else if (oldest != INT64_MAX)
			wake_at(c, oldest + rt);
		if (c->st == ST_BOUND) {
			fill_window(c, now);
			/* parts just written time out after the older ones */
			if (b->inflight)
				wake_at(c, (oldest != INT64_MAX ? oldest : now) + rt);
		}
	}
	if (c->fd >= 0 && c->wlen > 0 && c->st != ST_CONNECTING)
		flush(c);
	if (c->st == ST_BACKOFF)
		wake_at(c, c->backoff_until);

	now = now_ns();
	ms = c->wake <= now ? 0 : (int)((c->wake - now + NS_PER_MS - 1) / NS_PER_MS);
	if (c->fd < 0) {
		if (ms > 0)
			poll(NULL, 0, ms);
		return;
	}
	pfd.fd = c->fd;
	pfd.events = POLLIN;
	if (c->st == ST_CONNECTING || c->wlen > 0)
		pfd.events |= POLLOUT;
	pfd.revents = 0;
	if (poll(&pfd, 1, ms) <= 0)
		return;
	if (c->st == ST_CONNECTING) {
		if (pfd.revents & (POLLOUT | POLLERR | POLLHUP))
			finish_connect(c);
		return;
	}
	if (pfd.revents & (POLLIN | POLLERR | POLLHUP))
		read_input(c);
	if (c->fd >= 0 && c->wlen > 0)
		flush(c);
}

/* ---- API ------------------------------------------------------------- */

int smpp_client_open(const struct config_smpp *cfg, smpp_client_log_fn *log, void *log_arg,
		     struct smpp_client **out, char *err, size_t errsize)
{
	struct smpp_client *c = NULL;
	const char *bad = NULL;
	int rc = -1;

	if (!cfg || !out)
		bad = "no configuration";
	else if (!cfg->host || !cfg->host[0])
		bad = "no host";
	else if (cfg->port < 1 || cfg->port > 65535)
		bad = "port out of 1..65535";
	else if (!cfg->system_id || strlen(cfg->system_id) >= SMPP_SYSTEM_ID_MAX)
		bad = "system_id missing or longer than 15 characters";
	else if (cfg->password && strlen(cfg->password) >= SMPP_PASSWORD_MAX)
		bad = "password longer than 8 characters";
	else if (cfg->system_type && strlen(cfg->system_type) >= SMPP_SYSTEM_TYPE_MAX)
		bad = "system_type longer than 12 characters";
	else if (cfg->source_addr && strlen(cfg->source_addr) >= SMPP_ADDR_MAX)
		bad = "source_addr longer than 20 characters";
	else if (cfg->source_ton < 0 || cfg->source_ton > 255 || cfg->source_npi < 0 ||
		 cfg->source_npi > 255 || cfg->dest_ton < 0 || cfg->dest_ton > 255 ||
		 cfg->dest_npi < 0 || cfg->dest_npi > 255)
		bad = "ton or npi out of 0..255";
	else if (cfg->rate_per_second <= 0 || cfg->window <= 0)
		bad = "rate_per_second and window must be positive";
	else if (cfg->enquire_link_s < 0 || cfg->reconnect_min_s < 0 ||
		 cfg->reconnect_max_s < cfg->reconnect_min_s)
		bad = "bad enquire_link_s or reconnect_min_s/reconnect_max_s";
	if (bad)
		goto out;
	bad = "out of memory";
	c = calloc(1, sizeof(*c));
	if (!c)
		goto out;
	c->rbuf = malloc(SMPP_PDU_MAX);
	c->wbuf = malloc(WBUF_CAP);
	if (!c->rbuf || !c->wbuf)
		goto out;
	c->cfg = cfg;
	c->log = log;
	c->log_arg = log_arg;
	c->fd = -1;
	c->st = ST_DISCONNECTED;
	c->deadline_ns = 30000 * NS_PER_MS;
	c->resp_timeout_ns = 10000 * NS_PER_MS;
	c->throttle_retries = 10;
	c->rate = cfg->rate_per_second;
	smpp_client_bucket_init(&c->bucket, c->rate, now_ns());
	{
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		c->rng = ((uint64_t)ts.tv_nsec << 20) ^ (uint64_t)ts.tv_sec ^ (uint64_t)(uintptr_t)c ^
			 ((uint64_t)getpid() << 40);
		if (!c->rng)
			c->rng = 88172645463325252ull;
		c->ref = (uint8_t)rnd(c);
	}
	*out = c;
	c = NULL;
	rc = 0;
out:
	if (rc != 0 && err && errsize)
		snprintf(err, errsize, "smpp: %s", bad);
	if (c) {
		free(c->rbuf);
		free(c->wbuf);
		free(c);
	}
	return rc;
}

void smpp_client_set_limits(struct smpp_client *c, int send_deadline_ms, int resp_timeout_ms,
			    int throttle_retries)
{
	assert(c);
	if (send_deadline_ms > 0)
		c->deadline_ns = send_deadline_ms * NS_PER_MS;
	if (resp_timeout_ms > 0)
		c->resp_timeout_ns = resp_timeout_ms * NS_PER_MS;
	if (throttle_retries >= 0)
		c->throttle_retries = throttle_retries;
}

void smpp_client_close(struct smpp_client *c)
{
	if (!c)
		return;
	if (c->st == ST_BOUND) {
		int64_t until = now_ns() + UNBIND_WAIT_NS;

		c->unbind_seq = next_seq(c);
		send_header_only(c, SMPP_UNBIND, SMPP_ESME_ROK, c->unbind_seq);
		set_state(c, ST_UNBINDING, NULL);
		while (c->st == ST_UNBINDING && now_ns() < until)
			step(c, until, 0);
	}
	if (c->fd >= 0) {
		close_fd(c);
		set_state(c, ST_DISCONNECTED, "closed");
	}
	free(c->rq);
	free(c->rbuf);
	free(c->wbuf);
	free(c);
}

/* The outcome of message m from the states of its parts. */
static void settle_message(struct smpp_client *c, struct batch *b, size_t first, size_t n,
			   struct chan_outcome *o)
{
	size_t ok = 0, lost = 0, refused = SIZE_MAX, gave_up = SIZE_MAX, lost_at = SIZE_MAX;
	size_t used = 0;

	for (size_t i = first; i < first + n; i++) {
		struct part *p = &b->parts[i];

		if (p->st == PART_OK)
			ok++;
		else if (p->st == PART_REFUSED && refused == SIZE_MAX)
			refused = i;
		else if (p->st == PART_LOST && lost++ == 0)
			lost_at = i;
		else if (p->st == PART_GAVE_UP && gave_up == SIZE_MAX)
			gave_up = i;
	}
	memset(o, 0, sizeof(*o));
	if (refused != SIZE_MAX) {
		struct part *p = &b->parts[refused];

		o->status = CHAN_REFUSED;
		snprintf(o->detail, sizeof(o->detail), "refused: %s (0x%08x)%s", status_name(p->status),
			 p->status, n > 1 ? " for a part" : "");
	} else if (ok == n) {
		o->status = CHAN_DONE;
		if (n > 1)
			snprintf(o->detail, sizeof(o->detail), "accepted in %zu parts", n);
		else
			snprintf(o->detail, sizeof(o->detail), "accepted");
	} else if (lost) {
		o->status = CHAN_UNCERTAIN;
		snprintf(o->detail, sizeof(o->detail), "no answer to part %zu of %zu: %s", lost_at - first + 1,
			 n, b->parts[lost_at].why);
	} else if (ok) {
		o->status = CHAN_UNCERTAIN;
		snprintf(o->detail, sizeof(o->detail), "%zu of %zu parts accepted, the rest not sent: %s",
			 ok, n, gave_up != SIZE_MAX ? b->parts[gave_up].why : "not sent");
	} else {
		const char *why = gave_up != SIZE_MAX ? b->parts[gave_up].why : "not sent";

		o->status = CHAN_FAILED;
		if (c->last_error[0])
			snprintf(o->detail, sizeof(o->detail), "not sent: %.48s; %.96s", why, c->last_error);
		else
			snprintf(o->detail, sizeof(o->detail), "not sent: %s", why);
	}
	/* message ids of the accepted parts, in part order */
	for (size_t i = first; i < first + n; i++) {
		const char *id = b->parts[i].message_id;
		int w;

		if (b->parts[i].st != PART_OK)
			continue;
		w = snprintf(o->peer_id + used, sizeof(o->peer_id) - used, "%s%s", used ? " " : "", id);
		if (w < 0 || (size_t)w >= sizeof(o->peer_id) - used) {
			logf_(c, "smpp: message ids too long for the outcome, truncated");
			o->peer_id[used] = '\0';
			break;
		}
		used += (size_t)w;
	}
}

int smpp_client_send(struct smpp_client *c, const struct chan_action *const *acts, size_t n,
		     struct chan_outcome *outs)
{
	struct batch b;
	size_t *first = NULL, *count = NULL, total = 0;
	int64_t deadline;
	int nomem = 1;

	if (!c || (n && (!acts || !outs)))
		return -1;
	memset(&b, 0, sizeof(b));
	first = calloc(n ? n : 1, sizeof(*first));
	count = calloc(n ? n : 1, sizeof(*count));
	b.dest = calloc(n ? n : 1, sizeof(*b.dest));
	b.slot = calloc((size_t)c->cfg->window, sizeof(*b.slot));
	if (!first || !count || !b.dest || !b.slot)
		goto out;
	/* Count the parts, refusing what can never be sent. */
	for (size_t i = 0; i < n; i++) {
		const char *to = acts[i]->to, *text = acts[i]->text ? acts[i]->text : "";
		struct sms_measure m;

		memset(&outs[i], 0, sizeof(outs[i]));
		outs[i].status = CHAN_REFUSED;
		if (to && to[0] == '+')
			to++;
		if (!to || !to[0] || strlen(to) >= SMPP_ADDR_MAX) {
			snprintf(outs[i].detail, sizeof(outs[i].detail), "bad destination address");
			continue;
		}
		if (sms_measure(text, strlen(text), &m) != 0) {
			snprintf(outs[i].detail, sizeof(outs[i].detail), "text is not valid UTF-8");
			continue;
		}
		if (m.segments > SMS_PARTS_MAX) {
			snprintf(outs[i].detail, sizeof(outs[i].detail), "text needs %zu parts, at most %d",
				 m.segments, SMS_PARTS_MAX);
			continue;
		}
		snprintf(b.dest[i], sizeof(b.dest[i]), "%s", to);
		first[i] = total;
		count[i] = m.segments;
		total += m.segments;
	}
	b.parts = calloc(total ? total : 1, sizeof(*b.parts));
	if (!b.parts)
		goto out;
	/* sms_split wants a contiguous array and the parts live in struct
	 * part: split into a scratch array of the largest message, then copy. */
	{
		size_t most = 1;
		struct sms_part *tmp;

		for (size_t i = 0; i < n; i++)
			if (count[i] > most)
				most = count[i];
		tmp = malloc(most * sizeof(*tmp));
		if (!tmp)
			goto out;
		for (size_t i = 0; i < n; i++) {
			const char *text = acts[i]->text ? acts[i]->text : "";
			size_t got = 0;

			if (!count[i])
				continue;
			if (sms_split(text, strlen(text), c->ref++, tmp, count[i], &got) != 0 ||
			    got != count[i]) {
				/* Never: sms_measure and sms_split walk a text alike. The
				 * parts already counted stay PART_SKIPPED. */
				snprintf(outs[i].detail, sizeof(outs[i].detail), "text cannot be split");
				for (size_t k = 0; k < count[i]; k++)
					b.parts[first[i] + k].st = PART_SKIPPED;
				count[i] = 0;
				continue;
			}
			for (size_t k = 0; k < got; k++) {
				b.parts[first[i] + k].sp = tmp[k];
				b.parts[first[i] + k].msg = i;
				b.parts[first[i] + k].st = PART_WAIT;
			}
		}
		free(tmp);
	}
	b.nparts = total;

	/* An SMSC that closed the connection while it was idle is noticed now,
	 * before a submit_sm is written into a dead socket and becomes
	 * uncertain for nothing. */
	if (c->fd >= 0)
		step(c, now_ns(), 0);
	c->batch = &b;
	deadline = now_ns() + c->deadline_ns;
	while (batch_busy(&b) && now_ns() < deadline)
		step(c, deadline, 1);
	/* Out of time: what never left is safe to retry, what left is not. */
	for (size_t k = 0; k < b.nparts; k++) {
		struct part *p = &b.parts[k];

		if (p->st == PART_WAIT) {
			p->st = PART_GAVE_UP;
			p->why = "deadline passed before sending";
		} else if (p->st == PART_SENT && p->off < c->wr_total) {
			p->st = PART_LOST;
			p->why = "no answer before the deadline";
			c->stats.uncertain++;
		} else if (p->st == PART_SENT) {
			p->st = PART_GAVE_UP;
			p->why = "deadline passed before sending";
		}
	}
	/* A submit still in the write buffer must never leave now that it is
	 * reported unsent: drop the connection with it. */
	if (c->wlen > 0 && c->fd >= 0) {
		c->batch = NULL;
		fail_conn(c, "deadline passed with octets unwritten");
	}
	for (size_t i = 0; i < n; i++)
		if (count[i])
			settle_message(c, &b, first[i], count[i], &outs[i]);
	nomem = 0;
out:
	/* Nothing was written before the allocations: all safe to retry. */
	for (size_t i = 0; nomem && i < n; i++) {
		memset(&outs[i], 0, sizeof(outs[i]));
		outs[i].status = CHAN_FAILED;
		snprintf(outs[i].detail, sizeof(outs[i].detail), "out of memory");
	}
	c->batch = NULL;
	free(b.parts);
	free(b.dest);
	free(b.slot);
	free(first);
	free(count);
	return 0;
}

static size_t deliver_queued(struct smpp_client *c, chan_receipt_cb *cb, void *ctx)
{
	size_t done = 0;

	while (c->rq_len) {
		struct rcpt *q = &c->rq[c->rq_head];
		struct chan_receipt r = { q->id, q->delivery, q->done_at, q->err };

		c->rq_head = (c->rq_head + 1) % c->rq_cap;
		c->rq_len--;
		if (cb)
			cb(ctx, &r);
		done++;
	}
	return done;
}

int smpp_client_poll(struct smpp_client *c, int timeout_ms, chan_receipt_cb *cb, void *ctx)
{
	int64_t until;
	size_t delivered;

	if (!c)
		return -1;
	until = now_ns() + (int64_t)(timeout_ms > 0 ? timeout_ms : 0) * NS_PER_MS;
	delivered = deliver_queued(c, cb, ctx);
	do {
		step(c, until, 1);
		delivered += deliver_queued(c, cb, ctx);
	} while (now_ns() < until);
	return c->st == ST_BOUND || delivered ? 0 : -1;
}

void smpp_client_stats(const struct smpp_client *c, struct smpp_client_stats *out)
{
	*out = c->stats;
}

const char *smpp_client_state_name(const struct smpp_client *c)
{
	return state_names[c->st];
}
