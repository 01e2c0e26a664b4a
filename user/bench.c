/*
 * bench: how many cycles the kernel's basic operations cost.
 *
 * Each benchmark runs an operation many times between two rdtsc readings
 * and prints one line
 *
 *     bench: NAME CYCLES_PER_OP
 *
 * (the best of a few runs, so that a timer interrupt in one run does not
 * count).  Run it from the kernel command line (`run=bench`) or a shell.
 * Under QEMU with `-icount shift=0,align=off,sleep=off` the time stamp
 * counter advances by one per guest instruction, so the numbers are guest
 * instructions per operation and repeat exactly from run to run; compare
 * them with other kernels measured the same way, not with real hardware.
 *
 * `bench NAME...` runs only the named benchmarks.  fork_exit_wait forks a
 * child that exits at once and waits for it; fork_exec_wait has the child
 * execve /bin/true (skipped without it); pipe_round_trip sends a byte to a
 * child and back through two pipes, msg_round_trip by pid through the
 * child's mailbox and back (os_send, os_recv: kestrel only);
 * sched_yield_switch is one switch between two processes that yield to
 * each other.
 * page_fault_zero is the first touch of a page of an anonymous mapping (a
 * zero-filled frame), page_fault_cow a fork child's first write to a page
 * it shares with its parent (a copy), each per page and timed around the
 * touches only; mmap_munmap maps 4 KiB and unmaps it without touching it.
 * mutex_lock_unlock is an uncontended pthread_mutex lock and unlock (no
 * system call, an atomic instruction each).  The thread benchmarks are
 * skipped where pthread_create fails (before stage threads): pthread_create_join
 * starts a thread that returns at once and joins it; futex_round_trip
 * wakes a partner thread through one futex word and sleeps on another
 * until it answers, FUTEX_WAKE and FUTEX_WAIT (private) both ways and two
 * switches.  The direct channels (<os/chan.h>): chan_round_trip sends 8
 * bytes to a child over a two-way channel of 1024-slot rings and receives
 * them back (on one CPU each side yields while its ring is empty: two
 * system calls and two switches, no futex); chan_stream_msg is one 8-byte
 * message of 100,000 sent one way (1e9 / N messages a second at one
 * instruction per nanosecond).  On Linux, build bench with -Ilibc/include
 * -Ikernel/include/uapi libc/src/os/chan.c.
 *
 * irq_to_driver is the way of an interrupt to a driver in userspace: the
 * RTC's periodic interrupt (IRQ 8, 1024 Hz) as a message (<os/irq.h>),
 * from the kernel's handler (the message's tsc) to the return of the
 * driver's os_recv, averaged; it needs the right to touch hardware
 * (drivers=...,bench on the kernel command line) and is skipped without.
 *
 * `bench --fs DIR SMALL LARGE [--umount] [NAME...]` adds the file system's:
 * stat and open+close of DIR/SMALL, a 4 KiB pread of it again and again
 * (warm: from the page cache), 4 KiB preads of pages of DIR/LARGE never
 * read before (cold: each one a request to the server), then the rest of
 * LARGE read in 64 KiB pieces (cold) and all of it again (warm), in MB/s
 * at one guest instruction per nanosecond (QEMU's -icount shift=0):
 *
 *     run=hellofs,/mnt&bench,--fs,/mnt,numbers,big,--umount exit
 *
 * or, with the FAT server at "/" (LARGE a directory: its largest file),
 *
 *     run=bench,--fs,/,bin/hello,data exit
 *
 * SMALL must have 4 KiB, LARGE at least 1.2 MiB (300 cold pages).
 * --umount unmounts DIR at the end (so that hellofs exits).
 */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <sched.h>
#include <os/chan.h>
#include <os/os.h>
#include <sys/io.h>
#include "threadlib.h"

#define RUNS 3

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi) : : "memory");
	return ((uint64_t)hi << 32) | lo;
}

static long raw_syscall0(long n)
{
	long ret;

	__asm__ volatile("syscall" : "=a"(ret) : "a"(n) : "rcx", "r11", "memory");
	return ret;
}

/* The cheapest system call there is: getpid does nothing but return a
 * number, so this is the cost of entering and leaving the kernel. */
