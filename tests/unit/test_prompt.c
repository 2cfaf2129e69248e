/*
 * prompt: G.711 encoders against known codes and an independent reference,
 * the resampler's frequency response, voices per locale, and rendering
 * through the cache (espeak-ng, 8 kHz, hits and misses, threads).
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../src/core/config.h"
#include "../../src/voice/g711.h"
#include "../../src/voice/prompt.h"
#include "../../src/voice/resample.h"

/* ---- G.711 ------------------------------------------------------------ */

/* The segment-table encoders of the classic Sun g711.c, with the
 * one's complement of negative samples G.191 uses: a second, independent
 * formulation to compare every input against. */
static uint8_t ref_ulaw(int16_t s)
{
	static const int seg_end[8] = { 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF };
	int mag = s < 0 ? ~s : s, mask = s < 0 ? 0x7F : 0xFF, seg = 0;

	mag = (mag >> 2) + 33;
	if (mag > 0x1FFF)
		mag = 0x1FFF;
	while (seg < 8 && mag > seg_end[seg])
		seg++;
	return (uint8_t)(((seg << 4) | ((mag >> (seg + 1)) & 0x0F)) ^ mask);
}

static uint8_t ref_alaw(int16_t s)
{
	static const int seg_end[8] = { 0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF };
	int pcm = s >> 3, mask, seg = 0, aval;

	if (pcm >= 0) {
		mask = 0xD5;
	} else {
		mask = 0x55;
		pcm = -pcm - 1;
	}
	while (seg < 8 && pcm > seg_end[seg])
		seg++;
	if (seg >= 8)
		return (uint8_t)(0x7F ^ mask);
	aval = seg << 4;
	aval |= seg < 2 ? (pcm >> 1) & 0x0F : (pcm >> seg) & 0x0F;
	return (uint8_t)(aval ^ mask);
}

Test(prompt, ulaw_known_codes)
{
	cr_expect_eq(g711_linear_to_ulaw(0), 0xFF);
	cr_expect_eq(g711_linear_to_ulaw(-1), 0x7F);
	cr_expect_eq(g711_linear_to_ulaw(32767), 0x80);
	cr_expect_eq(g711_linear_to_ulaw(-32768), 0x00);
	cr_expect_eq(g711_linear_to_ulaw(1000), 0xCE);
	cr_expect_eq(g711_linear_to_ulaw(-1000), 0x4E);
	cr_expect_eq(g711_ulaw_to_linear(0xFF), 0);
	cr_expect_eq(g711_ulaw_to_linear(0x7F), 0);
	cr_expect_eq(g711_ulaw_to_linear(0x80), 32124);
	cr_expect_eq(g711_ulaw_to_linear(0x00), -32124);
}

Test(prompt, alaw_known_codes)
{
	cr_expect_eq(g711_linear_to_alaw(0), 0xD5);
	cr_expect_eq(g711_linear_to_alaw(-1), 0x55);
	cr_expect_eq(g711_linear_to_alaw(32767), 0xAA);
	cr_expect_eq(g711_linear_to_alaw(-32768), 0x2A);
	cr_expect_eq(g711_alaw_to_linear(0xD5), 8);
	cr_expect_eq(g711_alaw_to_linear(0x55), -8);
	cr_expect_eq(g711_alaw_to_linear(0xAA), 32256);
	cr_expect_eq(g711_alaw_to_linear(0x2A), -32256);
}

Test(prompt, g711_every_sample_and_code)
{
	int16_t prev_u = INT16_MIN, prev_a = INT16_MIN;

	for (int s = INT16_MIN; s <= INT16_MAX; s++) {
		cr_assert_eq(g711_linear_to_ulaw((int16_t)s), ref_ulaw((int16_t)s), "mu-law of %d", s);
		cr_assert_eq(g711_linear_to_alaw((int16_t)s), ref_alaw((int16_t)s), "A-law of %d", s);
	}
	/* Decoding then encoding gives the code back (except µ-law's -0),
	 * and decoded values grow with the samples that give them. */
	for (int c = 0; c < 256; c++) {
		if (c != 0x7F)
			cr_expect_eq(g711_linear_to_ulaw(g711_ulaw_to_linear((uint8_t)c)), c, "mu 0x%02x", c);
		cr_expect_eq(g711_linear_to_alaw(g711_alaw_to_linear((uint8_t)c)), c, "A 0x%02x", c);
	}
	for (int s = INT16_MIN; s <= INT16_MAX; s += 7) {
		int16_t u = g711_ulaw_to_linear(g711_linear_to_ulaw((int16_t)s));
		int16_t a = g711_alaw_to_linear(g711_linear_to_alaw((int16_t)s));

		cr_assert_geq(u, prev_u, "mu-law not monotonic at %d", s);
		cr_assert_geq(a, prev_a, "A-law not monotonic at %d", s);
		/* quantisation error within half the largest step */
		cr_assert_leq(abs(u - s), 1024, "%d -> %d", s, u);
		cr_assert_leq(abs(a - s), 1024, "%d -> %d", s, a);
		prev_u = u;
		prev_a = a;
	}
}

