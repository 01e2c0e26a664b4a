/*
 * The mailbox as a descriptor: os_msgfd(2) opens the caller's mailbox as a
 * file, so that a program can wait for a message and for its files at
 * once (poll, select).  read(2) receives the next message from anyone
 * (its sender is not told: os_recv says who), O_NONBLOCK giving EAGAIN;
 * poll(2) says POLLIN while a message is queued.  The file holds a
 * reference on the mailbox, not on the process: once the process exits
 * the file reads as end of file and polls POLLHUP.  Its inode belongs to
 * msgfs, an internal filesystem (like pipefs) that nothing can mount.
 */
#include <errno.h>
#include "fs/fdtable.h"
#include "fs/poll.h"
#include "fs/vfs.h"
#include "ipc/msg.h"
#include "mm/heap.h"
#include "syscall/syscall.h"

#define MSGFD_FLAGS (O_CLOEXEC | O_NONBLOCK)

static struct fs_type msgfs_type = { .name = "msgfs" };
static struct fs *msgfs;
static uint64_t msgfs_next_ino = 2; /* 1 is the root */

static int64_t msgfd_read(struct file *f, const struct vbuf *buf, size_t count, uint64_t pos)
{
	(void)pos;
	if (!buf->user || buf->nsegs) /* readv: not for messages */
		return -EINVAL;
	return msg_mailbox_recv(f->priv, 0, buf->addr, count, 0, f->flags & O_NONBLOCK ? 1 : 0, -1);
}

static unsigned msgfd_poll(struct file *f, struct poll_table *pt)
{
	return msg_mailbox_poll(f->priv, pt);
}

static void msgfd_release(struct file *f)
{
	msg_mailbox_put(f->priv);
}

static const struct file_ops msgfd_fops = {
	.read = msgfd_read,
	.poll = msgfd_poll,
	.release = msgfd_release,
	.stream = true,
};

/* msgfs, made at the first os_msgfd. */
static int msgfs_get(void)
{
	bool is_new;

	if (msgfs)
		return 0;
	msgfs = fs_alloc(&msgfs_type);
	if (!msgfs)
		return -ENOMEM;
	msgfs->root = inode_get(msgfs, 1, &is_new); /* keeps msgfs alive */
	if (!msgfs->root) {
		kfree(msgfs);
		msgfs = NULL;
		return -ENOMEM;
	}
	msgfs->root->mode = S_IFDIR | 0700;
	return 0;
}

int64_t sys_os_msgfd(int flags)
{
	struct mailbox *mb;
	struct inode *ino;
	struct file *f;
	bool is_new;
	int err, fd;

	if (flags & ~MSGFD_FLAGS)
		return -EINVAL;
	err = msgfs_get();
	if (err)
		return err;
	mb = msg_mailbox_hold(&err);
	if (!mb)
		return err;
	ino = inode_get(msgfs, msgfs_next_ino++, &is_new);
	if (!ino) {
		msg_mailbox_put(mb);
		return -ENOMEM;
	}
	ino->mode = S_IFREG | 0400;
	ino->fops = &msgfd_fops;
	err = vfs_open_inode(ino, O_RDONLY | (flags & O_NONBLOCK), &f);
	inode_put(ino); /* the file holds it now (or it goes) */
	if (err) {
		msg_mailbox_put(mb);
		return err;
	}
	f->priv = mb;
	fd = fd_install(f, flags & O_CLOEXEC);
	if (fd < 0)
		file_put(f); /* its release lets go of mb */
	return fd;
}
