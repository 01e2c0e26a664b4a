/*
 * Message passing by pid (see msg.h and <os/msg.h>).
 *
 * A mailbox is a FIFO of messages, made when the first message is sent to
 * its process and referenced from struct proc.  A message is a header with
 * the sender's pid and length and either its bytes (up to
 * OS_MSG_INLINE_MAX, copied in at send and out at receive) or the frames
 * of the sender's pages (up to OS_MSG_MAX): a large message is moved, not
 * copied.  msg_send takes a reference on each frame of the sender's
 * buffer (breaking copy-on-write first, so the frame is the sender's
 * alone), zeroes the last page past the message, and unmaps the buffer
 * from the sender; msg_recv maps the frames into the receiver's buffer
 * if it is page aligned (a page-table entry per page, its old page
 * freed), or copies them out and lets them go.
 *
 * Bounds: a mailbox holds OS_MSG_QUEUE_MAX messages, counting the slots
 * senders have reserved while they build theirs, so a full mailbox makes
 * senders wait (or -EAGAIN) and one receiver never holds more than
 * OS_MSG_QUEUE_MAX * OS_MSG_MAX bytes, all of them pages its senders gave
 * up.  Senders of one process to one receiver keep their order: the queue
 * is FIFO and a receive from a given pid takes that pid's oldest message.
 *
 * Lifetime.  A mailbox has a reference count: one for its process, one
 * for each sender or receiver using it, so a sender asleep on a mailbox
 * whose process exits and is freed wakes to a mailbox that is still
 * there, marked dead (-ESRCH).  msg_exit frees the queued messages.
 * Everything here changes with interrupts off (one CPU).
 */
#include "ipc/msg.h"
#include <errno.h>
#include <uapi/os/msg.h>
#include "arch/x86_64/memlayout.h"
#include "arch/x86_64/x86.h"
#include "lib/string.h"
#include "lib/wait.h"
#include "mm/frame.h"
#include "mm/heap.h"
#include "mm/usercopy.h"
#include "mm/uvm.h"
#include "mm/vma.h"
#include "proc/proc.h"
#include "syscall/syscall.h"

#define MSG_PAGES (OS_MSG_MAX / PAGE_SIZE)

struct msg {
	struct msg *next;
	int sender;
	size_t len;
	size_t npages; /* moved pages: frames[] holds them; 0: data[] holds the bytes */
	uint64_t *frames;
	uint8_t data[];
};

struct mailbox {
	int refs;  /* its process's, and each caller's using it */
	bool dead; /* its process has exited */
	int used;  /* messages queued, and slots reserved by senders */
	struct msg *first, **tail;
	struct waitq recv_wait; /* receivers: waiting for a message */
	struct waitq send_wait; /* senders: waiting for room */
};

/* ---- mailboxes ------------------------------------------------------------------- */

static void mailbox_put(struct mailbox *mb)
{
	uint64_t flags = irq_save();
	bool last = --mb->refs == 0;

	irq_restore(flags);
	if (last)
		kfree(mb);
}

/* The live process pid's mailbox, made if it has none, with a reference
 * for the caller; NULL if there is no such process (or it is exiting, or
 * no memory: *err says which). */
static struct mailbox *mailbox_get(int pid, int *err)
{
	struct mailbox *new = NULL, *mb = NULL;

	for (;;) {
		uint64_t flags = irq_save();
		struct proc *p = pid > 0 ? proc_find(pid) : NULL;

		if (!p || p->state != PROC_RUNNING || p->exiting || !p->fds) {
			irq_restore(flags);
			*err = -ESRCH;
			break;
		}
		if (!p->mbox && new) {
			p->mbox = new;
			new = NULL;
		}
		if (p->mbox) {
			mb = p->mbox;
			mb->refs++;
			irq_restore(flags);
			break;
		}
		irq_restore(flags);
		new = kcalloc(1, sizeof(*new)); /* may sleep: look again after */
		if (!new) {
			*err = -ENOMEM;
			break;
		}
		new->refs = 1; /* the process's */
		new->tail = &new->first;
		waitq_init(&new->recv_wait, "message");
		waitq_init(&new->send_wait, "mailbox room");
	}
	kfree(new);
	return mb;
}

static void msg_free(struct msg *m)
{
	for (size_t i = 0; i < m->npages; i++)
		frame_unref(m->frames[i]);
	kfree(m->frames);
	kfree(m);
}

/* ---- waiting ------------------------------------------------------------------------ */

/* Sleep once on wq for a wait that began with deadline (0: none) and
 * flags: 0 to look again, or why the wait ends.  Interrupts off. */
static int msg_wait(struct waitq *wq, int flags, uint64_t deadline)
{
	if (flags & OS_MSG_NONBLOCK)
		return -EAGAIN;
	if (wait_interrupted())
		return -EINTR;
	if (!deadline) {
		wait_sleep(wq);
		return 0;
	}
	return wait_sleep_until(wq, deadline) ? 0 : -ETIMEDOUT;
}

static uint64_t msg_deadline(int64_t timeout_ns)
{
	if (timeout_ns < 0)
		return 0;
	return timeout_ns == 0 ? 1 : ns_deadline(timeout_ns); /* 1: long past */
}