static void op_null_syscall(void)
{
	raw_syscall0(SYS_getpid);
}

/* An unknown number: the dispatcher's fast path for -ENOSYS. */
static void op_enosys(void)
{
	raw_syscall0(9999);
}

static void op_clock_gettime(void)
{
	struct timespec ts;

	syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &ts);
}

/* Map a page, touch it, unmap it: page-table updates and a frame. */
static void op_mmap_touch_munmap(void)
{
	char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p != MAP_FAILED) {
		p[0] = 1;
		munmap(p, 4096);
	}
}

/* Map and unmap a page nobody touches: the cost of the area bookkeeping. */
static void op_mmap_munmap(void)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p != MAP_FAILED)
		munmap(p, 4096);
}

/* Write one byte in each of n pages from p on: rdtsc cycles per page. */
static uint64_t touch_pages(volatile char *p, int n)
{
	uint64_t start = rdtsc();

	for (int i = 0; i < n; i++)
		p[(long)i * 4096] = 1;
	return (rdtsc() - start) / (uint64_t)n;
}

static uint64_t measure_fault_zero(int n)
{
	char *p = mmap(NULL, (size_t)n * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);
	uint64_t cycles;

	if (p == MAP_FAILED)
		return 0;
	cycles = touch_pages(p, n);
	munmap(p, (size_t)n * 4096);
	return cycles;
}

/* The parent touches n pages and forks; the child writes them (each a
 * copy: the parent still holds the frames) and leaves its figure in a
 * shared page. */
static uint64_t measure_fault_cow(int n)
{
	char *p = mmap(NULL, (size_t)n * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);
	volatile uint64_t *result =
		mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	uint64_t cycles = 0;
	pid_t pid;

	if (p == MAP_FAILED || result == MAP_FAILED)
		return 0;
	touch_pages(p, n);
	*result = 0;
	pid = fork();
	if (pid == 0) {
		*result = touch_pages(p, n);
		_exit(0);
	}
	if (pid > 0 && waitpid(pid, NULL, 0) == pid)
		cycles = *result;
	munmap(p, (size_t)n * 4096);
	munmap((void *)result, 4096);
	return cycles;
}

static void op_sched_yield(void)
{
	sched_yield();
}

static void op_nothing(void)
{
}

#define TRUE_PATH "/bin/true"

static void op_fork_exit_wait(void)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(0);
	if (pid > 0)
		waitpid(pid, NULL, 0);
}

static void op_fork_exec_wait(void)
{
	static char *const argv[] = { "true", NULL };
	pid_t pid = fork();

	if (pid == 0) {
		execve(TRUE_PATH, argv, argv + 1);
		_exit(127);
	}
	if (pid > 0)
		waitpid(pid, NULL, 0);
}

/*
 * Pipe round trip: one byte to a child through one pipe and back through
 * another (the child echoes until end of file): two writes, two reads and
 * two switches between processes.  msg_round_trip does the same by pid
 * with os_send and os_recv (kestrel only).
 */
static int pipe_to[2] = { -1, -1 }, pipe_from[2] = { -1, -1 };
static pid_t pipe_child = -1;

static void pipe_setup(void)
{
	char c;

	if (pipe(pipe_to) != 0 || pipe(pipe_from) != 0)
		return;
	pipe_child = fork();
	if (pipe_child == 0) {
		close(pipe_to[1]);
		close(pipe_from[0]);
		while (read(pipe_to[0], &c, 1) == 1 && write(pipe_from[1], &c, 1) == 1)
			;
		_exit(0);
	}
	close(pipe_to[0]);
	close(pipe_from[1]);
}

/* The child ends when its pipe does (after the benchmark). */
static void pipe_teardown(void)
{
	if (pipe_child <= 0)
		return;
	close(pipe_to[1]);
	close(pipe_from[0]);
	waitpid(pipe_child, NULL, 0);
}

static void op_pipe_round_trip(void)
{
	char c = 'x';

	if (pipe_child < 0)
		pipe_setup();
	write(pipe_to[1], &c, 1);
	read(pipe_from[0], &c, 1);
}

/* ---- direct channels ------------------------------------------------- */

/*
 * The child at the other end of a two-way channel (<os/chan.h>): it
 * echoes each message but those that start with 's' (swallowed), and ends
 * when the channel closes.
 */
