/*
 * badcall: every implemented system call given bad arguments.
 *
 * The kernel must check everything a program passes: a pointer that is
 * null, unmapped, in the kernel half, not canonical, read-only where the
 * kernel has to write, or that runs off the end of a mapping gets EFAULT; a
 * bad descriptor EBADF; a huge length EFAULT, EINVAL or ENOMEM (as Linux
 * does); and nothing a program passes may make the kernel itself fault.
 * Misaligned but valid pointers are fine on x86 and must work.
 *
 * The calls are made with the `syscall` instruction directly, not through
 * musl, so that the kernel sees exactly these arguments (musl's wrappers
 * check some themselves or, on Linux, go through the vDSO) and the result is
 * the raw -errno.  Each check prints one line:
 *
 *     badcall: write(1, NULL, 5): expected EFAULT, got EFAULT ok
 *
 * and the program ends with "badcall: N checks, M failed" and exit status M
 * (at most 100).  Grading checks every line and that the kernel runs on.
 *
 * The expectations are Linux's, and the program runs on a Linux host too
 * (with its output on a terminal, for the ioctl checks).  A few checks are
 * kestrel-only, where Linux is allowed to differ: Linux may block in a
 * console read before it notices a bad buffer, and writes what it can of a
 * buffer that runs into unmapped memory; kestrel checks the whole buffer
 * first.  The OS's own calls (numbers from 1000) are also kestrel-only.
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <sys/ioctl.h>
#include <time.h>
#include <os/syscall.h>

#define PAGE 4096ul

/* arch_prctl codes (Linux's <asm/prctl.h>, which musl does not install). */
#define ARCH_SET_GS 0x1001
#define ARCH_SET_FS 0x1002
#define ARCH_GET_FS 0x1003
#define ARCH_GET_GS 0x1004

/* Pointers no program may pass. */
#define NULLP    0ul
#define LOWPAGE  0x1000ul             /* below the program: never mapped */
#define KDIRECT  0xffff800000000000ul /* the kernel's direct map */
#define KTEXT    0xffffffff80100000ul /* the kernel image */
#define NONCANON 0x8000000000000000ul /* not a canonical address */
#define USEREND  0x0000800000000000ul /* first address past the user half */

static int checks, failures;
static int on_kestrel;

static long sys(long n, long a, long b, long c, long d, long e, long f)
{
	long ret;
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}

#define SYS0(n)          sys(n, 0, 0, 0, 0, 0, 0)
#define SYS1(n, a)       sys(n, (long)(a), 0, 0, 0, 0, 0)
#define SYS2(n, a, b)    sys(n, (long)(a), (long)(b), 0, 0, 0, 0)
#define SYS3(n, a, b, c) sys(n, (long)(a), (long)(b), (long)(c), 0, 0, 0)
#define SYS6(n, a, b, c, d, e, f) \
	sys(n, (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), (long)(f))

static const char *errno_name(int e)
{
	static const struct {
		int e;
		const char *name;
	} names[] = {
		{ EPERM, "EPERM" },
		{ ENOENT, "ENOENT" },
		{ ESRCH, "ESRCH" },
		{ EINTR, "EINTR" },
		{ EIO, "EIO" },
		{ EBADF, "EBADF" },
		{ EAGAIN, "EAGAIN" },
		{ ENOMEM, "ENOMEM" },
		{ EACCES, "EACCES" },
		{ EFAULT, "EFAULT" },
		{ EEXIST, "EEXIST" },
		{ EINVAL, "EINVAL" },
		{ ENOTTY, "ENOTTY" },
		{ ENOSYS, "ENOSYS" },
		{ ERANGE, "ERANGE" },
		{ E2BIG, "E2BIG" },
		{ ENAMETOOLONG, "ENAMETOOLONG" },
		{ ENOTDIR, "ENOTDIR" },
		{ EISDIR, "EISDIR" },
		{ EBUSY, "EBUSY" },
		{ ESPIPE, "ESPIPE" },
	};
	static char other[16];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].e == e)
			return names[i].name;
	snprintf(other, sizeof(other), "errno%d", e);
	return other;
}

/* What a result looks like in a report line: "EFAULT", "success" or a number. */
static void describe(char *buf, size_t size, long ret, int exact)
{
	if (ret < 0 && ret > -4096)
		snprintf(buf, size, "%s", errno_name((int)-ret));
	else if (exact)
		snprintf(buf, size, "%ld", ret);
	else
		snprintf(buf, size, "success");
}

static void report(const char *call, const char *want, const char *got)
{
	int ok = strcmp(want, got) == 0;

	checks++;
	if (!ok)
		failures++;
	printf("badcall: %s: expected %s, got %s %s\n", call, want, got, ok ? "ok" : "FAILED");
	fflush(stdout);
}

/* The call must fail with errno `err`. */
static void expect_err(const char *call, long ret, int err)
{
	char got[32];

	describe(got, sizeof(got), ret, 1);
	report(call, errno_name(err), got);
}

/* The call must succeed (any non-negative result). */
static void expect_ok(const char *call, long ret)
{
	char got[32];

	describe(got, sizeof(got), ret, 0);
	report(call, "success", got);
}

