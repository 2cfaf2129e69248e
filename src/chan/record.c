/*
 * record — see record.h. Lines are written by hand into a capped buffer
 * (dynbuf_json_str escapes, the CSV reader's check refuses text that is not
 * UTF-8) and read back with jansson; keys already written are kept in an
 * open-addressing set of strings, one per line of the file.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../core/caltime.h"
#include "../core/csvin.h"
#include "../core/dynbuf.h"
#include "record.h"

/* A record file larger than this is refused at open: it is meant for
 * demos, dry runs and tests, and is read whole into the key set. */
#define RECORD_MAX_BYTES (1u << 30)
/* One line at most (a message text is a few KiB at most). */
#define RECORD_MAX_LINE (1u << 20)

struct record {
	char *path;
	int fd;
	char **keys;          /* open addressing; NULL: empty */
	size_t n_keys, cap_keys;
	size_t lines;
};

static uint64_t hash_key(const char *s)
{
	uint64_t h = 1469598103934665603ull;   /* FNV-1a */

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ull;
	return h;
}

static char **key_slot(char **keys, size_t cap, const char *key)
{
	size_t i = hash_key(key) & (cap - 1);

	while (keys[i] != NULL && strcmp(keys[i], key) != 0)
		i = (i + 1) & (cap - 1);
	return &keys[i];
}

static int key_known(const struct record *r, const char *key)
{
	return r->cap_keys > 0 && *key_slot(r->keys, r->cap_keys, key) != NULL;
}

static int key_add(struct record *r, const char *key)
{
	char **slot;

	if (r->n_keys + 1 > r->cap_keys / 2) {
		size_t cap = r->cap_keys ? r->cap_keys * 2 : 1024;
		char **keys = calloc(cap, sizeof(*keys));

		if (keys == NULL)
			return -1;
		for (size_t i = 0; i < r->cap_keys; i++)
			if (r->keys[i] != NULL)
				*key_slot(keys, cap, r->keys[i]) = r->keys[i];
		free(r->keys);
		r->keys = keys;
		r->cap_keys = cap;
	}
	slot = key_slot(r->keys, r->cap_keys, key);
	if (*slot != NULL)
		return 0;
	if ((*slot = strdup(key)) == NULL)
		return -1;
	r->n_keys++;
	return 0;
}

