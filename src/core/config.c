/*
 * config — the operations file to struct config (see config.h,
 * docs/configuration.md).
 *
 * The text is read into a ytree and walked section by section. A channel's
 * keys depend on its adapter, so `adapter` (or a provisioning adapter's
 * `type`) is looked at first and the map is then checked against that
 * adapter's own keys: a key of another adapter is an unknown key here.
 *
 * Secrets: no message below quotes a text value, so a value read from the
 * environment, or a password written out, can never reach a diagnostic.
 * Numbers, booleans and choices are quoted when wrong; they are never read
 * from the environment.
 */
#include <assert.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../chan/provisioning/genieacs.h"
#include "../chan/provisioning/radius.h"
#include "config.h"
#include "tz.h"
#include "validate.h"
#include "ytree.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

struct ctx {
	struct config *cfg;
	struct ytree t;
};

static const char *const sms_adapters[] = { "record", "smpp", "http" };
static const char *const email_adapters[] = { "record", "smtp" };
static const char *const voice_adapters[] = { "record", "sip" };
static const char *const prov_types[] = { "webhook", "genieacs", "radius", "record" };
static const char *const auth_names[] = { "none", "bearer", "basic" };
static const char *const starttls_names[] = { "auto", "always", "never" };
static const char *const transport_names[] = { "udp", "tcp" };
static const char *const level_names[] = { "full", "throttle", "walled_garden", "total" };
static const char *const http_methods[] = { "POST", "PUT" };
static const char *const placeholders[] = { "to", "text", "key", "from" };

const char *config_sms_adapter_name(enum config_sms_adapter a)
{
	assert((size_t)a < COUNT(sms_adapters));
	return sms_adapters[a];
}

const char *config_email_adapter_name(enum config_email_adapter a)
{
	assert((size_t)a < COUNT(email_adapters));
	return email_adapters[a];
}

const char *config_voice_adapter_name(enum config_voice_adapter a)
{
	assert((size_t)a < COUNT(voice_adapters));
	return voice_adapters[a];
}

const char *config_prov_type_name(enum config_prov_type t)
{
	assert((size_t)t < COUNT(prov_types));
	return prov_types[t];
}

/* ---- values --------------------------------------------------------- */

static int env_name_char(char ch, int first)
{
	return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || ch == '_' ||
	       (!first && ch >= '0' && ch <= '9');
}

/*
 * A text value: the scalar as written, or the environment variable it
 * names when it is exactly ${NAME}. NULL after recording why not; the
 * message names the key and the variable, never a value.
 */
static const char *text_of(struct ctx *c, const struct ytree_node *n, const char *what)
{
	const char *s = ytree_str(&c->t, n, what), *env;
	char name[128];
	size_t len;

	if (s == NULL)
		return NULL;
	if (strstr(s, "${") == NULL)
		return s;
	len = n->len;
	if (len < 4 || len - 3 >= sizeof(name) || s[0] != '$' || s[1] != '{' || s[len - 1] != '}')
		goto bad;
	for (size_t i = 2; i < len - 1; i++)
		if (!env_name_char(s[i], i == 2))
			goto bad;
	memcpy(name, s + 2, len - 3);
	name[len - 3] = '\0';
	env = getenv(name);
	if (env == NULL) {
		ytree_diag(&c->t, n, "%s: environment variable %s is not set", what, name);
		return NULL;
	}
	if (*env == '\0') {
		ytree_diag(&c->t, n, "%s: environment variable %s is empty", what, name);
		return NULL;
	}
	s = ytree_strndup(c->t.arena, env, strlen(env));
	if (s == NULL)
		ytree_diag(&c->t, n, "out of memory");
	return s;
bad:
	ytree_diag(&c->t, n, "%s: write ${NAME} alone, NAME made of letters, digits and _, "
		   "to read the value from the environment", what);
	return NULL;
}

/* Text of at most `max` bytes without spaces or control characters. */
static const char *word_of(struct ctx *c, const struct ytree_node *n, const char *what, size_t max)
{
	const char *s = text_of(c, n, what);

	if (s == NULL)
		return NULL;
	if (strlen(s) > max) {
		ytree_diag(&c->t, n, "%s is longer than %zu characters", what, max);
		return NULL;
	}
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f) {
			ytree_diag(&c->t, n, "%s must not hold spaces or control characters", what);
			return NULL;
		}
	return s;
}

/* A host name or address: a word that is not a URL. */
static const char *host_of(struct ctx *c, const struct ytree_node *n, const char *what)
{
	const char *s = word_of(c, n, what, 253);

	if (s != NULL && (strchr(s, '/') != NULL || strchr(s, '@') != NULL)) {
		ytree_diag(&c->t, n, "%s must be a host name or an address, not a URL", what);
		return NULL;
	}
	return s;
}

/* One of names[0..count): its index in *out. */
static int choice_of(struct ctx *c, const struct ytree_node *n, const char *what,
		     const char *const *names, size_t count, int *out)
{
	const char *near;
	char list[160] = "";
	size_t used = 0;

	if (!ytree_want(&c->t, n, YTREE_SCALAR, what))
		return 0;
	for (size_t i = 0; i < count; i++)
		if (strcmp(n->str, names[i]) == 0) {
			*out = (int)i;
			return 1;
		}
	near = ytree_nearest(n->str, names, count);
	if (near != NULL) {
		ytree_diag(&c->t, n, "unknown %s '%s' (did you mean '%s'?)", what, n->str, near);
		return 0;
	}
	for (size_t i = 0; i < count && used < sizeof(list); i++) {
		int w = snprintf(list + used, sizeof(list) - used, "%s%s",
				 i == 0 ? "" : i + 1 == count ? " or " : ", ", names[i]);

		if (w < 0)
			break;
		used += (size_t)w;
	}
	ytree_diag(&c->t, n, "unknown %s '%s' (%s)", what, n->str, list);
	return 0;
}

