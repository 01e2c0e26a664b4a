/*
 * nofuse.c -- TEMPORARY: the <fuse_lowlevel.h> functions the server calls,
 * failing, until the FUSE library (libc/src/fuse/) is in the tree.  Only
 * the check mode works with these.  Deleted when the library arrives.
 */
#include <errno.h>
#include <fuse_lowlevel.h>

int fuse_reply_err(fuse_req_t req, int err)
{
	(void)req, (void)err;
	return -ENOSYS;
}

void fuse_reply_none(fuse_req_t req)
{
	(void)req;
}

int fuse_reply_entry(fuse_req_t req, const struct fuse_entry_param *e)
{
	(void)req, (void)e;
	return -ENOSYS;
}

int fuse_reply_create(fuse_req_t req, const struct fuse_entry_param *e,
		      const struct fuse_file_info *fi)
{
	(void)req, (void)e, (void)fi;
	return -ENOSYS;
}

int fuse_reply_attr(fuse_req_t req, const struct stat *attr, double attr_timeout)
{
	(void)req, (void)attr, (void)attr_timeout;
	return -ENOSYS;
}

int fuse_reply_open(fuse_req_t req, const struct fuse_file_info *fi)
{
	(void)req, (void)fi;
	return -ENOSYS;
}

int fuse_reply_write(fuse_req_t req, size_t count)
{
	(void)req, (void)count;
	return -ENOSYS;
}

int fuse_reply_buf(fuse_req_t req, const char *buf, size_t size)
{
	(void)req, (void)buf, (void)size;
	return -ENOSYS;
}

int fuse_reply_statfs(fuse_req_t req, const struct statvfs *stbuf)
{
	(void)req, (void)stbuf;
	return -ENOSYS;
}

size_t fuse_add_direntry(fuse_req_t req, char *buf, size_t bufsize, const char *name,
			 const struct stat *stbuf, off_t off)
{
	(void)req, (void)buf, (void)bufsize, (void)name, (void)stbuf, (void)off;
	return (size_t)-1;
}

void *fuse_req_userdata(fuse_req_t req)
{
	(void)req;
	return 0;
}

struct fuse_session *fuse_session_new(struct fuse_args *args, const struct fuse_lowlevel_ops *op,
				      size_t op_size, void *userdata)
{
	(void)args, (void)op, (void)op_size, (void)userdata;
	return 0;
}

int fuse_session_mount(struct fuse_session *se, const char *mountpoint)
{
	(void)se, (void)mountpoint;
	return -ENOSYS;
}

int fuse_session_loop(struct fuse_session *se)
{
	(void)se;
	return -ENOSYS;
}

void fuse_session_unmount(struct fuse_session *se)
{
	(void)se;
}

void fuse_session_destroy(struct fuse_session *se)
{
	(void)se;
}
