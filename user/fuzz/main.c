/*
 * fuzz: seeded random system calls, to show that nothing a program passes
 * the kernel can crash, hang or leak it (in the spirit of trinity and
 * syzkaller, without their coverage feedback).
 *
 *     fuzz [-f] [-F] [-t] [-v] [-s K] SEED COUNT
 *
 * makes calls 0 to COUNT - 1 (with -f a child that ends early, by exit or
 * a signal, skips the rest of its piece), chosen by a generator seeded with
 * SEED, in pieces of FUZZ_PIECE calls, each piece reseeded from SEED and
 * its number (gen.c), so that a run repeats exactly and any call can be
 * made again with the piece it belongs to: `-s K` starts at the piece of
 * call K; -F adds
 * paths on the FAT server (gen.c says why not always), -t (with -f) a
 * thread in each child that races the calls (chaos.c).  Calls and
 * arguments come from calls.c and gen.c.  Every result must be a value or
 * -errno in [-4095, -1]; anything else is reported.  Each call is logged
 * before it is made: in a ring the parent reads (below), and on the
 * console with -v, as the reproducer of whatever goes wrong:
 *
 *     fuzz: seed S call K: NR(A0, A1, A2, A3, A4, A5)
 *     (again: fuzz -f -v -s K S K+1)
 *
 * With -f every piece runs in a forked child, and the calls that end or
 * stop a process are made too (exit, kill, fork, pause, execve, signals
 * with random handlers...).  The parent waits for each child with a timer
 * running: a child that makes no call for a second is killed with SIGKILL
 * (a call that waits for ever is legitimate: pause, a futex, wait4); one
 * that SIGKILL does not end within three seconds more is a kernel bug,
 * reported with the call it is stuck in, and ends the run.  A child
 * ended by a signal is counted, not a failure.  The counters live in a page
 * the parent shares with the children (struct fuzz_shared), so they
 * survive any child's death.  Without -f the fuzzer is one process that
 * makes only the calls it can survive (the mode of stage syscalls, which
 * has no fork).  It prints
 *
 *     fuzz: seed S piece P                  (as each piece starts)
 *     fuzz: P pieces, X ended by signals, B waiting and killed     (with -f)
 *     fuzz: errnos HEX                      (bit e: errno e was returned)
 *     fuzz: seed S, N calls, M failed, K distinct errnos
 *
 * and exits with 1 if M is not 0.  What the calls created in /tmp is
 * removed after each piece, so the memory counters the kernel prints after
 * the program are the same after two runs of a seed.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>
#include "fuzz.h"

#define TICK_MS      100 /* the parent's timer */
#define QUIET_TICKS  10  /* a second without a call: kill the child */
#define DEATH_TICKS  30  /* three seconds more: SIGKILL did not end it */
#define FIRST_OWN_FD 3
#define LAST_OWN_FD  63

bool fuzz_forking;
bool fuzz_fat;
bool fuzz_chaos;
static bool verbose;
static uint64_t seed;
static struct fuzz_shared *const shared = (struct fuzz_shared *)SHARED;
static unsigned long pieces, signalled, waiting, unkillable;

static long raw_syscall(long n, const uint64_t a[6])
{
	register uint64_t r10 __asm__("r10") = a[3], r8 __asm__("r8") = a[4],
			      r9 __asm__("r9") = a[5];
	long ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(n), "D"(a[0]), "S"(a[1]), "d"(a[2]), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}

/* fork, vfork, clone: the child (0 in rax) exits at once with exit(2),
 * before it touches a stack that may be anything (clone's) or shared with
 * the parent (vfork's, CLONE_VM's); for a thread, exit ends only it. */