#define CHAN_SLOTS 1024
#define CHAN_MSG   8

static struct os_chan2 *chan_pair;
static struct os_chan_end chan_end;
static pid_t chan_child = -1;

static void chan_setup(void)
{
	char msg[CHAN_MSG];
	ssize_t n;

	chan_pair = os_chan2_create(CHAN_SLOTS, CHAN_MSG);
	if (!chan_pair)
		return;
	chan_child = os_chan2_fork(chan_pair);
	if (chan_child != 0) {
		chan_end = os_chan2_end(chan_pair, OS_CHAN_PARENT);
		return;
	}
	chan_end = os_chan2_end(chan_pair, OS_CHAN_CHILD);
	while ((n = os_chan_recv(chan_end.rx, msg, sizeof(msg))) > 0)
		if (msg[0] != 's')
			os_chan_send(chan_end.tx, msg, (size_t)n);
	_exit(0);
}

static void chan_teardown(void)
{
	if (chan_child <= 0)
		return;
	os_chan2_close(chan_pair);
	waitpid(chan_child, NULL, 0);
}

static void op_chan_round_trip(void)
{
	char msg[CHAN_MSG] = "echo";

	if (chan_child < 0)
		chan_setup();
	if (chan_child > 0 && os_chan_send(chan_end.tx, msg, sizeof(msg)) == 0)
		os_chan_recv(chan_end.rx, msg, sizeof(msg));
}

/* n messages one way, the last one echoed: cycles per message. */
static uint64_t measure_chan_stream(int n)
{
	char msg[CHAN_MSG] = "swallow";
	uint64_t start;

	if (chan_child < 0)
		chan_setup();
	if (chan_child <= 0)
		return 0;
	start = rdtsc();
	for (int i = 1; i < n; i++)
		os_chan_send(chan_end.tx, msg, sizeof(msg));
	msg[0] = 'e';
	os_chan_send(chan_end.tx, msg, sizeof(msg));
	os_chan_recv(chan_end.rx, msg, sizeof(msg));
	return (rdtsc() - start) / (uint64_t)n;
}
#ifdef SYS_os_send
/*
 * Message round trip: one byte to a child's mailbox by pid and back to
 * ours (os_send, os_recv; the child echoes to whoever sent): two sends,
 * two receives and two switches, to compare with pipe_round_trip.
 */
static pid_t msg_child = -1;

static void msg_setup(void)
{
	msg_child = fork();
	if (msg_child == 0) {
		pid_t from;
		char c;

		while (os_recv(OS_MSG_ANY, &c, 1, &from, 0) == 1 && os_send(from, &c, 1, 0) == 0)
			;
		_exit(0);
	}
}

static void msg_teardown(void)
{
	if (msg_child <= 0)
		return;
	kill(msg_child, SIGKILL);
	waitpid(msg_child, NULL, 0);
}

static void op_msg_round_trip(void)
{
	char c = 'x';

	if (msg_child < 0)
		msg_setup();
	os_send(msg_child, &c, 1, 0);
	os_recv(msg_child, &c, 1, NULL, 0);
}
#endif

/* ---- threads --------------------------------------------------------- */

static void *thread_return(void *arg)
{
	return arg;
}

/* Can this kernel run a thread?  Asked once. */
static int threads_work(void)
{
	static int known = -1;
	pthread_t t;

	if (known < 0)
		known = pthread_create(&t, NULL, thread_return, NULL) == 0 &&
			pthread_join(t, NULL) == 0;
	return known;
}

static void op_pthread_create_join(void)
{
	pthread_t t;

	if (pthread_create(&t, NULL, thread_return, NULL) == 0)
		pthread_join(t, NULL);
}

static pthread_mutex_t bench_mutex = PTHREAD_MUTEX_INITIALIZER;

static void op_mutex_lock_unlock(void)
{
	pthread_mutex_lock(&bench_mutex);
	pthread_mutex_unlock(&bench_mutex);
}

/*
 * Futex round trip: the benchmark stores n into futex_ping and wakes the
 * partner thread, which stores n into futex_pong and wakes it back.  Each
 * sleeps with FUTEX_WAIT on the value it last saw, so a wake that comes
 * before the wait is not lost (the wait then fails with EAGAIN at once).
 * futex_ping -1 ends the partner.
 */
