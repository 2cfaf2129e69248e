/*
 * voice_prompt — `relance voice prompt` renders a text as the audio a call
 * plays (through the prompt cache), `relance voice say` prints the words an
 * amount or a date becomes, so that an operator can hear and check what
 * customers will hear before a campaign.
 *
 * The cache directory: --cache DIR, else "voice-cache" beside a SQLite
 * database, else (PostgreSQL) "voice-cache" in the current directory.
 * Neither command opens the database.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../core/caltime.h"
#include "../core/money.h"
#include "../core/spoken.h"
#include "../core/validate.h"
#include "../voice/prompt.h"
#include "cmd.h"
#include "cmdconfig.h"

#define PROMPT_USAGE "relance voice prompt --locale LOCALE --text TEXT [--out FILE.ul] " \
		     "[--cache DIR] [--law mu|a]"
#define SAY_USAGE "relance voice say --locale LOCALE [--amount A --currency CODE] " \
		  "[--date YYYY-MM-DD] [--accusative]"

struct voice_args {
	const char *locale, *text, *out, *cache, *law;
	const char *amount, *currency, *date;
	int accusative;
};

static int parse_args(int argc, char **argv, struct voice_args *a, const struct cmd_arg_opt *opts,
		      size_t n_opts, const char *usage)
{
	memset(a, 0, sizeof(*a));
	for (int i = 0; i < argc; i++) {
		int r = cmd_arg_match(argc, argv, &i, opts, n_opts, a);

		if (r < 0)
			return EXIT_USAGE;
		if (r == 0)
			return cmd_fail(EXIT_USAGE, "unexpected argument '%s'; usage: %s", argv[i],
					usage);
	}
	return 0;
}

/* "voice-cache" in the SQLite database's folder ("sqlite:" as store_open
 * reads it), or in the current one for a server URL. */
static void default_cache(const char *db_url, char *buf, size_t size)
{
	const char *path = strncmp(db_url, "sqlite:", 7) == 0 ? db_url + 7 : db_url;
	const char *slash = strrchr(path, '/');

	if (strstr(path, "://") != NULL || slash == NULL)
		snprintf(buf, size, "voice-cache");
	else if (slash == path)
		snprintf(buf, size, "/voice-cache");
	else
		snprintf(buf, size, "%.*s/voice-cache", (int)(slash - path), path);
}

/* A copy of the audio at `path`, whole or not at all. */
static int write_out(const char *path, const struct prompt *p)
{
	char tmp[PATH_MAX];
	FILE *f;
	int fd;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp-XXXXXX", path) >= (int)sizeof(tmp))
		return cmd_fail(EXIT_USAGE, "%s: the path is too long", path);
	if ((fd = mkstemp(tmp)) < 0 || (f = fdopen(fd, "wb")) == NULL) {
		int saved = errno;

		if (fd >= 0) {
			close(fd);
			unlink(tmp);
		}
		return cmd_fail(EXIT_RUNTIME, "%s: %s", path, strerror(saved));
	}
	if (fwrite(p->audio, 1, p->len, f) != p->len || fflush(f) != 0 ||
	    fchmod(fd, 0644) != 0 || fsync(fd) != 0) {
		int saved = errno;

		fclose(f);
		unlink(tmp);
		return cmd_fail(EXIT_RUNTIME, "%s: %s", path, strerror(saved));
	}
	if (fclose(f) != 0 || rename(tmp, path) != 0) {
		int saved = errno;

		unlink(tmp);
		return cmd_fail(EXIT_RUNTIME, "%s: %s", path, strerror(saved));
	}
	return 0;
}