/* ---- resampler -------------------------------------------------------- */

#define IN_RATE 22050
#define SECONDS 1

static int16_t *tone(double hz, double amplitude, size_t n)
{
	int16_t *s = malloc(n * sizeof(*s));

	cr_assert_not_null(s);
	for (size_t i = 0; i < n; i++)
		s[i] = (int16_t)lround(amplitude * sin(2.0 * M_PI * hz * (double)i / IN_RATE));
	return s;
}

static double rms(const int16_t *s, size_t from, size_t to)
{
	double sum = 0;

	for (size_t i = from; i < to; i++)
		sum += (double)s[i] * s[i];
	return sqrt(sum / (double)(to - from));
}

/* Resamples a tone to 8 kHz; returns the output's RMS over its middle
 * (the edges ramp in and out through the filter) and its zero crossings. */
static double through(double hz, int *crossings)
{
	struct resample r;
	size_t n_in = IN_RATE * SECONDS, n_out;
	int16_t *in = tone(hz, 10000, n_in), *out;
	double level;

	cr_assert_eq(resample_init(&r, IN_RATE, 8000), 0);
	n_out = resample_out_len(&r, n_in);
	cr_assert_eq(n_out, 8000 * SECONDS);
	out = malloc(n_out * sizeof(*out));
	cr_assert_not_null(out);
	resample_run(&r, in, n_in, out);
	level = rms(out, 200, n_out - 200) / rms(in, 0, n_in);
	if (crossings != NULL) {
		*crossings = 0;
		for (size_t i = 201; i < n_out - 200; i++)
			if ((out[i - 1] < 0) != (out[i] < 0))
				(*crossings)++;
	}
	free(in);
	free(out);
	resample_release(&r);
	return level;
}

Test(prompt, resample_keeps_the_frequency)
{
	int crossings;
	double level = through(1000, &crossings);

	/* 1 kHz over 7600 samples at 8 kHz (0.95 s): 1900 crossings */
	cr_expect(crossings >= 1898 && crossings <= 1902, "%d zero crossings", crossings);
	cr_expect(level > 0.97 && level < 1.03, "1 kHz level %.3f", level);
	level = through(3000, &crossings);
	cr_expect(crossings >= 5698 && crossings <= 5702, "3 kHz: %d zero crossings", crossings);
	cr_expect(level > 0.89, "3 kHz level %.3f", level);
}

Test(prompt, resample_removes_what_would_alias)
{
	/* 5 kHz would fold to 3 kHz at 8 kHz: the filter must remove it. */
	double level = through(5000, NULL);

	cr_expect(level < 0.003, "5 kHz passes at %.5f (%.1f dB)", level, 20 * log10(level));
	level = through(7000, NULL);
	cr_expect(level < 0.003, "7 kHz passes at %.5f", level);
}

Test(prompt, resample_constant_and_rates)
{
	struct resample r;
	int16_t in[2205], out[800];

	for (size_t i = 0; i < 2205; i++)
		in[i] = 1000;
	cr_assert_eq(resample_init(&r, 22050, 8000), 0);
	cr_expect_eq(r.up, 160);
	cr_expect_eq(r.down, 441);
	cr_assert_eq(resample_out_len(&r, 2205), 800);
	resample_run(&r, in, 2205, out);
	for (size_t i = 100; i < 700; i++)
		cr_assert_eq(out[i], 1000, "sample %zu is %d", i, out[i]);
	cr_expect_eq(resample_out_len(&r, 0), 0);
	cr_expect_eq(resample_out_len(&r, 1), 1);
	resample_release(&r);
	cr_expect_eq(resample_init(&r, 16000, 8000), 0);
	cr_expect_eq(r.up, 1);
	resample_release(&r);
	/* 7919 is prime: 7919 phases, above the cap */
	cr_expect_eq(resample_init(&r, 22050, 7919), -1);
	cr_expect_eq(resample_init(&r, 0, 8000), -1);
	resample_release(&r);
}

/* ---- voices ----------------------------------------------------------- */