static int futex_ping, futex_pong;
static pthread_t futex_partner;
static int futex_partner_up;

/* Sleep until *word is no longer old; its new value. */
static int futex_wait_change(int *word, int old)
{
	int v;

	while ((v = __atomic_load_n(word, __ATOMIC_ACQUIRE)) == old)
		futex_call(word, FUTEX_WAIT_PRIVATE, old);
	return v;
}

static void *futex_partner_main(void *arg)
{
	int seen = 0;

	(void)arg;
	while ((seen = futex_wait_change(&futex_ping, seen)) != -1) {
		__atomic_store_n(&futex_pong, seen, __ATOMIC_RELEASE);
		futex_call(&futex_pong, FUTEX_WAKE_PRIVATE, 1);
	}
	return NULL;
}

static void op_futex_round_trip(void)
{
	int n = futex_ping + 1;

	if (!futex_partner_up) {
		if (pthread_create(&futex_partner, NULL, futex_partner_main, NULL) != 0)
			return;
		futex_partner_up = 1;
	}
	__atomic_store_n(&futex_ping, n, __ATOMIC_RELEASE);
	futex_call(&futex_ping, FUTEX_WAKE_PRIVATE, 1);
	futex_wait_change(&futex_pong, n - 1);
}

static void futex_teardown(void)
{
	if (!futex_partner_up)
		return;
	__atomic_store_n(&futex_ping, -1, __ATOMIC_RELEASE);
	futex_call(&futex_ping, FUTEX_WAKE_PRIVATE, 1);
	pthread_join(futex_partner, NULL);
}

/* The file system's benchmarks (--fs). */
static char fs_small[600], fs_large[600];
static int fs_small_fd = -1, fs_large_fd = -1;
static off_t fs_cold_off;
static char fs_buf[65536];

static void op_fs_stat(void)
{
	struct stat st;

	stat(fs_small, &st);
}

static void op_fs_open_close(void)
{
	close(open(fs_small, O_RDONLY));
}

static void op_fs_read_warm(void)
{
	pread(fs_small_fd, fs_buf, 4096, 0);
}

static void op_fs_read_cold(void)
{
	pread(fs_large_fd, fs_buf, 4096, fs_cold_off);
	fs_cold_off += 4096;
}

static const struct bench {
	const char *name;
	void (*op)(void);
	int iterations;
	int fs;           /* needs --fs */
	const char *file; /* a program it runs, or NULL: skipped without it */
	int threads;      /* needs threads: skipped without them */
} benches[] = {
	{ "loop_overhead", op_nothing, 2000, 0, NULL, 0 },
	{ "null_syscall", op_null_syscall, 2000, 0, NULL, 0 },
	{ "enosys_syscall", op_enosys, 2000, 0, NULL, 0 },
	{ "clock_gettime", op_clock_gettime, 1000, 0, NULL, 0 },
	{ "sched_yield", op_sched_yield, 1000, 0, NULL, 0 },
	{ "mmap_touch_munmap", op_mmap_touch_munmap, 200, 0, NULL, 0 },
	{ "mmap_munmap", op_mmap_munmap, 200, 0, NULL, 0 },
	{ "fork_exit_wait", op_fork_exit_wait, 20, 0, NULL, 0 },
	{ "fork_exec_wait", op_fork_exec_wait, 10, 0, TRUE_PATH, 0 },
	{ "pipe_round_trip", op_pipe_round_trip, 1000, 0, NULL, 0 },
	{ "chan_round_trip", op_chan_round_trip, 1000, 0, NULL, 0 },
#ifdef SYS_os_send
	{ "msg_round_trip", op_msg_round_trip, 1000, 0, NULL, 0 },
#endif
	{ "pthread_create_join", op_pthread_create_join, 100, 0, NULL, 1 },
	{ "mutex_lock_unlock", op_mutex_lock_unlock, 2000, 0, NULL, 0 },
	{ "futex_round_trip", op_futex_round_trip, 1000, 0, NULL, 1 },
	{ "fs_stat", op_fs_stat, 200, 1, NULL, 0 },
	{ "fs_open_close", op_fs_open_close, 200, 1, NULL, 0 },
	{ "fs_read_4k_warm", op_fs_read_warm, 1000, 1, NULL, 0 },
	{ "fs_read_4k_cold", op_fs_read_cold, 100, 1, NULL, 0 },
};

