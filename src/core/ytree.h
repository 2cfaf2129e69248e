/*
 * ytree — a YAML document read into a small tree of maps, lists and
 * scalars that keep their line and column, and the checks every YAML file
 * of relance shares (the collection policy, the operations file): a map
 * against its known keys with "did you mean", scalars as text, whole
 * numbers and booleans, and diagnostics collected as LINE:COLUMN: message.
 *
 * YAML types are not resolved: every scalar is text, and the caller says
 * how each key's text is read. Aliases are refused (they let a small file
 * expand into a huge tree); nesting and node count are bounded.
 *
 * Ownership: nodes and their text live in an arena (struct ytree_arena, a
 * list of blocks) that the caller owns and frees with ytree_arena_free;
 * no node survives that call. Diagnostics are malloc'ed and owned by the
 * struct ytree_diags they sit in (ytree_diags_release).
 */
#ifndef RELANCE_YTREE_H
#define RELANCE_YTREE_H

#include <stddef.h>

/* ---- arena ---------------------------------------------------------- */

struct ytree_arena;

/* Zeroed memory aligned for any type from the arena *a (NULL: a new one is
 * started). Returns NULL when out of memory. */
void *ytree_alloc(struct ytree_arena **a, size_t size);
/* A NUL-terminated copy of s[0..n) in the arena, or NULL. */
char *ytree_strndup(struct ytree_arena **a, const char *s, size_t n);
/* Frees every block and sets *a to NULL. */
void ytree_arena_free(struct ytree_arena **a);

/* ---- diagnostics ---------------------------------------------------- */

struct ytree_diag {
	int line, column;       /* 1-based */
	char *message;
};

struct ytree_diags {
	struct ytree_diag *v;
	size_t n, cap;
};

/* Sorts by line, column, then message: the order of the text. */
void ytree_diags_sort(struct ytree_diags *d);
void ytree_diags_release(struct ytree_diags *d);

/* ---- the tree ------------------------------------------------------- */

enum ytree_kind { YTREE_SCALAR, YTREE_MAP, YTREE_SEQ };

/* A map's kids alternate key, value; a scalar's str is NUL-terminated. */
struct ytree_node {
	enum ytree_kind kind;
	int line, column;       /* 1-based, where the node starts */
	const char *str;
	size_t len;
	struct ytree_node **kids;
	size_t n;
};

/*
 * One reading and checking of a document. The caller zeroes it and sets
 * `arena`, `what` and `max_diags`; every check records its problems in
 * `diags` (at most max_diags kept) and counts them all in `errors`.
 */
struct ytree {
	struct ytree_arena **arena;  /* where nodes and their text are allocated */
	const char *what;            /* "policy": "the policy is too large" */
	size_t max_diags;
	struct ytree_diags diags;
	int errors;
	size_t nodes;
};

#define YTREE_MAX_DEPTH 32
#define YTREE_MAX_NODES 200000

/* Records a problem at line:column. Out of memory drops the message, never
 * the count. */
void ytree_diag_at(struct ytree *t, int line, int column, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
#define ytree_diag(t, node, ...) ytree_diag_at((t), (node)->line, (node)->column, __VA_ARGS__)

/*
 * Reads text[0..len), which must stay valid until the tree is no longer
 * used only if the caller keeps pointers into it (scalars are copied into
 * the arena). Returns 1 with *root the document's node, or NULL for an
 * empty document; 0 after recording why the text is not one YAML
 * document (syntax, alias, depth, size, a second document).
 */
int ytree_read(struct ytree *t, const char *text, size_t len, struct ytree_node **root);

/* ---- checks --------------------------------------------------------- */

struct ytree_field {
	const char *key;
	struct ytree_node **slot;
	int required;
};

#define YTREE_MAX_FIELDS 32

/* "a mapping", "a list", "a scalar". */
const char *ytree_kind_name(enum ytree_kind k);

/* Whether n is of kind k; records "WHAT must be K, not ..." when not. */
int ytree_want(struct ytree *t, const struct ytree_node *n, enum ytree_kind k, const char *what);

/* The name among names[0..n) at most two edits from key (one for keys of
 * three letters or fewer: those are other words, not typos), or NULL. */
const char *ytree_nearest(const char *key, const char *const *names, size_t n);

/* Records "unknown WHAT 'key'", with "(did you mean 'x'?)" when a name is
 * near. */
void ytree_unknown(struct ytree *t, const struct ytree_node *k, const char *what,
		   const char *const *names, size_t n);

/*
 * Checks a map against its fields (at most YTREE_MAX_FIELDS): unknown keys
 * (with a suggestion), duplicates, missing required keys. Fills each slot
 * with its value node or NULL. Returns 0 when `map` is not a map.
 */
int ytree_fields(struct ytree *t, const struct ytree_node *map, const char *what,
		 struct ytree_field *f, size_t nf);

/* A non-empty scalar's text, or NULL after recording why not. */
const char *ytree_str(struct ytree *t, const struct ytree_node *n, const char *what);
/* A whole number in [min, max] (|value| <= 10^9); 1, or 0 after recording. */
int ytree_int(struct ytree *t, const struct ytree_node *n, const char *what, int min, int max,
	      int *out);
/* true or false; 1, or 0 after recording. */
int ytree_bool(struct ytree *t, const struct ytree_node *n, const char *what, int *out);

#endif
