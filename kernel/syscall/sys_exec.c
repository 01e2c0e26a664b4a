/*
 * execve(2): the path and the argument and environment vectors come from
 * the caller's memory, which the new program replaces, so everything is
 * copied into the kernel first: the path made canonical against the
 * current directory (fs_user_path), each string into one buffer of
 * EXEC_MAX_BYTES with a pointer per string.  More than EXEC_MAX_STRINGS
 * strings or EXEC_MAX_BYTES bytes is -E2BIG, as Linux says past ARG_MAX;
 * a bad pointer anywhere is -EFAULT.  Then proc_exec loads the file.
 */
#include "syscall/syscall.h"
#include <errno.h>
#include "fs/vfs.h"
#include "mm/heap.h"
#include "mm/usercopy.h"
#include "proc/exec.h"
#include "proc/proc.h"
#include "syscall/sys_fs.h"

/* The strings of argv and envp, copied: strings[] holds both vectors, each
 * ended by NULL, their characters in chars[]. */
struct exec_strings {
	const char *strings[EXEC_MAX_STRINGS + 2];
	int n;
	char chars[EXEC_MAX_BYTES];
	size_t used;
};

/* Append the NULL-terminated user vector uvec (NULL: empty) to s, and a
 * NULL.  0, -EFAULT or -E2BIG. */
static int copy_vector(struct exec_strings *s, uptr_t uvec)
{
	for (int i = 0; uvec; i++) {
		uint64_t ustr;
		int64_t len;

		if (copy_from_user(&ustr, uvec + 8 * (uint64_t)i, sizeof(ustr)))
			return -EFAULT;
		if (!ustr)
			break;
		if (s->n == EXEC_MAX_STRINGS)
			return -E2BIG;
		len = strncpy_from_user(s->chars + s->used, ustr, sizeof(s->chars) - s->used);
		if (len < 0)
			return len == -ENAMETOOLONG ? -E2BIG : (int)len;
		s->strings[s->n++] = s->chars + s->used;
		s->used += (size_t)len + 1;
	}
	s->strings[s->n++] = NULL;
	return 0;
}

int64_t sys_execve(uptr_t upath, uptr_t uargv, uptr_t uenvp)
{
	struct exec_strings *s = kmalloc(sizeof(*s));
	char *path = NULL;
	int err, envp_at;

	if (!s)
		return -ENOMEM;
	s->n = 0;
	s->used = 0;
	err = fs_user_path(AT_FDCWD, upath, &path);
	if (!err)
		err = copy_vector(s, uargv);
	envp_at = s->n;
	if (!err)
		err = copy_vector(s, uenvp);
	if (!err)
		err = proc_exec(path, s->strings, s->strings + envp_at);
	if (path)
		path_buf_put(path);
	kfree(s);
	return err;
}
