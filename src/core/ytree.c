/*
 * ytree — YAML text to a tree of nodes with marks, and the shared checks
 * (see ytree.h).
 *
 * libyaml's event API builds the tree; the callers then walk it against
 * the schema written out in their own functions and record a diagnostic
 * for each problem instead of stopping. libcyaml's schema loader was the
 * other choice: it stops at the first problem, and its log callback gives
 * neither a column nor a way to suggest the key that was meant.
 */
#include <assert.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "msgtpl.h"
#include "ytree.h"

#define ARENA_BLOCK 16384

struct ytree_arena {
	struct ytree_arena *next;
	size_t used, size;
	_Alignas(max_align_t) unsigned char data[];
};

/* ---- arena ---------------------------------------------------------- */

void *ytree_alloc(struct ytree_arena **head, size_t size)
{
	struct ytree_arena *a = *head;
	size_t align = _Alignof(max_align_t);

	size = (size + align - 1) / align * align;
	if (size == 0)
		size = align;
	if (a == NULL || a->size - a->used < size) {
		size_t cap = size > ARENA_BLOCK ? size : ARENA_BLOCK;

		a = malloc(sizeof(*a) + cap);
		if (a == NULL)
			return NULL;
		a->size = cap;
		a->used = 0;
		a->next = *head;
		*head = a;
	}
	a->used += size;
	memset(a->data + a->used - size, 0, size);
	return a->data + a->used - size;
}

