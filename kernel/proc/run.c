/*
 * Running programs from the filesystem or from GRUB modules (see run.h).
 */
#include "proc/run.h"
#include <errno.h>
#include "arch/x86_64/machine.h"
#include "arch/x86_64/memlayout.h"
#include "boot/cmdline.h"
#include "boot/multiboot.h"
#include "debug/failinject.h"
#include "debug/schedtrace.h"
#include "fs/rootmount.h"
#include "fs/vfs.h"
#include "lib/kprintf.h"
#include "lib/string.h"
#include "mm/frame.h"
#include "mm/heap.h"
#include "proc/proc.h"
#include "syscall/syscall.h"

#define RUN_MAX_ARGS     16
#define RUN_MAX_ENV      16
#define RUN_MAX_PARALLEL 4
#define RUN_MAX_IMAGE    (64ull << 20) /* bytes of a program file read from "/" */

static const char *const default_env[] = { "HOME=/", "PATH=/bin", "TERM=vt100", NULL };

/* The first sep in s outside single quotes, or NULL. */
static char *find_sep(char *s, char sep)
{
	bool quoted = false;

	for (; *s; s++) {
		if (*s == '\'')
			quoted = !quoted;
		else if (*s == sep && !quoted)
			return s;
	}
	return NULL;
}

/* Split s in place at each sep outside single quotes into at most max - 1
 * words; NULL-terminated. */
static int split(char *s, char sep, char *words[], int max)
{
	int n = 0;

	while (s && *s && n < max - 1) {
		char *end = find_sep(s, sep);

		words[n++] = s;
		if (end)
			*end++ = '\0';
		s = end;
	}
	words[n] = NULL;
	return n;
}

/* Take the single quotes out of each word (in place): what they quoted
 * stays, blanks, commas, ';' and '&' included. */
static void unquote(char *words[])
{
	for (; *words; words++) {
		char *to = *words;

		for (const char *from = *words; *from; from++)
			if (*from != '\'')
				*to++ = *from;
		*to = '\0';
	}
}

/* The environment: env= from the command line, or the default. */
static const char *const *run_env(void)
{
	static char buf[CMDLINE_MAX]; /* all of it: a line is at most this long */
	static char *env[RUN_MAX_ENV + 1];
	const char *spec = cmdline_get("env");

	if (!spec)
		return default_env;
	strlcpy(buf, spec, sizeof(buf));
	split(buf, ',', env, ARRAY_SIZE(env));
	return (const char *const *)env;
}

static void print_modules(void)
{
	kprintf("run: the programs (GRUB modules) are:");
	for (int i = 0; i < boot_info.nmodules; i++)
		kprintf(" %s", boot_info.modules[i].name);
	kprintf("\n");
}

static const char *error_text(int err)
{
	return errno_name(-err) ? errno_name(-err) : "error";
}

static struct proc *spawn(const char *name, const void *image, size_t size,
			  const char *const argv[], int *err)
{
	struct proc *p = proc_spawn(name, image, size, argv, run_env(), err);

	if (!p)
		kprintf("run: cannot start %s: %s\n", argv[0], error_text(*err));
	return p;
}

/* The file at path into img; 0 or -errno (said why, unless there is no
 * such file and quiet). */
static int read_file(const char *path, struct run_image *img, bool quiet)
{
	void *buf;
	int err = vfs_read_file(path, RUN_MAX_IMAGE, &buf, &img->size);

	if (err) {
		if (!quiet || err != -ENOENT)
			kprintf("run: %s: %s\n", path, error_text(err));
		return err;
	}
	img->data = img->buf = buf;
	return 0;
}