/*
 * A URL with one of the schemes given and a non-empty host; a port, when
 * written, must be 1 to 65535. The message names the schemes, not the
 * URL, which may carry a password.
 */
static const char *url_of(struct ctx *c, const struct ytree_node *n, const char *what,
			  const char *scheme1, const char *scheme2)
{
	const char *s = word_of(c, n, what, 2048), *host, *end, *at, *colon;
	const char *schemes[2] = { scheme1, scheme2 };
	size_t k;

	if (s == NULL)
		return NULL;
	for (k = 0; k < 2; k++) {
		size_t l = strlen(schemes[k]);

		if (strncmp(s, schemes[k], l) == 0 && strncmp(s + l, "://", 3) == 0)
			break;
	}
	if (k == 2) {
		ytree_diag(&c->t, n, "%s must be a URL starting with %s:// or %s://", what,
			   scheme1, scheme2);
		return NULL;
	}
	host = strstr(s, "://") + 3;
	end = host + strcspn(host, "/?#");
	/* The host starts after the user information, if any. */
	for (at = host; at < end; at++)
		if (*at == '@')
			host = at + 1;
	colon = NULL;
	if (host < end && *host == '[') {
		const char *close = memchr(host, ']', (size_t)(end - host));

		if (close == NULL)
			goto bad_host;
		if (close + 1 < end) {
			if (close[1] != ':')
				goto bad_host;
			colon = close + 1;
		}
	} else {
		colon = memchr(host, ':', (size_t)(end - host));
	}
	if ((colon != NULL ? colon : end) == host)
		goto bad_host;
	if (colon != NULL) {
		long port = 0;

		if (colon + 1 == end || end - colon > 6)
			goto bad_port;
		for (const char *p = colon + 1; p < end; p++) {
			if (*p < '0' || *p > '9')
				goto bad_port;
			port = port * 10 + (*p - '0');
		}
		if (port < 1 || port > 65535)
			goto bad_port;
	}
	return s;
bad_host:
	ytree_diag(&c->t, n, "%s: the URL has no host", what);
	return NULL;
bad_port:
	ytree_diag(&c->t, n, "%s: the URL's port must be a number from 1 to 65535", what);
	return NULL;
}

/* "address" or "Display name <address>". */
static const char *mailbox_of(struct ctx *c, const struct ytree_node *n, const char *what)
{
	const char *s = text_of(c, n, what), *lt, *gt;

	if (s == NULL)
		return NULL;
	lt = strrchr(s, '<');
	gt = strrchr(s, '>');
	if (lt == NULL && gt == NULL && validate_email(s, strlen(s)))
		return s;
	if (lt != NULL && gt != NULL && gt > lt && gt[1] == '\0' &&
	    validate_email(lt + 1, (size_t)(gt - lt - 1)))
		return s;
	ytree_diag(&c->t, n, "%s must be an e-mail address, or a name and <address>", what);
	return NULL;
}

/* The value node of `key` in map n, without checking anything else. */
static const struct ytree_node *peek(const struct ytree_node *map, const char *key)
{
	if (map->kind != YTREE_MAP)
		return NULL;
	for (size_t i = 0; i + 1 < map->n; i += 2)
		if (map->kids[i]->kind == YTREE_SCALAR && strcmp(map->kids[i]->str, key) == 0)
			return map->kids[i + 1];
	return NULL;
}

#define INT(node, key, min, max, out) \
	do { if ((node) != NULL) (void)ytree_int(&c->t, (node), (key), (min), (max), (out)); } while (0)
#define TEXT(node, key, out) \
	do { if ((node) != NULL) (out) = text_of(c, (node), (key)); } while (0)
#define BOOL(node, key, out) \
	do { if ((node) != NULL) (void)ytree_bool(&c->t, (node), (key), (out)); } while (0)

/* ---- channels.sms --------------------------------------------------- */

