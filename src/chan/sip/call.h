/*
 * call — outgoing voice calls through a SIP trunk, with libre
 * (docs/voice.md "Calls").
 *
 * A trunk owns one thread running libre's main loop (re_main is per thread:
 * the thread calls re_thread_init, and every libre object of the trunk is
 * made and used on it). Callers on other threads start calls with
 * sip_call_start, which hands them to the loop through a libre mqueue, and
 * collect each call's result with sip_trunk_next. At most cfg->max_calls
 * calls are in flight (started, result not yet collected) at once.
 *
 * Each call is a state machine
 *   IDLE -> INVITING -> RINGING -> ANSWERED -> PLAYING -> ENDING -> DONE
 * (a call may skip states, and goes to ENDING or DONE from any of them)
 * that reports every transition as one log line. It sends INVITE with an
 * SDP offer of PCMU, PCMA and telephone-event, answers 401/407 with digest
 * credentials, ignores early media, ACKs the 200, runs the request's steps
 * (prompts as RTP at 20 ms a packet, waits for a key), collects RFC 4733
 * digits, and ends with BYE (at the end of the steps, or at a wait without
 * its key), CANCEL (ring timeout), or on the callee's BYE.
 *
 * Ownership: cfg and every string in it are borrowed until sip_trunk_close.
 * A request's audio is borrowed until its result has come out of
 * sip_trunk_next (or the trunk is closed); `to` is copied. The password
 * goes into digest responses and nowhere else: no log line, result or
 * error message holds it.
 */
#ifndef RELANCE_SIP_CALL_H
#define RELANCE_SIP_CALL_H

#include <stddef.h>
#include <stdint.h>

#include "../../core/config.h"

enum {
	SIP_OK = 0,
	SIP_EINVAL = -1,        /* a bad request: empty audio, a bad number */
	SIP_EFULL = -2,         /* max_calls already in flight */
	SIP_ETIMEDOUT = -3,     /* sip_trunk_next: nothing finished in time */
	SIP_EIDLE = -4,         /* sip_trunk_next: no call in flight, none to collect */
	SIP_ESYS = -5,          /* out of memory, a thread or socket failed */
};

enum sip_state {
	SIP_IDLE, SIP_INVITING, SIP_RINGING, SIP_ANSWERED, SIP_PLAYING, SIP_ENDING, SIP_DONE,
};

/*
 * How a call ended. TRUNK_FAILURE is the trunk's or the network's doing
 * (5xx, no response, a transport error, unusable SDP, refused credentials):
 * to be retried, never counted against the customer.
 */
enum sip_outcome {
	SIP_HEARD,              /* the whole message was played */
	SIP_HUNG_UP_EARLY,      /* the callee's BYE before the end */
	SIP_BUSY,               /* 486, 600, 603 */
	SIP_NO_ANSWER,          /* ring timeout, 480, 408 */
	SIP_BAD_NUMBER,         /* 404, 410, 484, 604 */
	SIP_TRUNK_FAILURE,
	SIP_NOT_CONFIRMED,      /* answered, but the message never started: the callee
				 * hung up, or a WAIT_KEY before it went without its key */
};

/*
 * What an answered call does, step by step (the dialer's plan of a call,
 * docs/voice.md): PLAY sends audio to its end; WAIT_KEY waits up to
 * timeout_ms for `key` (0: any digit) and, without it, ends the call
 * there. A key pressed during the PLAY just before a WAIT_KEY counts for
 * it (the callee need not wait for the prompt to finish). Reaching the end
 * of the steps ends the call with BYE.
 */
enum sip_step_kind { SIP_STEP_PLAY, SIP_STEP_WAIT_KEY };

struct sip_step {
	enum sip_step_kind kind;
	const uint8_t *audio;   /* PLAY: 8 kHz µ-law, borrowed like the request's */
	size_t len;             /* PLAY: samples, > 0 */
	char key;               /* WAIT_KEY: the digit awaited; 0 for any */
	int timeout_ms;         /* WAIT_KEY: > 0 */
};

#define SIP_MAX_STEPS 8

struct sip_call_req {
	const char *to;         /* a number ([0-9A-Za-z+*#._-]) or a sip: URI without spaces */
	/* Either steps (n_steps of them, `message` the index of the PLAY whose
	 * share decides the outcome), or, when n_steps is 0, one message: */
	const struct sip_step *steps;
	size_t n_steps, message;
	const uint8_t *audio;   /* 8 kHz µ-law; borrowed (see above) */
	size_t audio_len;       /* samples, > 0 */
	int wait_dtmf_ms;       /* after the message, wait this long for a digit (0: none) */
	int prefer_pcma;        /* offer PCMA before PCMU */
	uint64_t tag;           /* the caller's, given back in the result */
};

#define SIP_MAX_DIGITS 32
#define SIP_MAX_TRANSITIONS 12

struct sip_result {
	uint64_t tag;
	enum sip_outcome outcome;
	int status;             /* the final SIP status (200, 486 ...), 0 when none came */
	int permille;           /* share of the message played, 0..1000 */
	size_t step;            /* the step in progress at the end; n_steps: all done */
	size_t samples_sent;    /* of the message */
	uint32_t packets_sent;
	int codec;              /* 0 PCMU, 8 PCMA, -1 never answered */
	char digits[SIP_MAX_DIGITS + 1];
	uint32_t rtp_ignored;   /* packets from an unexpected address, or not RTP */
	char reason[160];       /* why it ended, in words; never a secret */
	size_t n_transitions;
	struct {
		enum sip_state to;
		uint32_t at_ms; /* since the call started */
	} transitions[SIP_MAX_TRANSITIONS];
};

struct sip_trunk;

/* One log line without a newline, on the trunk's thread, valid during the call. */
typedef void sip_log_fn(void *arg, const char *line);

/*
 * Opens a trunk on cfg (adapter sip): resolves the proxy, picks the local
 * address towards it, starts the loop thread and its SIP transport.
 * log may be NULL. Returns SIP_OK with *out set, or SIP_EINVAL / SIP_ESYS
 * with a message in err and *out untouched.
 */
int sip_trunk_open(const struct config_sip *cfg, sip_log_fn *log, void *log_arg,
		   struct sip_trunk **out, char *err, size_t errsize);

/* Starts a call. Returns SIP_OK (its result will come out of
 * sip_trunk_next), SIP_EINVAL, SIP_EFULL or SIP_ESYS. Any thread. */
int sip_call_start(struct sip_trunk *t, const struct sip_call_req *req);

/*
 * Waits up to timeout_ms (< 0: for ever) for a finished call and moves its
 * result into *out: SIP_OK, SIP_ETIMEDOUT, or SIP_EIDLE at once when no
 * call is in flight and no result waits. Any thread.
 */
int sip_trunk_next(struct sip_trunk *t, int timeout_ms, struct sip_result *out);

/* Ends the calls in flight (BYE or CANCEL; their results are dropped),
 * waits up to 3 s for the trunk to answer those, stops the thread and
 * frees t. NULL is a no-op. */
void sip_trunk_close(struct sip_trunk *t);

const char *sip_state_name(enum sip_state s);
const char *sip_outcome_name(enum sip_outcome o);

/* The outcome of a final SIP status >= 300 (sip_outcome above). */
enum sip_outcome sip_outcome_of_status(int status);

/* Whether `to` is acceptable as a request's number or URI. */
int sip_to_valid(const char *to);

#endif
