/*
 * config — `relance config check [FILE]`: checks the operations file and
 * prints which adapter performs each channel, or every problem as
 * FILE:LINE:COLUMN: message (exit 2); and cmd_config_load, which finds and
 * loads the file for the commands that need it (cmdconfig.h).
 *
 * A secret is printed as "(set)" and nothing more, whatever the command.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../core/config.h"
#include "cmd.h"
#include "cmdconfig.h"

#define DEFAULT_PATH "relance.conf"

static void print_diag(void *arg, const char *file, int line, int column, const char *message)
{
	size_t *count = arg;

	fprintf(stderr, "%s:%d:%d: %s\n", file, line, column, message);
	(*count)++;
}

static int load(const char *path, int optional, struct config *cfg)
{
	size_t problems = 0;
	int rc = config_load_file(path, cfg, print_diag, &problems);

	if (rc == CONFIG_OK)
		return 0;
	if (rc == CONFIG_ERR_READ) {
		if (optional && errno == ENOENT) {
			config_init(cfg);
			return 0;
		}
		return cmd_fail(EXIT_USAGE, "%s: %s", path, strerror(errno));
	}
	fprintf(stderr, "%s: %zu problem%s\n", path, problems, problems == 1 ? "" : "s");
	return EXIT_USAGE;
}

int cmd_config_load(struct cmd_ctx *ctx, struct config *cfg)
{
	if (ctx->config != NULL)
		return load(ctx->config, 0, cfg);
	return load(DEFAULT_PATH, 1, cfg);
}

static const char *secret(const char *s)
{
	return s != NULL ? "(set)" : "(not set)";
}

static const char *or_none(const char *s)
{
	return s != NULL ? s : "(none)";
}

/* A URL with the password of its user information, if any, as ***. */
static void print_url(const char *url)
{
	const char *host = strstr(url, "://"), *end, *at = NULL, *colon;

	if (host == NULL) {
		fputs(url, stdout);
		return;
	}
	host += 3;
	end = host + strcspn(host, "/?#");
	for (const char *p = host; p < end; p++)
		if (*p == '@')
			at = p;
	colon = at != NULL ? memchr(host, ':', (size_t)(at - host)) : NULL;
	if (colon == NULL) {
		fputs(url, stdout);
		return;
	}
	printf("%.*s:***%s", (int)(colon - url), url, at);
}