static void parse_smpp(struct ctx *c, const struct ytree_node *n, struct config_smpp *s)
{
	struct ytree_node *ad, *host, *port, *sid, *pw, *stype, *src, *ston, *snpi, *dton, *dnpi;
	struct ytree_node *rate, *win, *enq, *rmin, *rmax, *reg;
	struct ytree_field f[] = {
		{ "adapter", &ad, 1 }, { "host", &host, 1 }, { "port", &port, 0 },
		{ "system_id", &sid, 1 }, { "password", &pw, 0 }, { "system_type", &stype, 0 },
		{ "source_addr", &src, 0 }, { "source_ton", &ston, 0 }, { "source_npi", &snpi, 0 },
		{ "dest_ton", &dton, 0 }, { "dest_npi", &dnpi, 0 },
		{ "rate_per_second", &rate, 0 }, { "window", &win, 0 },
		{ "enquire_link_s", &enq, 0 }, { "reconnect_min_s", &rmin, 0 },
		{ "reconnect_max_s", &rmax, 0 }, { "registered_delivery", &reg, 0 },
	};
	int ton = -1, npi = -1;

	if (!ytree_fields(&c->t, n, "sms", f, COUNT(f)))
		return;
	if (host)
		s->host = host_of(c, host, "host");
	INT(port, "port", 1, 65535, &s->port);
	/* SMPP 3.4 fixes these lengths (section 4.1.1, bind). */
	if (sid)
		s->system_id = word_of(c, sid, "system_id", 15);
	if (pw && (s->password = text_of(c, pw, "password")) != NULL && strlen(s->password) > 8) {
		ytree_diag(&c->t, pw, "password is longer than the 8 characters SMPP 3.4 allows");
		s->password = NULL;
	}
	if (stype)
		s->system_type = word_of(c, stype, "system_type", 12);
	if (src && (s->source_addr = word_of(c, src, "source_addr", 20)) != NULL) {
		int digits = strspn(s->source_addr, "+0123456789") == strlen(s->source_addr);

		/* An alphanumeric sender is at most 11 characters (3GPP TS 23.040). */
		if (!digits && strlen(s->source_addr) > 11)
			ytree_diag(&c->t, src, "an alphanumeric source_addr is at most 11 characters");
		s->source_ton = digits ? 1 : 5;
		s->source_npi = digits ? 1 : 0;
	}
	INT(ston, "source_ton", 0, 6, &ton);
	INT(snpi, "source_npi", 0, 18, &npi);
	if (ton >= 0)
		s->source_ton = ton;
	if (npi >= 0)
		s->source_npi = npi;
	INT(dton, "dest_ton", 0, 6, &s->dest_ton);
	INT(dnpi, "dest_npi", 0, 18, &s->dest_npi);
	INT(rate, "rate_per_second", 1, 100000, &s->rate_per_second);
	INT(win, "window", 1, 1000, &s->window);
	INT(enq, "enquire_link_s", 1, 3600, &s->enquire_link_s);
	INT(rmin, "reconnect_min_s", 1, 3600, &s->reconnect_min_s);
	INT(rmax, "reconnect_max_s", 1, 86400, &s->reconnect_max_s);
	if (s->reconnect_max_s < s->reconnect_min_s)
		ytree_diag(&c->t, rmax ? rmax : rmin, "reconnect_max_s (%d) is below reconnect_min_s (%d)",
			   s->reconnect_max_s, s->reconnect_min_s);
	BOOL(reg, "registered_delivery", &s->registered_delivery);
}

/*
 * The body template: placeholders {name} among `placeholders`, and JSON
 * once each is replaced by a sample word (so each must sit inside a JSON
 * string, where the sender puts its value escaped).
 */
static void check_body(struct ctx *c, const struct ytree_node *n, const char *body)
{
	size_t len = strlen(body), o = 0;
	char *sample = malloc(len + 1);
	json_error_t jerr;
	json_t *j = NULL;
	int bad = 0;

	if (sample == NULL) {
		ytree_diag(&c->t, n, "out of memory");
		return;
	}
	for (size_t i = 0; i < len; i++) {
		size_t k = i + 1;

		while (k < len && ((body[k] >= 'a' && body[k] <= 'z') || body[k] == '_'))
			k++;
		if (body[i] != '{' || k == i + 1 || k == len || body[k] != '}') {
			sample[o++] = body[i];
			continue;
		}
		{
			char name[32];
			size_t nl = k - i - 1;
			size_t p;

			if (nl >= sizeof(name))
				nl = sizeof(name) - 1;
			memcpy(name, body + i + 1, nl);
			name[nl] = '\0';
			for (p = 0; p < COUNT(placeholders) && strcmp(name, placeholders[p]) != 0; p++)
				;
			if (p == COUNT(placeholders)) {
				const char *near = ytree_nearest(name, placeholders, COUNT(placeholders));

				if (near != NULL)
					ytree_diag(&c->t, n, "body: unknown placeholder {%s} (did you mean {%s}?)",
						   name, near);
				else
					ytree_diag(&c->t, n, "body: unknown placeholder {%s} "
						   "({to}, {text}, {key} or {from})", name);
				bad = 1;
			}
		}
		sample[o++] = 'x';
		i = k;
	}
	sample[o] = '\0';
	if (!bad) {
		j = json_loads(sample, JSON_REJECT_DUPLICATES, &jerr);
		if (j == NULL)
			ytree_diag(&c->t, n, "body is not JSON once its placeholders are filled "
				   "(put each inside a JSON string): %s", jerr.text);
		else if (!json_is_object(j))
			ytree_diag(&c->t, n, "body must be a JSON object");
	}
	json_decref(j);
	free(sample);
}

static void parse_sms_http(struct ctx *c, const struct ytree_node *n, struct config_sms_http *h)
{
	struct ytree_node *ad, *url, *method, *auth, *token, *user, *pw, *body, *from, *tmo, *retries;
	struct ytree_field f[] = {
		{ "adapter", &ad, 1 }, { "url", &url, 1 }, { "method", &method, 0 },
		{ "auth", &auth, 0 }, { "token", &token, 0 }, { "username", &user, 0 },
		{ "password", &pw, 0 }, { "body", &body, 0 }, { "from", &from, 0 },
		{ "timeout_s", &tmo, 0 }, { "retries", &retries, 0 },
	};
	int k, auth_ok = 1;

	if (!ytree_fields(&c->t, n, "sms", f, COUNT(f)))
		return;
	if (url)
		h->url = url_of(c, url, "url", "http", "https");
	if (method && choice_of(c, method, "method", http_methods, COUNT(http_methods), &k))
		h->method = http_methods[k];
	if (auth) {
		auth_ok = choice_of(c, auth, "auth", auth_names, COUNT(auth_names), &k);
		if (auth_ok)
			h->auth = (enum config_http_auth)k;
	}
	TEXT(token, "token", h->token);
	TEXT(user, "username", h->username);
	TEXT(pw, "password", h->password);
	/* With an auth that is not understood, which keys belong is unknown. */
	if (auth_ok) {
		if (h->auth == CONFIG_AUTH_BEARER && token == NULL)
			ytree_diag(&c->t, auth, "auth: bearer needs 'token'");
		if (h->auth == CONFIG_AUTH_BASIC && (user == NULL || pw == NULL))
			ytree_diag(&c->t, auth, "auth: basic needs 'username' and 'password'");
		if (token && h->auth != CONFIG_AUTH_BEARER)
			ytree_diag(&c->t, token, "'token' is for auth: bearer");
		if (user && h->auth != CONFIG_AUTH_BASIC)
			ytree_diag(&c->t, user, "'username' is for auth: basic");
		if (pw && h->auth != CONFIG_AUTH_BASIC)
			ytree_diag(&c->t, pw, "'password' is for auth: basic");
	}
	if (body && (h->body = text_of(c, body, "body")) != NULL)
		check_body(c, body, h->body);
	TEXT(from, "from", h->from);
	INT(tmo, "timeout_s", 1, 600, &h->timeout_s);
	INT(retries, "retries", 0, 10, &h->retries);
}

