/*
 * record — see record.h. Lines are built with jansson (escaping and UTF-8
 * checks are its job); keys already written are kept in an open-addressing
 * set of strings, one per line of the file.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../core/caltime.h"
#include "record.h"

/* A record file larger than this is refused at open: it is meant for
 * demos, dry runs and tests, and is read whole into the key set. */
#define RECORD_MAX_BYTES (1u << 30)

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

/* Sets a string member only when the value is present. */
static int set_str(json_t *obj, const char *name, const char *value)
{
	if (value == NULL || value[0] == '\0')
		return 0;
	return json_object_set_new(obj, name, json_string(value));
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
	char at[INSTANT_TEXT_LEN + 1];
	json_t *obj = NULL;
	char *text = NULL;
	size_t len;
	ssize_t wrote;
	int rc = -1;

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
	instant_format(a->at, at);
	obj = json_object();
	if (obj == NULL ||
	    json_object_set_new(obj, "at", json_string(at)) != 0 ||
	    set_str(obj, "channel", a->channel) != 0 ||
	    set_str(obj, "action", a->action) != 0 ||
	    set_str(obj, "account_id", a->account_id) != 0 ||
	    set_str(obj, "customer_id", a->customer_id) != 0 ||
	    json_object_set_new(obj, "policy_version", json_integer(a->policy_version)) != 0 ||
	    set_str(obj, "rule", a->rule) != 0 ||
	    set_str(obj, "to", a->to) != 0 ||
	    set_str(obj, "subject", a->subject) != 0 ||
	    set_str(obj, "text", a->text) != 0 ||
	    set_str(obj, "service_id", a->service_id) != 0 ||
	    set_str(obj, "level", a->level) != 0 ||
	    set_str(obj, "target", a->target) != 0 ||
	    (a->priority > 0 && json_object_set_new(obj, "priority", json_integer(a->priority)) != 0) ||
	    set_str(obj, "key", a->key) != 0) {
		snprintf(out->detail, sizeof(out->detail), "out of memory or text not UTF-8");
		goto out;
	}
	text = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (text == NULL) {
		snprintf(out->detail, sizeof(out->detail), "out of memory");
		goto out;
	}
	len = strlen(text);
	text[len] = '\n';   /* json_dumps leaves room: the terminator is overwritten */
	/* One write: with O_APPEND a killed process leaves a whole line or none. */
	wrote = write(r->fd, text, len + 1);
	if (wrote != (ssize_t)(len + 1)) {
		snprintf(out->detail, sizeof(out->detail), "%s: %s", r->path,
			 wrote < 0 ? strerror(errno) : "short write");
		out->status = CHAN_FAILED;
		goto out;
	}
	if (key_add(r, a->key) != 0) {
		snprintf(out->detail, sizeof(out->detail), "out of memory");
		goto out;
	}
	r->lines++;
	out->status = CHAN_DONE;
	snprintf(out->detail, sizeof(out->detail), "%s", recorded_outcome(a));
	rc = 0;
out:
	free(text);
	json_decref(obj);
	return rc;
}