char *ytree_strndup(struct ytree_arena **head, const char *s, size_t n)
{
	char *d = ytree_alloc(head, n + 1);

	if (d != NULL) {
		memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

void ytree_arena_free(struct ytree_arena **head)
{
	struct ytree_arena *a;

	while ((a = *head) != NULL) {
		*head = a->next;
		free(a);
	}
}

/* ---- diagnostics ---------------------------------------------------- */

void ytree_diag_at(struct ytree *t, int line, int column, const char *fmt, ...)
{
	struct ytree_diags *d = &t->diags;
	char buf[512];
	va_list ap;

	t->errors++;
	if (d->n >= t->max_diags)
		return;
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 16;
		struct ytree_diag *v = realloc(d->v, cap * sizeof(*v));

		if (v == NULL)
			return;
		d->v = v;
		d->cap = cap;
	}
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	d->v[d->n].message = strdup(buf);
	if (d->v[d->n].message == NULL)
		return;
	d->v[d->n].line = line;
	d->v[d->n].column = column;
	d->n++;
}

void ytree_diags_release(struct ytree_diags *d)
{
	for (size_t i = 0; i < d->n; i++)
		free(d->v[i].message);
	free(d->v);
	d->v = NULL;
	d->n = d->cap = 0;
}

static int cmp_diag(const void *a, const void *b)
{
	const struct ytree_diag *x = a, *y = b;

	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	if (x->column != y->column)
		return x->column < y->column ? -1 : 1;
	return strcmp(x->message, y->message);
}

void ytree_diags_sort(struct ytree_diags *d)
{
	if (d->n > 1)
		qsort(d->v, d->n, sizeof(*d->v), cmp_diag);
}

/* ---- YAML tree ------------------------------------------------------ */

static struct ytree_node *new_node(struct ytree *t, enum ytree_kind kind, const yaml_mark_t *m)
{
	struct ytree_node *n;

	if (++t->nodes > YTREE_MAX_NODES)
		return NULL;
	n = ytree_alloc(t->arena, sizeof(*n));
	if (n == NULL)
		return NULL;
	n->kind = kind;
	n->line = (int)m->line + 1;
	n->column = (int)m->column + 1;
	return n;
}

static int add_kid(struct ytree *t, struct ytree_node *parent, struct ytree_node *kid, size_t *cap)
{
	if (parent->n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 8;
		struct ytree_node **v = ytree_alloc(t->arena, ncap * sizeof(*v));

		if (v == NULL)
			return -1;
		if (parent->n)
			memcpy(v, parent->kids, parent->n * sizeof(*v));
		parent->kids = v;
		*cap = ncap;
	}
	parent->kids[parent->n++] = kid;
	return 0;
}

static void parser_diag(struct ytree *t, yaml_parser_t *y)
{
	const yaml_mark_t *m = y->problem ? &y->problem_mark : &y->mark;

	if (y->error == YAML_MEMORY_ERROR)
		ytree_diag_at(t, 1, 1, "out of memory");
	else
		ytree_diag_at(t, (int)m->line + 1, (int)m->column + 1, "YAML: %s%s%s",
			      y->problem ? y->problem : "syntax error",
			      y->context ? " " : "", y->context ? y->context : "");
}

/*
 * Reads one node whose first event is *ev (consumed). Returns the node, or
 * NULL after recording why.
 */
static struct ytree_node *read_node(struct ytree *t, yaml_parser_t *y, yaml_event_t *ev, int depth)
{
	struct ytree_node *n = NULL;
	size_t cap = 0;

	if (depth > YTREE_MAX_DEPTH) {
		ytree_diag_at(t, (int)ev->start_mark.line + 1, (int)ev->start_mark.column + 1,
			      "nested more than %d levels deep", YTREE_MAX_DEPTH);
		return NULL;
	}
	switch (ev->type) {
	case YAML_ALIAS_EVENT:
		ytree_diag_at(t, (int)ev->start_mark.line + 1, (int)ev->start_mark.column + 1,
			      "aliases (*%s) are not supported: write the value out",
			      (const char *)ev->data.alias.anchor);
		return NULL;
	case YAML_SCALAR_EVENT:
		n = new_node(t, YTREE_SCALAR, &ev->start_mark);
		if (n == NULL)
			goto too_big;
		n->str = ytree_strndup(t->arena, (const char *)ev->data.scalar.value,
				       ev->data.scalar.length);
		if (n->str == NULL)
			goto too_big;
		n->len = ev->data.scalar.length;
		return n;
	case YAML_MAPPING_START_EVENT:
	case YAML_SEQUENCE_START_EVENT: {
		yaml_event_type_t end = ev->type == YAML_MAPPING_START_EVENT ?
			YAML_MAPPING_END_EVENT : YAML_SEQUENCE_END_EVENT;

		n = new_node(t, ev->type == YAML_MAPPING_START_EVENT ? YTREE_MAP : YTREE_SEQ,
			     &ev->start_mark);
		if (n == NULL)
			goto too_big;
		for (;;) {
			yaml_event_t kev;
			struct ytree_node *kid;
			int done;

			if (!yaml_parser_parse(y, &kev)) {
				parser_diag(t, y);
				return NULL;
			}
			done = kev.type == end;
			kid = done ? NULL : read_node(t, y, &kev, depth + 1);
			yaml_event_delete(&kev);
			if (done)
				return n;
			if (kid == NULL || add_kid(t, n, kid, &cap) != 0)
				return NULL;
		}
	}
	default:
		ytree_diag_at(t, (int)ev->start_mark.line + 1, (int)ev->start_mark.column + 1,
			      "unexpected YAML event");
		return NULL;
	}
too_big:
	ytree_diag_at(t, (int)ev->start_mark.line + 1, (int)ev->start_mark.column + 1,
		      "the %s is too large", t->what);
	return NULL;
}

int ytree_read(struct ytree *t, const char *text, size_t len, struct ytree_node **root)
{
	yaml_parser_t y;
	yaml_event_t ev;
	int state = 0; /* 0 before the document's node, 1 after it */
	int ok = 0;

	assert(t->arena != NULL && t->what != NULL);
	*root = NULL;
	if (!yaml_parser_initialize(&y)) {
		ytree_diag_at(t, 1, 1, "out of memory");
		return 0;
	}
	yaml_parser_set_input_string(&y, (const unsigned char *)text, len);
	for (;;) {
		int stop = 0;

		if (!yaml_parser_parse(&y, &ev)) {
			parser_diag(t, &y);
			goto out;
		}
		switch (ev.type) {
		case YAML_STREAM_START_EVENT:
		case YAML_DOCUMENT_END_EVENT:
			break;
		case YAML_DOCUMENT_START_EVENT:
			if (state == 1) {
				ytree_diag_at(t, (int)ev.start_mark.line + 1,
					      (int)ev.start_mark.column + 1,
					      "a %s file holds one YAML document", t->what);
				stop = 1;
			}
			break;
		case YAML_STREAM_END_EVENT:
			ok = 1;
			stop = 1;
			break;
		default:
			*root = read_node(t, &y, &ev, 0);
			state = 1;
			if (*root == NULL)
				stop = 1;
			break;
		}
		yaml_event_delete(&ev);
		if (stop)
			break;
	}
out:
	yaml_parser_delete(&y);
	if (!ok)
		*root = NULL;
	return ok;
}

/* ---- checks --------------------------------------------------------- */

const char *ytree_kind_name(enum ytree_kind k)
{
	return k == YTREE_MAP ? "a mapping" : k == YTREE_SEQ ? "a list" : "a scalar";
}

int ytree_want(struct ytree *t, const struct ytree_node *n, enum ytree_kind k, const char *what)
{
	if (n->kind == k)
		return 1;
	ytree_diag(t, n, "%s must be %s, not %s", what, ytree_kind_name(k),
		   ytree_kind_name(n->kind));
	return 0;
}

const char *ytree_nearest(const char *key, const char *const *names, size_t n)
{
	const char *best = NULL;
	int best_d = 3;

	for (size_t i = 0; i < n; i++) {
		int d = msgtpl_distance(key, names[i]);
		size_t kl = strlen(key);

		/* One edit in a three-letter key is another word, not a typo. */
		if (d < best_d && (kl > 3 || d < 1)) {
			best_d = d;
			best = names[i];
		}
	}
	return best;
}

void ytree_unknown(struct ytree *t, const struct ytree_node *k, const char *what,
		   const char *const *names, size_t n)
{
	const char *near = ytree_nearest(k->str, names, n);

	if (near != NULL)
		ytree_diag(t, k, "unknown %s '%s' (did you mean '%s'?)", what, k->str, near);
	else
		ytree_diag(t, k, "unknown %s '%s'", what, k->str);
}

int ytree_fields(struct ytree *t, const struct ytree_node *map, const char *what,
		 struct ytree_field *f, size_t nf)
{
	const char *names[YTREE_MAX_FIELDS];

	assert(nf <= YTREE_MAX_FIELDS);
	for (size_t i = 0; i < nf; i++) {
		*f[i].slot = NULL;
		names[i] = f[i].key;
	}
	if (!ytree_want(t, map, YTREE_MAP, what))
		return 0;
	for (size_t i = 0; i + 1 < map->n; i += 2) {
		const struct ytree_node *k = map->kids[i];
		size_t j;

		if (k->kind != YTREE_SCALAR) {
			ytree_diag(t, k, "a key of %s must be a scalar", what);
			continue;
		}
		for (j = 0; j < nf && strcmp(f[j].key, k->str) != 0; j++)
			;
		if (j == nf) {
			ytree_unknown(t, k, "key", names, nf);
			continue;
		}
		if (*f[j].slot != NULL) {
			ytree_diag(t, k, "duplicate key '%s'", k->str);
			continue;
		}
		*f[j].slot = map->kids[i + 1];
	}
	for (size_t i = 0; i < nf; i++)
		if (f[i].required && *f[i].slot == NULL)
			ytree_diag(t, map, "%s needs '%s'", what, f[i].key);
	return 1;
}

const char *ytree_str(struct ytree *t, const struct ytree_node *n, const char *what)
{
	if (!ytree_want(t, n, YTREE_SCALAR, what))
		return NULL;
	if (n->len == 0) {
		ytree_diag(t, n, "%s must not be empty", what);
		return NULL;
	}
	return n->str;
}

int ytree_int(struct ytree *t, const struct ytree_node *n, const char *what, int min, int max,
	      int *out)
{
	long long v = 0;
	size_t i = 0;

	if (!ytree_want(t, n, YTREE_SCALAR, what))
		return 0;
	if (n->len > 0 && n->str[0] == '-')
		i = 1;
	if (i == n->len)
		goto bad;
	for (; i < n->len; i++) {
		if (n->str[i] < '0' || n->str[i] > '9')
			goto bad;
		v = v * 10 + (n->str[i] - '0');
		if (v > 1000000000)
			goto range;
	}
	if (n->str[0] == '-')
		v = -v;
	if (v < min || v > max)
		goto range;
	*out = (int)v;
	return 1;
bad:
	ytree_diag(t, n, "%s must be a whole number, not '%s'", what, n->str);
	return 0;
range:
	ytree_diag(t, n, "%s must be between %d and %d", what, min, max);
	return 0;
}

int ytree_bool(struct ytree *t, const struct ytree_node *n, const char *what, int *out)
{
	if (!ytree_want(t, n, YTREE_SCALAR, what))
		return 0;
	if (strcmp(n->str, "true") == 0) {
		*out = 1;
		return 1;
	}
	if (strcmp(n->str, "false") == 0) {
		*out = 0;
		return 1;
	}
	ytree_diag(t, n, "%s must be true or false, not '%s'", what, n->str);
	return 0;
}
