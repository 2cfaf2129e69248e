/*
 * prompt — text to 8 kHz G.711 through espeak-ng, with a cache (prompt.h).
 */
#include <assert.h>
#include <errno.h>
#include <espeak-ng/speak_lib.h>
#include <fcntl.h>
#include <pthread.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../core/config.h"
#include "../core/validate.h"
#include "g711.h"
#include "prompt.h"
#include "resample.h"

#define CACHE_KEY_BYTES 32
#define SILENCE 64                        /* |sample| below: -54 dBFS */
#define CACHE_FORMAT "relance-prompt-1"   /* change when the audio produced changes */

/* ---- voices ----------------------------------------------------------- */

/* Length of the primary language subtag of a locale. */
static size_t lang_len(const char *locale)
{
	return strcspn(locale, "-_");
}

static int same_lang(const char *a, const char *b)
{
	size_t n = lang_len(a);

	return n == lang_len(b) && strncasecmp(a, b, n) == 0;
}

const char *prompt_voice_for(const char *locale, const struct config_sip *sip)
{
	if (sip != NULL) {
		for (size_t i = 0; i < sip->n_voices; i++)
			if (strcasecmp(sip->voices[i].locale, locale) == 0)
				return sip->voices[i].voice;
		for (size_t i = 0; i < sip->n_voices; i++)
			if (same_lang(sip->voices[i].locale, locale))
				return sip->voices[i].voice;
	}
	if (same_lang(locale, "fr"))
		return "fr";
	if (same_lang(locale, "pt"))
		return "pt-br";
	if (same_lang(locale, "uk"))
		return "uk";
	if (same_lang(locale, "en")) {
		const char *r = locale + lang_len(locale);

		if (*r != '\0' && strncasecmp(r + 1, "US", 2) == 0 && (r[3] == '\0' || r[3] == '-'))
			return "en-us";
	}
	return "en";
}

/* ---- espeak-ng -------------------------------------------------------- */

struct collect {
	int16_t *s;
	size_t n, cap, max;
	int too_long, no_memory;
};

/* Guarded by `lock`: espeak-ng's state, the synthesis in progress. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int espeak_rate;                 /* 0: not initialised */
static struct collect *current;
/* Written once under `lock`, read-only afterwards. */
static struct resample to_8k;

/* espeak-ng hands over its samples in pieces of ~200 ms. */
static int on_samples(short *wav, int n, espeak_EVENT *events)
{
	struct collect *c = current;

	(void)events;
	if (wav == NULL || n <= 0 || c == NULL)
		return 0;
	if (c->n + (size_t)n > c->max) {
		c->too_long = 1;
		return 1;          /* abort the synthesis */
	}
	if (c->n + (size_t)n > c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 1 << 16;
		int16_t *p;

		while (cap < c->n + (size_t)n)
			cap *= 2;
		if (cap > c->max)
			cap = c->max;
		if ((p = realloc(c->s, cap * sizeof(*p))) == NULL) {
			c->no_memory = 1;
			return 1;
		}
		c->s = p;
		c->cap = cap;
	}
	memcpy(c->s + c->n, wav, (size_t)n * sizeof(*wav));
	c->n += (size_t)n;
	return 0;
}

static int fail(char *err, size_t errsize, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int fail(char *err, size_t errsize, int code, const char *fmt, ...)
{
	va_list ap;

	if (errsize > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errsize, fmt, ap);
		va_end(ap);
	}
	return code;
}

