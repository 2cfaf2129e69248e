/*
 * voice — `relance voice call`: one call through the operations file's SIP
 * trunk (channels.voice, adapter sip), for operators checking a trunk and
 * for the tests (docs/voice.md "Calls"); with --calls N --concurrency K, N
 * calls at most K at once, to see what the trunk and this machine carry
 * (docs/voice.md "Load").
 */
#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "../chan/sip/call.h"
#include "../chan/sip/sdp.h"
#include "../voice/g711.h"
#include "cmd.h"
#include "cmdconfig.h"

/* Ten minutes of 8 kHz audio: longer is not a reminder message. */
#define MAX_AUDIO ((size_t)SDP_RATE * 600)

struct args {
	const char *to, *audio, *tone, *wait, *calls, *concurrency;
	int json;
};

/* Load mode bounds: past these a run is a mistake, not a test. The
 * concurrency cap keeps the trunk's sockets (one RTP socket a call) well
 * under libre's descriptor table. */
#define LOAD_MAX_CALLS 1000000L
#define LOAD_MAX_CONCURRENCY 900L

#define N_OUTCOMES (SIP_NOT_CONFIRMED + 1)

/* Seconds as "5", "2.5": 0 < s <= max, into milliseconds. */
static int seconds_of(const char *text, double max, long *ms)
{
	char *end;
	double s;

	errno = 0;
	s = strtod(text, &end);
	if (errno || end == text || *end != '\0' || !(s >= 0.0) || s > max)
		return -1;
	*ms = (long)(s * 1000.0 + 0.5);
	return 0;
}

static int read_audio(const char *path, uint8_t **out, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t n = 0, cap = 0;

	if (f == NULL)
		return cmd_fail(EXIT_USAGE, "%s: %s", path, strerror(errno));
	for (;;) {
		size_t got;

		if (n == cap) {
			uint8_t *nb;

			if (cap >= MAX_AUDIO) {
				fclose(f);
				free(buf);
				return cmd_fail(EXIT_USAGE, "%s: longer than 10 minutes of 8 kHz audio",
						path);
			}
			cap = cap ? cap * 2 : 65536;
			if ((nb = realloc(buf, cap)) == NULL) {
				fclose(f);
				free(buf);
				return cmd_fail(EXIT_RUNTIME, "out of memory");
			}
			buf = nb;
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0)
			break;
	}
	if (ferror(f) || n == 0) {
		fclose(f);
		free(buf);
		return cmd_fail(EXIT_USAGE, "%s: %s", path, n == 0 ? "empty" : "read error");
	}
	fclose(f);
	if (n > MAX_AUDIO) {
		free(buf);
		return cmd_fail(EXIT_USAGE, "%s: longer than 10 minutes of 8 kHz audio", path);
	}
	*out = buf;
	*len = n;
	return 0;
}

static void log_line(void *arg, const char *line)
{
	(void)arg;
	fprintf(stderr, "%s\n", line);
}