/* A map `n` whose adapter picks its keys: the adapter's index, or -1. */
static int adapter_of(struct ctx *c, const struct ytree_node *n, const char *what,
		      const char *const *names, size_t count)
{
	const struct ytree_node *ad;
	int k = -1;

	if (!ytree_want(&c->t, n, YTREE_MAP, what))
		return -1;
	ad = peek(n, "adapter");
	if (ad == NULL) {
		ytree_diag(&c->t, n, "%s needs 'adapter'", what);
		return -1;
	}
	if (!choice_of(c, ad, "adapter", names, count, &k))
		return -1;
	return k;
}

/* An adapter with no keys but `adapter` (record). */
static void parse_bare(struct ctx *c, const struct ytree_node *n, const char *what)
{
	struct ytree_node *ad;
	struct ytree_field f[] = { { "adapter", &ad, 1 } };

	(void)ytree_fields(&c->t, n, what, f, COUNT(f));
}

static void parse_sms(struct ctx *c, const struct ytree_node *n)
{
	struct config *cfg = c->cfg;
	int k = adapter_of(c, n, "sms", sms_adapters, COUNT(sms_adapters));

	if (k < 0)
		return;
	cfg->sms.adapter = (enum config_sms_adapter)k;
	switch (cfg->sms.adapter) {
	case CONFIG_SMS_RECORD:
		parse_bare(c, n, "sms");
		break;
	case CONFIG_SMS_SMPP:
		parse_smpp(c, n, &cfg->sms.smpp);
		break;
	case CONFIG_SMS_HTTP:
		parse_sms_http(c, n, &cfg->sms.http);
		break;
	}
}

/* ---- channels.email ------------------------------------------------- */

static void parse_email(struct ctx *c, const struct ytree_node *n)
{
	struct config_smtp *s = &c->cfg->email.smtp;
	struct ytree_node *ad, *url, *from, *user, *pw, *tls, *tmo, *html;
	struct ytree_field f[] = {
		{ "adapter", &ad, 1 }, { "url", &url, 1 }, { "from", &from, 1 },
		{ "username", &user, 0 }, { "password", &pw, 0 }, { "starttls", &tls, 0 },
		{ "timeout_s", &tmo, 0 }, { "html", &html, 0 },
	};
	int k = adapter_of(c, n, "email", email_adapters, COUNT(email_adapters));

	if (k < 0)
		return;
	c->cfg->email.adapter = (enum config_email_adapter)k;
	if (k == CONFIG_EMAIL_RECORD) {
		parse_bare(c, n, "email");
		return;
	}
	if (!ytree_fields(&c->t, n, "email", f, COUNT(f)))
		return;
	if (url)
		s->url = url_of(c, url, "url", "smtp", "smtps");
	if (from)
		s->from = mailbox_of(c, from, "from");
	TEXT(user, "username", s->username);
	TEXT(pw, "password", s->password);
	if (pw && user == NULL)
		ytree_diag(&c->t, pw, "'password' needs 'username'");
	if (tls && choice_of(c, tls, "starttls", starttls_names, COUNT(starttls_names), &k)) {
		s->starttls = (enum config_starttls)k;
		/* smtps:// is TLS from the first byte: there is nothing to upgrade. */
		if (s->url != NULL && strncmp(s->url, "smtps:", 6) == 0)
			ytree_diag(&c->t, tls, "starttls is for smtp:// URLs (smtps:// is TLS from the start)");
	}
	INT(tmo, "timeout_s", 1, 600, &s->timeout_s);
	BOOL(html, "html", &s->html);
}

/* ---- channels.voice ------------------------------------------------- */

static void parse_voices(struct ctx *c, const struct ytree_node *n, struct config_sip *s)
{
	if (!ytree_want(&c->t, n, YTREE_MAP, "voices"))
		return;
	s->voices = ytree_alloc(c->t.arena, (n->n / 2 + 1) * sizeof(*s->voices));
	if (s->voices == NULL) {
		ytree_diag(&c->t, n, "out of memory");
		return;
	}
	for (size_t i = 0; i + 1 < n->n; i += 2) {
		const struct ytree_node *key = n->kids[i], *val = n->kids[i + 1];
		const char *voice;

		if (key->kind != YTREE_SCALAR || !validate_bcp47(key->str, key->len)) {
			ytree_diag(&c->t, key, "a key of voices must be a BCP 47 locale such as fr-FR");
			continue;
		}
		for (size_t k = 0; k < s->n_voices; k++)
			if (strcmp(s->voices[k].locale, key->str) == 0) {
				ytree_diag(&c->t, key, "duplicate locale '%s'", key->str);
				key = NULL;
				break;
			}
		if (key == NULL || (voice = word_of(c, val, "a voice", 64)) == NULL)
			continue;
		s->voices[s->n_voices].locale = key->str;
		s->voices[s->n_voices].voice = voice;
		s->n_voices++;
	}
}

