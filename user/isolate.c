/*
 * isolate: a program tries to reach what is not its own, and must fail.
 *
 *   isolate probe NAME=ADDR...  for each kernel address (the grader takes
 *                  them from kernel.elf: the IDT, the GDT, the TSS, the
 *                  kernel's text and data, the direct map, a kernel stack),
 *                  a child reads it and a child writes it, and each must die
 *                  of SIGSEGV; then system calls are given it as a buffer
 *                  to read from or write to, and each must fail with EFAULT
 *                  (never copying kernel memory out or user bytes in).
 *                  One line an address:
 *
 *                      isolate: idt 0xffffffff8015e040: read SIGSEGV, write SIGSEGV, 6 calls EFAULT
 *
 *   isolate wx     W^X for user mappings: no area of /proc/self/maps is
 *                  both writable and executable, for this program and for a
 *                  program it runs (which reads its own maps): the loader
 *                  maps text r-x, data rw-, the stack and the heap rw-.
 *
 *   isolate peer   a process cannot touch another's memory unless both
 *                  opted in: after fork, a private page the child writes
 *                  keeps the parent's value, while a MAP_SHARED page is
 *                  seen by both; process_vm_readv and process_vm_writev,
 *                  ptrace and /proc/PID/mem, which would reach a peer's
 *                  memory, do not exist.
 *
 * Each mode ends with "isolate: MODE: N checks, M failed" and exits with M
 * (at most 100).  System calls are made with syscall(2), so the kernel sees
 * exactly these arguments.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int checks, failed;

static void check(int ok, const char *what)
{
	checks++;
	if (!ok) {
		failed++;
		printf("isolate: FAILED: %s\n", what);
	}
}

/* ---- probe: kernel addresses -------------------------------------------- */

/* Run a child that reads (write 0) or writes (write 1) one byte at addr;
 * the signal it died of, or 0 if it survived. */
static int touch_in_child(uintptr_t addr, int write)
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		volatile unsigned char *p = (volatile unsigned char *)addr;

		if (write)
			*p = 0x5a;
		else
			(void)*p;
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFSIGNALED(status) ? WTERMSIG(status) : 0;
}

/* System calls that read a buffer from the user (the kernel copies in
 * from addr) or write one (copies out to addr): how many returned EFAULT,
 * with each other result named. */
static int calls_with_buffer(uintptr_t addr, const char *name)
{
	void *p = (void *)addr;
	int fds[2], efault = 0;
	long r[6];

	if (pipe(fds) != 0)
		return -1;
	r[0] = syscall(SYS_write, fds[1], p, 16);         /* copy in */
	r[1] = syscall(SYS_write, fds[1], "12345678", 8); /* then something to read */
	r[1] = syscall(SYS_read, fds[0], p, 8);           /* copy out */
	r[2] = syscall(SYS_uname, p);
	r[3] = syscall(SYS_clock_gettime, CLOCK_MONOTONIC, p);
	r[4] = syscall(SYS_open, p, O_RDONLY); /* a path from the kernel */
	r[5] = syscall(SYS_pipe, p);
	for (int i = 0; i < 6; i++) {
		if (r[i] == -1 && errno == EFAULT)
			efault++;
		else
			printf("isolate: %s: call %d returned %ld (errno %d), not EFAULT\n", name,
			       i, r[i], r[i] == -1 ? errno : 0);
	}
	close(fds[0]);
	close(fds[1]);
	return efault;
}

static const char *outcome(int sig)
{
	return sig == SIGSEGV ? "SIGSEGV" : sig == 0 ? "allowed" : "other";
}

static void probe(const char *arg)
{
	char name[32];
	const char *eq = strchr(arg, '=');
	size_t n = eq ? (size_t)(eq - arg) : 0;
	uintptr_t addr;
	int rd, wr, calls;

	if (!eq || n >= sizeof(name)) {
		printf("isolate: probe: %s is not NAME=ADDR\n", arg);
		check(0, "argument");
		return;
	}
	memcpy(name, arg, n);
	name[n] = 0;
	addr = (uintptr_t)strtoull(eq + 1, NULL, 0);
	rd = touch_in_child(addr, 0);
	wr = touch_in_child(addr, 1);
	calls = calls_with_buffer(addr, name);
	printf("isolate: %s %#lx: read %s, write %s, %d calls EFAULT\n", name, (unsigned long)addr,
	       outcome(rd), outcome(wr), calls);
	check(rd == SIGSEGV && wr == SIGSEGV && calls == 6, name);
}