/* The call must return exactly `value`. */
static void expect_val(const char *call, long ret, long value)
{
	char got[32], want[32];

	describe(got, sizeof(got), ret, 1);
	snprintf(want, sizeof(want), "%ld", value);
	report(call, want, got);
}

/* Pages set up by main: `hole` was mapped and unmapped again (certainly
 * unmapped), `edge` is the last 8 bytes of a mapping followed by a hole. */
static unsigned long hole, edge;
static char buf[1024] __attribute__((aligned(16))); /* more than a struct utsname */
static const char rodata[64] = "read-only";

static void test_write(void)
{
	static const char msg[] = "badcall: (this line written by write)\n";

	expect_err("write(1, NULL, 5)", SYS3(SYS_write, 1, NULLP, 5), EFAULT);
	expect_err("write(1, LOWPAGE, 5)", SYS3(SYS_write, 1, LOWPAGE, 5), EFAULT);
	expect_err("write(1, unmapped, 5)", SYS3(SYS_write, 1, hole, 5), EFAULT);
	expect_err("write(1, KDIRECT, 5)", SYS3(SYS_write, 1, KDIRECT, 5), EFAULT);
	expect_err("write(1, KTEXT, 5)", SYS3(SYS_write, 1, KTEXT, 5), EFAULT);
	expect_err("write(1, NONCANON, 5)", SYS3(SYS_write, 1, NONCANON, 5), EFAULT);
	expect_err("write(1, USEREND - 2, 5)", SYS3(SYS_write, 1, USEREND - 2, 5), EFAULT);
	expect_err("write(1, buf, SIZE_MAX)", SYS3(SYS_write, 1, buf, SIZE_MAX), EFAULT);
	expect_err("write(1, buf, 1 << 47)", SYS3(SYS_write, 1, buf, 1ul << 47), EFAULT);
	if (on_kestrel)
		expect_err("write(1, end of mapping, 16)", SYS3(SYS_write, 1, edge, 16), EFAULT);
	expect_err("write(-1, buf, 1)", SYS3(SYS_write, -1, buf, 1), EBADF);
	expect_err("write(1000, buf, 1)", SYS3(SYS_write, 1000, buf, 1), EBADF);
	expect_err("write(INT_MAX, buf, 1)", SYS3(SYS_write, INT_MAX, buf, 1), EBADF);
	expect_val("write(1, NULL, 0)", SYS3(SYS_write, 1, NULLP, 0), 0);
	/* An int argument is 32 bits: the upper half of the register is ignored. */
	expect_val("write(0x100000001, msg, len)",
		   SYS3(SYS_write, 0x100000001l, msg, sizeof(msg) - 1), sizeof(msg) - 1);
	memcpy(buf + 1, msg, sizeof(msg) - 1);
	expect_val("write(1, misaligned, len)", SYS3(SYS_write, 1, buf + 1, sizeof(msg) - 1),
		   sizeof(msg) - 1);
}

static void test_read(void)
{
	expect_err("read(-1, buf, 1)", SYS3(SYS_read, -1, buf, 1), EBADF);
	expect_err("read(99, buf, 1)", SYS3(SYS_read, 99, buf, 1), EBADF);
	expect_err("read(0, KDIRECT, 5)", SYS3(SYS_read, 0, KDIRECT, 5), EFAULT);
	expect_err("read(0, KTEXT, 5)", SYS3(SYS_read, 0, KTEXT, 5), EFAULT);
	expect_err("read(0, NONCANON, 5)", SYS3(SYS_read, 0, NONCANON, 5), EFAULT);
	expect_err("read(0, buf, SIZE_MAX)", SYS3(SYS_read, 0, buf, SIZE_MAX), EFAULT);
	expect_val("read(0, buf, 0)", SYS3(SYS_read, 0, buf, 0), 0);
	if (!on_kestrel)
		return;
	/* Linux blocks for input before it finds these out; kestrel checks first. */
	expect_err("read(0, NULL, 5)", SYS3(SYS_read, 0, NULLP, 5), EFAULT);
	expect_err("read(0, unmapped, 5)", SYS3(SYS_read, 0, hole, 5), EFAULT);
	expect_err("read(0, rodata, 5)", SYS3(SYS_read, 0, rodata, 5), EFAULT);
	expect_err("read(0, main, 5)", SYS3(SYS_read, 0, (uintptr_t)test_read, 5), EFAULT);
	expect_err("read(0, end of mapping, 16)", SYS3(SYS_read, 0, edge, 16), EFAULT);
}