static void parse_voice(struct ctx *c, const struct ytree_node *n)
{
	struct config_sip *s = &c->cfg->voice.sip;
	struct ytree_node *ad, *proxy, *port, *tr, *user, *pw, *from, *maxc, *ring, *voices;
	struct ytree_field f[] = {
		{ "adapter", &ad, 1 }, { "proxy", &proxy, 1 }, { "port", &port, 0 },
		{ "transport", &tr, 0 }, { "username", &user, 0 }, { "password", &pw, 0 },
		{ "from", &from, 0 }, { "max_calls", &maxc, 0 }, { "ring_timeout_s", &ring, 0 },
		{ "voices", &voices, 0 },
	};
	int k = adapter_of(c, n, "voice", voice_adapters, COUNT(voice_adapters));

	if (k < 0)
		return;
	c->cfg->voice.adapter = (enum config_voice_adapter)k;
	if (k == CONFIG_VOICE_RECORD) {
		parse_bare(c, n, "voice");
		return;
	}
	if (!ytree_fields(&c->t, n, "voice", f, COUNT(f)))
		return;
	if (proxy)
		s->proxy = host_of(c, proxy, "proxy");
	INT(port, "port", 1, 65535, &s->port);
	if (tr && choice_of(c, tr, "transport", transport_names, COUNT(transport_names), &k))
		s->transport = (enum config_transport)k;
	TEXT(user, "username", s->username);
	TEXT(pw, "password", s->password);
	if (pw && user == NULL)
		ytree_diag(&c->t, pw, "'password' needs 'username'");
	if (from && (s->from = word_of(c, from, "from", 256)) != NULL &&
	    strncmp(s->from, "sip:", 4) != 0 && strncmp(s->from, "sips:", 5) != 0) {
		ytree_diag(&c->t, from, "from must be a SIP URI (sip:user@host)");
		s->from = NULL;
	}
	INT(maxc, "max_calls", 1, 1000, &s->max_calls);
	INT(ring, "ring_timeout_s", 1, 300, &s->ring_timeout_s);
	if (voices)
		parse_voices(c, voices, s);
}

/* ---- provisioning --------------------------------------------------- */

int config_level_parse(const char *name)
{
	for (int i = 0; i < CONFIG_N_LEVELS; i++)
		if (strcmp(name, level_names[i]) == 0)
			return i;
	return -1;
}

const char *config_level_name(int level)
{
	return level >= 0 && level < CONFIG_N_LEVELS ? level_names[level] : "?";
}

/* radius: {request: coa|disconnect, attributes: {NAME: VALUE, ...}} */
static void parse_radius_level(struct ctx *c, const struct ytree_node *n, const char *name,
			       struct config_prov_level *l)
{
	static const char *const requests[] = { "coa", "disconnect" };
	struct ytree_node *req, *attrs;
	struct ytree_field f[] = { { "request", &req, 1 }, { "attributes", &attrs, 0 } };
	int k;

	req = attrs = NULL;
	if (!ytree_fields(&c->t, n, name, f, COUNT(f)))
		return;
	if (req && choice_of(c, req, "request", requests, COUNT(requests), &k))
		l->disconnect = k == 1;
	if (attrs == NULL || !ytree_want(&c->t, attrs, YTREE_MAP, "attributes"))
		return;
	l->params = ytree_alloc(c->t.arena, (attrs->n / 2 + 1) * sizeof(*l->params));
	if (l->params == NULL) {
		ytree_diag(&c->t, attrs, "out of memory");
		return;
	}
	for (size_t i = 0; i + 1 < attrs->n; i += 2) {
		const struct ytree_node *key = attrs->kids[i], *v = attrs->kids[i + 1];
		struct config_prov_param *p = &l->params[l->n_params];

		if (key->kind != YTREE_SCALAR || radius_attr_find(key->str) == NULL ||
		    !radius_attr_find(key->str)->request_ok) {
			ytree_diag(&c->t, key, "'%s' is not a RADIUS attribute relance sends "
				   "(docs/provisioning-radius.md)", key->kind == YTREE_SCALAR ?
				   key->str : "?");
			continue;
		}
		p->name = key->str;
		if ((p->value = text_of(c, v, key->str)) != NULL)
			l->n_params++;
	}
}

/* genieacs: {parameters: [{path: P, value: V, type: xsd:T}, ...]} */
static void parse_acs_level(struct ctx *c, const struct ytree_node *n, const char *name,
			    struct config_prov_level *l)
{
	struct ytree_node *params;
	struct ytree_field f[] = { { "parameters", &params, 1 } };

	params = NULL;
	if (!ytree_fields(&c->t, n, name, f, COUNT(f)) || params == NULL ||
	    !ytree_want(&c->t, params, YTREE_SEQ, "parameters"))
		return;
	l->params = ytree_alloc(c->t.arena, (params->n + 1) * sizeof(*l->params));
	if (l->params == NULL) {
		ytree_diag(&c->t, params, "out of memory");
		return;
	}
	for (size_t i = 0; i < params->n; i++) {
		struct ytree_node *path, *value, *type;
		struct ytree_field pf[] = { { "path", &path, 1 }, { "value", &value, 1 },
					    { "type", &type, 0 } };
		struct config_prov_param *p = &l->params[l->n_params];

		path = value = type = NULL;
		if (!ytree_fields(&c->t, params->kids[i], "a parameter", pf, COUNT(pf)) ||
		    path == NULL || value == NULL)
			continue;
		p->name = word_of(c, path, "path", 256);
		p->value = text_of(c, value, "value");
		p->type = "xsd:string";
		if (type && (p->type = word_of(c, type, "type", 32)) != NULL &&
		    !genieacs_type_valid(p->type)) {
			ytree_diag(&c->t, type, "'%s' is not an xsd type GenieACS sets "
				   "(xsd:string, xsd:boolean, xsd:unsignedInt ...)", p->type);
			continue;
		}
		if (p->name != NULL && p->value != NULL && p->type != NULL)
			l->n_params++;
	}
}

