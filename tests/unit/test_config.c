/*
 * config: the operations file parses into its struct with its defaults;
 * each kind of problem is reported at its line and column, all of them;
 * secrets come from the environment and never appear in a message.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/core/config.h"

struct collected {
	char text[8192];
	size_t len;
	int count;
};

static void collect(void *arg, const char *file, int line, int column, const char *message)
{
	struct collected *c = arg;
	int w = snprintf(c->text + c->len, sizeof(c->text) - c->len, "%s:%d:%d: %s\n",
			 file, line, column, message);

	cr_assert(w > 0 && (size_t)w < sizeof(c->text) - c->len);
	c->len += (size_t)w;
	c->count++;
}

/* Parses `yaml` expecting problems; returns them, one "f:L:C: msg" a line. */
static struct collected problems(const char *yaml)
{
	struct collected c = { .len = 0 };
	struct config cfg;
	int rc = config_parse("f", yaml, strlen(yaml), &cfg, collect, &c);

	cr_assert_eq(rc, CONFIG_ERR_INVALID, "parsed: %s", yaml);
	cr_assert_gt(c.count, 0);
	cr_assert_null(cfg.arena);
	return c;
}

/* Parses `yaml` expecting no problem. */
static void parse_ok(const char *yaml, struct config *cfg)
{
	struct collected c = { .len = 0 };
	int rc = config_parse("f", yaml, strlen(yaml), cfg, collect, &c);

	cr_assert_eq(rc, CONFIG_OK, "%s", c.text);
	cr_assert_eq(c.count, 0);
}

#define expect_problems(yaml, want) \
	do { struct collected got_ = problems(yaml); cr_assert_str_eq(got_.text, (want)); } while (0)

static const char good[] =
	"channels:\n"
	"  sms:\n"
	"    adapter: smpp            # smpp | http | record\n"
	"    host: 127.0.0.1\n"
	"    port: 2775\n"
	"    system_id: relance\n"
	"    password: ${SMPP_PASSWORD}\n"
	"    source_addr: RELANCE\n"
	"    rate_per_second: 50\n"
	"    window: 10\n"
	"  email:\n"
	"    adapter: smtp\n"
	"    url: smtp://127.0.0.1:2525\n"
	"    from: \"Service client <recouvrement@example.org>\"\n";

Test(config, good_file)
{
	struct config cfg;

	setenv("SMPP_PASSWORD", "s3cret", 1);
	parse_ok(good, &cfg);
	cr_assert_eq(cfg.sms.adapter, CONFIG_SMS_SMPP);
	cr_assert_str_eq(cfg.sms.smpp.host, "127.0.0.1");
	cr_assert_eq(cfg.sms.smpp.port, 2775);
	cr_assert_str_eq(cfg.sms.smpp.system_id, "relance");
	cr_assert_str_eq(cfg.sms.smpp.password, "s3cret");
	cr_assert_str_eq(cfg.sms.smpp.source_addr, "RELANCE");
	cr_assert_eq(cfg.sms.smpp.source_ton, 5);
	cr_assert_eq(cfg.sms.smpp.source_npi, 0);
	cr_assert_eq(cfg.sms.smpp.dest_ton, 1);
	cr_assert_eq(cfg.sms.smpp.rate_per_second, 50);
	cr_assert_eq(cfg.sms.smpp.window, 10);
	cr_assert_eq(cfg.sms.smpp.enquire_link_s, 30);
	cr_assert_eq(cfg.sms.smpp.registered_delivery, 1);
	cr_assert_eq(cfg.email.adapter, CONFIG_EMAIL_SMTP);
	cr_assert_str_eq(cfg.email.smtp.url, "smtp://127.0.0.1:2525");
	cr_assert_str_eq(cfg.email.smtp.from, "Service client <recouvrement@example.org>");
	cr_assert_eq(cfg.email.smtp.starttls, CONFIG_STARTTLS_AUTO);
	cr_assert_eq(cfg.voice.adapter, CONFIG_VOICE_RECORD);
	cr_assert_eq(cfg.contacts.bad_after_failures, 3);
	cr_assert_eq(cfg.contacts.attribution_days, 7);
	cr_assert_eq(cfg.n_provisioning, 0);
	config_release(&cfg);
	cr_assert_null(cfg.arena);
	cr_assert_eq(cfg.sms.adapter, CONFIG_SMS_RECORD);
}