static void test_iovec(void)
{
	static const char line[] = "badcall: (this line written by writev)\n";
	struct iovec iov[2];
	char misaligned_iov[sizeof(struct iovec) + 1];

	iov[0].iov_base = (void *)line;
	iov[0].iov_len = 10;
	iov[1].iov_base = (void *)(line + 10);
	iov[1].iov_len = sizeof(line) - 11;
	expect_val("writev(1, iov, 2)", SYS3(SYS_writev, 1, iov, 2), sizeof(line) - 1);
	expect_err("writev(1, NULL, 1)", SYS3(SYS_writev, 1, NULLP, 1), EFAULT);
	expect_err("writev(1, KDIRECT, 1)", SYS3(SYS_writev, 1, KDIRECT, 1), EFAULT);
	expect_err("writev(1, unmapped, 1)", SYS3(SYS_writev, 1, hole, 1), EFAULT);
	expect_err("writev(1, iov, -1)", SYS3(SYS_writev, 1, iov, -1), EINVAL);
	expect_err("writev(1, iov, 1025)", SYS3(SYS_writev, 1, iov, 1025), EINVAL);
	expect_err("writev(-1, iov, 2)", SYS3(SYS_writev, -1, iov, 2), EBADF);
	expect_val("writev(1, iov, 0)", SYS3(SYS_writev, 1, iov, 0), 0);
	iov[1].iov_base = (void *)KTEXT;
	expect_err("writev(1, {ok, KTEXT}, 2)", SYS3(SYS_writev, 1, iov, 2), EFAULT);
	iov[1].iov_base = NULL;
	expect_err("writev(1, {ok, NULL}, 2)", SYS3(SYS_writev, 1, iov, 2), EFAULT);
	iov[1].iov_base = (void *)line;
	iov[1].iov_len = (size_t)-1;
	expect_err("writev(1, {ok, length -1}, 2)", SYS3(SYS_writev, 1, iov, 2), EINVAL);
	iov[0].iov_len = sizeof(line) - 1;
	memcpy(misaligned_iov + 1, iov, sizeof(struct iovec));
	expect_val("writev(1, misaligned iov, 1)", SYS3(SYS_writev, 1, misaligned_iov + 1, 1),
		   sizeof(line) - 1);

	expect_err("readv(0, NULL, 1)", SYS3(SYS_readv, 0, NULLP, 1), EFAULT);
	expect_err("readv(0, iov, -1)", SYS3(SYS_readv, 0, iov, -1), EINVAL);
	expect_err("readv(-1, iov, 1)", SYS3(SYS_readv, -1, iov, 1), EBADF);
	iov[0].iov_base = (void *)KDIRECT;
	iov[0].iov_len = 5;
	expect_err("readv(0, {KDIRECT}, 1)", SYS3(SYS_readv, 0, iov, 1), EFAULT);
	if (on_kestrel) {
		iov[0].iov_base = (void *)rodata;
		expect_err("readv(0, {rodata}, 1)", SYS3(SYS_readv, 0, iov, 1), EFAULT);
	}
}

/* Calls that write a structure back: each pointer kind once. */
static void test_out_pointers(const char *name, long nr, long arg0, int has_arg0)
{
	static const struct {
		const char *what;
		unsigned long ptr;
	} bad[] = {
		{ "NULL", NULLP },
		{ "LOWPAGE", LOWPAGE },
		{ "KDIRECT", KDIRECT },
		{ "KTEXT", KTEXT },
		{ "NONCANON", NONCANON },
		{ "USEREND - 8", USEREND - 8 },
		{ "rodata", (unsigned long)rodata },
	};
	char call[80];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (has_arg0)
			snprintf(call, sizeof(call), "%s(%ld, %s)", name, arg0, bad[i].what);
		else
			snprintf(call, sizeof(call), "%s(%s)", name, bad[i].what);
		expect_err(call, has_arg0 ? SYS2(nr, arg0, bad[i].ptr) : SYS1(nr, bad[i].ptr),
			   EFAULT);
	}
	snprintf(call, sizeof(call), has_arg0 ? "%s(%ld, unmapped)" : "%s(unmapped)", name, arg0);
	expect_err(call, has_arg0 ? SYS2(nr, arg0, hole) : SYS1(nr, hole), EFAULT);
	snprintf(call, sizeof(call), has_arg0 ? "%s(%ld, end of mapping)" : "%s(end of mapping)",
		 name, arg0);
	expect_err(call, has_arg0 ? SYS2(nr, arg0, edge) : SYS1(nr, edge), EFAULT);
	snprintf(call, sizeof(call), has_arg0 ? "%s(%ld, misaligned)" : "%s(misaligned)", name,
		 arg0);
	expect_ok(call, has_arg0 ? SYS2(nr, arg0, buf + 3) : SYS1(nr, buf + 3));
}

static void test_time(void)
{
	struct timespec ts;

	test_out_pointers("clock_gettime", SYS_clock_gettime, CLOCK_MONOTONIC, 1);
	expect_err("clock_gettime(999, &ts)", SYS2(SYS_clock_gettime, 999, &ts), EINVAL);
	expect_ok("clock_gettime(CLOCK_REALTIME, &ts)",
		  SYS2(SYS_clock_gettime, CLOCK_REALTIME, &ts));

	expect_err("nanosleep(NULL, NULL)", SYS2(SYS_nanosleep, NULLP, NULLP), EFAULT);
	expect_err("nanosleep(KDIRECT, NULL)", SYS2(SYS_nanosleep, KDIRECT, NULLP), EFAULT);
	expect_err("nanosleep(unmapped, NULL)", SYS2(SYS_nanosleep, hole, NULLP), EFAULT);
	ts.tv_sec = 0;
	ts.tv_nsec = 1000000000;
	expect_err("nanosleep({0, 1000000000}, NULL)", SYS2(SYS_nanosleep, &ts, NULLP), EINVAL);
	ts.tv_nsec = -1;
	expect_err("nanosleep({0, -1}, NULL)", SYS2(SYS_nanosleep, &ts, NULLP), EINVAL);
	ts.tv_sec = -1;
	ts.tv_nsec = 0;
	expect_err("nanosleep({-1, 0}, NULL)", SYS2(SYS_nanosleep, &ts, NULLP), EINVAL);
	ts.tv_sec = 0;
	ts.tv_nsec = 1000;
	/* rem is written only when the sleep is interrupted. */
	expect_val("nanosleep({0, 1000}, KTEXT)", SYS2(SYS_nanosleep, &ts, KTEXT), 0);
	memcpy(buf + 1, &ts, sizeof(ts));
	expect_val("nanosleep(misaligned, NULL)", SYS2(SYS_nanosleep, buf + 1, NULLP), 0);
}

