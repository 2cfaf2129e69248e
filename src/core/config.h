/*
 * config — the operations file (docs/configuration.md): which adapter
 * performs each channel, its address, limits and secrets; how contacts are
 * judged; the provisioning adapters. YAML, checked like the policy: every
 * problem is reported with its line and column, never only the first, and
 * a file with any problem is not returned.
 *
 * A text value written exactly `${NAME}` is read from the environment at
 * load; an unset or empty variable is a problem naming the key and the
 * variable. Secret values (passwords, tokens, shared secrets) never appear
 * in a diagnostic, and nothing in this module prints or logs them.
 *
 * Ownership: every string reachable from a struct config lives in its
 * arena, freed by config_release; no pointer into it survives that call.
 * Strings of keys not given are NULL unless a default is documented.
 */
#ifndef RELANCE_CONFIG_H
#define RELANCE_CONFIG_H

#include <stddef.h>

struct ytree_arena;

enum config_sms_adapter { CONFIG_SMS_RECORD, CONFIG_SMS_SMPP, CONFIG_SMS_HTTP };
enum config_email_adapter { CONFIG_EMAIL_RECORD, CONFIG_EMAIL_SMTP };
enum config_voice_adapter { CONFIG_VOICE_RECORD, CONFIG_VOICE_SIP };
enum config_http_auth { CONFIG_AUTH_NONE, CONFIG_AUTH_BEARER, CONFIG_AUTH_BASIC };
enum config_starttls { CONFIG_STARTTLS_AUTO, CONFIG_STARTTLS_ALWAYS, CONFIG_STARTTLS_NEVER };
enum config_transport { CONFIG_UDP, CONFIG_TCP };
enum config_prov_type {
	CONFIG_PROV_WEBHOOK, CONFIG_PROV_GENIEACS, CONFIG_PROV_RADIUS, CONFIG_PROV_RECORD,
};

struct config_smpp {
	const char *host;
	int port;                       /* 1..65535, default 2775 */
	const char *system_id;
	const char *password;           /* secret */
	const char *system_type;        /* default "" */
	const char *source_addr;        /* NULL: the SMSC's default */
	int source_ton, source_npi;     /* default 5/0 for a name, 1/1 for digits */
	int dest_ton, dest_npi;         /* default 1/1: international, E.164 */
	int rate_per_second;            /* > 0, default 10 */
	int window;                     /* > 0, default 10 */
	int enquire_link_s;             /* default 30 */
	int reconnect_min_s;            /* default 1 */
	int reconnect_max_s;            /* >= reconnect_min_s, default 60 */
	int registered_delivery;        /* default 1: ask for delivery receipts */
};

struct config_sms_http {
	const char *url;                /* http:// or https:// */
	const char *method;             /* POST (default) or PUT */
	enum config_http_auth auth;
	const char *token;              /* secret, auth: bearer */
	const char *username;           /* auth: basic */
	const char *password;           /* secret, auth: basic */
	const char *body;               /* JSON with {to} {text} {key} {from} */
	const char *from;               /* for {from}; NULL: "" */
	int timeout_s;                  /* default 10 */
	int retries;                    /* default 2 */
};

struct config_smtp {
	const char *url;                /* smtp:// or smtps:// */
	const char *from;               /* "Name <address>" or an address */
	const char *username;
	const char *password;           /* secret */
	enum config_starttls starttls;  /* default auto */
	int timeout_s;                  /* default 30 */
	int html;                       /* default 0: text/plain only */
};

struct config_voice_name {
	const char *locale;             /* BCP 47 */
	const char *voice;              /* an espeak-ng voice name */
};

struct config_sip {
	const char *proxy;
	int port;                       /* default 5060 */
	enum config_transport transport; /* default udp */
	const char *username;
	const char *password;           /* secret */
	const char *from;               /* a SIP URI; NULL: sip:USERNAME@PROXY */
	int max_calls;                  /* default 4 */
	int ring_timeout_s;             /* default 30 */
	struct config_voice_name *voices;
	size_t n_voices;
};

/* The levels an adapter applies: a restoration's, then the policy's
 * suspension levels shallowest first (policy.h), so that CONFIG_LEVEL_OF
 * maps one to the other. */
enum { CONFIG_LEVEL_FULL, CONFIG_LEVEL_THROTTLE, CONFIG_LEVEL_WALLED_GARDEN, CONFIG_LEVEL_TOTAL,
       CONFIG_N_LEVELS };
#define CONFIG_LEVEL_OF(policy_level) ((int)(policy_level) + 1)
/* "full", "throttle", "walled_garden", "total"; -1 for another name. */
int config_level_parse(const char *name);
const char *config_level_name(int level);