Test(config, nothing_configured_records)
{
	struct config cfg;

	parse_ok("", &cfg);
	cr_assert_eq(cfg.sms.adapter, CONFIG_SMS_RECORD);
	cr_assert_eq(cfg.email.adapter, CONFIG_EMAIL_RECORD);
	cr_assert_eq(cfg.voice.adapter, CONFIG_VOICE_RECORD);
	config_release(&cfg);
	parse_ok("# only a comment\nchannels: {sms: {adapter: record}}\n", &cfg);
	cr_assert_eq(cfg.sms.adapter, CONFIG_SMS_RECORD);
	config_release(&cfg);
}

Test(config, example_file)
{
	struct collected c = { .len = 0 };
	struct config cfg;

	setenv("SMPP_PASSWORD", "pw1", 1);
	setenv("SMTP_PASSWORD", "pw2", 1);
	setenv("RADIUS_SECRET", "pw3", 1);
	setenv("WEBHOOK_SECRET", "pw4", 1);
	cr_assert_eq(config_load_file("examples/relance.conf", &cfg, collect, &c), CONFIG_OK,
		     "%s", c.text);
	cr_assert_str_eq(cfg.path, "examples/relance.conf");
	cr_assert_eq(cfg.sms.adapter, CONFIG_SMS_SMPP);
	cr_assert_str_eq(cfg.email.smtp.password, "pw2");
	cr_assert_eq(cfg.n_provisioning, 3);
	cr_assert_eq(cfg.provisioning[0].type, CONFIG_PROV_RADIUS);
	cr_assert_str_eq(cfg.provisioning[0].secret, "pw3");
	cr_assert(cfg.provisioning[1].levels[CONFIG_LEVEL_THROTTLE].given);
	config_release(&cfg);
}

Test(config, missing_file)
{
	struct config cfg;

	errno = 0;
	cr_assert_eq(config_load_file("no/such/relance.conf", &cfg, collect, NULL), CONFIG_ERR_READ);
	cr_assert_eq(errno, ENOENT);
	cr_assert_null(cfg.arena);
}

Test(config, unknown_keys_with_suggestions)
{
	expect_problems("channel:\n  sms: {adapter: record}\n",
			"f:1:1: unknown key 'channel' (did you mean 'channels'?)\n");
	expect_problems("channels:\n  sms:\n    adapter: smpp\n    hots: 10.0.0.1\n    system_id: r\n"
			"    windw: 3\n    colour: red\n",
			"f:3:5: sms needs 'host'\n"
			"f:4:5: unknown key 'hots' (did you mean 'host'?)\n"
			"f:6:5: unknown key 'windw' (did you mean 'window'?)\n"
			"f:7:5: unknown key 'colour'\n");
	/* A key of another adapter is unknown to this one. */
	expect_problems("channels:\n  email:\n    adapter: record\n    url: smtp://x\n",
			"f:4:5: unknown key 'url'\n");
}

Test(config, choices)
{
	expect_problems("channels:\n  sms:\n    adapter: smppp\n",
			"f:3:14: unknown adapter 'smppp' (did you mean 'smpp'?)\n");
	expect_problems("channels:\n  voice: {adapter: pigeon}\n",
			"f:2:20: unknown adapter 'pigeon' (record or sip)\n");
	expect_problems("channels:\n  email:\n    adapter: smtp\n    url: smtp://h\n"
			"    from: a@b.org\n    starttls: sometimes\n",
			"f:6:15: unknown starttls 'sometimes' (auto, always or never)\n");
	expect_problems("channels:\n  sms: {host: x}\n", "f:2:8: sms needs 'adapter'\n");
}

Test(config, types_and_ranges)
{
	expect_problems("channels:\n"
			"  sms:\n"
			"    adapter: smpp\n"
			"    host: [a, b]\n"
			"    port: 70000\n"
			"    system_id: relance\n"
			"    rate_per_second: 0\n"
			"    window: lots\n"
			"    registered_delivery: yes\n"
			"    reconnect_min_s: 30\n"
			"    reconnect_max_s: 10\n"
			"contacts:\n"
			"  bad_after_failures: -1\n"
			"  attribution_days: {days: 7}\n",
			"f:4:11: host must be a scalar, not a list\n"
			"f:5:11: port must be between 1 and 65535\n"
			"f:7:22: rate_per_second must be between 1 and 100000\n"
			"f:8:13: window must be a whole number, not 'lots'\n"
			"f:9:26: registered_delivery must be true or false, not 'yes'\n"
			"f:11:22: reconnect_max_s (10) is below reconnect_min_s (30)\n"
			"f:13:23: bad_after_failures must be between 1 and 100\n"
			"f:14:21: attribution_days must be a scalar, not a mapping\n");
	expect_problems("channels: [sms]\n", "f:1:11: channels must be a mapping, not a list\n");
	expect_problems("- a\n", "f:1:1: the configuration must be a mapping, not a list\n");
}