static void print_result(const struct sip_result *r, const char *to, size_t len, int json)
{
	const char *codec = r->codec == SDP_PT_PCMA ? "PCMA" : r->codec == SDP_PT_PCMU ? "PCMU" : "";

	if (json) {
		json_t *o = json_object(), *tr = json_array();
		char *text;

		for (size_t i = 0; i < r->n_transitions; i++)
			json_array_append_new(tr, json_pack("{s:s,s:I}", "state",
				sip_state_name(r->transitions[i].to), "at_ms",
				(json_int_t)r->transitions[i].at_ms));
		json_object_set_new(o, "to", json_string(to));
		json_object_set_new(o, "outcome", json_string(sip_outcome_name(r->outcome)));
		json_object_set_new(o, "status", json_integer(r->status));
		json_object_set_new(o, "permille", json_integer(r->permille));
		json_object_set_new(o, "played_ms", json_integer((json_int_t)(r->samples_sent / 8)));
		json_object_set_new(o, "length_ms", json_integer((json_int_t)(len / 8)));
		json_object_set_new(o, "packets", json_integer(r->packets_sent));
		json_object_set_new(o, "codec", codec[0] ? json_string(codec) : json_null());
		json_object_set_new(o, "digits", json_string(r->digits));
		json_object_set_new(o, "rtp_ignored", json_integer(r->rtp_ignored));
		json_object_set_new(o, "reason", json_string(r->reason));
		json_object_set_new(o, "transitions", tr);
		text = json_dumps(o, JSON_COMPACT);
		if (text)
			printf("%s\n", text);
		free(text);
		json_decref(o);
		return;
	}
	printf("outcome: %s\n", sip_outcome_name(r->outcome));
	printf("status: %d\n", r->status);
	printf("played: %d per mille (%zu ms of %zu ms, %u packets%s%s)\n", r->permille,
	       r->samples_sent / 8, len / 8, r->packets_sent, codec[0] ? ", " : "", codec);
	printf("digits: %s\n", r->digits[0] ? r->digits : "none");
	printf("reason: %s\n", r->reason);
	if (r->rtp_ignored)
		printf("rtp ignored: %u packets\n", r->rtp_ignored);
	printf("transitions:");
	for (size_t i = 0; i < r->n_transitions; i++)
		printf(" %s@%ums", sip_state_name(r->transitions[i].to), r->transitions[i].at_ms);
	printf("\n");
}

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* User and system seconds of the whole process, the trunk's thread included. */
static void cpu_s(double *user, double *sys)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	*user = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6;
	*sys = (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

struct load_tally {
	long calls, concurrency, ended;
	long outcomes[N_OUTCOMES];
	unsigned long long packets;
	double wall, user, sys;
};

static void print_load(const struct load_tally *l, int json)
{
	double cpm = l->wall > 0 ? (double)l->ended * 60.0 / l->wall : 0.0;
	double cpu = l->user + l->sys, pct = l->wall > 0 ? 100.0 * cpu / l->wall : 0.0;

	if (json) {
		json_t *o = json_object(), *oc = json_object();
		char *text;

		for (int i = 0; i < N_OUTCOMES; i++)
			json_object_set_new(oc, sip_outcome_name((enum sip_outcome)i),
					    json_integer(l->outcomes[i]));
		json_object_set_new(o, "calls", json_integer(l->calls));
		json_object_set_new(o, "concurrency", json_integer(l->concurrency));
		json_object_set_new(o, "ended", json_integer(l->ended));
		json_object_set_new(o, "outcomes", oc);
		json_object_set_new(o, "wall_s", json_real(l->wall));
		json_object_set_new(o, "calls_per_minute", json_real(cpm));
		json_object_set_new(o, "cpu_user_s", json_real(l->user));
		json_object_set_new(o, "cpu_sys_s", json_real(l->sys));
		json_object_set_new(o, "cpu_s", json_real(cpu));
		json_object_set_new(o, "cpu_percent", json_real(pct));
		json_object_set_new(o, "packets", json_integer((json_int_t)l->packets));
		text = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(6));
		if (text)
			printf("%s\n", text);
		free(text);
		json_decref(o);
		return;
	}
	printf("calls: %ld ended of %ld, at most %ld at once\n", l->ended, l->calls, l->concurrency);
	for (int i = 0; i < N_OUTCOMES; i++)
		printf("%s: %ld\n", sip_outcome_name((enum sip_outcome)i), l->outcomes[i]);
	printf("wall: %.3f s\n", l->wall);
	printf("calls per minute: %.1f\n", cpm);
	printf("cpu: %.3f s (user %.3f, sys %.3f), %.1f %% of one core\n", cpu, l->user, l->sys, pct);
	printf("rtp packets sent: %llu\n", l->packets);
}