static uint64_t run(const struct bench *b)
{
	uint64_t best = UINT64_MAX;

	for (int r = 0; r < RUNS; r++) {
		uint64_t start = rdtsc();

		for (int i = 0; i < b->iterations; i++)
			b->op();
		uint64_t cycles = (rdtsc() - start) / (uint64_t)b->iterations;
		if (cycles < best)
			best = cycles;
	}
	return best;
}

/* Benchmarks that time themselves: the best of RUNS calls of
 * measure(iterations), each the cycles per item. */
static const struct measured {
	const char *name;
	uint64_t (*measure)(int iterations);
	int iterations;
} measured[] = {
	{ "page_fault_zero", measure_fault_zero, 256 },
	{ "page_fault_cow", measure_fault_cow, 256 },
	{ "chan_stream_msg", measure_chan_stream, 100000 },
};

static uint64_t run_measured(const struct measured *b)
{
	uint64_t best = UINT64_MAX;

	for (int r = 0; r < RUNS; r++) {
		uint64_t cycles = b->measure(b->iterations);

		if (cycles < best)
			best = cycles;
	}
	return best;
}

/* Read fd from off to its end in 64 KiB pieces: MB/s at 1 instruction/ns. */
static uint64_t fs_seq_read(int fd, off_t off)
{
	uint64_t bytes = 0, start = rdtsc();
	ssize_t n;

	while ((n = pread(fd, fs_buf, sizeof(fs_buf), off)) > 0) {
		bytes += (uint64_t)n;
		off += n;
	}
	return bytes * 1000 / (rdtsc() - start + 1);
}

/* If path is a directory, make it name its largest regular file (the
 * ramdisk's /data holds one with spaces in its name, which the kernel
 * command line cannot carry). */
static void fs_largest_in(char *path, size_t size)
{
	char best[800] = "", name[800];
	off_t best_size = -1;
	struct stat st;
	struct dirent *e;
	DIR *d;

	if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode) || !(d = opendir(path)))
		return;
	while ((e = readdir(d))) {
		snprintf(name, sizeof(name), "%.500s/%.255s", path, e->d_name);
		if (stat(name, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > best_size) {
			best_size = st.st_size;
			snprintf(best, sizeof(best), "%s", name);
		}
	}
	closedir(d);
	if (best[0])
		snprintf(path, size, "%.590s", best);
}

/* --fs DIR SMALL LARGE [--umount]: open the files; the arguments used. */
static int fs_setup(int argc, char *argv[], const char **umount_dir)
{
	if (argc < 5 || strcmp(argv[1], "--fs") != 0)
		return 0;
	snprintf(fs_small, sizeof(fs_small), "%s/%s", argv[2], argv[3]);
	snprintf(fs_large, sizeof(fs_large), "%s/%s", argv[2], argv[4]);
	for (int i = 0; i < 500; i++) { /* a server started with us may not be there yet */
		struct timespec ts = { 0, 10 * 1000 * 1000 };

		fs_small_fd = open(fs_small, O_RDONLY);
		if (fs_small_fd >= 0)
			break;
		nanosleep(&ts, NULL);
	}
	fs_largest_in(fs_large, sizeof(fs_large));
	fs_large_fd = open(fs_large, O_RDONLY);
	if (fs_small_fd < 0 || fs_large_fd < 0)
		printf("bench: cannot open %s or %s\n", fs_small, fs_large);
	if (argc > 5 && strcmp(argv[5], "--umount") == 0) {
		*umount_dir = argv[2];
		return 5;
	}
	return 4;
}

/*
 * sched_yield_switch: the parent and a child that does nothing but
 * sched_yield take turns on the CPU; each of the parent's yields is two
 * switches (to the child and back), so the figure is half a yield's cost:
 * one context switch between two processes, system calls included.
 */