Test(config, urls_and_addresses)
{
	expect_problems("channels:\n"
			"  email:\n"
			"    adapter: smtp\n"
			"    url: http://127.0.0.1:2525\n"
			"    from: nobody\n"
			"    password: x\n",
			"f:4:10: url must be a URL starting with smtp:// or smtps://\n"
			"f:5:11: from must be an e-mail address, or a name and <address>\n"
			"f:6:15: 'password' needs 'username'\n");
	expect_problems("channels:\n  email: {adapter: smtp, url: 'smtp://h:99999', from: a@b.org}\n",
			"f:2:31: url: the URL's port must be a number from 1 to 65535\n");
	expect_problems("channels:\n  email: {adapter: smtp, url: 'smtp:///x', from: a@b.org}\n",
			"f:2:31: url: the URL has no host\n");
	expect_problems("channels:\n  sms: {adapter: smpp, host: 'smpp://h', system_id: r}\n",
			"f:2:30: host must be a host name or an address, not a URL\n");
}

Test(config, http_sms)
{
	struct config cfg;

	parse_ok("channels:\n  sms:\n    adapter: http\n    url: https://sms.example.org/send\n"
		 "    auth: bearer\n    token: abc\n    body: '{\"msisdn\": \"{to}\", \"msg\": \"{text}\"}'\n",
		 &cfg);
	cr_assert_eq(cfg.sms.adapter, CONFIG_SMS_HTTP);
	cr_assert_str_eq(cfg.sms.http.method, "POST");
	cr_assert_eq(cfg.sms.http.auth, CONFIG_AUTH_BEARER);
	cr_assert_str_eq(cfg.sms.http.token, "abc");
	cr_assert_eq(cfg.sms.http.timeout_s, 10);
	cr_assert_eq(cfg.sms.http.retries, 2);
	config_release(&cfg);
	expect_problems("channels:\n  sms:\n    adapter: http\n    url: https://h/\n    auth: basic\n"
			"    token: t\n    body: '{\"to\": \"{too}\"}'\n",
			"f:5:11: auth: basic needs 'username' and 'password'\n"
			"f:6:12: 'token' is for auth: bearer\n"
			"f:7:11: body: unknown placeholder {too} ({to}, {text}, {key} or {from})\n");
	expect_problems("channels:\n  sms:\n    adapter: http\n    url: https://h/\n"
			"    body: '{\"to\": {to}}'\n",
			"f:5:11: body is not JSON once its placeholders are filled (put each inside "
			"a JSON string): invalid token near 'x'\n");
}