/* ioctl's pointer is its third argument: test_out_pointers passes it second. */
static long ioctl_winsz(long fd, long ptr)
{
	return SYS3(SYS_ioctl, fd, TIOCGWINSZ, ptr);
}

static void test_ioctl(void)
{
	static const struct {
		const char *what;
		unsigned long ptr;
	} bad[] = {
		{ "NULL", NULLP },
		{ "KDIRECT", KDIRECT },
		{ "KTEXT", KTEXT },
		{ "NONCANON", NONCANON },
		{ "rodata", (unsigned long)rodata },
	};
	char call[80];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(call, sizeof(call), "ioctl(1, TIOCGWINSZ, %s)", bad[i].what);
		expect_err(call, ioctl_winsz(1, bad[i].ptr), EFAULT);
	}
	expect_err("ioctl(1, TIOCGWINSZ, unmapped)", ioctl_winsz(1, hole), EFAULT);
	expect_err("ioctl(-1, TIOCGWINSZ, buf)", ioctl_winsz(-1, (long)buf), EBADF);
	expect_err("ioctl(42, TIOCGWINSZ, buf)", ioctl_winsz(42, (long)buf), EBADF);
	expect_err("ioctl(1, 0x12345678, buf)", SYS3(SYS_ioctl, 1, 0x12345678, buf), ENOTTY);
	expect_val("ioctl(1, TIOCGWINSZ, misaligned)", ioctl_winsz(1, (long)(buf + 1)), 0);
}

static void test_arch_prctl(void)
{
	unsigned long fs = 0;

	expect_val("arch_prctl(ARCH_GET_FS, &fs)", SYS2(SYS_arch_prctl, ARCH_GET_FS, &fs), 0);
	expect_err("arch_prctl(ARCH_GET_FS, NULL)", SYS2(SYS_arch_prctl, ARCH_GET_FS, NULLP),
		   EFAULT);
	expect_err("arch_prctl(ARCH_GET_FS, KTEXT)", SYS2(SYS_arch_prctl, ARCH_GET_FS, KTEXT),
		   EFAULT);
	expect_err("arch_prctl(ARCH_GET_FS, rodata)", SYS2(SYS_arch_prctl, ARCH_GET_FS, rodata),
		   EFAULT);
	/* A kernel or non-canonical base would fault on the way back to user mode. */
	expect_err("arch_prctl(ARCH_SET_FS, KDIRECT)", SYS2(SYS_arch_prctl, ARCH_SET_FS, KDIRECT),
		   EPERM);
	expect_err("arch_prctl(ARCH_SET_FS, USEREND)", SYS2(SYS_arch_prctl, ARCH_SET_FS, USEREND),
		   EPERM);
	expect_err("arch_prctl(ARCH_SET_FS, NONCANON)", SYS2(SYS_arch_prctl, ARCH_SET_FS, NONCANON),
		   EPERM);
	expect_err("arch_prctl(0x1234, 0)", SYS2(SYS_arch_prctl, 0x1234, 0), EINVAL);
	expect_val("arch_prctl(ARCH_GET_FS, misaligned)",
		   SYS2(SYS_arch_prctl, ARCH_GET_FS, buf + 1), 0);
	memcpy(&fs, buf + 1, sizeof(fs));
	{
		unsigned long self;

		__asm__ volatile("movq %%fs:0, %0" : "=r"(self));
		expect_val("ARCH_GET_FS gives the thread pointer", (long)fs, (long)self);
	}
}