/* Synthesises text with voice into *c at espeak_rate, taking `lock`. */
static int synthesise(const char *voice, const char *text, struct collect *c, char *err,
		      size_t errsize)
{
	int rc = PROMPT_OK;
	espeak_ERROR e;

	pthread_mutex_lock(&lock);
	if (espeak_rate == 0) {
		int r = espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 0, NULL,
					  espeakINITIALIZE_DONT_EXIT);

		if (r <= 0) {
			rc = fail(err, errsize, PROMPT_ERR_SYNTH,
				  "espeak-ng could not start (is espeak-ng-data installed?)");
			goto out;
		}
		if (resample_init(&to_8k, r, PROMPT_RATE) != 0) {
			espeak_Terminate();
			rc = fail(err, errsize, PROMPT_ERR_SYNTH,
				  "no resampler from espeak-ng's %d Hz to %d Hz", r, PROMPT_RATE);
			goto out;
		}
		espeak_SetSynthCallback(on_samples);
		espeak_rate = r;
	}
	if (espeak_SetVoiceByName(voice) != EE_OK) {
		rc = fail(err, errsize, PROMPT_ERR_INPUT, "espeak-ng has no voice '%s'", voice);
		goto out;
	}
	c->max = (size_t)espeak_rate * PROMPT_MAX_SECONDS;
	current = c;
	e = espeak_Synth(text, strlen(text) + 1, 0, POS_CHARACTER, 0, espeakCHARS_UTF8, NULL, NULL);
	current = NULL;
	if (c->no_memory)
		rc = fail(err, errsize, PROMPT_ERR_MEMORY, "out of memory");
	else if (c->too_long)
		rc = fail(err, errsize, PROMPT_ERR_SYNTH, "the speech lasts more than %d seconds",
			  PROMPT_MAX_SECONDS);
	else if (e != EE_OK)
		rc = fail(err, errsize, PROMPT_ERR_SYNTH, "espeak-ng failed (error %d)", (int)e);
	else if (c->n == 0)
		rc = fail(err, errsize, PROMPT_ERR_SYNTH, "espeak-ng produced no sound");
out:
	pthread_mutex_unlock(&lock);
	return rc;
}

/* ---- cache ------------------------------------------------------------ */

/* mkdir -p: every missing component 0700. */
static int make_dirs(const char *dir)
{
	char path[4096];
	size_t n = strlen(dir);

	if (n == 0 || n >= sizeof(path))
		return errno = ENAMETOOLONG, -1;
	memcpy(path, dir, n + 1);
	for (size_t i = 1; i <= n; i++) {
		if (path[i] != '/' && path[i] != '\0')
			continue;
		path[i] = '\0';
		if (mkdir(path, 0700) != 0 && errno != EEXIST)
			return -1;
		path[i] = i == n ? '\0' : '/';
	}
	return 0;
}

static void cache_name(const char *voice, enum prompt_law law, const char *text, char *hex,
		       size_t hexsize)
{
	unsigned char key[CACHE_KEY_BYTES];
	crypto_generichash_state h;
	const char *version = espeak_Info(NULL);
	unsigned char l = (unsigned char)law;

	/* Each field with its terminator: no two field lists hash alike. */
	crypto_generichash_init(&h, NULL, 0, sizeof(key));
	crypto_generichash_update(&h, (const unsigned char *)CACHE_FORMAT, sizeof(CACHE_FORMAT));
	crypto_generichash_update(&h, (const unsigned char *)version, strlen(version) + 1);
	crypto_generichash_update(&h, (const unsigned char *)voice, strlen(voice) + 1);
	crypto_generichash_update(&h, &l, 1);
	crypto_generichash_update(&h, (const unsigned char *)text, strlen(text) + 1);
	crypto_generichash_final(&h, key, sizeof(key));
	sodium_bin2hex(hex, hexsize, key, sizeof(key));
}

/* 1: *out holds the file's audio; 0: no usable file; -1: read error. */
static int cache_read(const char *path, struct prompt *out)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc = -1;
	struct stat st;
	size_t got = 0;

	if (fd < 0)
		return errno == ENOENT ? 0 : -1;
	if (fstat(fd, &st) != 0)
		goto out;
	/* An empty or oversized file is not ours to trust: render again. */
	if (st.st_size <= 0 || st.st_size > (off_t)PROMPT_RATE * PROMPT_MAX_SECONDS) {
		rc = 0;
		goto out;
	}
	if ((out->audio = malloc((size_t)st.st_size)) == NULL) {
		errno = ENOMEM;
		goto out;
	}
	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, out->audio + got, (size_t)st.st_size - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r == 0)
			errno = EIO;    /* shorter than fstat said: being replaced? */
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	if (got != (size_t)st.st_size) {
		free(out->audio);
		out->audio = NULL;
		goto out;
	}
	out->len = got;
	rc = 1;
out:
	close(fd);
	return rc;
}

/* Writes data whole to path: a temporary file beside it, synced, renamed. */
static int cache_write(const char *dir, const char *path, const unsigned char *data, size_t len)
{
	char tmp[4200];
	int fd;
	size_t done = 0;

	if (snprintf(tmp, sizeof(tmp), "%s/.tmp-XXXXXX", dir) >= (int)sizeof(tmp))
		return errno = ENAMETOOLONG, -1;
	if ((fd = mkstemp(tmp)) < 0)
		return -1;
	while (done < len) {
		ssize_t w = write(fd, data + done, len - done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			goto fail;
		done += (size_t)w;
	}
	if (fsync(fd) != 0)
		goto fail;
	if (close(fd) != 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) != 0)
		goto fail;
	return 0;
fail: {
		int saved = errno;

		if (fd >= 0)
			close(fd);
		unlink(tmp);
		errno = saved;
		return -1;
	}
}