Test(config, voice_and_provisioning)
{
	struct config cfg;

	parse_ok("channels:\n"
		 "  voice:\n"
		 "    adapter: sip\n"
		 "    proxy: 127.0.0.1\n"
		 "    transport: tcp\n"
		 "    voices: {fr-FR: fr-fr, pt-BR: pt-br}\n"
		 "provisioning:\n"
		 "  adapters:\n"
		 "    hook: {type: webhook, url: 'https://h/x', secret: s}\n"
		 "    acs:\n"
		 "      type: genieacs\n"
		 "      url: http://127.0.0.1:7557\n"
		 "      levels:\n"
		 "        total:\n"
		 "          parameters:\n"
		 "            - {path: Device.IP.Interface.1.Enable, value: 'false', type: xsd:boolean}\n"
		 "        full:\n"
		 "          parameters: [{path: Device.IP.Interface.1.Enable, value: 'true', type: xsd:boolean}]\n"
		 "    nas:\n"
		 "      type: radius\n"
		 "      host: 10.0.0.1\n"
		 "      secret: s\n"
		 "      levels:\n"
		 "        throttle: {request: coa, attributes: {Mikrotik-Rate-Limit: 256k/256k}}\n"
		 "        total: {request: disconnect}\n",
		 &cfg);
	cr_assert_eq(cfg.voice.sip.port, 5060);
	cr_assert_eq(cfg.voice.sip.transport, CONFIG_TCP);
	cr_assert_eq(cfg.voice.sip.n_voices, 2);
	cr_assert_str_eq(cfg.voice.sip.voices[1].locale, "pt-BR");
	cr_assert_eq(cfg.n_provisioning, 3);
	cr_assert_eq(cfg.provisioning[1].type, CONFIG_PROV_GENIEACS);
	cr_assert(cfg.provisioning[1].levels[CONFIG_LEVEL_TOTAL].given);
	cr_assert_eq(cfg.provisioning[1].levels[CONFIG_LEVEL_TOTAL].n_params, 1);
	cr_assert_str_eq(cfg.provisioning[1].levels[CONFIG_LEVEL_TOTAL].params[0].value, "false");
	cr_assert_str_eq(cfg.provisioning[1].levels[CONFIG_LEVEL_FULL].params[0].type, "xsd:boolean");
	cr_assert_not(cfg.provisioning[1].levels[CONFIG_LEVEL_THROTTLE].given);
	cr_assert_eq(cfg.provisioning[2].port, 3799);
	cr_assert_eq(cfg.provisioning[2].tries, 3);
	cr_assert_str_eq(cfg.provisioning[2].identify, "User-Name");
	cr_assert_str_eq(cfg.provisioning[2].levels[CONFIG_LEVEL_THROTTLE].params[0].name,
			 "Mikrotik-Rate-Limit");
	cr_assert_not(cfg.provisioning[2].levels[CONFIG_LEVEL_THROTTLE].disconnect);
	cr_assert(cfg.provisioning[2].levels[CONFIG_LEVEL_TOTAL].disconnect);
	config_release(&cfg);
	expect_problems("provisioning:\n"
			"  adapters:\n"
			"    hook: {type: webhok, url: 'https://h/'}\n"
			"    nas: {type: radius, host: h, secret: s, url: 'http://x/'}\n"
			"    acs: {type: genieacs, url: 'http://x/', levels: {full: {parameters: []}, totl: b}}\n"
			"    nas2:\n"
			"      type: radius\n"
			"      host: h\n"
			"      secret: s\n"
			"      identify: Filter-Id\n"
			"      levels: {throttle: {request: coa, attributes: {Rate: 1}}, total: {request: kick}}\n"
			"    acs2:\n"
			"      type: genieacs\n"
			"      url: 'http://x/'\n"
			"      levels: {total: {parameters: [{path: a.b, value: 'no', type: xsd:maybe}]}}\n",
			"f:3:18: unknown provisioning type 'webhok' (did you mean 'webhook'?)\n"
			"f:4:45: unknown key 'url'\n"
			"f:5:78: unknown key 'totl' (did you mean 'total'?)\n"
			"f:10:17: 'Filter-Id' does not name a session (User-Name, Acct-Session-Id, "
			"Calling-Station-Id, Framed-IP-Address ...)\n"
			"f:11:54: 'Rate' is not a RADIUS attribute relance sends (docs/provisioning-radius.md)\n"
			"f:11:82: unknown request 'kick' (coa or disconnect)\n"
			"f:15:68: 'xsd:maybe' is not an xsd type GenieACS sets (xsd:string, xsd:boolean, "
			"xsd:unsignedInt ...)\n");
}

Test(config, environment_secrets)
{
	struct config cfg;
	struct collected c;

	unsetenv("RELANCE_TEST_UNSET");
	expect_problems("channels:\n  sms:\n    adapter: smpp\n    host: h\n    system_id: r\n"
			"    password: ${RELANCE_TEST_UNSET}\n",
			"f:6:15: password: environment variable RELANCE_TEST_UNSET is not set\n");
	setenv("RELANCE_TEST_EMPTY", "", 1);
	expect_problems("channels:\n  email: {adapter: smtp, url: 'smtp://h', from: a@b.org, "
			"username: u, password: '${RELANCE_TEST_EMPTY}'}\n",
			"f:2:81: password: environment variable RELANCE_TEST_EMPTY is empty\n");
	expect_problems("channels:\n  email: {adapter: smtp, url: 'smtp://${HOST}:25', from: a@b.org}\n",
			"f:2:31: url: write ${NAME} alone, NAME made of letters, digits and _, "
			"to read the value from the environment\n");

	/* A secret with problems elsewhere, one too long for SMPP: never quoted. */
	setenv("RELANCE_TEST_SECRET", "TOPSECRETVALUE", 1);
	c = problems("channels:\n  sms:\n    adapter: smpp\n    host: h\n    system_id: r\n"
		     "    password: ${RELANCE_TEST_SECRET}\n    port: x\n"
		     "  email: {adapter: smtp, url: '${RELANCE_TEST_SECRET}', from: '${RELANCE_TEST_SECRET}'}\n");
	cr_assert_str_eq(c.text,
			 "f:6:15: password is longer than the 8 characters SMPP 3.4 allows\n"
			 "f:7:11: port must be a whole number, not 'x'\n"
			 "f:8:31: url must be a URL starting with smtp:// or smtps://\n"
			 "f:8:63: from must be an e-mail address, or a name and <address>\n");
	cr_assert_null(strstr(c.text, "TOPSECRET"));

	setenv("RELANCE_TEST_SECRET", "tok-123", 1);
	parse_ok("channels:\n  sms: {adapter: http, url: 'https://h/', auth: bearer, "
		 "token: '${RELANCE_TEST_SECRET}'}\n", &cfg);
	cr_assert_str_eq(cfg.sms.http.token, "tok-123");
	config_release(&cfg);
}

