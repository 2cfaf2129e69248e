/*
 * voice — `relance voice call`: one call through the operations file's SIP
 * trunk (channels.voice, adapter sip), for operators checking a trunk and
 * for the tests (docs/voice.md "Calls").
 */
#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../chan/sip/call.h"
#include "../chan/sip/sdp.h"
#include "../voice/g711.h"
#include "cmd.h"
#include "cmdconfig.h"

/* Ten minutes of 8 kHz audio: longer is not a reminder message. */
#define MAX_AUDIO ((size_t)SDP_RATE * 600)

struct args {
	const char *to, *audio, *tone, *wait;
	int json;
};

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

int cmd_voice_call(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const char usage[] = "relance voice call --to NUMBER (--audio FILE.ul | "
		"--tone SECONDS) [--wait-dtmf SECONDS] [--json]";
	static const struct cmd_arg_opt opts[] = {
		{ "--to", offsetof(struct args, to), 0 },
		{ "--audio", offsetof(struct args, audio), 0 },
		{ "--tone", offsetof(struct args, tone), 0 },
		{ "--wait-dtmf", offsetof(struct args, wait), 0 },
		{ "--json", offsetof(struct args, json), 1 },
	};
	struct args a = { 0 };
	struct config cfg;
	struct sip_trunk *trunk = NULL;
	struct sip_call_req req = { 0 };
	struct sip_result res;
	uint8_t *audio = NULL;
	size_t len = 0;
	long tone_ms = 0, wait_ms = 0;
	char err[256];
	int status, rc, have_cfg = 0;

	for (int i = 0; i < argc; i++) {
		int r = cmd_arg_match(argc, argv, &i, opts, sizeof(opts) / sizeof(opts[0]), &a);

		if (r < 0)
			return EXIT_USAGE;
		if (r == 0)
			return cmd_fail(EXIT_USAGE, "unexpected '%s'; usage: %s", argv[i], usage);
	}
	if (a.to == NULL || !sip_to_valid(a.to))
		return cmd_fail(EXIT_USAGE, "--to needs a number or a sip: URI; usage: %s", usage);
	if ((a.audio == NULL) == (a.tone == NULL))
		return cmd_fail(EXIT_USAGE, "give one of --audio FILE.ul and --tone SECONDS; usage: %s",
				usage);
	if (a.tone && (seconds_of(a.tone, 600, &tone_ms) != 0 || tone_ms < 20))
		return cmd_fail(EXIT_USAGE, "--tone: seconds from 0.02 to 600");
	if (a.wait && seconds_of(a.wait, 60, &wait_ms) != 0)
		return cmd_fail(EXIT_USAGE, "--wait-dtmf: seconds from 0 to 60");
	if ((status = cmd_config_load(ctx, &cfg)) != 0)
		return status;
	have_cfg = 1;
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
	rc = sip_trunk_open(&cfg.voice.sip, log_line, NULL, &trunk, err, sizeof(err));
	if (rc != SIP_OK) {
		status = cmd_fail(rc == SIP_EINVAL ? EXIT_USAGE : EXIT_RUNTIME, "sip: %s", err);
		goto out;
	}
	req.to = a.to;
	req.audio = audio;
	req.audio_len = len;
	req.wait_dtmf_ms = (int)wait_ms;
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