static void parse_levels(struct ctx *c, const struct ytree_node *n, struct config_prov *p)
{
	struct ytree_node *v[CONFIG_N_LEVELS];
	struct ytree_field f[CONFIG_N_LEVELS];

	for (size_t i = 0; i < CONFIG_N_LEVELS; i++)
		f[i] = (struct ytree_field){ level_names[i], &v[i], 0 };
	if (!ytree_fields(&c->t, n, "levels", f, CONFIG_N_LEVELS))
		return;
	for (size_t i = 0; i < CONFIG_N_LEVELS; i++) {
		if (v[i] == NULL || !ytree_want(&c->t, v[i], YTREE_MAP, level_names[i]))
			continue;
		p->levels[i].given = 1;
		if (p->type == CONFIG_PROV_RADIUS)
			parse_radius_level(c, v[i], level_names[i], &p->levels[i]);
		else
			parse_acs_level(c, v[i], level_names[i], &p->levels[i]);
	}
}

static void parse_prov(struct ctx *c, const struct ytree_node *key, const struct ytree_node *n,
		       struct config_prov *p)
{
	struct ytree_node *type, *url, *host, *port, *secret, *user, *pw, *tmo, *levels, *tries,
		*retries, *identify;
	/* Each type's keys, in the order the documentation gives them. */
	struct ytree_field webhook[] = {
		{ "type", &type, 1 }, { "url", &url, 1 }, { "secret", &secret, 1 },
		{ "timeout_s", &tmo, 0 }, { "retries", &retries, 0 },
	};
	struct ytree_field genieacs[] = {
		{ "type", &type, 1 }, { "url", &url, 1 }, { "username", &user, 0 },
		{ "password", &pw, 0 }, { "timeout_s", &tmo, 0 }, { "levels", &levels, 0 },
	};
	struct ytree_field radius[] = {
		{ "type", &type, 1 }, { "host", &host, 1 }, { "port", &port, 0 },
		{ "secret", &secret, 1 }, { "timeout_s", &tmo, 0 }, { "tries", &tries, 0 },
		{ "identify", &identify, 0 }, { "levels", &levels, 0 },
	};
	struct ytree_field record[] = { { "type", &type, 1 } };
	const struct ytree_node *tn;
	char what[96];
	int k;

	snprintf(what, sizeof(what), "provisioning adapter '%s'", key->str);
	url = host = port = secret = user = pw = tmo = levels = tries = retries = identify = NULL;
	p->name = key->str;
	if (!ytree_want(&c->t, n, YTREE_MAP, what))
		return;
	tn = peek(n, "type");
	if (tn == NULL) {
		ytree_diag(&c->t, n, "%s needs 'type'", what);
		return;
	}
	if (!choice_of(c, tn, "provisioning type", prov_types, COUNT(prov_types), &k))
		return;
	p->type = (enum config_prov_type)k;
	switch (p->type) {
	case CONFIG_PROV_WEBHOOK:
		(void)ytree_fields(&c->t, n, what, webhook, COUNT(webhook));
		break;
	case CONFIG_PROV_GENIEACS:
		(void)ytree_fields(&c->t, n, what, genieacs, COUNT(genieacs));
		break;
	case CONFIG_PROV_RADIUS:
		(void)ytree_fields(&c->t, n, what, radius, COUNT(radius));
		p->port = 3799; /* RFC 5176, Dynamic Authorization */
		break;
	case CONFIG_PROV_RECORD:
		(void)ytree_fields(&c->t, n, what, record, COUNT(record));
		break;
	}
	if (url)
		p->url = url_of(c, url, "url", "http", "https");
	if (host)
		p->host = host_of(c, host, "host");
	INT(port, "port", 1, 65535, &p->port);
	TEXT(secret, "secret", p->secret);
	TEXT(user, "username", p->username);
	TEXT(pw, "password", p->password);
	if (pw && user == NULL)
		ytree_diag(&c->t, pw, "'password' needs 'username'");
	INT(tmo, "timeout_s", 1, 600, &p->timeout_s);
	INT(tries, "tries", 1, 10, &p->tries);
	INT(retries, "retries", 0, 10, &p->retries);
	if (identify && (p->identify = word_of(c, identify, "identify", 64)) != NULL &&
	    (radius_attr_find(p->identify) == NULL ||
	     !radius_attr_find(p->identify)->identifies_session)) {
		ytree_diag(&c->t, identify, "'%s' does not name a session (User-Name, "
			   "Acct-Session-Id, Calling-Station-Id, Framed-IP-Address ...)", p->identify);
		p->identify = NULL;
	}
	if (levels)
		parse_levels(c, levels, p);
}

static void parse_provisioning(struct ctx *c, const struct ytree_node *n)
{
	struct config *cfg = c->cfg;
	struct ytree_node *adapters;
	struct ytree_field f[] = { { "adapters", &adapters, 0 } };

	if (!ytree_fields(&c->t, n, "provisioning", f, COUNT(f)) || adapters == NULL)
		return;
	if (!ytree_want(&c->t, adapters, YTREE_MAP, "adapters"))
		return;
	cfg->provisioning = ytree_alloc(c->t.arena, (adapters->n / 2 + 1) * sizeof(*cfg->provisioning));
	if (cfg->provisioning == NULL) {
		ytree_diag(&c->t, adapters, "out of memory");
		return;
	}
	for (size_t i = 0; i + 1 < adapters->n; i += 2) {
		const struct ytree_node *key = adapters->kids[i];
		struct config_prov *p = &cfg->provisioning[cfg->n_provisioning];

		if (key->kind != YTREE_SCALAR || !validate_id(key->str, key->len) ||
		    strchr(key->str, ' ') != NULL) {
			ytree_diag(&c->t, key, "a provisioning adapter's name must be a word");
			continue;
		}
		for (size_t k = 0; k < cfg->n_provisioning; k++)
			if (strcmp(cfg->provisioning[k].name, key->str) == 0) {
				ytree_diag(&c->t, key, "duplicate provisioning adapter '%s'", key->str);
				key = NULL;
				break;
			}
		if (key == NULL)
			continue;
		p->timeout_s = 10;
		p->tries = 3;
		p->retries = 2;
		p->identify = "User-Name";
		parse_prov(c, key, adapters->kids[i + 1], p);
		cfg->n_provisioning++;
	}
}

