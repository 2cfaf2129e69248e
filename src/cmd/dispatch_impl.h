/*
 * dispatch_impl — what dispatch.c and dispatch_voice.c share: the state of
 * one dispatch and the helpers both finish rows with. Internal to
 * src/cmd/dispatch*.c; everything else uses dispatch.h.
 */
#ifndef RELANCE_DISPATCH_IMPL_H
#define RELANCE_DISPATCH_IMPL_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "../chan/sip/call.h"
#include "../chan/smpp/client.h"
#include "../chan/sms_http.h"
#include "../chan/smtp.h"
#include "dispatch.h"

enum { P_SMS, P_EMAIL, P_VOICE, P_PROV, P_N };

struct peer {
	size_t wave;
	struct smpp_client *smpp;
	struct sms_http *http;
	struct smtp_sender *smtp;
	struct sip_trunk *sip;
	const char *adapter;       /* "smpp", "http", "smtp", "sip" */
	int down;                  /* took nothing of the last wave */
};

/* A queued row: what finishing it and telling the peer need. */
struct item {
	struct outbox_view o;      /* strings in `text` */
	char *text;
	json_t *payload;
};

struct dispatch {
	struct cmd_ctx *ctx;
	struct store *store;
	const char *worker;
	struct peer peers[P_N];
	struct item *items;
	size_t n_items, cap_items;
	struct dispatch_counts n;
	int64_t receipts_seen;
	int bad_after;             /* permanent failures that flag a contact */
	const struct config_sip *sip_cfg;
	struct prov_adapters *prov;     /* provisioning adapters; NULL when none talks to a peer */
	struct dispatch_voice_hooks hooks;
	/* Messages of several parts accepted in this run, by outbox id: how
	 * many parts' receipts are still awaited (-1: already told undelivered).
	 * Open addressing; the file gets one delivery entry per message. */
	struct parts { int64_t outbox_id; int left; } *parts;
	size_t n_parts, cap_parts;
};

/* The string member `name` of o, or NULL. */
const char *dispatch_json_str(json_t *o, const char *name);
/* Peers' state machines tell their transitions on stderr. */
void dispatch_log_line(void *arg, const char *line);
/* Counts a permanent failure of row o's contact, flags it past the
 * operations file's count and puts the contact-fix task, inside the
 * caller's transaction. */
int dispatch_contact_failed(struct dispatch *d, const struct outbox_view *o, json_t *payload);
/* Finishes rows v[0..n) deferred: their peer could not be reached. */
int dispatch_defer_unsent(struct dispatch *d, struct item **v, size_t n);
/* Calls the queued voice rows (dispatch_voice.c). */
int dispatch_flush_voice(struct dispatch *d);
/* Performs the queued provisioning rows (dispatch_prov.c). */
int dispatch_flush_prov(struct dispatch *d);

#endif