/* ---- wx: user mappings ----------------------------------------------------- */

/* Check /proc/self/maps: how many areas, -1 if it cannot be read. */
static int check_own_maps(const char *who)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[160], perms[8];
	int areas = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%*x-%*x %7s", perms) != 1)
			continue;
		areas++;
		if (perms[1] == 'w' && perms[2] == 'x') {
			printf("isolate: %s: writable and executable: %s", who, line);
			check(0, "W^X");
		}
	}
	fclose(f);
	return areas;
}

static void wx(const char *self)
{
	int areas = check_own_maps("isolate");
	int status = 0;
	pid_t pid;

	check(areas >= 3, "own maps read");
	/* A freshly loaded program, as the loader left it. */
	pid = fork();
	if (pid == 0) {
		execlp(self, self, "wx-child", (char *)NULL);
		_exit(127);
	}
	check(pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
		      WEXITSTATUS(status) == 0,
	      "child after exec");
	printf("isolate: wx: %d areas, none writable and executable\n", areas);
}

/* ---- peer: another process's memory ---------------------------------------- */

static void peer(void)
{
	static volatile int private_value = 1;
	volatile int *shared =
		mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	int status, mem_fd;
	char path[32];
	pid_t pid;
	long r;

	check(shared != MAP_FAILED, "mmap shared");
	if (shared == MAP_FAILED)
		return;
	*shared = 1;
	pid = fork();
	if (pid == 0) {
		private_value = 2;
		*shared = 2;
		_exit(0);
	}
	check(pid > 0 && waitpid(pid, &status, 0) == pid, "fork and wait");
	check(private_value == 1, "private page unchanged by the child");
	check(*shared == 2, "shared page written by the child");
	printf("isolate: peer: private page %d after the child wrote 2, shared page %d\n",
	       private_value, *shared);

	pid = fork();
	if (pid == 0) {
		pause();
		_exit(0);
	}
	r = syscall(SYS_process_vm_readv, pid, NULL, 0, NULL, 0, 0);
	check(r == -1 && (errno == ENOSYS || errno == EPERM), "process_vm_readv refused");
	r = syscall(SYS_process_vm_writev, pid, NULL, 0, NULL, 0, 0);
	check(r == -1 && (errno == ENOSYS || errno == EPERM), "process_vm_writev refused");
	r = syscall(SYS_ptrace, 16 /* PTRACE_ATTACH */, pid, 0, 0);
	check(r == -1 && (errno == ENOSYS || errno == EPERM), "ptrace refused");
	snprintf(path, sizeof(path), "/proc/%d/mem", (int)pid);
	mem_fd = open(path, O_RDWR);
	check(mem_fd < 0, "no /proc/PID/mem");
	printf("isolate: peer: process_vm_readv, process_vm_writev, ptrace refused, %s absent\n",
	       "/proc/PID/mem");
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
}

int main(int argc, char *argv[])
{
	const char *mode = argc > 1 ? argv[1] : "";

	setvbuf(stdout, NULL, _IONBF, 0);
	if (strcmp(mode, "wx-child") == 0)
		return check_own_maps("child") >= 3 && failed == 0 ? 0 : 1;
	if (strcmp(mode, "probe") == 0)
		for (int i = 2; i < argc; i++)
			probe(argv[i]);
	else if (strcmp(mode, "wx") == 0)
		wx(argv[0]);
	else if (strcmp(mode, "peer") == 0)
		peer();
	else {
		fprintf(stderr, "usage: isolate probe NAME=ADDR... | wx | peer\n");
		return 2;
	}
	printf("isolate: %s: %d checks, %d failed\n", mode, checks, failed);
	return failed > 100 ? 100 : failed;
}