Test(prompt, voices)
{
	struct config_voice_name names[] = { { "fr-CA", "fr-fr" }, { "pt-PT", "pt" } };
	struct config_sip sip = { .voices = names, .n_voices = 2 };

	cr_expect_str_eq(prompt_voice_for("fr-FR", NULL), "fr");
	cr_expect_str_eq(prompt_voice_for("pt-BR", NULL), "pt-br");
	cr_expect_str_eq(prompt_voice_for("uk-UA", NULL), "uk");
	cr_expect_str_eq(prompt_voice_for("en-US", NULL), "en-us");
	cr_expect_str_eq(prompt_voice_for("en-GB", NULL), "en");
	cr_expect_str_eq(prompt_voice_for("de-DE", NULL), "en");
	cr_expect_str_eq(prompt_voice_for("fr-ca", &sip), "fr-fr");
	/* same language, no exact entry */
	cr_expect_str_eq(prompt_voice_for("fr-BI", &sip), "fr-fr");
	cr_expect_str_eq(prompt_voice_for("pt-BR", &sip), "pt");
	cr_expect_str_eq(prompt_voice_for("uk-UA", &sip), "uk");
}

/* ---- rendering -------------------------------------------------------- */

static char cache_dir[] = "/tmp/relance-prompt-test.XXXXXX";

static void make_cache(void)
{
	cr_assert_not_null(mkdtemp(cache_dir));
}

static void remove_cache(void)
{
	DIR *d = opendir(cache_dir);
	struct dirent *e;
	char path[512];

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.' && (e->d_name[1] == '\0' || strcmp(e->d_name, "..") == 0))
			continue;
		snprintf(path, sizeof(path), "%s/%s", cache_dir, e->d_name);
		unlink(path);
	}
	closedir(d);
	rmdir(cache_dir);
}