/* ---- sending ------------------------------------------------------------------------- */

/* Wait for a free slot in mb and reserve it: 0 or why not.  */
static int msg_reserve(struct mailbox *mb, int flags, uint64_t deadline)
{
	uint64_t irq = irq_save();
	int err = 0;

	while (!mb->dead && mb->used >= OS_MSG_QUEUE_MAX && !err)
		err = msg_wait(&mb->send_wait, flags, deadline);
	if (!err && mb->dead)
		err = -ESRCH;
	if (!err)
		mb->used++;
	irq_restore(irq);
	return err;
}

/* Give back a slot msg_reserve took (the message was not built). */
static void msg_unreserve(struct mailbox *mb)
{
	uint64_t irq = irq_save();

	mb->used--;
	wait_wake_one(&mb->send_wait);
	irq_restore(irq);
}

/*
 * The frames of the npages pages at buf, each with a reference of the
 * message's: the pages must be private memory the caller may write (a
 * copy-on-write page is copied first, so the frame is the caller's
 * alone).  0, -EFAULT or -EINVAL (shared or device memory).
 */
static int msg_take_frames(struct uvm *uvm, uint64_t buf, size_t npages, uint64_t *frames)
{
	size_t i;

	for (i = 0; i < npages; i++) {
		uint64_t va = buf + i * PAGE_SIZE, flags = irq_save(), pa;
		struct vma *v = vma_find(uvm, va);
		int err = !v ? -EFAULT : v->flags & (VMA_SHARED | VMA_DEVICE) ? -EINVAL : 0;

		pa = err ? 0 : uvm_user_page(uvm, va, true);
		if (pa)
			frame_ref(pa);
		irq_restore(flags);
		if (!pa) {
			while (i > 0)
				frame_unref(frames[--i]);
			return err ? err : -EFAULT;
		}
		frames[i] = pa;
	}
	return 0;
}

/* The message of len bytes at user address buf from sender: copied, or
 * its pages taken from the caller (and unmapped).  NULL with *err. */
static struct msg *msg_build(int sender, uint64_t buf, size_t len, int *err)
{
	bool move = len > OS_MSG_INLINE_MAX;
	struct msg *m = kmalloc(sizeof(*m) + (move ? 0 : len));
	struct uvm *uvm = proc_current()->uvm;

	*err = -ENOMEM;
	if (!m)
		return NULL;
	m->next = NULL;
	m->sender = sender;
	m->len = len;
	m->npages = 0;
	m->frames = NULL;
	if (!move) {
		*err = copy_from_user(m->data, buf, len);
		if (*err) {
			kfree(m);
			return NULL;
		}
		return m;
	}
	m->frames = kmalloc(ALIGN_UP(len, PAGE_SIZE) / PAGE_SIZE * sizeof(uint64_t));
	*err = !m->frames ? -ENOMEM
	       : buf % PAGE_SIZE
		       ? -EINVAL
		       : msg_take_frames(uvm, buf, ALIGN_UP(len, PAGE_SIZE) / PAGE_SIZE, m->frames);
	if (*err) {
		msg_free(m);
		return NULL;
	}
	m->npages = ALIGN_UP(len, PAGE_SIZE) / PAGE_SIZE;
	/* The sender's bytes past the message are not the receiver's. */
	memset((uint8_t *)phys_to_virt(m->frames[m->npages - 1]) + (len - 1) % PAGE_SIZE + 1, 0,
	       PAGE_SIZE - ((len - 1) % PAGE_SIZE + 1));
	uvm_unmap(uvm, buf, m->npages * PAGE_SIZE); /* the message holds the frames now */
	return m;
}

/* Queue m in mb, in the slot its sender reserved, and wake the
 * receivers: 0, or -ESRCH if the receiver exited meanwhile (m is freed). */
static int msg_enqueue(struct mailbox *mb, struct msg *m)
{
	uint64_t irq = irq_save();
	bool dead = mb->dead;

	if (!dead) {
		*mb->tail = m;
		mb->tail = &m->next;
		wait_wake_all(&mb->recv_wait); /* receivers wait for different senders */
	}
	irq_restore(irq);
	if (dead)
		msg_free(m);
	return dead ? -ESRCH : 0;
}

int64_t msg_send(int pid, uint64_t buf, size_t len, int flags, int64_t timeout_ns)
{
	struct proc *self = proc_current();
	uint64_t deadline = msg_deadline(timeout_ns);
	struct mailbox *mb;
	struct msg *m;
	int err;

	if (flags & ~OS_MSG_NONBLOCK)
		return -EINVAL;
	if (len > OS_MSG_MAX)
		return -EMSGSIZE;
	if (pid == OS_MSG_PARENT)
		pid = self->parent ? self->parent->pid : -1;
	mb = mailbox_get(pid, &err);
	if (!mb)
		return err;
	err = msg_reserve(mb, flags, deadline);
	if (!err) {
		m = msg_build(self->pid, buf, len, &err);
		if (m)
			err = msg_enqueue(mb, m);
		else
			msg_unreserve(mb);
	}
	mailbox_put(mb);
	return err;
}