int run_image_get(const char *name, struct run_image *img)
{
	const struct boot_module *mod;
	char path[PROC_NAME_MAX + 8];
	int err;

	/* BEGIN STAGE fuse: the FAT server mounts the ramdisk at "/" before the first program */
	rootmount_start();
	/* END STAGE fuse */
	if (strchr(name, '/'))
		return read_file(name, img, false);
	if (vfs_root_mounted()) {
		if (strlen(name) < PROC_NAME_MAX) {
			ksnprintf(path, sizeof(path), "/bin/%s", name);
			err = read_file(path, img, true);
			if (err != -ENOENT)
				return err;
		}
		kprintf("run: no program named \"%s\"\n", name);
		kprintf("run: the programs are the files of /bin\n");
		return -ENOENT;
	}
	mod = multiboot_find_module(name);
	if (!mod) {
		kprintf("run: no program named \"%s\"\n", name);
		print_modules();
		return -ENOENT;
	}
	img->data = phys_to_virt(mod->start);
	img->size = mod->end - mod->start;
	img->buf = NULL;
	return 0;
}

void run_image_put(struct run_image *img)
{
	kfree(img->buf);
	img->buf = NULL;
}

/* Start the program argv[0]; the process, or NULL (said why; *err set). */
static struct proc *run_start(const char *const argv[], int *err)
{
	struct run_image img;
	struct proc *p;

	*err = run_image_get(argv[0], &img);
	if (*err)
		return NULL;
	p = spawn(str_basename(argv[0]), img.data, img.size, argv, err);
	run_image_put(&img);
	return p;
}

/* What memory is left: a leak shows as a number that goes down. */
static void print_memory(void)
{
	struct frame_stats fs;
	struct heap_stats hs;

	frame_get_stats(&fs);
	heap_get_stats(&hs);
	kprintf("run: %lu frames free, %lu heap blocks in use\n", fs.free, hs.blocks_in_use);
	/* Pages the heap keeps for its size classes, used or not: frames free
	 * plus these stay the same from run to run unless memory leaks. */
	kprintf("run: the heap holds %lu pages\n", hs.pages);
	failinject_print_stats();
}

int run_program(const char *const argv[])
{
	int err, status;
	struct proc *p = run_start(argv, &err);

	if (!p)
		return err;
	status = proc_wait(p);
	print_memory();
	return status;
}

/*
 * Run the programs of one ';'-separated group of run=: PROG[,ARG...] joined
 * by '&' start together and are waited for together.  The group's status is
 * the first non-zero status of its programs, else 0.
 */
static int run_group(char *group)
{
	char *specs[RUN_MAX_PARALLEL + 1];
	struct proc *procs[RUN_MAX_PARALLEL];
	int n = split(group, '&', specs, ARRAY_SIZE(specs)), started = 0, status = 0;

	for (int i = 0; i < n; i++) {
		char *argv[RUN_MAX_ARGS + 1];
		int err;

		if (split(specs[i], ',', argv, ARRAY_SIZE(argv)) == 0)
			continue;
		unquote(argv);
		procs[started] = run_start((const char *const *)argv, &err);
		if (procs[started])
			started++;
		else if (!status)
			status = err;
	}
	for (int i = 0; i < started; i++) {
		int s = proc_wait(procs[i]);

		if (!status)
			status = s;
	}
	if (started)
		print_memory();
	return status;
}

void run_shell(void)
{
	const char *const argv[] = { RUN_SHELL, NULL };
	int status = run_program(argv);

	if (status >= 0)
		kprintf("run: %s exited with status %d: the kernel monitor follows\n", RUN_SHELL,
			status);
}

void run_cmdline(void)
{
	static char buf[CMDLINE_MAX]; /* all of it: a line is at most this long */
	const char *spec = cmdline_get("run");
	char *groups[RUN_MAX_ARGS + 1];
	int status = 0;

	if (!spec)
		return;
	strlcpy(buf, spec, sizeof(buf));
	split(buf, ';', groups, ARRAY_SIZE(groups));
	for (int i = 0; groups[i]; i++)
		status = run_group(groups[i]);
	if (cmdline_has("exit")) {
		schedtrace_dump();
		kprintf("run: done, last status %d: exiting\n", status);
		machine_exit(status == 0 ? MACHINE_EXIT_PASS : MACHINE_EXIT_FAIL);
	}
}