static long raw_fork_syscall(long n, const uint64_t a[6])
{
	register uint64_t r10 __asm__("r10") = a[3], r8 __asm__("r8") = a[4],
			      r9 __asm__("r9") = a[5];
	long ret;

	__asm__ volatile("syscall\n\t"
			 "test %%rax, %%rax\n\t"
			 "jnz 1f\n\t"
			 "movl $60, %%eax\n\t"
			 "xorl %%edi, %%edi\n\t"
			 "syscall\n"
			 "1:"
			 : "=a"(ret)
			 : "a"(n), "D"(a[0]), "S"(a[1]), "d"(a[2]), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}

static void print_call(const char *what, const struct fuzz_call *c)
{
	printf("fuzz: seed %lu call %lu: %ld(%lx, %lx, %lx, %lx, %lx, %lx)%s\n", seed, c->index,
	       c->nr, c->args[0], c->args[1], c->args[2], c->args[3], c->args[4], c->args[5], what);
	fflush(stdout);
}

static void make_call(uint64_t k, long n, const uint64_t a[6])
{
	struct fuzz_call *c = &shared->ring[k % FUZZ_RING];
	long ret;

	c->index = k;
	c->nr = n;
	memcpy(c->args, a, sizeof(c->args));
	shared->started = k + 1;
	if (verbose)
		print_call("", c);
	if (n == SYS_fork || n == SYS_vfork || n == SYS_clone)
		ret = raw_fork_syscall(n, a);
	else
		ret = raw_syscall(n, a);
	shared->made++;
	if (ret < 0 && ret >= -4095) {
		if (-ret < 128)
			shared->errnos[-ret / 64] |= 1ull << (-ret % 64);
	} else if (ret < 0) {
		shared->bad++;
		printf("fuzz: seed %lu call %lu: %ld(%lx, %lx, %lx, %lx, %lx, %lx) returned %ld\n",
		       seed, k, n, a[0], a[1], a[2], a[3], a[4], a[5], ret);
	}
}

/* Piece p's calls below end, from a fresh generator. */
static void run_piece(uint64_t p, uint64_t end)
{
	uint64_t k = p * FUZZ_PIECE;

	gen_seed(seed, p);
	gen_fill_scratch();
	while (k < end && k < (p + 1) * FUZZ_PIECE) {
		long n = calls_pick();
		uint64_t a[6];

		for (int i = 0; i < 6; i++)
			a[i] = gen_arg(i);
		if (calls_steer(n, a) != 0)
			continue;
		make_call(k++, n, a);
	}
}

/* Without -f, pieces in this process: each starts from what setup left,
 * so that `-s K` repeats a piece as the whole run made it. */
static void run_alone(uint64_t first, uint64_t end)
{
	for (uint64_t p = first; p * FUZZ_PIECE < end; p++, pieces++) {
		printf("fuzz: seed %lu piece %lu\n", seed, p); /* where a hang or panic was */
		for (int fd = FIRST_OWN_FD; fd <= LAST_OWN_FD; fd++)
			close(fd);
		munmap((void *)SANDBOX, SANDBOX_SIZE);
		gen_cleanup_files();
		gen_setup_files();
		run_piece(p, end);
	}
	gen_cleanup_files();
}

static volatile sig_atomic_t ticks;

static void on_tick(int sig)
{
	(void)sig;
	ticks++;
}

static void start_timer(long ms)
{
	struct itimerval it = { { 0, ms * 1000 }, { 0, ms * 1000 } };

	setitimer(ITIMER_REAL, &it, NULL);
}

/* The child: no timer, the default SIGALRM, then piece p. */
static void child(uint64_t p, uint64_t end)
{
	start_timer(0);
	signal(SIGALRM, SIG_DFL);
	gen_setup_files();
	if (fuzz_chaos)
		chaos_start(seed * 31 + p);
	run_piece(p, end);
	_exit(0);
}

/* Wait for the child of piece p; kill it if it makes no more calls. */
static void watch(pid_t pid)
{
	uint64_t last = shared->started;
	int quiet = 0, status;
	bool killed = false;

	for (;;) {
		pid_t r = waitpid(pid, &status, 0);

		if (r == pid)
			break;
		if (r < 0 && errno != EINTR) {
			printf("fuzz: waitpid(%d): %s\n", pid, strerror(errno));
			unkillable++;
			return;
		}
		if (shared->started != last) {
			last = shared->started;
			quiet = 0;
			continue;
		}
		quiet++;
		if (!killed && quiet >= QUIET_TICKS) {
			const struct fuzz_call *c = &shared->ring[(last - 1) % FUZZ_RING];

			if (!calls_may_block(c->nr) || verbose)
				print_call(" waits: killed", c);
			kill(pid, SIGKILL);
			killed = true;
		} else if (killed && quiet >= QUIET_TICKS + DEATH_TICKS) {
			print_call(" FAILED: its process lives on after SIGKILL",
				   &shared->ring[(last - 1) % FUZZ_RING]);
			unkillable++;
			return;
		}
	}
	if (killed)
		waiting++;
	else if (WIFSIGNALED(status))
		signalled++;
	if (verbose && WIFSIGNALED(status) && !killed)
		print_call(" ended its process", &shared->ring[(shared->started - 1) % FUZZ_RING]);
}

/* The child's children, ours now that it has ended (the kernel makes the
 * program it started their reaper), and clone(CLONE_PARENT)'s: each exits
 * at once, so wait for them, that the memory counters find none alive. */
static void reap_adopted(void)
{
	int left = DEATH_TICKS;

	while (waitpid(-1, NULL, 0) > 0 || (errno == EINTR && --left > 0))
		;
}

static void run_forking(uint64_t first, uint64_t end)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_tick; /* no SA_RESTART: the tick ends waitpid */
	sigaction(SIGALRM, &sa, NULL);
	start_timer(TICK_MS);
	for (uint64_t p = first; p * FUZZ_PIECE < end; p++, pieces++) {
		pid_t pid;

		printf("fuzz: seed %lu piece %lu\n", seed, p); /* where a hang or panic was */
		pid = fork();

		if (pid == 0)
			child(p, end);
		if (pid < 0) {
			printf("fuzz: fork: %s\n", strerror(errno));
			unkillable++;
			break;
		}
		watch(pid);
		if (unkillable)
			break; /* it spins on in the kernel: the run can only go slower */
		reap_adopted();
		gen_cleanup_files();
	}
	start_timer(0);
	printf("fuzz: %lu pieces, %lu ended by signals, %lu waiting and killed\n", pieces,
	       signalled, waiting);
}

