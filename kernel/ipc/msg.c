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
 * Bounds: a mailbox has OS_MSG_QUEUE_MAX message slots, made with it; a
 * sender takes a free one before it builds its message (a full mailbox
 * makes it wait, or -EAGAIN), a receiver gives it back, so one receiver
 * never holds more than OS_MSG_QUEUE_MAX * OS_MSG_MAX bytes, all of them
 * pages its senders gave up.  A message of up to MSG_SMALL bytes lives in
 * its slot: the common small message costs no allocation at all.  Senders of one process to one receiver keep their order: the queue
 * is FIFO and a receive from a given pid takes that pid's oldest message.
 *
 * Lifetime.  A mailbox has a reference count: one for its process, one
 * for each sender or receiver using it, and one for each process that
 * sent to it last (struct proc's msg_to: the next send to the same pid
 * skips the lookup; pids are never reused), so a sender asleep on a
 * mailbox whose process exits and is freed wakes to a mailbox that is
 * still there, marked dead (-ESRCH).  msg_exit frees the queued messages.
 * Everything here changes with interrupts off (one CPU).
 *
 * Interrupts as messages (ipc/irqmsg.c).  An interrupt handler may not
 * allocate or sleep, so an IRQ is not a queued message but a pending bit
 * of the mailbox, with the line's count: msg_post_irq sets it, a receive
 * from anyone (OS_MSG_ANY) takes it before the queue, as a struct
 * os_irq_msg from pid 0.  The line is masked until the driver acks it, so
 * one bit is enough.
 */
#include "ipc/msg.h"
#include <errno.h>
#include <uapi/os/irq.h>
#include <uapi/os/msg.h>
#include "arch/x86_64/memlayout.h"
#include "arch/x86_64/x86.h"
#include "fs/poll.h"
#include "lib/string.h"
#include "lib/wait.h"
#include "mm/frame.h"
#include "mm/heap.h"
#include "mm/usercopy.h"
#include "mm/uvm.h"
#include "mm/vma.h"
#include "proc/proc.h"
#include "syscall/syscall.h"

#define MSG_SMALL 64 /* bytes a slot holds itself */

struct msg {
	struct msg *next; /* in the queue, or the free slots */
	int sender;
	size_t len;
	size_t npages;    /* moved pages: frames[] holds them; 0: data holds the bytes */
	uint64_t *frames; /* kmalloc'd */
	uint8_t *data;    /* small[], or kmalloc'd */
	uint8_t small[MSG_SMALL];
};

struct mailbox {
	int refs;                  /* see the top */
	bool dead;                 /* its process has exited */
	struct msg *first, **tail; /* the queue, oldest first */
	struct msg *free;          /* free slots */
	struct waitq recv_wait;    /* receivers: waiting for a message */
	struct waitq send_wait;    /* senders: waiting for a free slot */
	struct msg slots[OS_MSG_QUEUE_MAX];
	uint32_t irq_pending;             /* bit n: IRQ n came, not yet received */
	uint64_t irq_count[OS_IRQ_LINES]; /* ... its count */
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

/* A new mailbox, every slot free, with its process's reference. */
static struct mailbox *mailbox_new(void)
{
	struct mailbox *mb = kcalloc(1, sizeof(*mb));

	if (!mb)
		return NULL;
	mb->refs = 1;
	mb->tail = &mb->first;
	for (int i = OS_MSG_QUEUE_MAX - 1; i >= 0; i--) {
		mb->slots[i].next = mb->free;
		mb->free = &mb->slots[i];
	}
	waitq_init(&mb->recv_wait, "message");
	waitq_init(&mb->send_wait, "mailbox slot");
	return mb;
}

/* The live process pid's mailbox, made if it has none, with a reference
 * for the caller; NULL with *err -ESRCH (no such process, or it is
 * exiting) or -ENOMEM.  Interrupts off at the look-ups. */
static struct mailbox *mailbox_lookup(int pid, int *err)
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
		new = mailbox_new(); /* may sleep: look again after */
		if (!new) {
			*err = -ENOMEM;
			break;
		}
	}
	kfree(new);
	return mb;
}

/* Process pid's mailbox for the current process to send to: the one it
 * sent to last if that is pid's and alive, else looked up (and kept as
 * the last).  With a reference for the caller, or NULL and *err. */
static struct mailbox *mailbox_of(int pid, int *err)
{
	struct proc *self = proc_current();
	struct mailbox *mb, *old;
	uint64_t flags = irq_save();

