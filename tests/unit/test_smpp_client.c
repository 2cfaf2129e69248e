/*
 * The SMPP client against a real SMSC (tests/peers/smsc.js, the npm smpp
 * server): outcomes checked against the peer's own record of every
 * submit_sm it received, so duplicates and losses are counted exactly. The
 * token bucket is tested apart with a clock the test moves.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <unistd.h>

#include "../../src/chan/smpp/client.h"
#include "../../src/chan/smpp/pdu.h"

#define PASSWORD "secret"

struct peer {
	pid_t pid;
	int port;
	int in_fd;              /* the peer's stdin: it exits when this closes */
	char dir[96];
	char log[160];
};

/* Starts the SMSC with extra arguments (NULL-terminated) and reads its port. */
static void peer_start(struct peer *p, const char *const *extra)
{
	const char *top = getenv("TOP") ? getenv("TOP") : ".";
	const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	char script[512], line[32];
	const char *argv[32];
	int out[2], in[2], n = 0;
	size_t got = 0;

	memset(p, 0, sizeof(*p));
	snprintf(p->dir, sizeof(p->dir), "%s/relance-smppc.XXXXXX", tmp);
	cr_assert_not_null(mkdtemp(p->dir));
	snprintf(p->log, sizeof(p->log), "%s/submits.jsonl", p->dir);
	snprintf(script, sizeof(script), "%s/tests/peers/smsc.js", top);
	argv[n++] = "node";
	argv[n++] = script;
	argv[n++] = "--log";
	argv[n++] = p->log;
	argv[n++] = "--password";
	argv[n++] = PASSWORD;
	for (; extra && *extra && n < 30; extra++)
		argv[n++] = *extra;
	argv[n] = NULL;
	cr_assert_eq(pipe(out), 0);
	cr_assert_eq(pipe(in), 0);
	p->pid = fork();
	cr_assert_geq(p->pid, 0);
	if (p->pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		close(in[0]), close(in[1]), close(out[0]), close(out[1]);
		execvp("node", (char *const *)argv);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	p->in_fd = in[1];
	while (got < sizeof(line) - 1) {
		struct pollfd pfd = { out[0], POLLIN, 0 };
		ssize_t r;

		cr_assert_gt(poll(&pfd, 1, 10000), 0, "the SMSC did not print its port");
		r = read(out[0], line + got, 1);
		cr_assert_eq(r, 1, "the SMSC exited before printing its port");
		if (line[got] == '\n')
			break;
		got++;
	}
	line[got] = '\0';
	close(out[0]);
	p->port = (int)strtol(line, NULL, 10);
	cr_assert_gt(p->port, 0);
}

static void peer_stop(struct peer *p)
{
	close(p->in_fd);
	kill(p->pid, SIGTERM);
	waitpid(p->pid, NULL, 0);
	unlink(p->log);
	rmdir(p->dir);
}

/* The peer's JSON lines, in order; only submit_sm lines when submits_only. */
static json_t *peer_lines(const struct peer *p, int submits_only)
{
	json_t *all = json_array();
	FILE *f = fopen(p->log, "r");
	char buf[4096];

	if (!f)
		return all;
	while (fgets(buf, sizeof(buf), f)) {
		json_error_t e;
		json_t *j = json_loads(buf, 0, &e);

		cr_assert_not_null(j, "peer line: %s", e.text);
		if (submits_only && !json_object_get(j, "destination"))
			json_decref(j);
		else
			json_array_append_new(all, j);
	}
	fclose(f);
	return all;
}

static const char *jstr(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

static long long jint(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	return json_is_integer(v) ? json_integer_value(v) : -1;
}

/* Every log line, kept to search and to check that no secret is in it. */
struct logbuf {
	char text[1 << 16];
	size_t len;
};

static void collect(void *arg, const char *line)
{
	struct logbuf *l = arg;
	int n = snprintf(l->text + l->len, sizeof(l->text) - l->len, "%s\n", line);

	if (n > 0 && (size_t)n < sizeof(l->text) - l->len)
		l->len += (size_t)n;
	if (getenv("SMPPC_TEST_VERBOSE"))
		fprintf(stderr, "%s\n", line);
}

static struct config_smpp config(int port)
{
	return (struct config_smpp){
		.host = "127.0.0.1", .port = port, .system_id = "relance", .password = PASSWORD,
		.system_type = "", .source_addr = "RELANCE", .source_ton = 5, .source_npi = 0,
		.dest_ton = 1, .dest_npi = 1, .rate_per_second = 1000, .window = 10,
		.enquire_link_s = 30, .reconnect_min_s = 1, .reconnect_max_s = 2,
		.registered_delivery = 1,
	};
}

static struct smpp_client *client(const struct config_smpp *cfg, struct logbuf *l)
{
	struct smpp_client *c = NULL;
	char err[200];

	cr_assert_eq(smpp_client_open(cfg, collect, l, &c, err, sizeof(err)), 0, "%s", err);
	smpp_client_set_limits(c, 5000, 2000, -1);
	return c;
}

static void finish(struct smpp_client *c, struct logbuf *l)
{
	smpp_client_close(c);
	cr_assert_null(strstr(l->text, PASSWORD), "the password reached the log");
}

/* n messages to +2557000000NN (NN = first + i) with text. */
struct wave {
	char to[64][24];
	struct chan_action act[64];
	const struct chan_action *acts[64];
	struct chan_outcome outs[64];
};

static void wave_init(struct wave *w, size_t n, int first, const char *text)
{
	cr_assert_leq(n, 64);
	memset(w, 0, sizeof(*w));
	for (size_t i = 0; i < n; i++) {
		snprintf(w->to[i], sizeof(w->to[i]), "+2557000%05d", first + (int)i);
		w->act[i] = (struct chan_action){ .key = "k", .channel = "sms", .action = "send",
						  .to = w->to[i], .text = text };
		w->acts[i] = &w->act[i];
	}
}

static void hex(const void *data, size_t len, char *out)
{
	const unsigned char *d = data;

	for (size_t i = 0; i < len; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
	out[2 * len] = '\0';
}

struct receipts {
	int n;
	char id[16][SMPP_MESSAGE_ID_MAX];
	int delivery[16];
	int64_t done_at[16];
	char error[16][8];
};

static void on_receipt(void *ctx, const struct chan_receipt *r)
{
	struct receipts *rs = ctx;

	cr_assert_lt(rs->n, 16);
	snprintf(rs->id[rs->n], sizeof(rs->id[0]), "%s", r->peer_id);
	rs->delivery[rs->n] = r->delivery;
	rs->done_at[rs->n] = r->done_at;
	snprintf(rs->error[rs->n], sizeof(rs->error[0]), "%s", r->error);
	rs->n++;
}

static int receipt_index(const struct receipts *rs, const char *id)
{
	for (int i = 0; i < rs->n; i++)
		if (!strcmp(rs->id[i], id))
			return i;
	return -1;
}

Test(smpp_client, one_message_and_its_receipt)
{
	static struct logbuf l;
	struct peer p;
	struct config_smpp cfg;
	struct smpp_client *c;
	struct wave w;
	struct receipts rs = { 0 };
	json_t *lines, *ln;
	char want[64];

	peer_start(&p, NULL);
	cfg = config(p.port);
	c = client(&cfg, &l);
	wave_init(&w, 1, 1, "Hello");
	cr_assert_eq(smpp_client_send(c, w.acts, 1, w.outs), 0);
	cr_assert_eq(w.outs[0].status, CHAN_DONE, "%s", w.outs[0].detail);
	cr_assert_str_eq(w.outs[0].peer_id, "m000001");
	lines = peer_lines(&p, 1);
	cr_assert_eq(json_array_size(lines), 1);
	ln = json_array_get(lines, 0);
	cr_assert_str_eq(jstr(ln, "destination"), "255700000001");
	cr_assert_eq(jint(ln, "data_coding"), 0);
	cr_assert_eq(jint(ln, "esm_class"), 0);
	cr_assert_eq(jint(ln, "registered_delivery"), 1);
	hex("Hello", 5, want);
	cr_assert_str_eq(jstr(ln, "short_message"), want);
	json_decref(lines);

	cr_assert_eq(smpp_client_poll(c, 300, on_receipt, &rs), 0);
	cr_assert_eq(rs.n, 1);
	cr_assert_str_eq(rs.id[0], "m000001");
	cr_assert_eq(rs.delivery[0], CHAN_DELIVERED);
	cr_assert_gt(rs.done_at[0], 1700000000);
	cr_assert_str_eq(rs.error[0], "000");
	cr_assert(strstr(l.text, "smpp: BINDING -> BOUND (system_id relance)"), "%s", l.text);
	finish(c, &l);
	cr_assert(strstr(l.text, "BOUND -> UNBINDING"), "%s", l.text);
	peer_stop(&p);
}

/* Checks a concatenated part: 05 00 03 ref total seq, same ref for all. */
static void check_udh(json_t *ln, int coding, int total, int seq, char *ref)
{
	const char *sm = jstr(ln, "short_message");
	char head[16];

	cr_assert_eq(jint(ln, "data_coding"), coding);
	cr_assert_eq(jint(ln, "esm_class"), 0x40);
	cr_assert_not_null(sm);
	cr_assert_str_eq(jint(ln, "registered_delivery") == 1 ? "ok" : "", "ok");
	cr_assert_eq(strncmp(sm, "050003", 6), 0, "%s", sm);
	if (!ref[0])
		memcpy(ref, sm + 6, 2), ref[2] = '\0';
	snprintf(head, sizeof(head), "050003%s%02x%02x", ref, total, seq);
	cr_assert_eq(strncmp(sm, head, 12), 0, "%s vs %s", sm, head);
}

Test(smpp_client, long_texts_in_parts)
{
	static struct logbuf l;
	static char gsm[301];
	struct peer p;
	struct config_smpp cfg;
	struct smpp_client *c;
	struct wave w;
	const char *ukr = "Шановний клієнте, нагадуємо про заборгованість 1250 грн за договором 48213. "
			  "Будь ласка, сплатіть до 30 листопада.";
	char ref[3] = "";
	json_t *lines;

	memset(gsm, 'a', 300);
	gsm[300] = '\0';
	peer_start(&p, (const char *[]){ "--no-receipts", NULL });
	cfg = config(p.port);
	c = client(&cfg, &l);
	wave_init(&w, 2, 1, gsm);
	w.act[1].text = ukr;
	cr_assert_eq(smpp_client_send(c, w.acts, 2, w.outs), 0);
	cr_assert_eq(w.outs[0].status, CHAN_DONE, "%s", w.outs[0].detail);
	cr_assert_eq(w.outs[1].status, CHAN_DONE, "%s", w.outs[1].detail);
	cr_assert_str_eq(w.outs[0].peer_id, "m000001 m000002");
	lines = peer_lines(&p, 1);
	cr_assert_eq(json_array_size(lines), 4);
	/* GSM-7: 153 + 147 septets, one octet each after the 6-octet UDH. */
	check_udh(json_array_get(lines, 0), 0, 2, 1, ref);
	check_udh(json_array_get(lines, 1), 0, 2, 2, ref);
	cr_assert_eq(strlen(jstr(json_array_get(lines, 0), "short_message")), 2 * (6 + 153));
	cr_assert_eq(strlen(jstr(json_array_get(lines, 1), "short_message")), 2 * (6 + 147));
	cr_assert_eq(strncmp(jstr(json_array_get(lines, 0), "short_message") + 12, "616161", 6), 0);
	/* UCS-2: a new reference; Ш is U+0428. */
	ref[0] = '\0';
	check_udh(json_array_get(lines, 2), 8, 2, 1, ref);
	check_udh(json_array_get(lines, 3), 8, 2, 2, ref);
	cr_assert_eq(strncmp(jstr(json_array_get(lines, 2), "short_message") + 12, "04280430", 8), 0);
	cr_assert_eq(strlen(jstr(json_array_get(lines, 2), "short_message")), 2 * (6 + 134));
	cr_assert_str_neq(jstr(json_array_get(lines, 0), "short_message") + 6,
			  jstr(json_array_get(lines, 2), "short_message") + 6);
	json_decref(lines);
	finish(c, &l);
	peer_stop(&p);
}

Test(smpp_client, window_of_ten_over_fifty)
{
	static struct logbuf l;
	struct peer p;
	struct config_smpp cfg;
	struct smpp_client *c;
	static struct wave w;
	json_t *lines;
	long long most = 0;

	peer_start(&p, (const char *[]){ "--no-receipts", "--delay-ms", "100", NULL });
	cfg = config(p.port);
	cfg.rate_per_second = 100000; /* the window, not the rate, is the limit here */
	c = client(&cfg, &l);
	wave_init(&w, 50, 1, "window");
	cr_assert_eq(smpp_client_send(c, w.acts, 50, w.outs), 0);
	for (int i = 0; i < 50; i++)
		cr_assert_eq(w.outs[i].status, CHAN_DONE, "%d: %s", i, w.outs[i].detail);
	lines = peer_lines(&p, 1);
	cr_assert_eq(json_array_size(lines), 50);
	for (size_t i = 0; i < 50; i++) {
		long long f = jint(json_array_get(lines, i), "inflight");

		most = f > most ? f : most;
	}
	cr_assert_leq(most, 10);
	cr_assert_geq(most, 8, "the window was not used: at most %lld in flight", most);
	json_decref(lines);
	finish(c, &l);
	peer_stop(&p);
}

Test(smpp_client, throttled_parts_resent_and_accepted_once)
{
	static struct logbuf l;
	struct peer p;
	struct config_smpp cfg;
	struct smpp_client *c;
	struct wave w;
	struct smpp_client_stats st;
	json_t *lines;
	int accepted[5] = { 0 }, throttled = 0;

	peer_start(&p, (const char *[]){ "--no-receipts", "--throttle-first", "3", NULL });
	cfg = config(p.port);
	cfg.window = 1;
	c = client(&cfg, &l);
	wave_init(&w, 5, 1, "throttle");
	cr_assert_eq(smpp_client_send(c, w.acts, 5, w.outs), 0);
	for (int i = 0; i < 5; i++)
		cr_assert_eq(w.outs[i].status, CHAN_DONE, "%d: %s", i, w.outs[i].detail);
	lines = peer_lines(&p, 1);
	cr_assert_eq(json_array_size(lines), 8);
	for (size_t i = 0; i < 8; i++) {
		json_t *ln = json_array_get(lines, i);
		int k = (int)strtol(jstr(ln, "destination") + 7, NULL, 10) - 1;

		cr_assert(k >= 0 && k < 5);
		if (jint(ln, "status") == 0x58)
			throttled++;
		else if (jint(ln, "status") == 0)
			accepted[k]++;
	}
	cr_assert_eq(throttled, 3);
	for (int k = 0; k < 5; k++)
		cr_assert_eq(accepted[k], 1, "message %d accepted %d times", k, accepted[k]);
	smpp_client_stats(c, &st);
	cr_assert_eq(st.throttled, 3);
	cr_assert_eq(st.accepted, 5);
	cr_assert_eq(st.submits, 8);
	cr_assert(strstr(l.text, "smpp: ESME_RTHROTTLED, rate now 500.0/s of 1000/s"), "%s", l.text);
	json_decref(lines);
	finish(c, &l);
	peer_stop(&p);
}

Test(smpp_client, throttled_past_the_budget_is_failed)
{
	static struct logbuf l;
	struct peer p;
	struct config_smpp cfg;
	struct smpp_client *c;
	struct wave w;
	json_t *lines;

	peer_start(&p, (const char *[]){ "--no-receipts", "--throttle-every", "1", NULL });
	cfg = config(p.port);
	c = client(&cfg, &l);
	smpp_client_set_limits(c, -1, -1, 2);
	wave_init(&w, 1, 1, "never");
	cr_assert_eq(smpp_client_send(c, w.acts, 1, w.outs), 0);
	cr_assert_eq(w.outs[0].status, CHAN_FAILED, "%s", w.outs[0].detail);
	cr_assert(strstr(w.outs[0].detail, "throttled"), "%s", w.outs[0].detail);
	lines = peer_lines(&p, 1);
	cr_assert_eq(json_array_size(lines), 3);
	json_decref(lines);
	finish(c, &l);
	peer_stop(&p);
}

Test(smpp_client, permanent_refusal)
{
	static struct logbuf l;
	struct peer p;
	struct config_smpp cfg;
	struct smpp_client *c;
	struct wave w;

	peer_start(&p, (const char *[]){ "--no-receipts", NULL });
	cfg = config(p.port);
	c = client(&cfg, &l);
	wave_init(&w, 3, 9998, "refuse");
	w.act[2].to = "not a number that fits in twenty-one octets";
	cr_assert_eq(smpp_client_send(c, w.acts, 3, w.outs), 0);
	cr_assert_eq(w.outs[0].status, CHAN_DONE, "%s", w.outs[0].detail);
	cr_assert_eq(w.outs[1].status, CHAN_REFUSED, "%s", w.outs[1].detail);
	cr_assert(strstr(w.outs[1].detail, "ESME_RINVDSTADR"), "%s", w.outs[1].detail);
	cr_assert_str_eq(w.outs[1].peer_id, "");
	cr_assert_eq(w.outs[2].status, CHAN_REFUSED, "%s", w.outs[2].detail);
	finish(c, &l);
	peer_stop(&p);
}

Test(smpp_client, smsc_closes_mid_batch)
{
	static struct logbuf l;
	struct peer p;
	struct config_smpp cfg;
	struct smpp_client *c;
	static struct wave w;
	json_t *lines;
	int done = 0, uncertain = 0, failed = 0;

	peer_start(&p, (const char *[]){ "--no-receipts", "--close-after", "5", "--max-binds", "1",
					 NULL });
	cfg = config(p.port);
	cfg.window = 3;
	c = client(&cfg, &l);
	smpp_client_set_limits(c, 2000, -1, -1);
	wave_init(&w, 20, 1, "closing");
	cr_assert_eq(smpp_client_send(c, w.acts, 20, w.outs), 0);
	lines = peer_lines(&p, 1);
	cr_assert_eq(json_array_size(lines), 5);
	for (int i = 0; i < 20; i++) {
		json_t *seen = NULL;

		for (size_t k = 0; k < json_array_size(lines); k++)
			if (!strcmp(jstr(json_array_get(lines, k), "destination"), w.to[i] + 1)) {
				cr_assert_null(seen, "%s submitted twice", w.to[i]);
				seen = json_array_get(lines, k);
			}
		switch (w.outs[i].status) {
		case CHAN_DONE:
			done++;
			cr_assert_not_null(seen);
			cr_assert_str_eq(jstr(seen, "message_id"), w.outs[i].peer_id);
			break;
		case CHAN_UNCERTAIN:
			uncertain++;
			cr_assert(!seen || !jstr(seen, "message_id"), "%s", w.to[i]);
			break;
		case CHAN_FAILED:
			failed++;
			cr_assert_null(seen, "%s was received but reported unsent", w.to[i]);
			break;
		default:
			cr_assert_fail("%d: status %d %s", i, w.outs[i].status, w.outs[i].detail);
		}
	}
	cr_assert_eq(done, 4);
	cr_assert_geq(uncertain, 1);
	cr_assert_geq(failed, 10);
	cr_assert(strstr(l.text, "bind refused: ESME_RBINDFAIL"), "%s", l.text);
	json_decref(lines);
	finish(c, &l);
	peer_stop(&p);
}

Test(smpp_client, smsc_down_fails_after_the_deadline)
{
	static struct logbuf l;
	struct config_smpp cfg;
	struct smpp_client *c;
	struct wave w;
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct smpp_client_stats st;

	/* A port nobody listens on: bound, then closed. */
	cr_assert_eq(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
	cr_assert_eq(getsockname(s, (struct sockaddr *)&a, &alen), 0);
	close(s);
	cfg = config(ntohs(a.sin_port));
	c = client(&cfg, &l);
	smpp_client_set_limits(c, 1500, -1, -1);
	wave_init(&w, 2, 1, "down");
	cr_assert_eq(smpp_client_send(c, w.acts, 2, w.outs), 0);
	for (int i = 0; i < 2; i++) {
		cr_assert_eq(w.outs[i].status, CHAN_FAILED, "%s", w.outs[i].detail);
		cr_assert(strstr(w.outs[i].detail, "deadline"), "%s", w.outs[i].detail);
		cr_assert(strstr(w.outs[i].detail, "refused"), "%s", w.outs[i].detail);
	}
	cr_assert(strstr(l.text, "CONNECTING -> BACKOFF"), "%s", l.text);
	cr_assert(strstr(l.text, "next attempt in"), "%s", l.text);
	smpp_client_stats(c, &st);
	cr_assert_geq(st.bind_failures, 2);
	cr_assert_eq(st.submits, 0);
	cr_assert_eq(smpp_client_poll(c, 100, on_receipt, NULL), -1);
	finish(c, &l);
}

Test(smpp_client, bad_length_resets_the_connection)
{
	static struct logbuf l;
	struct peer p;
	struct config_smpp cfg;
	struct smpp_client *c;
	struct wave w;
	struct smpp_client_stats st;
	json_t *lines;

	peer_start(&p, (const char *[]){ "--no-receipts", "--bad-length", NULL });
	cfg = config(p.port);
	c = client(&cfg, &l);
	wave_init(&w, 1, 1, "after a reset");
	cr_assert_eq(smpp_client_send(c, w.acts, 1, w.outs), 0);
	cr_assert_eq(w.outs[0].status, CHAN_DONE, "%s", w.outs[0].detail);
	smpp_client_stats(c, &st);
	cr_assert_geq(st.pdus_refused, 1);
	cr_assert_eq(st.connects, 2);
	cr_assert_eq(st.reconnects, 1);
	cr_assert(strstr(l.text, "bad PDU from the SMSC: command_length below 16"), "%s", l.text);
	lines = peer_lines(&p, 1);
	cr_assert_eq(json_array_size(lines), 1);
	json_decref(lines);
	finish(c, &l);
	peer_stop(&p);
}

Test(smpp_client, unknown_command_gets_generic_nack)
{
	static struct logbuf l;
	struct peer p;
	struct config_smpp cfg;
	struct smpp_client *c;
	struct wave w;
	json_t *lines, *nack = NULL;

	peer_start(&p, (const char *[]){ "--no-receipts", "--unknown-command", NULL });
	cfg = config(p.port);
	c = client(&cfg, &l);
	wave_init(&w, 1, 1, "still fine");
	cr_assert_eq(smpp_client_send(c, w.acts, 1, w.outs), 0);
	cr_assert_eq(w.outs[0].status, CHAN_DONE, "%s", w.outs[0].detail);
	cr_assert_eq(smpp_client_poll(c, 200, on_receipt, NULL), 0);
	lines = peer_lines(&p, 0);
	for (size_t i = 0; i < json_array_size(lines); i++)
		if (json_object_get(json_array_get(lines, i), "generic_nack"))
			nack = json_array_get(lines, i);
	cr_assert_not_null(nack, "no generic_nack reached the SMSC");
	cr_assert_eq(jint(nack, "generic_nack"), 3); /* ESME_RINVCMDID */
	cr_assert_eq(jint(nack, "sequence"), 4242);
	cr_assert_str_eq(smpp_client_state_name(c), "BOUND");
	json_decref(lines);
	finish(c, &l);
	peer_stop(&p);
}

Test(smpp_client, receipts_through_poll)
{
	static struct logbuf l;
	struct peer p;
	struct config_smpp cfg;
	struct smpp_client *c;
	struct wave w;
	struct receipts rs = { 0 };
	struct smpp_client_stats st;
	int i;

	peer_start(&p, (const char *[]){ "--unknown-receipt", NULL });
	cfg = config(p.port);
	c = client(&cfg, &l);
	wave_init(&w, 2, 1, "receipts");
	snprintf(w.to[1], sizeof(w.to[1]), "+255700010000"); /* ends in 0000: UNDELIV */
	cr_assert_eq(smpp_client_send(c, w.acts, 2, w.outs), 0);
	cr_assert_eq(w.outs[0].status, CHAN_DONE, "%s", w.outs[0].detail);
	cr_assert_eq(w.outs[1].status, CHAN_DONE, "%s", w.outs[1].detail);
	for (int round = 0; round < 10 && rs.n < 3; round++)
		cr_assert_eq(smpp_client_poll(c, 100, on_receipt, &rs), 0);
	cr_assert_eq(rs.n, 3);
	i = receipt_index(&rs, "nosuchid");
	cr_assert_geq(i, 0);
	cr_assert_eq(rs.delivery[i], CHAN_DELIVERED);
	i = receipt_index(&rs, w.outs[0].peer_id);
	cr_assert_geq(i, 0);
	cr_assert_eq(rs.delivery[i], CHAN_DELIVERED);
	i = receipt_index(&rs, w.outs[1].peer_id);
	cr_assert_geq(i, 0);
	cr_assert_eq(rs.delivery[i], CHAN_UNDELIVERED);
	cr_assert_str_eq(rs.error[i], "001");
	smpp_client_stats(c, &st);
	cr_assert_eq(st.receipts, 3);
	finish(c, &l);
	peer_stop(&p);
}

Test(smpp_client, smsc_unbind_then_reconnect)
{
	static struct logbuf l;
	struct peer p;
	struct config_smpp cfg;
	struct smpp_client *c;
	struct wave w;
	struct smpp_client_stats st;
	json_t *lines;
	int unbind_resp = 0;

	peer_start(&p, (const char *[]){ "--no-receipts", "--unbind-after", "2", NULL });
	cfg = config(p.port);
	cfg.window = 1;
	c = client(&cfg, &l);
	wave_init(&w, 5, 1, "unbind");
	cr_assert_eq(smpp_client_send(c, w.acts, 5, w.outs), 0);
	for (int i = 0; i < 5; i++)
		cr_assert_eq(w.outs[i].status, CHAN_DONE, "%d: %s", i, w.outs[i].detail);
	smpp_client_stats(c, &st);
	cr_assert_eq(st.connects, 2);
	cr_assert_eq(st.submits, 5);
	cr_assert(strstr(l.text, "BOUND -> BACKOFF (unbound by the SMSC"), "%s", l.text);
	lines = peer_lines(&p, 0);
	for (size_t i = 0; i < json_array_size(lines); i++)
		if (jint(json_array_get(lines, i), "unbind_resp") == 7777)
			unbind_resp++;
	cr_assert_eq(unbind_resp, 1);
	cr_assert_eq(json_array_size(lines), 6);
	json_decref(lines);
	finish(c, &l);
	peer_stop(&p);
}

Test(smpp_client, enquire_links_both_ways)
{
	static struct logbuf l;
	struct peer p;
	struct config_smpp cfg;
	struct smpp_client *c;
	struct smpp_client_stats st;
	json_t *lines;
	int answered = 0;

	peer_start(&p, (const char *[]){ "--enquire-link", NULL });
	cfg = config(p.port);
	cfg.enquire_link_s = 1;
	c = client(&cfg, &l);
	cr_assert_eq(smpp_client_poll(c, 1400, on_receipt, NULL), 0);
	smpp_client_stats(c, &st);
	cr_assert_geq(st.enquire_links, 1);
	cr_assert_str_eq(smpp_client_state_name(c), "BOUND");
	lines = peer_lines(&p, 0);
	for (size_t i = 0; i < json_array_size(lines); i++)
		if (json_object_get(json_array_get(lines, i), "enquire_link_resp"))
			answered++;
	cr_assert_eq(answered, 1);
	json_decref(lines);
	finish(c, &l);
	peer_stop(&p);
}

Test(smpp_client, no_answer_is_uncertain_and_not_resent)
{
	static struct logbuf l;
	struct peer p;
	struct config_smpp cfg;
	struct smpp_client *c;
	struct wave w;
	struct smpp_client_stats st;

	peer_start(&p, (const char *[]){ "--no-receipts", "--delay-ms", "5000", NULL });
	cfg = config(p.port);
	c = client(&cfg, &l);
	smpp_client_set_limits(c, 3000, 300, -1);
	wave_init(&w, 1, 1, "silence");
	cr_assert_eq(smpp_client_send(c, w.acts, 1, w.outs), 0);
	cr_assert_eq(w.outs[0].status, CHAN_UNCERTAIN, "%s", w.outs[0].detail);
	cr_assert(strstr(w.outs[0].detail, "no submit_sm_resp in time"), "%s", w.outs[0].detail);
	smpp_client_stats(c, &st);
	cr_assert_eq(st.submits, 1);
	cr_assert_eq(st.uncertain, 1);
	finish(c, &l);
	peer_stop(&p);
}

Test(smpp_client, idle_connection_closed_by_the_smsc)
{
	static struct logbuf l;
	struct peer p;
	struct config_smpp cfg;
	struct smpp_client *c;
	struct wave w;
	struct smpp_client_stats st;
	json_t *lines;

	peer_start(&p, (const char *[]){ "--no-receipts", "--close-idle-ms", "100", NULL });
	cfg = config(p.port);
	c = client(&cfg, &l);
	wave_init(&w, 1, 1, "first");
	cr_assert_eq(smpp_client_send(c, w.acts, 1, w.outs), 0);
	cr_assert_eq(w.outs[0].status, CHAN_DONE, "%s", w.outs[0].detail);
	/* the SMSC drops the connection meanwhile; the next send notices
	 * before writing anything into it */
	usleep(400 * 1000);
	wave_init(&w, 1, 2, "second");
	cr_assert_eq(smpp_client_send(c, w.acts, 1, w.outs), 0);
	cr_assert_eq(w.outs[0].status, CHAN_DONE, "%s", w.outs[0].detail);
	smpp_client_stats(c, &st);
	cr_assert_eq(st.connects, 2);
	cr_assert_eq(st.submits, 2);
	cr_assert_eq(st.uncertain, 0);
	lines = peer_lines(&p, 1);
	cr_assert_eq(json_array_size(lines), 2);
	json_decref(lines);
	finish(c, &l);
	peer_stop(&p);
}

Test(smpp_client, open_checks_the_configuration)
{
	struct config_smpp cfg = config(2775);
	struct smpp_client *c = NULL;
	char err[200];

	cfg.password = "muchtoolongpassword";
	cr_assert_eq(smpp_client_open(&cfg, NULL, NULL, &c, err, sizeof(err)), -1);
	cr_assert_null(c);
	cr_assert(strstr(err, "password"), "%s", err);
	cr_assert_null(strstr(err, "muchtoolong"));
	cfg = config(2775);
	cfg.window = 0;
	cr_assert_eq(smpp_client_open(&cfg, NULL, NULL, &c, err, sizeof(err)), -1);
	cfg = config(0);
	cr_assert_eq(smpp_client_open(&cfg, NULL, NULL, &c, err, sizeof(err)), -1);
	smpp_client_close(NULL);
}

/* ---- the token bucket, on a clock the test moves ---------------------- */

#define S 1000000000LL

/* Sends n messages as fast as the bucket allows from t0; returns the time
 * of the last one. */
static int64_t drain(struct smpp_client_bucket *b, int64_t t0, int n)
{
	int64_t t = t0;

	for (int i = 0; i < n; i++) {
		int64_t w;

		while ((w = smpp_client_bucket_take(b, t)) > 0)
			t += w;
	}
	return t;
}

Test(smpp_client_bucket, two_hundred_at_a_hundred_per_second)
{
	struct smpp_client_bucket b;
	int64_t t0 = 5 * S, end;

	smpp_client_bucket_init(&b, 100, t0);
	end = drain(&b, t0, 200);
	/* the first goes at once, then one every 10 ms */
	cr_assert_eq(end - t0, 199 * (S / 100));
}

Test(smpp_client_bucket, sustained_rate_within_two_percent)
{
	static const double rates[] = { 1, 7, 37, 100, 333, 1000 };

	for (size_t k = 0; k < sizeof(rates) / sizeof(rates[0]); k++) {
		struct smpp_client_bucket b;
		int n = (int)(rates[k] * 20) + 1;
		double took, want = (n - 1) / rates[k];

		smpp_client_bucket_init(&b, rates[k], 0);
		took = (double)drain(&b, 0, n) / S;
		cr_assert(took >= want * 0.98 && took <= want * 1.02, "%g/s: %g s for %g", rates[k], took,
			  want);
	}
}

Test(smpp_client_bucket, burst_is_one_second_at_most)
{
	struct smpp_client_bucket b;
	int64_t t = 10 * S;
	int burst = 0;

	smpp_client_bucket_init(&b, 100, 0);
	/* idle for ten seconds: still only one second's worth at once */
	while (smpp_client_bucket_take(&b, t) == 0)
		burst++;
	cr_assert_eq(burst, 100);
	cr_assert_eq(smpp_client_bucket_take(&b, t), S / 100);
	/* half the rate: the next message waits twice as long */
	smpp_client_bucket_set_rate(&b, 50);
	cr_assert_eq(smpp_client_bucket_take(&b, t), S / 50);
	/* a slow rate still lets one message through */
	smpp_client_bucket_init(&b, 0.5, 0);
	cr_assert_eq(smpp_client_bucket_take(&b, 0), 0);
	cr_assert_eq(smpp_client_bucket_take(&b, S), S);
	cr_assert_eq(smpp_client_bucket_take(&b, 2 * S), 0);
}