static int files_in_cache(void)
{
	DIR *d = opendir(cache_dir);
	struct dirent *e;
	int n = 0;

	cr_assert_not_null(d);
	while ((e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

/* espeak-ng carries some state from one synthesis to the next (the same
 * text said right after another voice comes out ~3% longer, with other
 * sample values): two renderings of one text are alike in length, not byte
 * for byte. The texts compared differ in length by far more than 5%. */
static int close_to(size_t a, size_t b)
{
	return a * 100 <= b * 105 && b * 100 <= a * 105;
}

static void render(const char *locale, const char *text, const char *dir, enum prompt_law law,
		   struct prompt *p)
{
	struct prompt_opts o = { .cache_dir = dir, .law = law };
	char err[256];
	int rc = prompt_render(locale, text, &o, p, err, sizeof(err));

	cr_assert_eq(rc, PROMPT_OK, "%s: %s", text, err);
}

Test(prompt, render_through_the_cache, .init = make_cache, .fini = remove_cache)
{
	struct prompt a, b, c, d;
	struct stat st;
	double level = 0;

	render("uk-UA", "Заборгованість триста п'ятдесят гривень.", cache_dir, PROMPT_MULAW, &a);
	cr_expect_eq(a.cache_hit, 0);
	cr_expect_str_eq(a.voice, "uk");
	cr_expect_eq(a.duration_ms, (int64_t)a.len * 1000 / 8000);
	cr_expect(a.duration_ms > 1000 && a.duration_ms < 8000, "%lld ms",
		  (long long)a.duration_ms);
	cr_assert_eq(stat(a.path, &st), 0, "%s", a.path);
	cr_expect_eq((size_t)st.st_size, a.len);
	cr_expect_eq(strncmp(a.path, cache_dir, strlen(cache_dir)), 0);
	cr_expect_str_eq(a.path + strlen(a.path) - 3, ".ul");
	/* speech, not silence */
	for (size_t i = 0; i < a.len; i++)
		level += (double)g711_ulaw_to_linear(a.audio[i]) * g711_ulaw_to_linear(a.audio[i]);
	level = sqrt(level / (double)a.len);
	cr_expect_gt(level, 300, "RMS %.0f", level);

	render("uk-UA", "Заборгованість триста п'ятдесят гривень.", cache_dir, PROMPT_MULAW, &b);
	cr_expect_eq(b.cache_hit, 1);
	cr_expect_str_eq(b.path, a.path);
	cr_assert_eq(b.len, a.len);
	cr_expect_eq(memcmp(a.audio, b.audio, a.len), 0);

	/* another text, law or voice is another file */
	render("uk-UA", "Дякуємо.", cache_dir, PROMPT_MULAW, &c);
	cr_expect_eq(c.cache_hit, 0);
	cr_expect_str_neq(c.path, a.path);
	cr_expect_lt(c.len, a.len);
	render("uk-UA", "Заборгованість триста п'ятдесят гривень.", cache_dir, PROMPT_ALAW, &d);
	cr_expect_eq(d.cache_hit, 0);
	cr_expect_str_eq(d.path + strlen(d.path) - 3, ".al");
	cr_expect(close_to(d.len, a.len), "%zu and %zu", d.len, a.len);
	cr_expect_eq(files_in_cache(), 3);

	/* an emptied file is rendered again, not played as silence */
	prompt_release(&b);
	cr_assert_eq(truncate(a.path, 0), 0);
	render("uk-UA", "Заборгованість триста п'ятдесят гривень.", cache_dir, PROMPT_MULAW, &b);
	cr_expect_eq(b.cache_hit, 0);
	cr_expect(close_to(b.len, a.len), "%zu after %zu", b.len, a.len);

	prompt_release(&a);
	prompt_release(&b);
	prompt_release(&c);
	prompt_release(&d);
	/* a cache directory that does not exist yet is created */
	{
		char sub[600];

		snprintf(sub, sizeof(sub), "%s/x", cache_dir);
		render("fr-FR", "Bonjour.", sub, PROMPT_MULAW, &a);
		cr_expect_eq(a.cache_hit, 0);
		cr_expect_eq(access(a.path, R_OK), 0);
		unlink(a.path);
		rmdir(sub);
		prompt_release(&a);
	}
}

Test(prompt, render_errors)
{
	struct config_voice_name names[] = { { "fr-FR", "no-such-voice" } };
	struct config_sip sip = { .voices = names, .n_voices = 1 };
	struct prompt_opts o = { .sip = &sip };
	struct prompt p;
	char err[256], *long_text;

	cr_expect_eq(prompt_render("fr-FR", "Bonjour", &o, &p, err, sizeof(err)), PROMPT_ERR_INPUT);
	cr_expect_not_null(strstr(err, "no-such-voice"), "%s", err);
	cr_expect_null(p.audio);
	cr_expect_eq(prompt_render("fr-FR", "  ", NULL, &p, err, sizeof(err)), PROMPT_ERR_INPUT);
	cr_expect_eq(prompt_render("f", "Bonjour", NULL, &p, err, sizeof(err)), PROMPT_ERR_INPUT);
	cr_expect_eq(prompt_render("fr--FR", "Bonjour", NULL, &p, err, sizeof(err)),
		     PROMPT_ERR_INPUT);
	cr_expect_eq(prompt_render("fr FR", "Bonjour", NULL, &p, err, sizeof(err)),
		     PROMPT_ERR_INPUT);
	long_text = malloc(PROMPT_MAX_TEXT + 2);
	cr_assert_not_null(long_text);
	memset(long_text, 'a', PROMPT_MAX_TEXT + 1);
	long_text[PROMPT_MAX_TEXT + 1] = '\0';
	cr_expect_eq(prompt_render("fr-FR", long_text, NULL, &p, err, sizeof(err)),
		     PROMPT_ERR_INPUT);
	free(long_text);
	/* a cache that cannot be a directory */
	o.sip = NULL;
	o.cache_dir = "/dev/null/cache";
	cr_expect_eq(prompt_render("fr-FR", "Bonjour", &o, &p, err, sizeof(err)), PROMPT_ERR_CACHE);
	cr_expect_null(p.audio);
}

/* espeak-ng is not thread-safe: threads rendering at once must each get
 * what a lone rendering of their text gives (in length: see close_to),
 * not a mix of two texts' samples. */
struct job {
	const char *locale, *text;
	struct prompt p;
	int rc;
};

static void *run_job(void *arg)
{
	struct job *j = arg;
	char err[256];

	j->rc = prompt_render(j->locale, j->text, NULL, &j->p, err, sizeof(err));
	return NULL;
}

Test(prompt, threads)
{
	struct job jobs[4] = {
		{ "fr-FR", "Vous devez vingt-neuf euros." },
		{ "pt-BR", "Sua fatura de cento e vinte e nove reais está em aberto." },
		{ "uk-UA", "Будь ласка, сплатіть борг водоканалу сьогодні." },
		{ "en-US", "Please pay." },
	};
	pthread_t t[4];

	for (int round = 0; round < 3; round++) {
		for (int i = 0; i < 4; i++)
			cr_assert_eq(pthread_create(&t[i], NULL, run_job, &jobs[i]), 0);
		for (int i = 0; i < 4; i++) {
			struct prompt alone;

			pthread_join(t[i], NULL);
			cr_assert_eq(jobs[i].rc, PROMPT_OK);
			render(jobs[i].locale, jobs[i].text, NULL, PROMPT_MULAW, &alone);
			cr_assert(close_to(alone.len, jobs[i].p.len), "%s: %zu alone, %zu in a thread",
				  jobs[i].text, alone.len, jobs[i].p.len);
			cr_expect_str_eq(alone.path, "");
			prompt_release(&alone);
			prompt_release(&jobs[i].p);
		}
	}
}