	mb = self->msg_to;
	if (mb && self->msg_to_pid == pid && !mb->dead) {
		mb->refs++;
		irq_restore(flags);
		return mb;
	}
	irq_restore(flags);
	mb = mailbox_lookup(pid, err);
	if (!mb)
		return NULL;
	flags = irq_save();
	old = self->msg_to;
	self->msg_to = mb;
	self->msg_to_pid = pid;
	mb->refs++; /* the cache's */
	irq_restore(flags);
	if (old)
		mailbox_put(old);
	return mb;
}

/* Empty slot m (its bytes or pages let go) and make it free.  Interrupts
 * off or on. */
static void msg_release(struct mailbox *mb, struct msg *m)
{
	uint64_t flags;

	if (m->frames) {
		for (size_t i = 0; i < m->npages; i++)
			frame_unref(m->frames[i]);
		kfree(m->frames);
	}
	if (m->data != m->small)
		kfree(m->data);
	flags = irq_save();
	m->next = mb->free;
	mb->free = m;
	if (mb->send_wait.first)
		wait_wake_one(&mb->send_wait);
	irq_restore(flags);
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

/* Wait for a free slot in mb and take it: the slot, or NULL and *err. */
static struct msg *msg_reserve(struct mailbox *mb, int flags, uint64_t deadline, int *err)
{
	uint64_t irq = irq_save();
	struct msg *m = NULL;

	*err = 0;
	while (!mb->dead && !mb->free && !*err)
		*err = msg_wait(&mb->send_wait, flags, deadline);
	if (!*err && mb->dead)
		*err = -ESRCH;
	if (!*err) {
		m = mb->free;
		mb->free = m->next;
	}
	irq_restore(irq);
	return m;
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

/* Take the pages of a moved message of len bytes at buf (page aligned)
 * into m and unmap them from the caller.  0 or -errno (m holds nothing). */
static int msg_move_in(struct msg *m, uint64_t buf, size_t len)
{
	struct uvm *uvm = proc_current()->uvm;
	size_t npages = ALIGN_UP(len, PAGE_SIZE) / PAGE_SIZE, tail = (len - 1) % PAGE_SIZE + 1;
	int err;

	if (buf % PAGE_SIZE)
		return -EINVAL;
	m->frames = kmalloc(npages * sizeof(uint64_t));
	if (!m->frames)
		return -ENOMEM;
	err = msg_take_frames(uvm, buf, npages, m->frames);
	if (err) {
		kfree(m->frames);
		m->frames = NULL;
		return err;
	}
	m->npages = npages;
	/* The sender's bytes past the message are not the receiver's. */
	memset((uint8_t *)phys_to_virt(m->frames[npages - 1]) + tail, 0, PAGE_SIZE - tail);
	uvm_unmap(uvm, buf, npages * PAGE_SIZE); /* the message holds the frames now */
	return 0;
}

/* Fill slot m with the message of len bytes at user address buf from
 * sender: copied, or its pages taken from the caller.  0 or -errno (m
 * holds nothing). */
static int msg_build(struct msg *m, int sender, uint64_t buf, size_t len)
{
	/* BEGIN STAGE ipc: a small message is copied in; a large one takes the sender's pages */
	m->next = NULL;
	m->sender = sender;
	m->len = len;
	m->npages = 0;
	m->frames = NULL;
	m->data = m->small;
	if (len > OS_MSG_INLINE_MAX)
		return msg_move_in(m, buf, len);
	if (len > MSG_SMALL && !(m->data = kmalloc(len))) {
		m->data = m->small;
		return -ENOMEM;
	}
	if (copy_from_user(m->data, buf, len) == 0)
		return 0;
	if (m->data != m->small)
		kfree(m->data);
	m->data = m->small;
	return -EFAULT;
	/* STUB
	m->npages = 0, m->frames = NULL, m->data = m->small;
	(void)sender, (void)buf, (void)len, (void)msg_move_in;
	return -ENOSYS;
	END STAGE ipc */
}

/* Queue m in mb and wake the receivers: 0, or -ESRCH if the receiver
 * exited meanwhile (m is released). */
static int msg_enqueue(struct mailbox *mb, struct msg *m)
{
	uint64_t irq = irq_save();
	bool dead = mb->dead;

	if (!dead) {
		*mb->tail = m;
		mb->tail = &m->next;
		if (mb->recv_wait.first) /* they may wait for different senders: all */
			wait_wake_all(&mb->recv_wait);
	}
	irq_restore(irq);
	if (dead)
		msg_release(mb, m);
	return dead ? -ESRCH : 0;
}

int64_t msg_send(int pid, uint64_t buf, size_t len, int flags, int64_t timeout_ns)
{
	struct proc *self = proc_current();
	struct mailbox *mb;
	struct msg *m;
	int err;

	if (flags & ~OS_MSG_NONBLOCK)
		return -EINVAL;
	if (len > OS_MSG_MAX)
		return -EMSGSIZE;
	if (pid == OS_MSG_PARENT)
		pid = self->parent ? self->parent->pid : -1;
	mb = mailbox_of(pid, &err);
	if (!mb)
		return err;
	m = msg_reserve(mb, flags, msg_deadline(timeout_ns), &err);
	if (m) {
		err = msg_build(m, self->pid, buf, len);
		if (err)
			msg_release(mb, m);
		else
			err = msg_enqueue(mb, m);
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

/* Take *mp off mb's queue.  Interrupts off. */
static struct msg *msg_unlink(struct mailbox *mb, struct msg **mp)
{
	struct msg *m = *mp;

	*mp = m->next;
	if (mb->tail == &m->next)
		mb->tail = mp;
	return m;
}

/* Put m back at the head of mb's queue (its copy-out failed). */
static void msg_requeue(struct mailbox *mb, struct msg *m)
{
	uint64_t irq = irq_save();

	m->next = mb->first;
	if (!mb->first)
		mb->tail = &m->next;
	mb->first = m;
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

/* The message into the receiver's buffer: 0 (its frames, if it moved
 * pages, are the receiver's now or copied) or -EFAULT (m is untouched). */
static int msg_deliver(struct msg *m, uint64_t buf)
{
	/* BEGIN STAGE ipc: copy the bytes out; moved pages are mapped into an aligned buffer, else copied */
	struct uvm *uvm;
	size_t i;

	if (!m->npages)
		return copy_to_user(buf, m->data, m->len);
	uvm = proc_current()->uvm;
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
	}
	memmove(m->frames, m->frames + i, (m->npages - i) * sizeof(uint64_t));
	m->npages -= i; /* msg_release lets go of the rest */
	return 0;
	/* STUB
	(void)m, (void)buf, (void)msg_can_map;
	return -EFAULT;
	END STAGE ipc */
}

/* A receiver waiting for one sender, on its stack: msg_exit of that
 * sender wakes it, to find -ESRCH. */
struct msg_waiter {
	struct msg_waiter *next;
	int from;
	struct mailbox *mb;
};

static struct msg_waiter *from_waiters;

/* May a message from `from` still come (any sender, or a process that is
 * not exiting)?  Interrupts off. */
static bool msg_sender_alive(int from)
{
	struct proc *p;

	if (from == OS_MSG_ANY)
		return true;
	p = proc_find(from);
	return p && p->state == PROC_RUNNING && p->fds;
}

/* Take w off from_waiters.  Interrupts off. */
static void msg_waiter_unlink(struct msg_waiter *w)
{
	for (struct msg_waiter **wp = &from_waiters; *wp; wp = &(*wp)->next) {
		if (*wp == w) {
			*wp = w->next;
			return;
		}
	}
}

/* The caller's own mailbox, made if need be.  No reference is taken: it
 * lives until the process's last thread exits (msg_exit), so as long as
 * the caller. */
static struct mailbox *msg_own_mailbox(int *err)
{
	struct proc *self = proc_current();
	struct mailbox *mb = self->mbox;

	if (!mb && (mb = mailbox_lookup(self->pid, err)) != NULL)
		mailbox_put(mb); /* the process's reference keeps it */
	return mb;
}

int64_t msg_recv(int from, uint64_t buf, size_t cap, uint64_t usender, int flags,
		 int64_t timeout_ns)
{
	struct mailbox *mb;
	int err = 0;

	if ((flags & ~OS_MSG_NONBLOCK) || from < 0)
		return -EINVAL;
	mb = msg_own_mailbox(&err);
	if (!mb)
		return err;
	return msg_mailbox_recv(mb, from, buf, cap, usender, flags, timeout_ns);
}

void msg_post_irq(struct mailbox *mb, int irq, uint64_t count)
{
	uint64_t flags = irq_save();

	mb->irq_pending |= 1u << irq;
	mb->irq_count[irq] = count;
	wait_wake_all(&mb->recv_wait);
	irq_restore(flags);
}

/* Is an IRQ pending in mb for a receive from `from`?  Interrupts off. */
static bool msg_irq_ready(struct mailbox *mb, int from)
{
	return from == OS_MSG_ANY && mb->irq_pending;
}

/* Receive the lowest pending IRQ of mb (msg_irq_ready said there is one):
 * its length, or -EMSGSIZE or -EFAULT with the IRQ still pending.
 * Called with interrupts off; restores irq, irq_save's flags. */
static int64_t msg_recv_irq(struct mailbox *mb, uint64_t buf, size_t cap, uint64_t usender,
			    uint64_t irq_flags)
{
	int irq = __builtin_ctz(mb->irq_pending), kernel = 0;
	struct os_irq_msg body = { (unsigned)irq, 0, mb->irq_count[irq] };
	int64_t err = 0;

	mb->irq_pending &= ~(1u << irq);
	irq_restore(irq_flags);
	if (cap < sizeof(body))
		err = -EMSGSIZE;
	else if ((usender && copy_to_user(usender, &kernel, sizeof(kernel))) ||
		 copy_to_user(buf, &body, sizeof(body)))
		err = -EFAULT;
	if (err) {
		irq_flags = irq_save();
		mb->irq_pending |= 1u << irq; /* no newer one: the line is masked */
		irq_restore(irq_flags);
	}
	return err ? err : (int64_t)sizeof(body);
}

int64_t msg_mailbox_recv(struct mailbox *mb, int from, uint64_t buf, size_t cap, uint64_t usender,
			 int flags, int64_t timeout_ns)
{
	uint64_t deadline = msg_deadline(timeout_ns), irq;
	struct msg **mp = NULL, *m;
	struct msg_waiter w;
	int err = 0;

	irq = irq_save();
	w = (struct msg_waiter){ from_waiters, from, mb };
	if (from != OS_MSG_ANY)
		from_waiters = &w;
	while (!msg_irq_ready(mb, from) && !(mp = msg_find(mb, from)) && !err && !mb->dead)
		err = msg_sender_alive(from) ? msg_wait(&mb->recv_wait, flags, deadline) : -ESRCH;
	if (from != OS_MSG_ANY)
		msg_waiter_unlink(&w);
	if (!err && msg_irq_ready(mb, from))
		return msg_recv_irq(mb, buf, cap, usender, irq);
	if (!mp && !err) { /* the mailbox's process is gone: nothing more comes */
		irq_restore(irq);
		return 0;
	}
	if (!err && (*mp)->len > cap)
		err = -EMSGSIZE;
	m = err ? NULL : msg_unlink(mb, mp);
	irq_restore(irq);
	if (m) {
		/* Both copies after the unlink, interrupts on; either failing
		 * puts the message back. */
		err = usender && copy_to_user(usender, &m->sender, sizeof(m->sender))
			      ? -EFAULT
			      : msg_deliver(m, buf);
		if (err) {
			msg_requeue(mb, m);
		} else {
			err = (int)m->len;
			msg_release(mb, m);
		}
	}
	return err;
}

void msg_exit(struct proc *p)
{
	uint64_t irq = irq_save();
	struct mailbox *mb = p->mbox, *to = p->msg_to;
	struct msg *list = NULL;

	p->mbox = NULL;
	p->msg_to = NULL;
	for (struct msg_waiter *w = from_waiters; w; w = w->next)
		if (w->from == p->pid) /* nothing more will come from p */
			wait_wake_all(&w->mb->recv_wait);
	if (mb) {
		mb->dead = true;
		list = mb->first;
		mb->first = NULL;
		mb->tail = &mb->first;
		wait_wake_all(&mb->send_wait);
		wait_wake_all(&mb->recv_wait);
	}
	irq_restore(irq);
	while (list) {
		struct msg *m = list;

		list = m->next;
		msg_release(mb, m);
	}
	if (mb)
		mailbox_put(mb);
	if (to)
		mailbox_put(to);
}

struct mailbox *msg_mailbox_hold(int *err)
{
	struct mailbox *mb = msg_own_mailbox(err);
	uint64_t flags = irq_save();

	if (mb)
		mb->refs++;
	irq_restore(flags);
	return mb;
}

void msg_mailbox_put(struct mailbox *mb)
{
	mailbox_put(mb);
}

unsigned msg_mailbox_poll(struct mailbox *mb, struct poll_table *pt)
{
	uint64_t flags = irq_save();
	unsigned events = POLLOUT | POLLWRNORM;

	poll_wait(pt, &mb->recv_wait);
	if (mb->first || mb->irq_pending)
		events |= POLLIN | POLLRDNORM;
	if (mb->dead)
		events |= POLLHUP;
	irq_restore(flags);
	return events;
}
