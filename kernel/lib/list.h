/*
 * Intrusive doubly-linked lists, as in Linux and Pintos.
 *
 * A `struct list` is a circular list with a sentinel node; an object that
 * wants to be on a list embeds a `struct list_node` and is found back from
 * its node with container_of().  Nothing here allocates, nothing locks: the
 * owner of a list says what protects it (for the scheduler's lists,
 * interrupts being off).
 *
 * A node that is on no list points to itself (list_node_init, and
 * list_remove leaves it so), so list_node_linked() tells whether it is on
 * a list; removing an unlinked node does nothing.  A node may be inserted
 * without list_node_init (its links are overwritten), but then
 * list_node_linked() means nothing until it has been on a list.
 *
 * The debug build (make KDEBUG=1, lib/assert.h) checks the links at every
 * insert and removal, as Linux's CONFIG_DEBUG_LIST does: the neighbours of
 * the place point at each other (a node freed or reused while still
 * linked, or a list written over, shows there instead of as a loop much
 * later), and a node is not inserted next to itself (added twice).  An
 * uninitialized node cannot be told from a linked one, so a node added
 * twice far apart is caught when its old neighbours are next touched.
 */
#ifndef LIB_LIST_H
#define LIB_LIST_H

#include <types.h>
#include "lib/assert.h"

#ifndef container_of
/* The struct of type `type` whose member `member` is at `ptr`. */
#define container_of(ptr, type, member) ((type *)((char *)(ptr) - __builtin_offsetof(type, member)))
#endif

struct list_node {
	struct list_node *prev, *next;
};

struct list {
	struct list_node head; /* sentinel: head.next is the first node */
};

/* A static initializer: static struct list l = LIST_INIT(l); */
/* clang-format off */
#define LIST_INIT(l) { { &(l).head, &(l).head } }
/* clang-format on */

static inline void list_init(struct list *l)
{
	l->head.prev = l->head.next = &l->head;
}

static inline void list_node_init(struct list_node *n)
{
	n->prev = n->next = n;
}

static inline bool list_node_linked(const struct list_node *n)
{
	return n->next != n;
}

static inline bool list_empty(const struct list *l)
{
	return l->head.next == &l->head;
}

static inline void list_insert_between(struct list_node *n, struct list_node *prev,
				       struct list_node *next)
{
	KASSERT(n != prev && n != next); /* not added twice in a row */
	KASSERT(prev->next == next && next->prev == prev);
	n->prev = prev;
	n->next = next;
	prev->next = n;
	next->prev = n;
}

/* Insert n before `pos` (pos may be the sentinel: then at the end). */
static inline void list_insert_before(struct list_node *pos, struct list_node *n)
{
	list_insert_between(n, pos->prev, pos);
}

static inline void list_push_back(struct list *l, struct list_node *n)
{
	list_insert_between(n, l->head.prev, &l->head);
}

static inline void list_push_front(struct list *l, struct list_node *n)
{
	list_insert_between(n, &l->head, l->head.next);
}

static inline void list_remove(struct list_node *n)
{
	KASSERT(n->prev->next == n && n->next->prev == n);
	n->prev->next = n->next;
	n->next->prev = n->prev;
	list_node_init(n);
}

/* The first node, or NULL if the list is empty. */
static inline struct list_node *list_first(const struct list *l)
{
	return list_empty(l) ? NULL : l->head.next;
}

/* Remove and return the first node, or NULL if the list is empty. */
static inline struct list_node *list_pop_front(struct list *l)
{
	struct list_node *n = list_first(l);

	if (n)
		list_remove(n);
	return n;
}

static inline size_t list_length(const struct list *l)
{
	size_t n = 0;

	for (const struct list_node *p = l->head.next; p != &l->head; p = p->next)
		n++;
	return n;
}

/* for (each node n of l); n may not be removed inside the loop. */
#define list_for_each(n, l) for (struct list_node *n = (l)->head.next; n != &(l)->head; n = n->next)

/* Same, but n may be removed (and freed) inside the loop. */
#define list_for_each_safe(n, l)                                                         \
	for (struct list_node *n = (l)->head.next, *n##_next = n->next; n != &(l)->head; \
	     n = n##_next, n##_next = n->next)

#define list_entry(n, type, member) container_of(n, type, member)

#endif