static uint64_t yield_switch(void)
{
	const struct bench b = { "sched_yield_switch", op_sched_yield, 1000, 0, NULL, 0 };
	pid_t pid = fork();
	uint64_t cycles;

	if (pid == 0) {
		for (;;)
			sched_yield();
	}
	if (pid < 0)
		return 0;
	sched_yield(); /* the child is on the run queue from here on */
	cycles = run(&b) / 2;
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return cycles;
}

#ifdef SYS_os_irq_attach
#define RTC_IRQ  8
#define RTC_PIE  0x40 /* register B: periodic interrupt enable */
#define RTC_RATE 6    /* register A: 32768 >> (6 - 1) = 1024 Hz */

static unsigned rtc_reg(unsigned reg)
{
	outb((unsigned char)reg, 0x70);
	return inb(0x71);
}

static void rtc_set(unsigned reg, unsigned v)
{
	outb((unsigned char)reg, 0x70);
	outb((unsigned char)v, 0x71);
}

/* The average of n IRQ messages' way from the kernel to os_recv's return,
 * or 0 without the right. */
static uint64_t irq_to_driver(int n)
{
	uint64_t total = 0;
	struct os_irq_msg m;
	pid_t from;

	if (ioperm(0x70, 2, 1) != 0 || os_irq_attach(RTC_IRQ, 0) != 0)
		return 0;
	rtc_set(0x0a, (rtc_reg(0x0a) & 0xf0) | RTC_RATE);
	rtc_set(0x0b, rtc_reg(0x0b) | RTC_PIE);
	(void)rtc_reg(0x0c); /* reading C ends an interrupt: the next can come */
	for (int i = 0; i < n;) {
		if (os_recv(OS_MSG_ANY, &m, sizeof(m), &from, 0) < 0)
			break;
		if (from == 0) {
			total += rdtsc() - m.tsc;
			i++;
		}
		(void)rtc_reg(0x0c);
		os_irq_ack(RTC_IRQ);
	}
	rtc_set(0x0b, rtc_reg(0x0b) & ~RTC_PIE);
	return total / (uint64_t)n;
}
#endif

int main(int argc, char *argv[])
{
	const char *umount_dir = NULL;
	int used = fs_setup(argc, argv, &umount_dir);
	int fs = fs_small_fd >= 0 && fs_large_fd >= 0;

	argv[used] = argv[0]; /* the benchmark names follow, as without --fs */
	argc -= used;
	argv += used;
	for (size_t i = 0; i < sizeof(benches) / sizeof(benches[0]); i++)
		if ((!benches[i].fs || fs) && test_wanted(benches[i].name, argc, argv) &&
		    (!benches[i].file || access(benches[i].file, F_OK) == 0) &&
		    (!benches[i].threads || threads_work()))
			printf("bench: %s %llu\n", benches[i].name,
			       (unsigned long long)run(&benches[i]));
	for (size_t i = 0; i < sizeof(measured) / sizeof(measured[0]); i++)
		if (test_wanted(measured[i].name, argc, argv))
			printf("bench: %s %llu\n", measured[i].name,
			       (unsigned long long)run_measured(&measured[i]));
	if (test_wanted("sched_yield_switch", argc, argv))
		printf("bench: sched_yield_switch %llu\n", (unsigned long long)yield_switch());
#ifdef SYS_os_irq_attach
	if (test_wanted("irq_to_driver", argc, argv)) {
		uint64_t cycles = irq_to_driver(100);

		if (cycles)
			printf("bench: irq_to_driver %llu\n", (unsigned long long)cycles);
	}
#endif
	if (fs && test_wanted("fs_seq_read_MBps", argc, argv)) {
		printf("bench: fs_seq_read_cold_MBps %llu\n",
		       (unsigned long long)fs_seq_read(fs_large_fd, fs_cold_off));
		printf("bench: fs_seq_read_warm_MBps %llu\n",
		       (unsigned long long)fs_seq_read(fs_large_fd, 0));
	}
	chan_teardown(); /* first: their children hold the pipes' ends too */
#ifdef SYS_os_send
	msg_teardown();
#endif
	pipe_teardown();
	futex_teardown();
	if (fs_small_fd >= 0)
		close(fs_small_fd);
	if (fs_large_fd >= 0)
		close(fs_large_fd);
	if (umount_dir && umount2(umount_dir, 0) != 0)
		printf("bench: cannot unmount %s\n", umount_dir);
	return 0;
}