/* Reads the keys of the lines already in the file. */
static int load_keys(struct record *r, char *err, size_t errsize)
{
	FILE *f = fopen(r->path, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	long lineno = 0;
	off_t whole = 0;   /* end of the last complete line */
	int rc = 0;

	if (f == NULL)
		return errno == ENOENT ? 0 : -1;
	while ((len = getline(&line, &cap, f)) > 0) {
		json_error_t jerr;
		json_t *obj;
		const char *key;

		lineno++;
		if (line[len - 1] != '\n') {
			/* A torn last line (a write cut by a power loss): that action
			 * was not recorded, so it was not performed. Cut it off, so
			 * that the next line starts on a line of its own. */
			if (ftruncate(r->fd, whole) != 0)
				rc = -1;
			break;
		}
		whole += len;
		obj = json_loadb(line, (size_t)len, 0, &jerr);
		key = obj ? json_string_value(json_object_get(obj, "key")) : NULL;
		if (key == NULL) {
			snprintf(err, errsize, "%s:%ld: not a record line (%s)", r->path, lineno,
				 obj ? "no key" : jerr.text);
			json_decref(obj);
			rc = -2;
			break;
		}
		if (key_add(r, key) != 0) {
			json_decref(obj);
			rc = -1;
			break;
		}
		r->lines++;
		json_decref(obj);
	}
	free(line);
	fclose(f);
	return rc;
}

int record_open(const char *path, struct record **out, char *err, size_t errsize)
{
	struct record *r = calloc(1, sizeof(*r));
	int rc;

	*out = NULL;
	if (r == NULL || (r->path = strdup(path)) == NULL) {
		free(r);
		snprintf(err, errsize, "%s: out of memory", path);
		return -1;
	}
	r->fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (r->fd < 0) {
		snprintf(err, errsize, "%s: %s", path, strerror(errno));
		goto fail;
	}
	{
		off_t size = lseek(r->fd, 0, SEEK_END);

		if (size > (off_t)RECORD_MAX_BYTES) {
			snprintf(err, errsize, "%s: larger than 1 GiB: start a new record file", path);
			goto fail;
		}
	}
	rc = load_keys(r, err, errsize);
	if (rc == -1)
		snprintf(err, errsize, "%s: %s", path, errno ? strerror(errno) : "out of memory");
	if (rc != 0)
		goto fail;
	*out = r;
	return 0;
fail:
	record_close(r);
	return -1;
}

void record_close(struct record *r)
{
	if (r == NULL)
		return;
	if (r->fd >= 0)
		close(r->fd);
	for (size_t i = 0; i < r->cap_keys; i++)
		free(r->keys[i]);
	free(r->keys);
	free(r->path);
	free(r);
}

size_t record_count(const struct record *r) { return r->lines; }

/* Appends ,"name":"value" only when the value is present; -1 when the
 * value is not UTF-8. */
static int add_str(struct dynbuf *b, const char *name, const char *value)
{
	if (value == NULL || value[0] == '\0')
		return 0;
	if (!csvin_utf8_valid(value, strlen(value)))
		return -1;
	dynbuf_add(b, ",\"", 2);
	dynbuf_str(b, name);
	dynbuf_add(b, "\":", 2);
	dynbuf_json_str(b, value);
	return 0;
}

/* What the recording adapter answers in place of a real peer. */
static const char *recorded_outcome(const struct chan_action *a)
{
	if (strcmp(a->channel, "voice") == 0)
		return "heard to the end (recorded)";
	if (strcmp(a->channel, "provisioning") == 0)
		return "device converged (recorded)";
	if (strcmp(a->channel, "queue") == 0)
		return "queued (recorded)";
	if (strcmp(a->channel, "handoff") == 0)
		return "handed off (recorded)";
	return "delivered (recorded)";
}

int record_perform(struct record *r, const struct chan_action *a, struct chan_outcome *out)
{
	char at[INSTANT_TEXT_LEN + 1], num[32];
	struct dynbuf b = { .max = RECORD_MAX_LINE };
	ssize_t wrote;
	int bad, rc = -1;

	memset(out, 0, sizeof(*out));
	if (a->key == NULL || a->key[0] == '\0') {
		out->status = CHAN_REFUSED;
		snprintf(out->detail, sizeof(out->detail), "no idempotency key");
		return -1;
	}
	if (key_known(r, a->key)) {
		out->status = CHAN_ALREADY;
		snprintf(out->detail, sizeof(out->detail), "already performed (recorded)");
		return 0;
	}
	/* Written by hand, in SPEC.md's order: a cycle records thousands of
	 * lines, and building a JSON object for each cost more than the rest
	 * of recording. */
	instant_format(a->at, at);
	dynbuf_str(&b, "{\"at\":\"");
	dynbuf_str(&b, at);
	dynbuf_add(&b, "\"", 1);
	/* In this order, each appended after the other. */
	bad = add_str(&b, "channel", a->channel);
	bad |= add_str(&b, "action", a->action);
	bad |= add_str(&b, "account_id", a->account_id);
	bad |= add_str(&b, "customer_id", a->customer_id);
	snprintf(num, sizeof(num), ",\"policy_version\":%lld", (long long)a->policy_version);
	dynbuf_str(&b, num);
	bad |= add_str(&b, "rule", a->rule);
	bad |= add_str(&b, "to", a->to);
	bad |= add_str(&b, "subject", a->subject);
	bad |= add_str(&b, "text", a->text);
	bad |= add_str(&b, "service_id", a->service_id);
	bad |= add_str(&b, "level", a->level);
	bad |= add_str(&b, "target", a->target);
	if (a->priority > 0) {
		snprintf(num, sizeof(num), ",\"priority\":%d", a->priority);
		dynbuf_str(&b, num);
	}
	bad |= add_str(&b, "key", a->key);
	if (bad) {
		/* Never recordable as it is: not worth retrying. */
		out->status = CHAN_REFUSED;
		snprintf(out->detail, sizeof(out->detail), "text not UTF-8");
		goto out;
	}
	dynbuf_add(&b, "}\n", 2);
	if (b.failed) {
		out->status = CHAN_FAILED;
		snprintf(out->detail, sizeof(out->detail), "out of memory or line too long");
		goto out;
	}
	/* One write: with O_APPEND a killed process leaves a whole line or none. */
	wrote = write(r->fd, b.p, b.len);
	if (wrote != (ssize_t)b.len) {
		snprintf(out->detail, sizeof(out->detail), "%s: %s", r->path,
			 wrote < 0 ? strerror(errno) : "short write");
		out->status = CHAN_FAILED;
		goto out;
	}
	if (key_add(r, a->key) != 0) {
		out->status = CHAN_FAILED;
		snprintf(out->detail, sizeof(out->detail), "out of memory");
		goto out;
	}
	r->lines++;
	out->status = CHAN_DONE;
	snprintf(out->detail, sizeof(out->detail), "%s", recorded_outcome(a));
	rc = 0;
out:
	free(b.p);
	return rc;
}