/* ---- render ----------------------------------------------------------- */

int prompt_render(const char *locale, const char *text, const struct prompt_opts *opts,
		  struct prompt *out, char *err, size_t errsize)
{
	struct collect c = { 0 };
	const char *voice;
	const char *dir = opts ? opts->cache_dir : NULL;
	enum prompt_law law = opts ? opts->law : PROMPT_MULAW;
	int16_t *pcm = NULL;
	size_t n_out;
	int rc;

	memset(out, 0, sizeof(*out));
	if (errsize > 0)
		err[0] = '\0';
	assert(law == PROMPT_MULAW || law == PROMPT_ALAW);
	if (locale == NULL || !validate_bcp47(locale, strlen(locale)))
		return fail(err, errsize, PROMPT_ERR_INPUT, "'%s' is not a BCP 47 locale (e.g. uk-UA)",
			    locale ? locale : "");
	if (text == NULL || text[strspn(text, " \t\r\n")] == '\0')
		return fail(err, errsize, PROMPT_ERR_INPUT, "the text is empty");
	if (strlen(text) > PROMPT_MAX_TEXT)
		return fail(err, errsize, PROMPT_ERR_INPUT, "the text is longer than %d bytes",
			    PROMPT_MAX_TEXT);
	voice = prompt_voice_for(locale, opts ? opts->sip : NULL);
	if (strlen(voice) >= sizeof(out->voice))
		return fail(err, errsize, PROMPT_ERR_INPUT, "the voice name '%s' is too long", voice);
	memcpy(out->voice, voice, strlen(voice) + 1);

	if (dir != NULL) {
		char hex[CACHE_KEY_BYTES * 2 + 1];
		int r;

		if (sodium_init() < 0)
			return fail(err, errsize, PROMPT_ERR_CACHE, "libsodium could not start");
		cache_name(voice, law, text, hex, sizeof(hex));
		if (snprintf(out->path, sizeof(out->path), "%s/%s.%s", dir, hex,
			     law == PROMPT_ALAW ? "al" : "ul") >= (int)sizeof(out->path))
			return fail(err, errsize, PROMPT_ERR_CACHE, "%s: the path is too long", dir);
		r = cache_read(out->path, out);
		if (r < 0) {
			rc = fail(err, errsize, PROMPT_ERR_CACHE, "%s: %s", out->path, strerror(errno));
			goto fail;
		}
		if (r > 0) {
			out->cache_hit = 1;
			out->duration_ms = (int64_t)out->len * 1000 / PROMPT_RATE;
			return PROMPT_OK;
		}
	}

	if ((rc = synthesise(voice, text, &c, err, errsize)) != PROMPT_OK)
		goto fail;
	/* espeak-ng ends with 10 to 90 ms of near-silence whose length depends
	 * on what it said before: drop it, the call's own pause follows. */
	while (c.n > 1 && abs(c.s[c.n - 1]) < SILENCE)
		c.n--;
	n_out = resample_out_len(&to_8k, c.n);
	pcm = malloc(n_out * sizeof(*pcm));
	out->audio = malloc(n_out);
	if (pcm == NULL || out->audio == NULL) {
		rc = fail(err, errsize, PROMPT_ERR_MEMORY, "out of memory");
		goto fail;
	}
	resample_run(&to_8k, c.s, c.n, pcm);
	for (size_t i = 0; i < n_out; i++)
		out->audio[i] = law == PROMPT_ALAW ? g711_linear_to_alaw(pcm[i]) : g711_linear_to_ulaw(pcm[i]);
	out->len = n_out;
	out->duration_ms = (int64_t)n_out * 1000 / PROMPT_RATE;

	if (dir != NULL && (make_dirs(dir) != 0 || cache_write(dir, out->path, out->audio,
							       out->len) != 0)) {
		rc = fail(err, errsize, PROMPT_ERR_CACHE, "%s: %s", dir, strerror(errno));
		goto fail;
	}
	free(pcm);
	free(c.s);
	return PROMPT_OK;
fail:
	free(pcm);
	free(c.s);
	prompt_release(out);
	return rc;
}

void prompt_release(struct prompt *p)
{
	free(p->audio);
	memset(p, 0, sizeof(*p));
}
