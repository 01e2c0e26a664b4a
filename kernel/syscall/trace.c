/*
 * System call tracing, in the spirit of strace(1).
 *
 * A traced process (its `trace` flag: set at spawn by `trace=NAME` or
 * `trace=all` on the kernel command line, or by os_trace(pid, on)) gets one
 * console line per system call, printed when the call returns:
 *
 *     [hello:1] writev(1, [{"hello, world", 12}, {"\n", 1}], 2) = 13
 *     [hello:1] brk(NULL) = 0x406000
 *     [hello:1] write(1, 0x0, 5) = -EFAULT
 *     [hello:1] exit_group(0) = ?
 *
 * The arguments are decoded as the table in syscall.c says (enum
 * syscall_arg).  Strings and buffers are read from the process with the
 * same checked copies the calls use, so tracing a bad pointer is safe: it
 * prints the pointer instead.  Long strings are cut after TRACE_STR_MAX
 * characters ("..." after the quote).
 */
#include "syscall/syscall.h"
#include <errno.h>
#include "boot/cmdline.h"
#include "lib/kprintf.h"
#include "lib/string.h"
#include "proc/proc.h"
#include "sched/thread.h"

#define TRACE_STR_MAX 32
#define TRACE_IOV_MAX 4

/* clang-format off */
static const char *const errno_names[] = {
	[EPERM] = "EPERM",
	[ENOENT] = "ENOENT",
	[ESRCH] = "ESRCH",
	[EINTR] = "EINTR",
	[EIO] = "EIO",
	[ENXIO] = "ENXIO",
	[E2BIG] = "E2BIG",
	[ENOEXEC] = "ENOEXEC",
	[EBADF] = "EBADF",
	[ECHILD] = "ECHILD",
	[EAGAIN] = "EAGAIN",
	[ENOMEM] = "ENOMEM",
	[EACCES] = "EACCES",
	[EFAULT] = "EFAULT",
	[EBUSY] = "EBUSY",
	[EEXIST] = "EEXIST",
	[ENODEV] = "ENODEV",
	[ENOTDIR] = "ENOTDIR",
	[EISDIR] = "EISDIR",
	[EINVAL] = "EINVAL",
	[ENFILE] = "ENFILE",
	[EMFILE] = "EMFILE",
	[ENOTTY] = "ENOTTY",
	[EFBIG] = "EFBIG",
	[ENOSPC] = "ENOSPC",
	[ESPIPE] = "ESPIPE",
	[EROFS] = "EROFS",
	[EPIPE] = "EPIPE",
	[ERANGE] = "ERANGE",
	[ENAMETOOLONG] = "ENAMETOOLONG",
	[ENOSYS] = "ENOSYS",
	[ENOTEMPTY] = "ENOTEMPTY",
	[EXDEV] = "EXDEV",
};
/* clang-format on */

const char *errno_name(int err)
{
	if (err > 0 && (size_t)err < ARRAY_SIZE(errno_names))
		return errno_names[err];
	return NULL;
}

bool trace_wanted(const char *name)
{
	const char *want = cmdline_get("trace");

	return want && (strcmp(want, "all") == 0 || strcmp(want, name) == 0);
}

/* A set of named bits: prints "A|B|0x40" (or "0"). */
struct flag_name {
	uint64_t bit;
	const char *name;
};

static void print_flags(uint64_t v, const struct flag_name *names, size_t n)
{
	bool any = false;

	for (size_t i = 0; i < n; i++) {
		if (v & names[i].bit) {
			kprintf("%s%s", any ? "|" : "", names[i].name);
			v &= ~names[i].bit;
			any = true;
		}
	}
	if (v || !any)
		kprintf("%s0x%lx", any ? "|" : "", v);
}

/* Print len bytes as a C string literal, escaped, cut at TRACE_STR_MAX. */
static void print_quoted(const char *s, size_t len, bool cut)
{
	kprintf("\"");
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\n')
			kprintf("\\n");
		else if (c == '\t')
			kprintf("\\t");
		else if (c == '\r')
			kprintf("\\r");
		else if (c == '"' || c == '\\')
			kprintf("\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			kprintf("\\x%02x", c);
		else
			kprintf("%c", c);
	}
	kprintf("\"%s", cut ? "..." : "");
}

static void print_ptr(uint64_t v)
{
	if (v)
		kprintf("0x%lx", v);
	else
		kprintf("NULL");
}

/* Print len bytes at user address buf (or the pointer, if unreadable). */
static void print_user_bytes(uptr_t buf, uint64_t len)
{
	char tmp[TRACE_STR_MAX];
	size_t n = MIN(len, sizeof(tmp));

	if (copy_from_user(tmp, buf, n) != 0)
		print_ptr(buf);
	else
		print_quoted(tmp, n, len > n);
}

static void print_user_string(uptr_t s)
{
	char tmp[TRACE_STR_MAX + 1];
	int64_t n = strncpy_from_user(tmp, s, sizeof(tmp));

	if (n == -EFAULT)
		print_ptr(s);
	else
		print_quoted(tmp, n < 0 ? TRACE_STR_MAX : (size_t)n, n < 0);
}

static void print_iov(uptr_t iov, uint64_t count)
{
	struct {
		uint64_t base, len;
	} v[TRACE_IOV_MAX];
	size_t n = MIN(count, TRACE_IOV_MAX);

	if (count > 1024 || copy_from_user(v, iov, n * sizeof(v[0])) != 0) {
		print_ptr(iov);
		return;
	}
	kprintf("[");
	for (size_t i = 0; i < n; i++) {
		kprintf("%s{", i ? ", " : "");
		print_user_bytes(v[i].base, v[i].len);
		kprintf(", %lu}", v[i].len);
	}
	kprintf("%s]", count > n ? ", ..." : "");
}