Test(config, yaml_problems)
{
	expect_problems("channels:\n  sms: {adapter: smpp\n", "f:3:1: YAML: did not find expected ',' or '}' while parsing a flow mapping\n");
	expect_problems("a: &x 1\nb: *x\n", "f:2:4: aliases (*x) are not supported: write the value out\n");
	expect_problems("channels: {}\n---\ncontacts: {}\n",
			"f:2:1: a configuration file holds one YAML document\n");
	expect_problems("channels:\n  sms: {adapter: record}\n  sms: {adapter: record}\n",
			"f:3:3: duplicate key 'sms'\n");
}

Test(config, handoff_parties)
{
	struct config cfg;

	setenv("AGENCY_TOKEN", "t0ken", 1);
	parse_ok("handoffs:\n"
		 "  parties:\n"
		 "    court: {folder: /var/lib/relance/court}\n"
		 "    agency: {webhook: \"https://agency.example.org/cases\", token: \"${AGENCY_TOKEN}\","
		 " timeout_s: 5}\n", &cfg);
	cr_assert_eq(cfg.n_parties, 2);
	cr_assert_str_eq(cfg.parties[0].name, "court");
	cr_assert_str_eq(cfg.parties[0].folder, "/var/lib/relance/court");
	cr_assert_null(cfg.parties[0].webhook);
	cr_assert_eq(cfg.parties[0].timeout_s, 30);
	cr_assert_str_eq(cfg.parties[1].webhook, "https://agency.example.org/cases");
	cr_assert_str_eq(cfg.parties[1].token, "t0ken");
	cr_assert_eq(cfg.parties[1].timeout_s, 5);
	config_release(&cfg);

	expect_problems("handoffs:\n  parties:\n    cour: {folder: x}\n",
			"f:3:5: unknown party 'cour' (did you mean 'court'?)\n");
	expect_problems("handoffs:\n  parties:\n    court: {folder: x, webhook: \"http://h/\"}\n",
			"f:3:12: party 'court' needs 'folder' or 'webhook' (one of the two)\n");
	expect_problems("handoffs:\n  parties:\n    court: {folder: x, token: y}\n",
			"f:3:31: 'token' goes with 'webhook'\n");
	expect_problems("handoffs:\n  parties:\n    court: {folder: x}\n    court: {folder: y}\n",
			"f:4:5: duplicate party 'court'\n");
}

Test(config, cycle_times)
{
	struct config cfg;

	parse_ok("cycles:\n  at: [\"02:00\", \"13:30\"]\n  timezone: America/Sao_Paulo\n", &cfg);
	cr_assert_eq(cfg.cycles.n_at, 2);
	cr_assert_eq(cfg.cycles.at[0], 120);
	cr_assert_eq(cfg.cycles.at[1], 13 * 60 + 30);
	cr_assert_str_eq(cfg.cycles.timezone, "America/Sao_Paulo");
	config_release(&cfg);
	parse_ok("contacts:\n  attribution_days: 3\n", &cfg);
	cr_assert_eq(cfg.cycles.n_at, 0);
	cr_assert_str_eq(cfg.cycles.timezone, "UTC");
	config_release(&cfg);
	expect_problems("cycles:\n  at: [\"2:00\", \"24:00\", \"10:00\", \"09:59\", \"10:00x\"]\n",
			"f:2:8: '2:00' is not a time of day HH:MM (00:00 to 23:59)\n"
			"f:2:16: '24:00' is not a time of day HH:MM (00:00 to 23:59)\n"
			"f:2:34: '09:59': times go in ascending order, each once\n"
			"f:2:43: '10:00x' is not a time of day HH:MM (00:00 to 23:59)\n");
	expect_problems("cycles:\n  at: \"02:00\"\n  timezone: Mars/Olympus\n",
			"f:2:7: at must be a list of 1 to 48 times of day (\"HH:MM\")\n"
			"f:3:13: timezone 'Mars/Olympus' is not an IANA time zone\n");
}