static void summary(const struct config *cfg)
{
	const struct config_smpp *smpp = &cfg->sms.smpp;
	const struct config_sms_http *http = &cfg->sms.http;
	const struct config_smtp *smtp = &cfg->email.smtp;
	const struct config_sip *sip = &cfg->voice.sip;
	static const char *const auths[] = { "none", "bearer", "basic" };
	static const char *const tls[] = { "auto", "always", "never" };

	printf("sms: %s", config_sms_adapter_name(cfg->sms.adapter));
	if (cfg->sms.adapter == CONFIG_SMS_SMPP)
		printf(" %s:%d, system_id %s, password %s, source_addr %s, %d/s, window %d",
		       smpp->host, smpp->port, smpp->system_id, secret(smpp->password),
		       or_none(smpp->source_addr), smpp->rate_per_second, smpp->window);
	if (cfg->sms.adapter == CONFIG_SMS_HTTP) {
		printf(" %s ", http->method);
		print_url(http->url);
		printf(", auth %s", auths[http->auth]);
		if (http->auth == CONFIG_AUTH_BEARER)
			printf(", token %s", secret(http->token));
		if (http->auth == CONFIG_AUTH_BASIC)
			printf(", username %s, password %s", http->username, secret(http->password));
		printf(", timeout %ds, %d retries", http->timeout_s, http->retries);
	}
	printf("\nemail: %s", config_email_adapter_name(cfg->email.adapter));
	if (cfg->email.adapter == CONFIG_EMAIL_SMTP) {
		putchar(' ');
		print_url(smtp->url);
		printf(", from %s", smtp->from);
		if (smtp->username != NULL)
			printf(", username %s, password %s", smtp->username, secret(smtp->password));
		printf(", starttls %s", tls[smtp->starttls]);
	}
	printf("\nvoice: %s", config_voice_adapter_name(cfg->voice.adapter));
	if (cfg->voice.adapter == CONFIG_VOICE_SIP) {
		printf(" %s:%d/%s", sip->proxy, sip->port, sip->transport == CONFIG_TCP ? "tcp" : "udp");
		if (sip->username != NULL)
			printf(", username %s, password %s", sip->username, secret(sip->password));
		printf(", %d calls at most, %zu voice%s", sip->max_calls, sip->n_voices,
		       sip->n_voices == 1 ? "" : "s");
	}
	printf("\nprovisioning: %zu adapter%s\n", cfg->n_provisioning,
	       cfg->n_provisioning == 1 ? "" : "s");
	for (size_t i = 0; i < cfg->n_provisioning; i++) {
		const struct config_prov *p = &cfg->provisioning[i];

		printf("  %s: %s", p->name, config_prov_type_name(p->type));
		if (p->url != NULL) {
			putchar(' ');
			print_url(p->url);
		}
		if (p->host != NULL)
			printf(" %s:%d", p->host, p->port);
		if (p->type == CONFIG_PROV_WEBHOOK || p->type == CONFIG_PROV_RADIUS)
			printf(", secret %s", secret(p->secret));
		if (p->username != NULL)
			printf(", username %s, password %s", p->username, secret(p->password));
		if (p->type == CONFIG_PROV_RADIUS || p->type == CONFIG_PROV_GENIEACS) {
			const char *sep = ", levels ";
			int any = 0;

			for (int l = 0; l < CONFIG_N_LEVELS; l++) {
				if (!p->levels[l].given)
					continue;
				printf("%s%s", sep, config_level_name(l));
				if (p->type == CONFIG_PROV_RADIUS)
					printf(" (%s)", p->levels[l].disconnect ? "disconnect" : "coa");
				sep = ", ";
				any = 1;
			}
			if (!any)
				fputs(", no levels: every action fails", stdout);
		}
		putchar('\n');
	}
	printf("contacts: bad after %d permanent failures, payments attributed within %d days\n",
	       cfg->contacts.bad_after_failures, cfg->contacts.attribution_days);
	printf("handoffs: %zu part%s\n", cfg->n_parties, cfg->n_parties == 1 ? "y" : "ies");
	for (size_t i = 0; i < cfg->n_parties; i++) {
		const struct config_party *p = &cfg->parties[i];

		printf("  %s: ", p->name);
		if (p->folder != NULL) {
			printf("folder %s\n", p->folder);
			continue;
		}
		printf("webhook ");
		print_url(p->webhook);
		if (p->token != NULL)
			printf(", token %s", secret(p->token));
		printf(", timeout %ds\n", p->timeout_s);
	}
	printf("cycles (relance serve): ");
	for (size_t i = 0; i < cfg->cycles.n_at; i++)
		printf("%s%02d:%02d", i ? ", " : "at ", cfg->cycles.at[i] / 60, cfg->cycles.at[i] % 60);
	printf(cfg->cycles.n_at ? " %s\n" : "none by the time of day\n", cfg->cycles.timezone);
}

int cmd_config_check(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct config cfg;
	int status;

	if (argc > 1)
		return cmd_fail(EXIT_USAGE, "usage: relance config check [FILE]");
	if (argc == 1)
		status = load(argv[0], 0, &cfg);
	else
		status = cmd_config_load(ctx, &cfg);
	if (status != 0)
		return status;
	if (cfg.path != NULL)
		printf("%s: the configuration is valid\n", cfg.path);
	else
		printf("no operations file (no --config, no $RELANCE_CONFIG, no ./%s): "
		       "every channel records\n", DEFAULT_PATH);
	summary(&cfg);
	config_release(&cfg);
	return EXIT_OK;
}
