/*
 * main — the command table and the global options.
 *
 * One row per command, like git's builtin table. Global options may stand
 * before or after the command name; everything else is the command's.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd/cmd.h"
#include "cmd/cmdconfig.h"
#include "core/tz.h"
#include "store/store.h"

static const struct cmd commands[] = {
	{ "init", cmd_init, "",
	  "Creates the database schema, or migrates it to this version of relance." },
	{ "import", cmd_import, "KIND FILE",
	  "Imports a CSV file whole or not at all. KIND is customers, accounts, services,\n"
	  "invoices, payments or credit-notes (credit_notes); FILE may be - for standard\n"
	  "input. Every bad row is reported as FILE:LINE: what is wrong, and then nothing\n"
	  "is stored (exit 2). Importing the same rows again changes nothing." },
	{ "run", cmd_run, "[--dry-run] [--json] [--record FILE]",
	  "One collection cycle at --now under the latest loaded policy: decides every\n"
	  "account's stage and actions, asks the contact rules when each may reach the\n"
	  "customer, writes the decisions to the outbox and the customer file, then\n"
	  "performs the due actions. --record FILE sends every channel to FILE as JSON\n"
	  "lines; without it actions stay pending. --dry-run changes nothing." },
	{ "export positions", cmd_export_positions, "[--json]",
	  "Writes every account's position at --now as CSV: account_id, balance, overdue,\n"
	  "oldest_unpaid_due_on, days_past_due, then currency, customer_id, stage.\n"
	  "--json writes one JSON object per line instead." },
	{ "account show", cmd_account_show, "ID [--json]",
	  "Shows the customer file of one account: customer, services, position at --now,\n"
	  "the ledger entries, then every entry of the customer's file (notes, corrections)." },
	{ "summary", cmd_summary, "[--json]",
	  "Prints accounts, owed and overdue per currency and an ageing table at --now." },
	{ "report contacts", cmd_report_contacts, "--since DATE [--days N] [--json]",
	  "Which messages brought payments: each payment from DATE on counts for the last\n"
	  "SMS, e-mail or call performed to its account before it, if within N days\n"
	  "(default contacts.attribution_days). Prints per channel, rule and currency the\n"
	  "messages, accounts, payments and amount attributed, totals, and what was not." },
	{ "report calls", cmd_report_calls, "--since DATE [--days N] [--json]",
	  "What the voice channel did per day (UTC) from DATE on: calls by outcome (heard,\n"
	  "hung up early, busy, no answer, bad number, trunk failure, not confirmed), the\n"
	  "share heard, early hang-ups put back at the front and then heard, and heard\n"
	  "calls followed by a payment within N days (default contacts.attribution_days)." },
	{ "report dashboard", cmd_report_dashboard,
	  "[--from DATE] [--to DATE] [--days N] [--every week|month] [--json]",
	  "The managers' dashboard over the UTC dates DATE to DATE (default: the 30 days\n"
	  "ending today): amounts recovered by stage and channel, payments within N days\n"
	  "of messages, overdue by days past due at each week's (month's) end, promises\n"
	  "and plans, suspensions and restorations against the legal delay (docs/operations.md)." },
	{ "serve", cmd_serve,
	  "[--listen ADDR:PORT] [--cycle-every SECONDS] [--record FILE] [--console DIR]",
	  "Serves the HTTP API (docs/api.md, docs/openapi.yaml) on ADDR:PORT (default\n"
	  "127.0.0.1:8080; port 0: one the system chooses), printing the address once\n"
	  "ready, until SIGTERM or SIGINT. Every /api/v1 route needs a bearer token whose\n"
	  "scopes allow it (relance token add). Runs a collection cycle every SECONDS\n"
	  "(default 300; 0: only on demand) and right after payments arrive. --console DIR\n"
	  "serves the agents' console (the files of console/) at /console/." },
	{ "promise add", cmd_promise_add,
	  "ACCOUNT --amount A --date YYYY-MM-DD --by NAME [--note T] [--json]",
	  "Records a promise to pay A by the date (the customer's local date). While it\n"
	  "is open, dunning pauses for that amount; on the date the cycle checks the\n"
	  "ledger: kept, or broken (counted on the case; the ladder resumes). Refused: a\n"
	  "date in the past or beyond the policy's promises.max_days, more than the balance." },
	{ "promise list", cmd_promise_list, "ACCOUNT [--all] [--json]",
	  "The account's open promises (--all: every promise ever made, with its state)." },
	{ "plan propose", cmd_plan_propose,
	  "ACCOUNT[,ACCOUNT...] (--instalments N | --amounts A,B...) (--day-of-month D | --every-days N) "
	  "[--first YYYY-MM-DD] [--down A] [--waive A] --by NAME [--role agent|supervisor] "
	  "[--note T] [--json]",
	  "Proposes a payment plan over what is overdue on the accounts (of one customer):\n"
	  "an optional down payment, then N instalments computed exactly (the remainder on\n"
	  "the last), or the amounts given, which must add up to the debt. Refused beyond\n"
	  "what the role may offer (policy arrangements.plans)." },
	{ "plan accept", cmd_plan_accept, "PLAN --by NAME [--json]",
	  "Accepts a proposed plan before it expires: no dunning while it is kept; its\n"
	  "first payment restores suspended services; a payment missed past the grace\n"
	  "days breaks it and collection starts again with a fresh notice." },
	{ "plan show", cmd_plan_show, "PLAN [--json]",
	  "A plan's state, schedule and terms." },
	{ "dispute open", cmd_dispute_open,
	  "ACCOUNT [--invoice ID] [--amount A] --reason T --by NAME [--json]",
	  "Disputes an invoice (or an amount of it, or of the balance): only that amount is\n"
	  "frozen, reported apart and never acted on; the rest is collected as usual." },
	{ "dispute review", cmd_dispute_review, "DISPUTE --by NAME [--json]",
	  "Puts an open dispute under review." },
	{ "dispute resolve", cmd_dispute_resolve,
	  "DISPUTE (--upheld | --rejected) --by NAME [--note T] [--json]",
	  "Upheld: a credit note of the disputed amount is issued through the ledger.\n"
	  "Rejected: the amount is collectible again." },
	{ "handoff export", cmd_handoff_export, "[--to DIR] [--party PARTY]",
	  "Writes, per party holding cases (agency, credit bureau, notary, court), a CSV\n"
	  "and a JSON file: each case's customer, what is owed, what was paid since the\n"
	  "hand-off, the ledger and the latest entries of the customer file; into DIR, or\n"
	  "where the operations file sends each party (handoffs.parties: a folder, or a\n"
	  "webhook the JSON is POSTed to). Each file appears whole or not at all." },
	{ "invoice postpone", cmd_invoice_postpone,
	  "INVOICE --to YYYY-MM-DD --by NAME --reason T [--json]",
	  "Gives an invoice a new due date (the customer's local date), with who agreed\n"
	  "and why. The ledger keeps the invoice as imported; positions, days past due\n"
	  "and the collection ladder follow the new date." },
	{ "handoff recall", cmd_handoff_recall, "ACCOUNT --by NAME [--note T] [--json]",
	  "Takes back a case handed off to an agency, a credit bureau or a court." },
	{ "policy check", cmd_policy_check, "FILE",
	  "Checks a collection policy (docs/policy.md) without storing it. Every problem\n"
	  "is reported as FILE:LINE:COLUMN: message (exit 2); a valid policy prints a\n"
	  "summary: jurisdictions, stages, campaigns, templates, SMS encodings and parts." },
	{ "policy load", cmd_policy_load, "FILE",
	  "Checks a collection policy exactly as `policy check` does and stores its text\n"
	  "as the next version (1, 2, 3 ...). A policy with any problem is reported as\n"
	  "FILE:LINE:COLUMN: message and not stored (exit 2): the last version stays in force." },
	{ "policy show", cmd_policy_show, "[VERSION]",
	  "Prints a stored policy version (default: the latest) exactly as it was loaded." },
	{ "policy list", cmd_policy_list, "",
	  "Lists the stored policy versions: version, when it was loaded, from which file,\n"
	  "and its size." },
	{ "config check", cmd_config_check, "[FILE]",
	  "Checks the operations file (docs/configuration.md): FILE, else --config, else\n"
	  "$RELANCE_CONFIG, else ./relance.conf. Every problem is reported as\n"
	  "FILE:LINE:COLUMN: message (exit 2); a valid file prints the adapter of each\n"
	  "channel, with secrets shown as (set)." },
	{ "generate", cmd_generate,
	  "DIR [--customers N] [--seed N] [--months N] [--jurisdiction CODE]",
	  "Writes deterministic demo data (customers.csv, accounts.csv, services.csv,\n"
	  "invoices.csv, payments.csv, credit_notes.csv) over the five jurisdictions into\n"
	  "DIR, or all in one (BI, BR, FR, UA or QC) with --jurisdiction. The same\n"
	  "arguments always give the same files." },
	{ "note add", cmd_note_add, "ACCOUNT --author NAME --text TEXT|-",
	  "Appends a note to the customer file of the account's customer, dated --now.\n"
	  "--text - reads the text from standard input. Prints the entry's number.\n"
	  "Notes are never edited or removed: see `relance note correct`." },
	{ "note correct", cmd_note_correct, "ACCOUNT SEQ --author NAME --text TEXT|-",
	  "Appends a correction of entry SEQ of the customer's file (\"corrects entry\n"
	  "SEQ: TEXT\"); the entry corrected stays as it was." },
	{ "user add", cmd_user_add,
	  "NAME (--role agent|supervisor|manager|administrator --password-stdin | "
	  "--customer CUSTOMER_ID | --api)",
	  "Adds a user of `relance serve` (docs/roles.md): staff with a role, whose\n"
	  "password is read from standard input (one line, 10 to 1024 bytes; never on\n"
	  "the command line) and stored only as an argon2id hash; a customer's portal\n"
	  "user; or an API client, which uses tokens. Users are never removed." },
	{ "user passwd", cmd_user_passwd, "NAME --password-stdin",
	  "Replaces a staff user's password with the line read from standard input." },
	{ "user disable", cmd_user_disable, "NAME",
	  "Disables a user at --now, and with them every token of theirs." },
	{ "token add", cmd_token_add, "USER --scopes \"SCOPE ...\"",
	  "Creates an API token for a staff or API user and prints it once on standard\n"
	  "output; only its hash is stored. Scopes: positions:read file:read file:write\n"
	  "ledger:write arrangements:read arrangements:write queues:read queues:write\n"
	  "reports:read policies:read policies:write admin (everything). The token's number goes to standard error." },
	{ "token revoke", cmd_token_revoke, "KEY",
	  "Revokes token number KEY at --now: it is refused from then on." },
	{ "queue list", cmd_queue_list,
	  "[QUEUE] [--mine --by NAME | --unassigned] [--after TASK] [--limit N] [--json]",
	  "Without QUEUE: the agents' work queues with their open and unassigned tasks.\n"
	  "With QUEUE: its open tasks by priority (1 first), then age, a page of N\n"
	  "(default 50) after task TASK (docs/queues.md)." },
	{ "queue take", cmd_queue_take, "TASK --by NAME [--json]",
	  "NAME holds the open task for 30 minutes (again: renewed), so that nobody else\n"
	  "works the account meanwhile. Refused: a task closed, or held by someone else." },
	{ "queue release", cmd_queue_release, "TASK --by NAME [--json]",
	  "The task NAME holds is free again for anyone to take." },
	{ "queue close", cmd_queue_close, "TASK --by NAME --outcome X [--note T] [--json]",
	  "Closes the open task (free, or held by NAME) with outcome X (done, promise,\n"
	  "plan, dispute, no-answer, wrong-number, callback, escalated, not-needed) and\n"
	  "writes it on the customer file by NAME. Refused: held by someone else, closed." },
	{ "contact flag", cmd_contact_flag,
	  "CUSTOMER --kind phone|email --by NAME [--account ACCOUNT] [--note T] [--json]",
	  "Marks the customer's current phone number or e-mail address bad (not used\n"
	  "again until corrected), writes it on the customer file by NAME and puts a\n"
	  "\"fix contact details\" task on queue contact-fix (priority 2), about ACCOUNT\n"
	  "(default: the first account on the customer's file)." },
	{ "voice call", cmd_voice_call,
	  "--to NUMBER (--audio FILE.ul | --tone SECONDS) [--wait-dtmf SECONDS] [--json]",
	  "Places one call through the operations file's SIP trunk (channels.voice,\n"
	  "adapter sip) and plays FILE.ul (8 kHz mu-law) or a test tone; with --wait-dtmf\n"
	  "it waits that long after the message for a digit. Prints the outcome (heard,\n"
	  "hung_up_early, busy, no_answer, bad_number, trunk_failure), the share played,\n"
	  "the digits and the call's transitions (docs/voice.md). Exit 0 when the call\n"
	  "reached an outcome, 1 on a trunk failure, 2 on bad usage or configuration." },
	{ "voice prompt", cmd_voice_prompt,
	  "--locale LOCALE --text TEXT [--out FILE.ul] [--cache DIR] [--law mu|a]",
	  "Says TEXT with the espeak-ng voice of LOCALE (channels.voice.voices, else fr,\n"
	  "pt-br, uk or en) as 8 kHz G.711 (mu-law, or A-law with --law a), through the\n"
	  "prompt cache DIR (default: voice-cache beside the SQLite database), and prints\n"
	  "the voice, the duration, whether the cache had it and its file; --out FILE\n"
	  "writes a copy. The same words are synthesised once (docs/voice.md)." },
	{ "voice say", cmd_voice_say,
	  "--locale LOCALE [--amount A --currency CODE] [--date YYYY-MM-DD] [--accusative]",
	  "Prints the words a call says for an amount or a date in LOCALE's language\n"
	  "(French, Portuguese, Ukrainian; English otherwise): 129.90 BRL is \"cento e\n"
	  "vinte e nove reais e noventa centavos\". --accusative: Ukrainian's object form\n"
	  "(одну гривню)." },
	{ "provision radius", cmd_provision_radius,
	  "--nas HOST[:PORT] --secret-env VAR (--disconnect | --coa) --attr NAME=VALUE... "
	  "[--timeout SECONDS] [--tries N] [--json]",
	  "Sends one RFC 5176 Disconnect-Request or CoA-Request to a NAS (port 3799 by\n"
	  "default) with the attributes given, one of which must name the session\n"
	  "(shared secret read from the environment variable VAR, never from the command\n"
	  "line), resends the same packet after each --timeout (3 s) up to --tries (3)\n"
	  "packets, and prints the answer: ACK (exit 0), NAK with its Error-Cause, or no\n"
	  "valid answer (exit 1) (docs/provisioning-radius.md)." },
	{ "provision webhook", cmd_provision_webhook,
	  "--url URL --secret-env VAR --service ID --level LEVEL [--reason T] [--key K] "
	  "[--identifier X] [--account ID] [--timeout SECONDS] [--retries N] [--backoff-ms MS] [--json]",
	  "POSTs one signed suspension or restoration (LEVEL throttle, walled_garden,\n"
	  "total, or full to restore) to a webhook receiver, with the retries of the\n"
	  "adapter, and prints what the receiver answered. The secret is read from the\n"
	  "environment variable VAR, never from the command line. Exit 0 when applied\n"
	  "(or already applied), 1 when refused or failed (docs/provisioning-webhook.md)." },
	{ "provision genieacs", cmd_provision_genieacs,
	  "--url URL --device ID --set PATH=VALUE[:TYPE]... [--check] [--cr-timeout MS] "
	  "[--timeout SECONDS] [--username U --password-env VAR] [--json]",
	  "Asks a GenieACS northbound API to set the device's parameters with a\n"
	  "connection request, reads them back and prints whether the device confirmed\n"
	  "them; --check only reads back. Exit 0 confirmed, 3 queued because the device\n"
	  "did not answer (not confirmed: --check later), 1 drift, fault, unknown device\n"
	  "or ACS unreachable (docs/provisioning-webhook.md)." },
	{ "reconcile", cmd_reconcile, "[--json]",
	  "Checks every service whose network peer has not confirmed the level relance\n"
	  "wants (a suspension, a restoration): GenieACS reads the device back and sets\n"
	  "it again when it differs; the webhook and RADIUS send the level again. Counts\n"
	  "a try that does not confirm; after 5 the service is alerted (file entry, a task\n"
	  "on queue provisioning). `relance serve` runs it after each cycle\n"
	  "(docs/provisioning.md)." },
	{ "verify", cmd_verify, "",
	  "Checks the hash chain of every customer file and names, for each broken one,\n"
	  "the first entry altered, missing or out of chain (exit 1)." },
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *f)
{
	fprintf(f, "usage: relance [--db URL] [--now RFC3339] [--config FILE] COMMAND [ARGS]\n\n"
		"commands:\n");
	for (size_t i = 0; i < N_COMMANDS; i++)
		fprintf(f, "  %-18s %s\n", commands[i].name, commands[i].usage);
	fprintf(f, "\n--db URL       a SQLite file path or postgresql://... "
		"(default $RELANCE_DB, then relance.db)\n"
		"--now INSTANT  the current instant, RFC 3339 (default $RELANCE_NOW, then the clock)\n"
		"--config FILE  the operations file (default $RELANCE_CONFIG, then relance.conf)\n"
		"--help         this text; `relance COMMAND --help` for one command\n");
}

static int parse_now(struct cmd_ctx *ctx, const char *text, const char *from)
{
	struct tz *utc;

	/* A bare date means local midnight; with no customer in sight the
	 * process's own zone is UTC. */
	if (tz_get("UTC", &utc) != TZ_OK ||
	    tz_parse_when(utc, text, strlen(text), &ctx->now) != TZ_OK)
		return cmd_fail(EXIT_USAGE, "%s: '%s' is not an RFC 3339 instant "
				"(e.g. 2024-07-25T10:00:00Z)", from, text);
	ctx->now_given = 1;
	return 0;
}