/* ---- hand-off parties ----------------------------------------------- */

static const char *const party_names[] = { "agency", "credit_bureau", "notary", "court" };

static void parse_party(struct ctx *c, const struct ytree_node *key, const struct ytree_node *n,
			struct config_party *p)
{
	struct ytree_node *folder = NULL, *webhook = NULL, *token = NULL, *tmo = NULL;
	struct ytree_field f[] = {
		{ "folder", &folder, 0 }, { "webhook", &webhook, 0 }, { "token", &token, 0 },
		{ "timeout_s", &tmo, 0 },
	};
	char what[64];

	snprintf(what, sizeof(what), "party '%s'", key->str);
	p->name = key->str;
	p->timeout_s = 30;
	if (!ytree_fields(&c->t, n, what, f, COUNT(f)))
		return;
	if ((folder == NULL) == (webhook == NULL)) {
		ytree_diag(&c->t, n, "%s needs 'folder' or 'webhook' (one of the two)", what);
		return;
	}
	if (folder)
		p->folder = text_of(c, folder, "folder");
	if (webhook)
		p->webhook = url_of(c, webhook, "webhook", "http", "https");
	if (token && webhook == NULL)
		ytree_diag(&c->t, token, "'token' goes with 'webhook'");
	TEXT(token, "token", p->token);
	INT(tmo, "timeout_s", 1, 600, &p->timeout_s);
}

static void parse_handoffs(struct ctx *c, const struct ytree_node *n)
{
	struct config *cfg = c->cfg;
	struct ytree_node *parties;
	struct ytree_field f[] = { { "parties", &parties, 0 } };

	if (!ytree_fields(&c->t, n, "handoffs", f, COUNT(f)) || parties == NULL)
		return;
	if (!ytree_want(&c->t, parties, YTREE_MAP, "parties"))
		return;
	cfg->parties = ytree_alloc(c->t.arena, (parties->n / 2 + 1) * sizeof(*cfg->parties));
	if (cfg->parties == NULL) {
		ytree_diag(&c->t, parties, "out of memory");
		return;
	}
	for (size_t i = 0; i + 1 < parties->n; i += 2) {
		const struct ytree_node *key = parties->kids[i];
		int k;

		if (!choice_of(c, key, "party", party_names, COUNT(party_names), &k))
			continue;
		for (size_t j = 0; j < cfg->n_parties; j++)
			if (strcmp(cfg->parties[j].name, key->str) == 0) {
				ytree_diag(&c->t, key, "duplicate party '%s'", key->str);
				key = NULL;
				break;
			}
		if (key == NULL)
			continue;
		parse_party(c, key, parties->kids[i + 1], &cfg->parties[cfg->n_parties++]);
	}
}

/* ---- cycles --------------------------------------------------------- */

/* cycles.at: a list of "HH:MM"; cycles.timezone: an IANA zone. */
static void parse_cycles(struct ctx *c, const struct ytree_node *n)
{
	struct ytree_node *at, *zone;
	struct ytree_field f[] = { { "at", &at, 0 }, { "timezone", &zone, 0 } };

	if (!ytree_fields(&c->t, n, "cycles", f, COUNT(f)))
		return;
	TEXT(zone, "timezone", c->cfg->cycles.timezone);
	if (zone && c->cfg->cycles.timezone && !tz_valid(c->cfg->cycles.timezone))
		ytree_diag(&c->t, zone, "timezone '%s' is not an IANA time zone",
			   c->cfg->cycles.timezone);
	if (at == NULL)
		return;
	if (at->kind != YTREE_SEQ || at->n == 0 || at->n > CONFIG_MAX_CYCLE_TIMES) {
		ytree_diag(&c->t, at, "at must be a list of 1 to %d times of day (\"HH:MM\")",
			   CONFIG_MAX_CYCLE_TIMES);
		return;
	}
	for (size_t i = 0; i < at->n; i++) {
		const struct ytree_node *t = at->kids[i];
		int h, m, used = 0, minute;

		if (t->kind != YTREE_SCALAR || sscanf(t->str, "%2d:%2d%n", &h, &m, &used) != 2 ||
		    used != 5 || (size_t)used != strlen(t->str) || h > 23 || m > 59 || h < 0 ||
		    m < 0) {
			ytree_diag(&c->t, t, "'%s' is not a time of day HH:MM (00:00 to 23:59)",
				   t->kind == YTREE_SCALAR ? t->str : "a list or mapping");
			continue;
		}
		minute = h * 60 + m;
		if (c->cfg->cycles.n_at > 0 && minute <= c->cfg->cycles.at[c->cfg->cycles.n_at - 1]) {
			ytree_diag(&c->t, t, "'%s': times go in ascending order, each once", t->str);
			continue;
		}
		c->cfg->cycles.at[c->cfg->cycles.n_at++] = minute;
	}
}

/* ---- the file ------------------------------------------------------- */