/*
 * Places l->calls calls to `to`, keeping l->concurrency in flight until the
 * last ones: a new call starts as soon as one ends, as a dialer keeps its
 * lines busy. The CPU and wall clock cover the calls only, not reading the
 * configuration or making the audio. Per-call transitions are not logged
 * (thousands of lines would cost more than the calls); the outcomes and the
 * reasons of failures are counted instead.
 */
static int voice_load(struct sip_trunk *trunk, const struct sip_call_req *tmpl, int backstop_ms,
		      struct load_tally *l, int json)
{
	struct sip_call_req req = *tmpl;
	struct sip_result res;
	long started = 0;
	double u0, s0, t0;
	int rc;

	cpu_s(&u0, &s0);
	t0 = mono_s();
	while (l->ended < l->calls) {
		while (started < l->calls && started - l->ended < l->concurrency) {
			req.tag = (uint64_t)started;
			if ((rc = sip_call_start(trunk, &req)) != SIP_OK)
				return cmd_fail(EXIT_RUNTIME, "sip: call %ld could not start (%d)",
						started + 1, rc);
			started++;
		}
		if ((rc = sip_trunk_next(trunk, backstop_ms, &res)) != SIP_OK)
			return cmd_fail(EXIT_RUNTIME, "sip: no call ended in %d ms (%ld of %ld ended)",
					backstop_ms, l->ended, l->calls);
		if ((int)res.outcome < 0 || (int)res.outcome >= N_OUTCOMES)
			return cmd_fail(EXIT_RUNTIME, "sip: unknown outcome %d", (int)res.outcome);
		l->outcomes[res.outcome]++;
		l->packets += res.packets_sent;
		l->ended++;
		if (res.outcome != SIP_HEARD && l->outcomes[res.outcome] == 1)
			fprintf(stderr, "sip: first %s: %s\n", sip_outcome_name(res.outcome),
				res.reason);
	}
	l->wall = mono_s() - t0;
	cpu_s(&l->user, &l->sys);
	l->user -= u0;
	l->sys -= s0;
	print_load(l, json);
	return l->outcomes[SIP_TRUNK_FAILURE] ? EXIT_RUNTIME : EXIT_OK;
}

