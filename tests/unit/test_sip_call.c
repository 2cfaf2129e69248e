/*
 * sip call engine through its API, against sipp on 127.0.0.1: several calls
 * at once on one trunk (max_calls, results collected as they finish), a
 * trunk closed with a call in flight (BYE sent, close returns promptly),
 * and requests refused before anything is dialled.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../src/chan/sip/call.h"
#include "../../src/chan/sip/sdp.h"
#include "../../src/voice/g711.h"

static int free_udp_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_DGRAM, 0), port;

	cr_assert(fd >= 0);
	cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	port = ntohs(a.sin_port);
	close(fd);
	return port;
}

/* Whether something holds UDP port on 127.0.0.1 (our bind fails). */
static int udp_port_taken(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_DGRAM, 0), taken;

	taken = bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 && errno == EADDRINUSE;
	close(fd);
	return taken;
}

/* sipp running tests/peers/sipp/SCENARIO.xml for `calls` calls on *port. */
static pid_t start_sipp_scenario(const char *scenario, int calls, int *port)
{
	char p[16], mp[16], cp[16], rtp[16], m[16], scen[512];
	const char *top = getenv("TOP");
	pid_t pid;

	snprintf(scen, sizeof(scen), "%s/tests/peers/sipp/%s.xml", top ? top : ".", scenario);
	*port = free_udp_port();
	snprintf(p, sizeof(p), "%d", *port);
	snprintf(mp, sizeof(mp), "%d", free_udp_port());
	snprintf(cp, sizeof(cp), "%d", free_udp_port());
	/* RTP goes to a port nobody reads: this test looks at signalling. */
	snprintf(rtp, sizeof(rtp), "%d", free_udp_port());
	snprintf(m, sizeof(m), "%d", calls);
	pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		int null = open("/dev/null", 0);

		dup2(null, 1);
		dup2(null, 2);
		execlp("sipp", "sipp", "-sf", scen, "-i", "127.0.0.1", "-p", p, "-mp", mp, "-cp", cp,
		       "-key", "rtp_port", rtp, "-key", "codec", "0", "-m", m, "-timeout", "30s",
		       "-key", "dtmf_pcap", "/usr/share/sip-tester/dtmf_2833_1.pcap",
		       "-nostdin", (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 100 && !udp_port_taken(*port); i++)
		usleep(100000);
	cr_assert(udp_port_taken(*port), "sipp did not start");
	return pid;
}

static pid_t start_sipp(int calls, int *port)
{
	return start_sipp_scenario("answer", calls, port);
}

/* sipp's exit status within `seconds`, or -1 (then it is killed). */
static int wait_sipp(pid_t pid, int seconds)
{
	int status;

	for (int i = 0; i < seconds * 10; i++) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
		usleep(100000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return -1;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void config(struct config_sip *c, int port, int max_calls)
{
	memset(c, 0, sizeof(*c));
	c->proxy = "127.0.0.1";
	c->port = port;
	c->transport = CONFIG_UDP;
	c->max_calls = max_calls;
	c->ring_timeout_s = 5;
}

static uint8_t tone[8000];     /* 1 s */

Test(sip_call_api, several_calls_at_once, .timeout = 40)
{
	struct config_sip cfg;
	struct sip_trunk *t;
	struct sip_result r;
	struct sip_call_req req = { .to = "0612345678", .audio = tone, .audio_len = 4800 };
	char err[200];
	int port, seen = 0;
	pid_t sipp = start_sipp(3, &port);

	g711_tone(tone, sizeof(tone));
	config(&cfg, port, 2);
	cr_assert_eq(sip_trunk_open(&cfg, NULL, NULL, &t, err, sizeof(err)), SIP_OK, "%s", err);
	for (uint64_t tag = 1; tag <= 2; tag++) {
		req.tag = tag;
		cr_assert_eq(sip_call_start(t, &req), SIP_OK);
	}
	req.tag = 3;
	cr_assert_eq(sip_call_start(t, &req), SIP_EFULL, "a third call over max_calls 2");
	cr_assert_eq(sip_trunk_next(t, 20000, &r), SIP_OK);
	seen |= 1 << r.tag;
	cr_assert_eq(r.outcome, SIP_HEARD, "%s", r.reason);
	cr_assert_eq(r.permille, 1000);
	cr_assert_eq(r.packets_sent, 30);      /* 600 ms */
	/* A slot is free again. */
	cr_assert_eq(sip_call_start(t, &req), SIP_OK);
	for (int i = 0; i < 2; i++) {
		cr_assert_eq(sip_trunk_next(t, 20000, &r), SIP_OK);
		cr_assert_eq(r.outcome, SIP_HEARD, "%s", r.reason);
		cr_assert_eq(r.n_transitions, 6);
		cr_assert_eq(r.transitions[r.n_transitions - 1].to, SIP_DONE);
		seen |= 1 << r.tag;
	}
	cr_assert_eq(seen, 0xe, "tags seen: %x", seen);
	cr_assert_eq(sip_trunk_next(t, 100, &r), SIP_EIDLE);
	sip_trunk_close(t);
	cr_assert_eq(wait_sipp(sipp, 10), 0, "sipp saw a failed call");
}

Test(sip_call_api, close_with_a_call_in_flight, .timeout = 40)
{
	struct config_sip cfg;
	struct sip_trunk *t;
	struct sip_call_req req = { .to = "0612345678", .audio = tone, .audio_len = sizeof(tone) };
	char err[200];
	int port;
	pid_t sipp = start_sipp(1, &port);
	double start;

	g711_tone(tone, sizeof(tone));
	config(&cfg, port, 1);
	cr_assert_eq(sip_trunk_open(&cfg, NULL, NULL, &t, err, sizeof(err)), SIP_OK, "%s", err);
	cr_assert_eq(sip_call_start(t, &req), SIP_OK);
	usleep(400000);
	start = now_s();
	sip_trunk_close(t);
	cr_assert(now_s() - start < 4.0, "close took %.1f s", now_s() - start);
	/* sipp's call is successful only if it got relance's BYE. */
	cr_assert_eq(wait_sipp(sipp, 10), 0, "no BYE on close");
}

Test(sip_call_api, refused_requests)
{
	struct config_sip cfg;
	struct sip_trunk *t = NULL;
	struct sip_call_req req = { .to = "06 12", .audio = tone, .audio_len = 160 };
	char err[200];

	config(&cfg, 5060, 1);
	cfg.proxy = NULL;
	cr_assert_eq(sip_trunk_open(&cfg, NULL, NULL, &t, err, sizeof(err)), SIP_EINVAL);
	cr_assert_null(t);
	/* Nothing listens: the trunk opens all the same (UDP), and refuses
	 * bad requests before they reach the loop. */
	config(&cfg, free_udp_port(), 1);
	cr_assert_eq(sip_trunk_open(&cfg, NULL, NULL, &t, err, sizeof(err)), SIP_OK, "%s", err);
	cr_assert_eq(sip_call_start(t, &req), SIP_EINVAL);
	req.to = "0612";
	req.audio_len = 0;
	cr_assert_eq(sip_call_start(t, &req), SIP_EINVAL);
	req.to = "sip:x@y\r\nX: 1";
	req.audio_len = 160;
	cr_assert_eq(sip_call_start(t, &req), SIP_EINVAL);
	cr_assert_eq(sip_trunk_next(t, 0, &(struct sip_result){ 0 }), SIP_EIDLE);
	sip_trunk_close(t);
}

static uint8_t prompt[8000], message[3200];   /* 1 s, 0.4 s */

/* The dialer's plan with identity first: a callee who never presses 1
 * never hears the message. */
Test(sip_call_api, plan_without_the_key, .timeout = 40)
{
	struct config_sip cfg;
	struct sip_trunk *t;
	struct sip_result r;
	struct sip_step steps[] = {
		{ .kind = SIP_STEP_PLAY, .audio = prompt, .len = 2400 },
		{ .kind = SIP_STEP_WAIT_KEY, .key = '1', .timeout_ms = 500 },
		{ .kind = SIP_STEP_PLAY, .audio = message, .len = sizeof(message) },
	};
	struct sip_call_req req = { .to = "0612345678", .steps = steps, .n_steps = 3, .message = 2 };
	char err[200];
	int port;
	pid_t sipp = start_sipp(1, &port);

	g711_tone(prompt, sizeof(prompt));
	g711_tone(message, sizeof(message));
	config(&cfg, port, 1);
	cr_assert_eq(sip_trunk_open(&cfg, NULL, NULL, &t, err, sizeof(err)), SIP_OK, "%s", err);
	cr_assert_eq(sip_call_start(t, &req), SIP_OK);
	cr_assert_eq(sip_trunk_next(t, 20000, &r), SIP_OK);
	cr_assert_eq(r.outcome, SIP_NOT_CONFIRMED, "%s: %s", sip_outcome_name(r.outcome), r.reason);
	cr_assert_eq(r.step, 1);
	cr_assert_eq(r.packets_sent, 15, "%u packets", r.packets_sent);
	cr_assert_eq(r.permille, 0);
	sip_trunk_close(t);
	cr_assert_eq(wait_sipp(sipp, 10), 0, "sipp saw a failed call");
}

/* The callee presses 1 during the identity prompt (sipp plays the digit
 * 300 ms after the ACK): the wait is over at once, the message plays, and
 * the last wait times out after it: heard. */
Test(sip_call_api, plan_with_the_key, .timeout = 40)
{
	struct config_sip cfg;
	struct sip_trunk *t;
	struct sip_result r;
	struct sip_step steps[] = {
		{ .kind = SIP_STEP_PLAY, .audio = prompt, .len = sizeof(prompt) },
		{ .kind = SIP_STEP_WAIT_KEY, .key = '1', .timeout_ms = 3000 },
		{ .kind = SIP_STEP_PLAY, .audio = message, .len = sizeof(message) },
		{ .kind = SIP_STEP_WAIT_KEY, .key = '1', .timeout_ms = 300 },
	};
	struct sip_call_req req = { .to = "0612345678", .steps = steps, .n_steps = 4, .message = 2 };
	char err[200];
	int port;
	pid_t sipp = start_sipp_scenario("dtmf", 1, &port);

	g711_tone(prompt, sizeof(prompt));
	g711_tone(message, sizeof(message));
	config(&cfg, port, 1);
	cr_assert_eq(sip_trunk_open(&cfg, NULL, NULL, &t, err, sizeof(err)), SIP_OK, "%s", err);
	cr_assert_eq(sip_call_start(t, &req), SIP_OK);
	cr_assert_eq(sip_trunk_next(t, 20000, &r), SIP_OK);
	cr_assert_eq(r.outcome, SIP_HEARD, "%s: %s", sip_outcome_name(r.outcome), r.reason);
	cr_assert_str_eq(r.digits, "1");
	cr_assert_eq(r.step, 3);
	cr_assert_eq(r.permille, 1000);
	cr_assert_eq(r.packets_sent, 70, "%u packets", r.packets_sent);
	sip_trunk_close(t);
	cr_assert_eq(wait_sipp(sipp, 10), 0, "sipp saw a failed call");
}

Test(sip_call_api, plans_refused)
{
	struct config_sip cfg;
	struct sip_trunk *t;
	struct sip_step steps[] = {
		{ .kind = SIP_STEP_WAIT_KEY, .key = '1', .timeout_ms = 500 },
		{ .kind = SIP_STEP_PLAY, .audio = message, .len = sizeof(message) },
	};
	struct sip_call_req req = { .to = "0612", .steps = steps, .n_steps = 2, .message = 0 };
	char err[200];

	config(&cfg, free_udp_port(), 1);
	cr_assert_eq(sip_trunk_open(&cfg, NULL, NULL, &t, err, sizeof(err)), SIP_OK, "%s", err);
	cr_assert_eq(sip_call_start(t, &req), SIP_EINVAL, "the message is a wait");
	req.message = 2;
	cr_assert_eq(sip_call_start(t, &req), SIP_EINVAL, "no such step");
	req.message = 1;
	steps[0].key = 'x';
	cr_assert_eq(sip_call_start(t, &req), SIP_EINVAL, "not a DTMF key");
	steps[0].key = '1';
	steps[0].timeout_ms = 0;
	cr_assert_eq(sip_call_start(t, &req), SIP_EINVAL, "no time to wait");
	req.n_steps = SIP_MAX_STEPS + 1;
	cr_assert_eq(sip_call_start(t, &req), SIP_EINVAL, "too many steps");
	sip_trunk_close(t);
}
