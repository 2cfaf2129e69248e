/*
 * prompt — a text said by espeak-ng, as 8 kHz mono G.711 for a call.
 *
 * prompt_render synthesises UTF-8 text with the espeak-ng voice of a
 * locale (the operations file's channels.voice.voices, else fr, pt-br, uk
 * or en by language), resamples espeak-ng's 22050 Hz to 8000 Hz
 * (resample.h) and encodes each sample in µ-law or A-law (G.711, as the
 * ITU-T reference code does: one's complement for negative samples).
 *
 * Cache: rendering is by far the dearest step (tens of milliseconds per
 * second of speech), and a campaign says the same words to thousands of
 * customers. Given a cache directory, the audio is kept in one file per
 * (espeak-ng version, voice, law, text), named by the BLAKE2b hash of
 * those (libsodium crypto_generichash): DIR/<64 hex>.ul or .al, raw G.711
 * without a header. A file appears whole or not at all (written to a
 * temporary file in DIR, synced, renamed), so concurrent renderers at worst
 * both synthesise; a hit only reads the file. Nothing expires: the
 * directory grows with the distinct texts said (a customer's name in a
 * text makes it distinct), and may be emptied at any time.
 *
 * Threads: espeak-ng keeps global state and is not thread-safe; one
 * process-wide lock is held around its initialisation and each synthesis.
 * Everything else (cache reads and writes, resampling, encoding) runs
 * outside the lock.
 */
#ifndef RELANCE_PROMPT_H
#define RELANCE_PROMPT_H

#include <stddef.h>
#include <stdint.h>

struct config_sip;

enum prompt_law { PROMPT_MULAW, PROMPT_ALAW };

#define PROMPT_RATE 8000               /* samples (= bytes) per second */
#define PROMPT_MAX_TEXT 4096           /* bytes of UTF-8 text */
#define PROMPT_MAX_SECONDS 120         /* longer speech is refused */

enum prompt_err {
	PROMPT_OK = 0,
	PROMPT_ERR_INPUT = -1,   /* empty or too long text, bad locale, unknown voice */
	PROMPT_ERR_SYNTH = -2,   /* espeak-ng failed, or the speech is too long */
	PROMPT_ERR_CACHE = -3,   /* the cache directory or a file in it (errno in the message) */
	PROMPT_ERR_MEMORY = -4,
};

struct prompt_opts {
	const char *cache_dir;          /* NULL: no cache; created (0700) when missing */
	const struct config_sip *sip;   /* its voices; NULL: the defaults */
	enum prompt_law law;
};

struct prompt {
	unsigned char *audio;           /* G.711 bytes at PROMPT_RATE; malloc'ed, owned */
	size_t len;
	int64_t duration_ms;            /* len * 1000 / PROMPT_RATE */
	int cache_hit;                  /* 1: read from the cache, not synthesised */
	char voice[64];                 /* the espeak-ng voice used */
	char path[4096];                /* the cache file; "" without a cache */
};

/*
 * The espeak-ng voice for a BCP 47 locale: a voices entry whose locale is
 * the same (case-insensitive), else one of the same language, else fr,
 * pt-br, uk, en-us (for *-US) or en by language. Never NULL; the string
 * is static or sip's.
 */
const char *prompt_voice_for(const char *locale, const struct config_sip *sip);

/*
 * Renders `text` in `locale` through the cache. On PROMPT_OK *out owns its
 * audio (prompt_release). On error *out holds nothing and err (size
 * errsize) says why, e.g. "espeak-ng has no voice 'xx'".
 */
int prompt_render(const char *locale, const char *text, const struct prompt_opts *opts,
		  struct prompt *out, char *err, size_t errsize);

void prompt_release(struct prompt *p);

#endif