int main(int argc, char **argv)
{
	struct cmd_ctx ctx = { 0 };
	const char *now_text = NULL, *env;
	char **rest = calloc((size_t)argc + 1, sizeof(*rest));
	int n_rest = 0, help = 0, status;
	const struct cmd *cmd = NULL;

	if (rest == NULL)
		return cmd_fail(EXIT_RUNTIME, "out of memory");
	ctx.prog = "relance";
	for (int i = 1; i < argc; i++) {
		static const char *const names[] = { "--db", "--now", "--config" };
		const char **slots[] = { &ctx.db_url, &now_text, &ctx.config };
		int matched = 0;

		for (int k = 0; k < 3 && !matched; k++) {
			int r = cmd_option(argc, argv, &i, names[k], slots[k]);

			if (r < 0) {
				free(rest);
				return cmd_fail(EXIT_USAGE, "%s needs a value", names[k]);
			}
			matched = r;
		}
		if (matched)
			continue;
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			help = 1;
		else
			rest[n_rest++] = argv[i];
	}

	if (ctx.db_url == NULL)
		ctx.db_url = (env = getenv("RELANCE_DB")) && *env ? env : "relance.db";
	if (ctx.config == NULL && (env = getenv("RELANCE_CONFIG")) && *env)
		ctx.config = env;
	if (now_text != NULL) {
		if ((status = parse_now(&ctx, now_text, "--now")) != 0)
			goto out;
	} else if ((env = getenv("RELANCE_NOW")) && *env) {
		if ((status = parse_now(&ctx, env, "RELANCE_NOW")) != 0)
			goto out;
	} else {
		ctx.now = (int64_t)time(NULL);
	}

	/* Longest match first: "export positions" before a bare "export". */
	for (size_t i = 0; i < N_COMMANDS && n_rest > 0; i++) {
		const char *name = commands[i].name, *space = strchr(name, ' ');

		if (space == NULL ? strcmp(rest[0], name) == 0 :
		    (n_rest > 1 && strncmp(rest[0], name, (size_t)(space - name)) == 0 &&
		     rest[0][space - name] == '\0' && strcmp(rest[1], space + 1) == 0)) {
			cmd = &commands[i];
			break;
		}
	}
	if (cmd == NULL) {
		if (n_rest == 0 || help) {
			usage(help ? stdout : stderr);
			status = help ? EXIT_OK : EXIT_USAGE;
		} else {
			usage(stderr);
			status = cmd_fail(EXIT_USAGE, "unknown command '%s'", rest[0]);
		}
		goto out;
	}
	if (help) {
		printf("usage: relance %s %s\n\n%s\n", cmd->name, cmd->usage, cmd->help);
		status = EXIT_OK;
		goto out;
	}
	{
		int skip = strchr(cmd->name, ' ') ? 2 : 1;

		status = cmd->run(&ctx, n_rest - skip, rest + skip);
	}
out:
	free(rest);
	if (fflush(stdout) != 0 && status == EXIT_OK)
		status = cmd_fail(EXIT_RUNTIME, "writing the output: %s", strerror(errno));
	return status;
}