static void parse_root(struct ctx *c, const struct ytree_node *root)
{
	struct ytree_node *channels, *contacts, *prov, *handoffs, *sms, *email, *voice, *bad, *attr;
	struct ytree_node *cycles;
	struct ytree_field f[] = {
		{ "channels", &channels, 0 }, { "contacts", &contacts, 0 },
		{ "provisioning", &prov, 0 }, { "handoffs", &handoffs, 0 },
		{ "cycles", &cycles, 0 },
	};
	struct ytree_field fc[] = { { "sms", &sms, 0 }, { "email", &email, 0 }, { "voice", &voice, 0 } };
	struct ytree_field fk[] = {
		{ "bad_after_failures", &bad, 0 }, { "attribution_days", &attr, 0 },
	};

	if (!ytree_fields(&c->t, root, "the configuration", f, COUNT(f)))
		return;
	if (channels && ytree_fields(&c->t, channels, "channels", fc, COUNT(fc))) {
		if (sms)
			parse_sms(c, sms);
		if (email)
			parse_email(c, email);
		if (voice)
			parse_voice(c, voice);
	}
	if (contacts && ytree_fields(&c->t, contacts, "contacts", fk, COUNT(fk))) {
		INT(bad, "bad_after_failures", 1, 100, &c->cfg->contacts.bad_after_failures);
		INT(attr, "attribution_days", 1, 365, &c->cfg->contacts.attribution_days);
	}
	if (prov)
		parse_provisioning(c, prov);
	if (handoffs)
		parse_handoffs(c, handoffs);
	if (cycles)
		parse_cycles(c, cycles);
}

void config_init(struct config *cfg)
{
	assert(cfg != NULL);
	memset(cfg, 0, sizeof(*cfg));
	cfg->sms.smpp.port = 2775;
	cfg->sms.smpp.system_type = "";
	cfg->sms.smpp.dest_ton = 1;
	cfg->sms.smpp.dest_npi = 1;
	cfg->sms.smpp.rate_per_second = 10;
	cfg->sms.smpp.window = 10;
	cfg->sms.smpp.enquire_link_s = 30;
	cfg->sms.smpp.reconnect_min_s = 1;
	cfg->sms.smpp.reconnect_max_s = 60;
	cfg->sms.smpp.registered_delivery = 1;
	cfg->sms.http.method = "POST";
	cfg->sms.http.body = "{\"to\": \"{to}\", \"text\": \"{text}\", \"key\": \"{key}\"}";
	cfg->sms.http.timeout_s = 10;
	cfg->sms.http.retries = 2;
	cfg->email.smtp.timeout_s = 30;
	cfg->voice.sip.port = 5060;
	cfg->voice.sip.max_calls = 4;
	cfg->voice.sip.ring_timeout_s = 30;
	cfg->contacts.bad_after_failures = 3;
	cfg->contacts.attribution_days = 7;
	cfg->cycles.timezone = "UTC";
}

void config_release(struct config *cfg)
{
	if (cfg == NULL)
		return;
	ytree_arena_free(&cfg->arena);
	config_init(cfg);
}

int config_parse(const char *file, const char *text, size_t len, struct config *cfg,
		 config_diag_fn *diag, void *arg)
{
	struct ctx c = { 0 };
	struct ytree_node *root;
	char *src;
	int rc = CONFIG_ERR_INVALID;

	assert(cfg != NULL && file != NULL);
	assert(text != NULL || len == 0);
	config_init(cfg);
	c.cfg = cfg;
	c.t.arena = &cfg->arena;
	c.t.what = "configuration";
	c.t.max_diags = CONFIG_MAX_DIAGS;
	if (len > CONFIG_MAX_SOURCE) {
		ytree_diag_at(&c.t, 1, 1, "the configuration is larger than %u bytes", CONFIG_MAX_SOURCE);
		goto out;
	}
	/* libyaml reads the text as given; a NUL inside is refused by it. */
	src = ytree_strndup(&cfg->arena, text ? text : "", len);
	if (src == NULL) {
		ytree_diag_at(&c.t, 1, 1, "out of memory");
		goto out;
	}
	if (!ytree_read(&c.t, src, len, &root))
		goto out;
	if (root != NULL)
		parse_root(&c, root);
	if (c.t.errors == 0)
		rc = CONFIG_OK;
out:
	if (rc != CONFIG_OK && c.t.errors == 0)
		ytree_diag_at(&c.t, 1, 1, "out of memory");
	ytree_diags_sort(&c.t.diags);
	for (size_t i = 0; diag != NULL && i < c.t.diags.n; i++)
		diag(arg, file, c.t.diags.v[i].line, c.t.diags.v[i].column, c.t.diags.v[i].message);
	ytree_diags_release(&c.t.diags);
	if (rc != CONFIG_OK)
		config_release(cfg);
	return rc;
}

int config_load_file(const char *path, struct config *cfg, config_diag_fn *diag, void *arg)
{
	FILE *f;
	char *buf = NULL;
	size_t n = 0, cap = CONFIG_MAX_SOURCE + 1;
	int rc = CONFIG_ERR_READ, saved;

	assert(path != NULL && cfg != NULL);
	config_init(cfg);
	f = fopen(path, "rb");
	if (f == NULL)
		return CONFIG_ERR_READ;
	/* One byte over the limit is enough to know the file is too large. */
	buf = malloc(cap);
	if (buf == NULL)
		goto out;
	while (n < cap) {
		size_t got = fread(buf + n, 1, cap - n, f);

		if (got == 0)
			break;
		n += got;
	}
	if (ferror(f)) {
		if (errno == 0)
			errno = EIO;
		goto out;
	}
	rc = config_parse(path, buf, n, cfg, diag, arg);
	if (rc == CONFIG_OK)
		cfg->path = path;
out:
	saved = errno;
	free(buf);
	fclose(f);
	errno = saved;
	return rc;
}