/* ---- receiving ---------------------------------------------------------------------- */

/* The link to the oldest message of mb from `from` (or any), or NULL.
 * Interrupts off. */
static struct msg **msg_find(struct mailbox *mb, int from)
{
	for (struct msg **mp = &mb->first; *mp; mp = &(*mp)->next)
		if (from == OS_MSG_ANY || (*mp)->sender == from)
			return mp;
	return NULL;
}

/* Take *mp off mb; its slot is free again.  Interrupts off. */
static struct msg *msg_unlink(struct mailbox *mb, struct msg **mp)
{
	struct msg *m = *mp;

	*mp = m->next;
	if (mb->tail == &m->next)
		mb->tail = mp;
	mb->used--;
	wait_wake_one(&mb->send_wait);
	return m;
}

/* Put m back at the head of mb (its copy-out failed), slot and all. */
static void msg_requeue(struct mailbox *mb, struct msg *m)
{
	uint64_t irq = irq_save();

	m->next = mb->first;
	if (!mb->first)
		mb->tail = &m->next;
	mb->first = m;
	mb->used++;
	irq_restore(irq);
}

/* May the moved pages of a message go into the receiver's buffer at buf
 * as they are: page aligned, in private memory it may write? */
static bool msg_can_map(struct uvm *uvm, uint64_t buf, size_t npages)
{
	if (buf % PAGE_SIZE)
		return false;
	for (size_t i = 0; i < npages; i++) {
		struct vma *v = vma_find(uvm, buf + i * PAGE_SIZE);

		if (!v || !(v->prot & UVM_WRITE) || (v->flags & (VMA_SHARED | VMA_DEVICE)))
			return false;
	}
	return true;
}

/* The message into the receiver's buffer: 0 (m is used up, its frames
 * the receiver's or let go) or -EFAULT (m is untouched). */
static int msg_deliver(struct msg *m, uint64_t buf)
{
	struct uvm *uvm = proc_current()->uvm;
	size_t i;

	if (!m->npages)
		return copy_to_user(buf, m->data, m->len);
	if (!msg_can_map(uvm, buf, m->npages)) {
		for (i = 0; i < m->npages; i++)
			if (copy_to_user(buf + i * PAGE_SIZE, phys_to_virt(m->frames[i]),
					 MIN(PAGE_SIZE, m->len - i * PAGE_SIZE)))
				return -EFAULT;
		return 0;
	}
	for (i = 0; i < m->npages; i++) {
		if (uvm_give_page(uvm, buf + i * PAGE_SIZE, m->frames[i]) != 0)
			break; /* no memory for a page table: the rest is lost */
		m->frames[i] = 0;
	}
	for (; i < m->npages; i++)
		frame_unref(m->frames[i]);
	m->npages = 0;
	return 0;
}

/* Is there a process pid, or a message from it in mb?  Interrupts off. */
static bool msg_sender_alive(struct mailbox *mb, int from)
{
	struct proc *p;

	if (from == OS_MSG_ANY || msg_find(mb, from))
		return true;
	p = proc_find(from);
	return p && p->state == PROC_RUNNING;
}

/* The caller's mailbox, made if need be, with a reference. */
static struct mailbox *msg_own_mailbox(int *err)
{
	return mailbox_get(proc_current()->pid, err);
}

int64_t msg_recv(int from, uint64_t buf, size_t cap, int *sender, int flags, int64_t timeout_ns)
{
	uint64_t deadline = msg_deadline(timeout_ns), irq;
	struct mailbox *mb;
	struct msg **mp = NULL, *m;
	int err = 0;

	if ((flags & ~OS_MSG_NONBLOCK) || from < 0)
		return -EINVAL;
	mb = msg_own_mailbox(&err);
	if (!mb)
		return err;
	irq = irq_save();
	while (!(mp = msg_find(mb, from)) && !err)
		err = msg_sender_alive(mb, from) ? msg_wait(&mb->recv_wait, flags, deadline)
						 : -ESRCH;
	if (!err && (*mp)->len > cap)
		err = -EMSGSIZE;
	m = err ? NULL : msg_unlink(mb, mp);
	irq_restore(irq);
	if (m) {
		*sender = m->sender;
		err = msg_deliver(m, buf);
		if (err)
			msg_requeue(mb, m);
		else
			err = (int)m->len;
		if (err >= 0)
			msg_free(m);
	}
	mailbox_put(mb);
	return err;
}

void msg_exit(struct proc *p)
{
	uint64_t irq = irq_save();
	struct mailbox *mb = p->mbox;
	struct msg *list;

	if (!mb) {
		irq_restore(irq);
		return;
	}
	p->mbox = NULL;
	mb->dead = true;
	list = mb->first;
	mb->first = NULL;
	mb->tail = &mb->first;
	wait_wake_all(&mb->send_wait);
	wait_wake_all(&mb->recv_wait);
	irq_restore(irq);
	while (list) {
		struct msg *m = list;

		list = m->next;
		msg_free(m);
	}
	mailbox_put(mb);
}