int cmd_voice_prompt(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct cmd_arg_opt opts[] = {
		{ "--locale", offsetof(struct voice_args, locale), 0 },
		{ "--text", offsetof(struct voice_args, text), 0 },
		{ "--out", offsetof(struct voice_args, out), 0 },
		{ "--cache", offsetof(struct voice_args, cache), 0 },
		{ "--law", offsetof(struct voice_args, law), 0 },
	};
	struct voice_args a;
	struct config cfg;
	struct prompt_opts po = { 0 };
	struct prompt p;
	char cache[PATH_MAX], err[512];
	int status, rc;

	if ((status = parse_args(argc, argv, &a, opts, sizeof(opts) / sizeof(opts[0]),
				 PROMPT_USAGE)) != 0)
		return status;
	if (a.locale == NULL || a.text == NULL)
		return cmd_fail(EXIT_USAGE, "--locale and --text are required; usage: %s",
				PROMPT_USAGE);
	if (a.law == NULL || strcmp(a.law, "mu") == 0)
		po.law = PROMPT_MULAW;
	else if (strcmp(a.law, "a") == 0)
		po.law = PROMPT_ALAW;
	else
		return cmd_fail(EXIT_USAGE, "--law must be mu or a, not '%s'", a.law);
	if (a.cache != NULL)
		snprintf(cache, sizeof(cache), "%s", a.cache);
	else
		default_cache(ctx->db_url, cache, sizeof(cache));
	po.cache_dir = cache;

	/* The operations file may name the voice of each locale. */
	if ((status = cmd_config_load(ctx, &cfg)) != 0)
		return status;
	po.sip = &cfg.voice.sip;
	rc = prompt_render(a.locale, a.text, &po, &p, err, sizeof(err));
	if (rc != PROMPT_OK) {
		status = cmd_fail(rc == PROMPT_ERR_INPUT ? EXIT_USAGE : EXIT_RUNTIME, "%s", err);
		goto out;
	}
	if (a.out != NULL && (status = write_out(a.out, &p)) != 0)
		goto out;
	printf("voice: %s\n", p.voice);
	printf("duration_ms: %lld\n", (long long)p.duration_ms);
	printf("bytes: %zu\n", p.len);
	printf("cache: %s\n", p.cache_hit ? "hit" : "miss");
	printf("file: %s\n", p.path);
	if (a.out != NULL)
		printf("out: %s\n", a.out);
out:
	prompt_release(&p);
	config_release(&cfg);
	return status;
}

int cmd_voice_say(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct cmd_arg_opt opts[] = {
		{ "--locale", offsetof(struct voice_args, locale), 0 },
		{ "--amount", offsetof(struct voice_args, amount), 0 },
		{ "--currency", offsetof(struct voice_args, currency), 0 },
		{ "--date", offsetof(struct voice_args, date), 0 },
		{ "--accusative", offsetof(struct voice_args, accusative), 1 },
	};
	struct voice_args a;
	char words[SPOKEN_MAX];
	int status, rc;

	(void)ctx;
	if ((status = parse_args(argc, argv, &a, opts, sizeof(opts) / sizeof(opts[0]),
				 SAY_USAGE)) != 0)
		return status;
	if (a.locale == NULL)
		return cmd_fail(EXIT_USAGE, "--locale is required; usage: %s", SAY_USAGE);
	if (!validate_bcp47(a.locale, strlen(a.locale)))
		return cmd_fail(EXIT_USAGE, "--locale '%s' is not a BCP 47 locale (e.g. uk-UA)",
				a.locale);
	if (a.amount == NULL && a.date == NULL)
		return cmd_fail(EXIT_USAGE, "give --amount (with --currency) or --date; usage: %s",
				SAY_USAGE);
	if ((a.amount == NULL) != (a.currency == NULL))
		return cmd_fail(EXIT_USAGE, "--amount and --currency go together; usage: %s",
				SAY_USAGE);
	if (a.amount != NULL) {
		int exponent;
		int64_t minor;

		if ((rc = money_currency_exponent(a.currency, &exponent)) != MONEY_OK)
			return cmd_fail(EXIT_USAGE, "--currency '%s': %s", a.currency,
					money_strerror(rc));
		if ((rc = money_parse(a.amount, strlen(a.amount), exponent, &minor)) != MONEY_OK)
			return cmd_fail(EXIT_USAGE, "--amount '%s' %s", a.amount, money_strerror(rc));
		rc = spoken_amount(a.locale, minor, a.currency, exponent,
				   a.accusative ? SPOKEN_ACCUSATIVE : 0, words, sizeof(words));
		if (rc == SPOKEN_CURRENCY)
			return cmd_fail(EXIT_USAGE, "%s has no spoken words yet (known: %s)",
					a.currency, spoken_currencies());
		if (rc < 0)
			return cmd_fail(EXIT_USAGE, "--amount '%s' %s", a.amount, spoken_strerror(rc));
		printf("%s\n", words);
	}
	if (a.date != NULL) {
		int32_t day;

		if (date_parse(a.date, strlen(a.date), &day) != CALTIME_OK)
			return cmd_fail(EXIT_USAGE, "--date '%s' is not a date (YYYY-MM-DD)", a.date);
		if ((rc = spoken_date(a.locale, day, words, sizeof(words))) < 0)
			return cmd_fail(EXIT_USAGE, "--date '%s' %s", a.date, spoken_strerror(rc));
		printf("%s\n", words);
	}
	return 0;
}