int cmd_voice_call(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const char usage[] = "relance voice call --to NUMBER (--audio FILE.ul | "
		"--tone SECONDS) [--wait-dtmf SECONDS] [--calls N --concurrency K] [--json]";
	static const struct cmd_arg_opt opts[] = {
		{ "--to", offsetof(struct args, to), 0 },
		{ "--audio", offsetof(struct args, audio), 0 },
		{ "--tone", offsetof(struct args, tone), 0 },
		{ "--wait-dtmf", offsetof(struct args, wait), 0 },
		{ "--json", offsetof(struct args, json), 1 },
		{ "--calls", offsetof(struct args, calls), 0 },
		{ "--concurrency", offsetof(struct args, concurrency), 0 },
	};
	struct args a = { 0 };
	struct config cfg;
	struct sip_trunk *trunk = NULL;
	struct sip_call_req req = { 0 };
	struct sip_result res;
	uint8_t *audio = NULL;
	size_t len = 0;
	long tone_ms = 0, wait_ms = 0, n_calls = 0, concurrency = 0;
	char err[256];
	int status, rc, have_cfg = 0;

	for (int i = 0; i < argc; i++)
		if ((status = cmd_arg_take(argc, argv, &i, opts, sizeof(opts) / sizeof(opts[0]), &a,
					   usage)) != 0)
			return status;
	if (a.to == NULL || !sip_to_valid(a.to))
		return cmd_fail(EXIT_USAGE, "--to needs a number or a sip: URI; usage: %s", usage);
	if ((a.audio == NULL) == (a.tone == NULL))
		return cmd_fail(EXIT_USAGE, "give one of --audio FILE.ul and --tone SECONDS; usage: %s",
				usage);
	if (a.tone && (seconds_of(a.tone, 600, &tone_ms) != 0 || tone_ms < 20))
		return cmd_fail(EXIT_USAGE, "--tone: seconds from 0.02 to 600");
	if (a.wait && seconds_of(a.wait, 60, &wait_ms) != 0)
		return cmd_fail(EXIT_USAGE, "--wait-dtmf: seconds from 0 to 60");
	if ((a.calls == NULL) != (a.concurrency == NULL))
		return cmd_fail(EXIT_USAGE, "--calls and --concurrency go together; usage: %s", usage);
	if (a.calls && cmd_number(a.calls, 1, LOAD_MAX_CALLS, &n_calls) != 0)
		return cmd_fail(EXIT_USAGE, "--calls: a number from 1 to %ld", LOAD_MAX_CALLS);
	if (a.concurrency && cmd_number(a.concurrency, 1, LOAD_MAX_CONCURRENCY, &concurrency) != 0)
		return cmd_fail(EXIT_USAGE, "--concurrency: a number from 1 to %ld",
				LOAD_MAX_CONCURRENCY);
	if ((status = cmd_config_load(ctx, &cfg)) != 0)
		return status;
	have_cfg = 1;
	/* The operations file's max_calls is for the dialer sharing the trunk
	 * with other work; a load test asks for its own number of lines. */
	if (concurrency)
		cfg.voice.sip.max_calls = (int)concurrency;
	if (cfg.voice.adapter != CONFIG_VOICE_SIP) {
		status = cmd_fail(EXIT_USAGE, "%s: channels.voice is not adapter sip",
				  cfg.path ? cfg.path : "no operations file");
		goto out;
	}
	if (a.audio) {
		if ((status = read_audio(a.audio, &audio, &len)) != 0)
			goto out;
	} else {
		len = (size_t)tone_ms * 8;
		if ((audio = malloc(len)) == NULL) {
			status = cmd_fail(EXIT_RUNTIME, "out of memory");
			goto out;
		}
		g711_tone(audio, len);
	}
	/* A TCP trunk that closes its end must not kill the process. */
	signal(SIGPIPE, SIG_IGN);
	rc = sip_trunk_open(&cfg.voice.sip, n_calls ? NULL : log_line, NULL, &trunk, err,
			    sizeof(err));
	if (rc != SIP_OK) {
		status = cmd_fail(rc == SIP_EINVAL ? EXIT_USAGE : EXIT_RUNTIME, "sip: %s", err);
		goto out;
	}
	req.to = a.to;
	req.audio = audio;
	req.audio_len = len;
	req.wait_dtmf_ms = (int)wait_ms;
	if (n_calls) {
		struct load_tally l = { .calls = n_calls, .concurrency = concurrency };

		status = voice_load(trunk, &req, (cfg.voice.sip.ring_timeout_s + 120) * 1000 +
				    (int)(len / 8) + (int)wait_ms, &l, a.json);
		goto out;
	}
	if ((rc = sip_call_start(trunk, &req)) != SIP_OK) {
		status = cmd_fail(EXIT_RUNTIME, "sip: the call could not start");
		goto out;
	}
	/* Every call ends by itself (ring timeout, the end of the message,
	 * libre's transaction timers); the bound is only a backstop. */
	rc = sip_trunk_next(trunk, (cfg.voice.sip.ring_timeout_s + 120) * 1000 +
			    (int)(len / 8) + (int)wait_ms, &res);
	if (rc != SIP_OK) {
		status = cmd_fail(EXIT_RUNTIME, "sip: the call did not end");
		goto out;
	}
	print_result(&res, a.to, len, a.json);
	status = res.outcome == SIP_TRUNK_FAILURE ? EXIT_RUNTIME : EXIT_OK;
out:
	sip_trunk_close(trunk);
	free(audio);
	if (have_cfg)
		config_release(&cfg);
	return status;
}