static void test_memory(void)
{
	long p, brk0;

	expect_err("mmap(NULL, 0, RW, PRIVATE|ANON)",
		   SYS6(SYS_mmap, 0, 0, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
		   EINVAL);
	expect_err("mmap(NULL, 4096, RW, ANON)",
		   SYS6(SYS_mmap, 0, PAGE, PROT_READ | PROT_WRITE, MAP_ANONYMOUS, -1, 0), EINVAL);
	expect_err("mmap(NULL, 1 << 47, RW, PRIVATE|ANON)",
		   SYS6(SYS_mmap, 0, 1ul << 47, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			-1, 0),
		   ENOMEM);
	expect_err("mmap(NULL, SIZE_MAX, RW, PRIVATE|ANON)",
		   SYS6(SYS_mmap, 0, SIZE_MAX, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			-1, 0),
		   ENOMEM);
	expect_err("mmap(0x10001, 4096, RW, PRIVATE|ANON|FIXED)",
		   SYS6(SYS_mmap, 0x10001, PAGE, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0),
		   EINVAL);
	expect_err("mmap(KDIRECT, 4096, RW, PRIVATE|ANON|FIXED)",
		   SYS6(SYS_mmap, KDIRECT, PAGE, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0),
		   ENOMEM);
	expect_err("mmap(USEREND - 4096, 8192, RW, PRIVATE|ANON|FIXED)",
		   SYS6(SYS_mmap, USEREND - PAGE, 2 * PAGE, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0),
		   ENOMEM);
	expect_err("mmap(NULL, 4096, RW, PRIVATE, -1, 0)",
		   SYS6(SYS_mmap, 0, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, -1, 0), EBADF);
	expect_err("mmap(NULL, 4096, RW, PRIVATE|ANON, -1, 1)",
		   SYS6(SYS_mmap, 0, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
			1),
		   EINVAL);
	p = SYS6(SYS_mmap, 0, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	expect_ok("mmap(NULL, 8192, RW, PRIVATE|ANON)", p);
	if (p > 0) {
		/* Keep the first page only: whatever lies above, the page after
		 * it is certainly not mapped. */
		expect_val("munmap(second page, 4096)", SYS2(SYS_munmap, p + PAGE, PAGE), 0);
		expect_val("read(0, mmap'd page, 0)", SYS3(SYS_read, 0, p, 0), 0);
		expect_ok("clock_gettime into the mmap'd page",
			  SYS2(SYS_clock_gettime, CLOCK_MONOTONIC, p + PAGE - 16));
		expect_err("clock_gettime across its end",
			   SYS2(SYS_clock_gettime, CLOCK_MONOTONIC, p + PAGE - 8), EFAULT);
		expect_val("munmap(page, 4096)", SYS2(SYS_munmap, p, PAGE), 0);
		expect_err("clock_gettime into the unmapped page",
			   SYS2(SYS_clock_gettime, CLOCK_MONOTONIC, p), EFAULT);
	}
	expect_err("munmap(0x10001, 4096)", SYS2(SYS_munmap, 0x10001, PAGE), EINVAL);
	expect_err("munmap(unmapped, 0)", SYS2(SYS_munmap, hole, 0), EINVAL);
	expect_err("munmap(KDIRECT, 4096)", SYS2(SYS_munmap, KDIRECT, PAGE), EINVAL);
	expect_err("munmap(unmapped, SIZE_MAX & ~4095)", SYS2(SYS_munmap, hole, SIZE_MAX & ~4095ul),
		   EINVAL);
	expect_val("munmap(unmapped, 4096)", SYS2(SYS_munmap, hole, PAGE), 0);

	/* brk never fails with an errno: it returns the break it has. */
	brk0 = SYS1(SYS_brk, 0);
	expect_ok("brk(0)", brk0);
	expect_val("brk(KDIRECT)", SYS1(SYS_brk, KDIRECT), brk0);
	expect_val("brk(NONCANON)", SYS1(SYS_brk, NONCANON), brk0);
	expect_val("brk(1)", SYS1(SYS_brk, 1), brk0);
	expect_val("brk(USEREND - 4096)", SYS1(SYS_brk, USEREND - PAGE), brk0);
}

static void test_misc(void)
{
	long pid = SYS0(SYS_getpid);

	expect_ok("getpid()", pid);
	expect_val("sched_yield()", SYS0(SYS_sched_yield), 0);
	expect_err("syscall 9999", SYS0(9999), ENOSYS);
	expect_err("syscall 9999 again", SYS0(9999), ENOSYS);
	expect_err("syscall -1", SYS0(-1), ENOSYS);
	expect_err("syscall 0x40000001 (x32)", SYS0(0x40000001), ENOSYS);
	if (on_kestrel) {
		expect_err("os_trace(999999, 1)", SYS2(SYS_os_trace, 999999, 1), ESRCH);
		expect_err("os_getpriority(999999)", SYS1(SYS_os_getpriority, 999999), ESRCH);
		expect_err("os_setpriority(0, -1)", SYS2(SYS_os_setpriority, 0, -1), EINVAL);
		expect_err("os_setpriority(0, 1 << 20)", SYS2(SYS_os_setpriority, 0, 1 << 20),
			   EINVAL);
		expect_err("syscall 1999", SYS0(1999), ENOSYS);
		/* Linux has it, kestrel does not: the kernel names it. */
		expect_err("kexec_load(0, 0, NULL, 0)", SYS0(246), ENOSYS);
		/* Trace one bad call of our own: the kernel prints
		 * "[badcall:PID] write(1, NULL, 5) = -EFAULT". */
		expect_val("os_trace(0, 1)", SYS2(SYS_os_trace, 0, 1), 0);
		expect_err("write(1, NULL, 5) while traced", SYS3(SYS_write, 1, NULLP, 5), EFAULT);
		expect_val("os_trace(0, 0)", SYS2(SYS_os_trace, 0, 0), 0);
	}
	/* The kernel writes 0 here when the program exits: a kernel address
	 * must not make it fault then. */
	expect_val("set_tid_address(KTEXT)", SYS1(SYS_set_tid_address, KTEXT), pid);
}

/* ---- the file system calls ---------------------------------------------------- */

#define AT_FDCWD_      (-100)
#define AT_EMPTY_PATH_ 0x1000

static const struct {
	const char *what;
	unsigned long ptr;
} bad_ptrs[] = {
	{ "NULL", NULLP },  { "LOWPAGE", LOWPAGE },   { "KDIRECT", KDIRECT },
	{ "KTEXT", KTEXT }, { "NONCANON", NONCANON }, { "USEREND - 8", USEREND - 8 },
};

/*
 * Call nr with args, argument `slot` replaced by each bad pointer in turn,
 * and by `hole` and `edge` (8 bytes of 'a' with no NUL before the hole, for
 * a path); fmt names the call with a %s for that argument.
 */
static void bad_ptr_checks(const char *fmt, long nr, const long args[6], int slot, int err)
{
	char call[128];
	long a[6];

	for (size_t i = 0; i < sizeof(bad_ptrs) / sizeof(bad_ptrs[0]) + 2; i++) {
		/* Linux reads into what it can of a buffer (pread64), and
		 * takes a NULL mount source or type for "none". */
		if ((i == 7 && nr == SYS_pread64 && !on_kestrel) ||
		    (i == 0 && nr == SYS_mount && slot != 1))
			continue;
		const char *what = i < 6    ? bad_ptrs[i].what
				   : i == 6 ? "unmapped"
					    : "end of mapping";
		unsigned long ptr = i < 6 ? bad_ptrs[i].ptr : i == 6 ? hole : edge;

		memcpy(a, args, sizeof(a));
		a[slot] = (long)ptr;
		snprintf(call, sizeof(call), fmt, what);
		expect_err(call, sys(nr, a[0], a[1], a[2], a[3], a[4], a[5]), err);
	}
}

/* A path argument: bad pointers are EFAULT. */
static void bad_path(const char *fmt, long nr, long a0, long a1, long a2, long a3, long a4,
		     int slot)
{
	const long args[6] = { a0, a1, a2, a3, a4, 0 };

	bad_ptr_checks(fmt, nr, args, slot, EFAULT);
}

/* Calls that take a path: every bad pointer in it. */
static void test_fs_paths(void)
{
	const long cwd = AT_FDCWD_, p = (long)"/dev/null", d = (long)"/nonexistent";

	memset((void *)edge, 'a', 8); /* no NUL before the hole */
	bad_path("open(%s, O_RDONLY)", SYS_open, 0, O_RDONLY, 0, 0, 0, 0);
	bad_path("openat(AT_FDCWD, %s, O_RDONLY)", SYS_openat, cwd, 0, O_RDONLY, 0, 0, 1);
	bad_path("creat(%s, 0644)", SYS_creat, 0, 0644, 0, 0, 0, 0);
	bad_path("stat(%s, buf)", SYS_stat, 0, (long)buf, 0, 0, 0, 0);
	bad_path("lstat(%s, buf)", SYS_lstat, 0, (long)buf, 0, 0, 0, 0);
	bad_path("newfstatat(AT_FDCWD, %s, buf, 0)", SYS_newfstatat, cwd, 0, (long)buf, 0, 0, 1);
	bad_path("access(%s, F_OK)", SYS_access, 0, F_OK, 0, 0, 0, 0);
	bad_path("faccessat(AT_FDCWD, %s, F_OK)", SYS_faccessat, cwd, 0, F_OK, 0, 0, 1);
	bad_path("mkdir(%s, 0755)", SYS_mkdir, 0, 0755, 0, 0, 0, 0);
	bad_path("mkdirat(AT_FDCWD, %s, 0755)", SYS_mkdirat, cwd, 0, 0755, 0, 0, 1);
	bad_path("rmdir(%s)", SYS_rmdir, 0, 0, 0, 0, 0, 0);
	bad_path("unlink(%s)", SYS_unlink, 0, 0, 0, 0, 0, 0);
	bad_path("unlinkat(AT_FDCWD, %s, 0)", SYS_unlinkat, cwd, 0, 0, 0, 0, 1);
	bad_path("rename(%s, /dev/x)", SYS_rename, 0, (long)"/dev/x", 0, 0, 0, 0);
	bad_path("rename(/dev/null, %s)", SYS_rename, p, 0, 0, 0, 0, 1);
	bad_path("renameat(AT_FDCWD, %s, AT_FDCWD, /dev/x)", SYS_renameat, cwd, 0, cwd,
		 (long)"/dev/x", 0, 1);
	bad_path("renameat2(AT_FDCWD, /dev/null, AT_FDCWD, %s, 0)", SYS_renameat2, cwd, p, cwd, 0,
		 0, 3);
	bad_path("truncate(%s, 0)", SYS_truncate, 0, 0, 0, 0, 0, 0);
	bad_path("chdir(%s)", SYS_chdir, 0, 0, 0, 0, 0, 0);
	bad_path("statfs(%s, buf)", SYS_statfs, 0, (long)buf, 0, 0, 0, 0);
	/* Never a mount that works: the target does not exist. */
	bad_path("mount(none, %s, proc, 0, NULL)", SYS_mount, (long)"none", 0, (long)"proc", 0, 0,
		 1);
	bad_path("mount(none, /nonexistent, %s, 0, NULL)", SYS_mount, (long)"none", d, 0, 0, 0, 2);
	bad_path("mount(%s, /nonexistent, proc, 0, NULL)", SYS_mount, 0, d, (long)"proc", 0, 0, 0);
	bad_path("umount2(%s, 0)", SYS_umount2, 0, 0, 0, 0, 0, 0);
	expect_err("open(\"\", O_RDONLY)", SYS3(SYS_open, "", O_RDONLY, 0), ENOENT);
	{
		static char longpath[PAGE + 8];

		memset(longpath, '/', sizeof(longpath) - 1);
		expect_err("open(4103 slashes, O_RDONLY)", SYS3(SYS_open, longpath, O_RDONLY, 0),
			   ENAMETOOLONG);
	}
}

/* Calls that write a structure or fill a buffer: every bad pointer. */
static void test_fs_buffers(int fd, int dirfd)
{
	long st_args[6] = { (long)"/dev/null", 0 }, f_args[6] = { fd, 0 };
	long at_args[6] = { AT_FDCWD_, (long)"/dev/null", 0, 0 };
	long io_args[6] = { fd, 0, 16, 0 }, dir_args[6] = { dirfd, 0, 4096 };
	long cwd_args[6] = { 0, 4096 };

	bad_ptr_checks("stat(/dev/null, %s)", SYS_stat, st_args, 1, EFAULT);
	bad_ptr_checks("lstat(/dev/null, %s)", SYS_lstat, st_args, 1, EFAULT);
	bad_ptr_checks("fstat(fd, %s)", SYS_fstat, f_args, 1, EFAULT);
	bad_ptr_checks("newfstatat(AT_FDCWD, /dev/null, %s, 0)", SYS_newfstatat, at_args, 2,
		       EFAULT);
	bad_ptr_checks("statfs(/dev/null, %s)", SYS_statfs, st_args, 1, EFAULT);
	bad_ptr_checks("fstatfs(fd, %s)", SYS_fstatfs, f_args, 1, EFAULT);
	bad_ptr_checks("pread64(/dev/zero fd, %s, 16, 0)", SYS_pread64, io_args, 1, EFAULT);
	bad_ptr_checks("getdents64(/dev fd, %s, 4096)", SYS_getdents64, dir_args, 1, EFAULT);
	{
		/* A cwd longer than the 8 bytes before the hole. */
		int here = (int)SYS3(SYS_open, ".", O_RDONLY | O_DIRECTORY, 0);

		SYS1(SYS_chdir, "/proc/self");
		bad_ptr_checks("getcwd(%s, 4096)", SYS_getcwd, cwd_args, 0, EFAULT);
		SYS1(SYS_fchdir, here);
		SYS1(SYS_close, here);
	}
	expect_err("pread64(/dev/zero fd, rodata, 16, 0)",
		   SYS6(SYS_pread64, fd, rodata, 16, 0, 0, 0), EFAULT);
	expect_err("fstat(fd, rodata)", SYS2(SYS_fstat, fd, rodata), EFAULT);
	expect_err("getdents64(/dev fd, rodata, 64)", SYS3(SYS_getdents64, dirfd, rodata, 64),
		   EFAULT);
	expect_err("getcwd(NULL, 0)", SYS2(SYS_getcwd, 0, 0), ERANGE);
	expect_err("getcwd(buf, 1)", SYS2(SYS_getcwd, buf, 1), ERANGE);
	expect_ok("getcwd(misaligned, 100)", SYS2(SYS_getcwd, buf + 1, 100));
	expect_ok("fstat(fd, misaligned)", SYS2(SYS_fstat, fd, buf + 3));
	expect_ok("pread64(/dev/zero fd, misaligned, 16, 0)",
		  SYS6(SYS_pread64, fd, buf + 1, 16, 0, 0, 0));
	expect_err("pread64(/dev/zero fd, buf, 16, -1)", SYS6(SYS_pread64, fd, buf, 16, -1, 0, 0),
		   EINVAL);
}

/* Every call that takes a descriptor, given -1, 1000 and a closed one. */
static void test_fs_bad_fds(int closed)
{
	const struct {
		const char *what;
		long fd;
	} fds[] = { { "-1", -1 }, { "1000", 1000 }, { "closed", closed } };
	char call[96];

	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		long fd = fds[i].fd;
		const char *w = fds[i].what;

#define BADFD(fmt, ret)                               \
	do {                                          \
		snprintf(call, sizeof(call), fmt, w); \
		expect_err(call, ret, EBADF);         \
	} while (0)
		BADFD("pread64(%s, buf, 1, 0)", SYS6(SYS_pread64, fd, buf, 1, 0, 0, 0));
		BADFD("pwrite64(%s, buf, 1, 0)", SYS6(SYS_pwrite64, fd, buf, 1, 0, 0, 0));
		BADFD("lseek(%s, 0, SEEK_SET)", SYS3(SYS_lseek, fd, 0, 0));
		BADFD("fstat(%s, buf)", SYS2(SYS_fstat, fd, buf));
		BADFD("fstatfs(%s, buf)", SYS2(SYS_fstatfs, fd, buf));
		BADFD("getdents64(%s, buf, 1024)", SYS3(SYS_getdents64, fd, buf, 1024));
		BADFD("fchdir(%s)", SYS1(SYS_fchdir, fd));
		BADFD("ftruncate(%s, 0)", SYS2(SYS_ftruncate, fd, 0));
		BADFD("fsync(%s)", SYS1(SYS_fsync, fd));
		BADFD("fdatasync(%s)", SYS1(SYS_fdatasync, fd));
		BADFD("dup(%s)", SYS1(SYS_dup, fd));
		BADFD("dup2(%s, 40)", SYS2(SYS_dup2, fd, 40));
		BADFD("dup3(%s, 40, 0)", SYS3(SYS_dup3, fd, 40, 0));
		BADFD("fcntl(%s, F_GETFD)", SYS2(SYS_fcntl, fd, F_GETFD));
		BADFD("fcntl(%s, F_GETFL)", SYS2(SYS_fcntl, fd, F_GETFL));
		BADFD("fcntl(%s, F_DUPFD, 0)", SYS3(SYS_fcntl, fd, F_DUPFD, 0));
		BADFD("close(%s)", SYS1(SYS_close, fd));
		BADFD("ioctl(%s, TCGETS, buf)", SYS3(SYS_ioctl, fd, 0x5401, buf));
		BADFD("openat(%s, \"null\", O_RDONLY)", SYS3(SYS_openat, fd, "null", O_RDONLY));
		BADFD("newfstatat(%s, \"null\", buf, 0)",
		      SYS6(SYS_newfstatat, fd, "null", buf, 0, 0, 0));
		BADFD("newfstatat(%s, \"\", buf, AT_EMPTY_PATH)",
		      SYS6(SYS_newfstatat, fd, "", buf, AT_EMPTY_PATH_, 0, 0));
		BADFD("mkdirat(%s, \"d\", 0755)", SYS3(SYS_mkdirat, fd, "d", 0755));
		BADFD("unlinkat(%s, \"x\", 0)", SYS3(SYS_unlinkat, fd, "x", 0));
		BADFD("faccessat(%s, \"null\", F_OK)", SYS3(SYS_faccessat, fd, "null", F_OK));
		BADFD("renameat(%s, \"x\", AT_FDCWD, \"y\")",
		      SYS6(SYS_renameat, fd, "x", AT_FDCWD_, "y", 0, 0));
#undef BADFD
	}
	expect_err("dup2(0, -1)", SYS2(SYS_dup2, 0, -1), EBADF);
	expect_err("dup2(0, 1 << 20)", SYS2(SYS_dup2, 0, 1 << 20), EBADF);
	expect_err("fcntl(0, F_DUPFD, -1)", SYS3(SYS_fcntl, 0, F_DUPFD, -1), EINVAL);
	expect_err("lseek(1, 0, 99)", SYS3(SYS_lseek, 1, 0, 99), on_kestrel ? ESPIPE : EINVAL);
}

static void test_fs(void)
{
	int fd = (int)SYS3(SYS_open, "/dev/zero", O_RDONLY, 0);
	int dirfd = (int)SYS3(SYS_open, "/dev", O_RDONLY | O_DIRECTORY, 0);
	int closed = (int)SYS3(SYS_open, "/dev/null", O_RDONLY, 0);

	expect_ok("open(/dev/zero, O_RDONLY)", fd);
	expect_ok("open(/dev, O_DIRECTORY)", dirfd);
	expect_val("close(/dev/null fd)", SYS1(SYS_close, closed), 0);
	test_fs_paths();
	test_fs_buffers(fd, dirfd);
	test_fs_bad_fds(closed);
	SYS1(SYS_close, fd);
	SYS1(SYS_close, dirfd);
}

/* Make `hole` (an unmapped page) and `edge` (8 bytes before a hole). */
static void make_holes(void)
{
	long p = SYS6(SYS_mmap, 0, 3 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		      -1, 0);

	if (p < 0) {
		printf("badcall: cannot mmap: %s\n", errno_name((int)-p));
		hole = LOWPAGE;
		edge = LOWPAGE;
		return;
	}
	SYS2(SYS_munmap, p + PAGE, 2 * PAGE);
	hole = (unsigned long)p + PAGE;
	edge = hole - 8;
}

int main(void)
{
	struct utsname u;

	on_kestrel = uname(&u) == 0 && strcmp(u.sysname, "kestrel") == 0;
	printf("badcall: running on %s\n", u.sysname);
	make_holes();
	test_write();
	test_read();
	test_iovec();
	test_time();
	test_out_pointers("uname", SYS_uname, 0, 0);
	test_ioctl();
	test_arch_prctl();
	test_memory();
	test_misc();
	test_fs();
	printf("badcall: %d checks, %d failed\n", checks, failures);
	return failures > 100 ? 100 : failures;
}