int main(int argc, char *argv[])
{
	uint64_t start = 0, count, failed;
	int opt, distinct = 0;

	while ((opt = getopt(argc, argv, "fFtvs:")) != -1) {
		if (opt == 'f')
			fuzz_forking = true;
		else if (opt == 'F')
			fuzz_fat = true;
		else if (opt == 't')
			fuzz_chaos = true;
		else if (opt == 'v')
			verbose = true;
		else if (opt == 's')
			start = strtoul(optarg, NULL, 0);
		else
			break;
	}
	if (opt != -1 || argc - optind != 2) {
		printf("usage: fuzz [-f] [-F] [-t] [-v] [-s K] SEED COUNT\n");
		return 2;
	}
	seed = strtoul(argv[optind], NULL, 0);
	count = strtoul(argv[optind + 1], NULL, 0);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (gen_setup_memory(fuzz_forking) != 0) {
		printf("fuzz: no scratch pages\n");
		return 2;
	}
	if (fuzz_forking)
		run_forking(start / FUZZ_PIECE, count);
	else
		run_alone(start / FUZZ_PIECE, count);
	for (int i = 0; i < 128; i++)
		distinct += (shared->errnos[i / 64] >> (i % 64)) & 1;
	failed = shared->bad + unkillable;
	printf("fuzz: errnos %016lx%016lx\n", shared->errnos[1], shared->errnos[0]);
	printf("fuzz: seed %lu, %lu calls, %lu failed, %d distinct errnos\n", seed, shared->made,
	       failed, distinct);
	return failed != 0;
}