static void print_timespec(uptr_t ts)
{
	int64_t t[2];

	if (copy_from_user(t, ts, sizeof(t)) != 0)
		print_ptr(ts);
	else
		kprintf("{%ld, %ld}", t[0], t[1]);
}

static const struct flag_name prot_names[] = {
	{ 1, "PROT_READ" },
	{ 2, "PROT_WRITE" },
	{ 4, "PROT_EXEC" },
};
static const struct flag_name map_names[] = {
	{ 0x01, "MAP_SHARED" },     { 0x02, "MAP_PRIVATE" },
	{ 0x10, "MAP_FIXED" },      { 0x20, "MAP_ANONYMOUS" },
	{ 0x100, "MAP_GROWSDOWN" }, { 0x4000, "MAP_NORESERVE" },
	{ 0x8000, "MAP_POPULATE" }, { 0x100000, "MAP_FIXED_NOREPLACE" },
};

static const char *clock_name(uint64_t c)
{
	static const char *const names[] = { "CLOCK_REALTIME",           "CLOCK_MONOTONIC",
					     "CLOCK_PROCESS_CPUTIME_ID", "CLOCK_THREAD_CPUTIME_ID",
					     "CLOCK_MONOTONIC_RAW",      "CLOCK_REALTIME_COARSE",
					     "CLOCK_MONOTONIC_COARSE",   "CLOCK_BOOTTIME" };

	return c < ARRAY_SIZE(names) ? names[c] : NULL;
}

static const char *ioctl_name(uint64_t r)
{
	switch (r) {
	case 0x5401:
		return "TCGETS";
	case 0x5402:
		return "TCSETS";
	case 0x5403:
		return "TCSETSW";
	case 0x5404:
		return "TCSETSF";
	case 0x540b:
		return "TCFLSH";
	case 0x540e:
		return "TIOCSCTTY";
	case 0x540f:
		return "TIOCGPGRP";
	case 0x5410:
		return "TIOCSPGRP";
	case 0x5413:
		return "TIOCGWINSZ";
	case 0x5414:
		return "TIOCSWINSZ";
	case 0x541b:
		return "FIONREAD";
	}
	return NULL;
}

static const char *arch_name(uint64_t code)
{
	switch (code) {
	case 0x1001:
		return "ARCH_SET_GS";
	case 0x1002:
		return "ARCH_SET_FS";
	case 0x1003:
		return "ARCH_GET_FS";
	case 0x1004:
		return "ARCH_GET_GS";
	}
	return NULL;
}

static void print_named(const char *name, uint64_t v)
{
	if (name)
		kprintf("%s", name);
	else
		kprintf("%ld", (int64_t)v);
}

/* Print argument i of a call; next is argument i + 1 (a count, for some). */
static void print_arg(uint8_t kind, uint64_t v, uint64_t next, int64_t ret, bool done)
{
	switch (kind) {
	case ARG_INT:
		kprintf("%d", (int)v);
		break;
	case ARG_LONG:
		kprintf("%ld", (int64_t)v);
		break;
	case ARG_HEX:
		kprintf("0x%lx", v);
		break;
	case ARG_STR:
		print_user_string(v);
		break;
	case ARG_BUF_IN:
		print_user_bytes(v, next);
		break;
	case ARG_BUF_OUT:
		if (done && ret > 0)
			print_user_bytes(v, (uint64_t)ret);
		else
			print_ptr(v);
		break;
	case ARG_IOV:
		print_iov(v, next);
		break;
	case ARG_PROT:
		print_flags(v, prot_names, ARRAY_SIZE(prot_names));
		break;
	case ARG_MAP:
		print_flags(v, map_names, ARRAY_SIZE(map_names));
		break;
	case ARG_CLOCK:
		print_named(clock_name(v), v);
		break;
	case ARG_IOCTL:
		print_named(ioctl_name(v), v);
		break;
	case ARG_ARCH:
		print_named(arch_name(v), v);
		break;
	case ARG_TIMESPEC:
		print_timespec(v);
		break;
	default:
		print_ptr(v);
	}
}

void trace_call(struct proc *p, uint64_t nr, const struct syscall_desc *d, const uint64_t args[6],
		int64_t ret, bool done)
{
	/* The thread's id: a process's first thread has its pid. */
	kprintf("[%s:%d] ", p->name, thread_current()->tid);
	if (!d) {
		const char *name = syscall_linux_name(nr);

		if (name)
			kprintf("%s(...)", name);
		else
			kprintf("syscall_%ld(...)", (int64_t)nr);
	} else {
		kprintf("%s(", d->name);
		for (int i = 0; i < d->nargs; i++) {
			kprintf("%s", i ? ", " : "");
			print_arg(d->args[i], args[i], i < 5 ? args[i + 1] : 0, ret, done);
		}
		kprintf(")");
	}
	if (!done) {
		kprintf(" = ?\n");
		return;
	}
	if (ret < 0 && ret >= -4095) {
		const char *name = errno_name((int)-ret);

		if (name)
			kprintf(" = -%s\n", name);
		else
			kprintf(" = -%ld\n", -ret);
	} else if (d && d->ret == RET_PTR) {
		kprintf(" = 0x%lx\n", ret);
	} else {
		kprintf(" = %ld\n", ret);
	}
}