/* One thing a level sets: a RADIUS attribute and its value (type NULL), or
 * a GenieACS parameter with its value and xsd type. */
struct config_prov_param {
	const char *name, *value, *type;
};

/* What an adapter sends for one level (docs/provisioning.md). */
struct config_prov_level {
	int given;                      /* the operations file names this level */
	int disconnect;                 /* radius: Disconnect-Request; else CoA-Request */
	struct config_prov_param *params;
	size_t n_params;
};

#define CONFIG_MAX_CYCLE_TIMES 48

struct config_prov {
	const char *name;               /* the key under provisioning.adapters */
	enum config_prov_type type;
	const char *url;                /* webhook, genieacs */
	const char *host;               /* radius */
	int port;                       /* radius, default 3799 */
	const char *secret;             /* secret: webhook, radius */
	const char *username;           /* genieacs */
	const char *password;           /* secret: genieacs */
	int timeout_s;                  /* default 10 */
	int tries;                      /* radius: packets sent before "no answer", default 3 */
	int retries;                    /* webhook: tries after the first, default 2 */
	const char *identify;           /* radius: the attribute that carries the service's
					 * identifier, default User-Name */
	struct config_prov_level levels[CONFIG_N_LEVELS]; /* genieacs, radius */
};

/* Where `relance handoff export` delivers one party's files
 * (handoffs.parties.NAME): a folder, or a webhook that is POSTed each file. */
struct config_party {
	const char *name;               /* agency, credit_bureau, notary, court */
	const char *folder;             /* NULL: webhook */
	const char *webhook;            /* http:// or https://; NULL: folder */
	const char *token;              /* secret, optional: Authorization: Bearer */
	int timeout_s;                  /* default 30 */
};

struct config {
	const char *path;               /* the file read; NULL: nothing configured */
	struct {
		enum config_sms_adapter adapter;    /* default record */
		struct config_smpp smpp;
		struct config_sms_http http;
	} sms;
	struct {
		enum config_email_adapter adapter;  /* default record */
		struct config_smtp smtp;
	} email;
	struct {
		enum config_voice_adapter adapter;  /* default record */
		struct config_sip sip;
	} voice;
	struct {
		int bad_after_failures;     /* default 3 */
		int attribution_days;       /* default 7 */
	} contacts;
	struct config_prov *provisioning;
	size_t n_provisioning;
	struct config_party *parties;
	size_t n_parties;
	struct {
		/* `relance serve` runs a cycle at each of these times of day
		 * (minutes after midnight, ascending, no repeat), in timezone. */
		int at[CONFIG_MAX_CYCLE_TIMES];
		size_t n_at;
		const char *timezone;       /* IANA; default "UTC" */
	} cycles;
	struct ytree_arena *arena;
};

#define CONFIG_MAX_SOURCE (1u << 20)
#define CONFIG_MAX_DIAGS 1000

enum { CONFIG_OK = 0, CONFIG_ERR_READ = -1, CONFIG_ERR_INVALID = -2 };

/* Receives one problem: the file's name as given, 1-based line and column,
 * and a message that never holds a secret. */
typedef void config_diag_fn(void *arg, const char *file, int line, int column,
			    const char *message);

/* The configuration when there is no operations file: every channel
 * records, contacts by their defaults. Owns nothing; config_release is
 * harmless on it. */
void config_init(struct config *cfg);

/*
 * Parses text[0..len) (`file` names it in diagnostics). Returns CONFIG_OK
 * with *cfg filled, or CONFIG_ERR_INVALID after calling diag (may be NULL)
 * once per problem in the order of the text (at most CONFIG_MAX_DIAGS);
 * *cfg is then config_init's and owns nothing. The environment is read for
 * ${NAME} values.
 */
int config_parse(const char *file, const char *text, size_t len, struct config *cfg,
		 config_diag_fn *diag, void *arg);

/*
 * Reads and parses the file at `path`. CONFIG_ERR_READ when it cannot be
 * read (errno says why; diag is not called), else as config_parse;
 * cfg->path is `path` (borrowed: it must outlive cfg).
 */
int config_load_file(const char *path, struct config *cfg, config_diag_fn *diag, void *arg);

/* Frees what cfg owns and leaves it as config_init's. */
void config_release(struct config *cfg);

const char *config_sms_adapter_name(enum config_sms_adapter a);
const char *config_email_adapter_name(enum config_email_adapter a);
const char *config_voice_adapter_name(enum config_voice_adapter a);
const char *config_prov_type_name(enum config_prov_type t);

#endif
