/*
 * The handler's frame (see signal.h): what signal_deliver pushes to enter
 * a handler, what rt_sigreturn reads back, and the alternate signal stack
 * it may go on.
 *
 * The frame is Linux's x86_64 rt_sigframe, which musl and every program
 * that looks into a ucontext expect: the return address sa_restorer
 * (musl's __restore_rt, which calls rt_sigreturn), a ucontext with the
 * interrupted registers (mcontext), the alternate stack (uc_stack), the
 * mask to restore and a pointer to the SSE state saved beside it, and the
 * siginfo.  It goes below the interrupted stack pointer minus the 128-byte
 * red zone, aligned as if the handler had been called (rsp + 8 a multiple
 * of 16), the FXSAVE area above it 64-byte aligned.  The handler starts
 * with rdi = sig, rsi = &info, rdx = &uc, TF and DF clear, and a fresh
 * x87/SSE state (MXCSR 0x1f80), as on Linux.  The sigcontext
 * also says trapno, err and cr2 of the thread's last fault that became a
 * signal (u->fault), as Linux's does.
 *
 * The alternate stack.  sigaltstack(2) gives a thread a stack
 * [sp, sp + size) for the handlers with SA_ONSTACK, so that a SIGSEGV
 * handler still runs when the stack overflowed into its guard gap.  A
 * handler runs there unless the thread is on it already (a nested
 * signal: the frame goes below the interrupted rsp as usual); a frame that
 * would not fit in it kills with SIGSEGV instead of running off its end.
 * While a thread runs on it, it may not be changed (EPERM).  With
 * SS_AUTODISARM the setting is cleared while a handler runs on it, and
 * rt_sigreturn puts back the uc_stack of the frame (Linux does so for
 * every frame: a handler may change it there).  A new thread has none, a
 * fork child the parent's, execve clears it (proc/fork.c, as Linux).
 *
 * rt_sigreturn (sigframe_return) takes the frame back: a frame that
 * cannot be read, a rip or rsp outside user space, a code selector that is
 * not the user's, an SSE area that cannot be read or whose MXCSR sets
 * reserved bits (FXRSTOR would fault) kill the process with SIGSEGV, as on
 * Linux.  It leaves through IRETQ, never SYSRET, because SYSRET would lose
 * rcx and r11, which an interrupted computation needs.
 */
#include "proc/signal.h"
#include <errno.h>
#include "arch/x86_64/fpu.h"
#include "arch/x86_64/gdt.h"
#include "arch/x86_64/memlayout.h"
#include "arch/x86_64/trap.h"
#include "arch/x86_64/usermode.h"
#include "arch/x86_64/x86.h"
#include "lib/string.h"
#include "mm/usercopy.h"
#include "proc/proc.h"

/* Linux's x86_64 signal frame (arch/x86/include/uapi/asm/sigcontext.h,
 * asm/ucontext.h, asm/sigframe.h; musl's mcontext_t gregs follow it). */
struct ksigcontext {
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, eflags;
	uint16_t cs, gs, fs, ss;
	uint64_t err, trapno, oldmask, cr2;
	uint64_t fpstate; /* user address of the FXSAVE area, or 0 */
	uint64_t reserved[8];
};

struct kucontext {
	uint64_t flags, link;
	struct ksigaltstack stack;
	struct ksigcontext mcontext;
	uint64_t sigmask;
};

struct ksiginfo {
	int32_t signo, errno_, code, pad;
	union {
		struct {
			int32_t pid, uid, status, pad2; /* kill and SIGCHLD's fields */
		} from;
		uint64_t addr; /* a fault's */
	};
	uint8_t rest[96];
};

struct rt_sigframe {
	uint64_t pretcode; /* sa_restorer: where the handler returns */
	struct kucontext uc;
	struct ksiginfo info;
};

_Static_assert(sizeof(struct ksigaltstack) == 24, "Linux's stack_t");
_Static_assert(sizeof(struct ksigcontext) == 256, "Linux's struct sigcontext");
_Static_assert(__builtin_offsetof(struct rt_sigframe, uc.mcontext) == 48, "");
_Static_assert(__builtin_offsetof(struct rt_sigframe, uc.sigmask) == 304, "");
_Static_assert(__builtin_offsetof(struct rt_sigframe, info) == 312, "");
_Static_assert(__builtin_offsetof(struct ksiginfo, addr) == 16, "si_addr");
_Static_assert(sizeof(struct ksiginfo) == 128, "");

#define RED_ZONE 128
/* RFLAGS bits a handler's context may change (Linux's FIX_EFLAGS): CF PF
 * AF ZF SF TF DF OF AC. */
#define RFLAGS_USER 0x40dd5ull
#define RFLAGS_TF   0x100ull
#define RFLAGS_DF   0x400ull

/* The SS_ flags that are not a mode. */
#define SS_FLAG_BITS SS_AUTODISARM

/* Is sp on u's alternate stack?  It grows down: its top is in it, its
 * base is not.  (Linux's __on_sig_stack.) */
static bool altstack_holds(const struct uthread *u, uint64_t sp)
{
	return sp > u->altstack.sp && sp - u->altstack.sp <= u->altstack.size;
}

/* Does u run on its alternate stack, if sp is its stack pointer?  Never
 * with SS_AUTODISARM: it was let go as the handler entered it, so a
 * corrupt rsp near it still gets its signals handled (Linux's
 * on_sig_stack). */
static bool altstack_on(const struct uthread *u, uint64_t sp)
{
	return !(u->altstack.flags & SS_AUTODISARM) && altstack_holds(u, sp);
}

/* sigaltstack's ss_flags mode for stack pointer sp: SS_DISABLE (none),
 * SS_ONSTACK (on it) or 0. */
static int altstack_mode(const struct uthread *u, uint64_t sp)
{
	if (!u->altstack.size)
		return SS_DISABLE;
	return altstack_on(u, sp) ? SS_ONSTACK : 0;
}

/* The setting as stack_t says it, seen from stack pointer sp. */
static struct ksigaltstack altstack_get(const struct uthread *u, uint64_t sp)
{
	struct ksigaltstack ss = { 0 };

	ss.ss_sp = u->altstack.sp;
	ss.ss_size = u->altstack.size;
	ss.ss_flags = (int32_t)(altstack_mode(u, sp) | (u->altstack.flags & SS_FLAG_BITS));
	return ss;
}

int sigframe_altstack(struct uthread *u, const struct ksigaltstack *ss, struct ksigaltstack *old,
		      uint64_t sp)
{
	uint32_t mode;

	if (old)
		*old = altstack_get(u, sp);
	if (!ss)
		return 0;
	if (altstack_on(u, sp))
		return -EPERM;
	mode = (uint32_t)ss->ss_flags & ~SS_FLAG_BITS;
	if (mode != SS_DISABLE && mode != SS_ONSTACK && mode != 0)
		return -EINVAL;
	if (mode == SS_DISABLE) {
		u->altstack.sp = u->altstack.size = 0;
	} else {
		if (ss->ss_size < MINSIGSTKSZ)
			return -ENOMEM;
		u->altstack.sp = ss->ss_sp;
		u->altstack.size = ss->ss_size;
	}
	u->altstack.flags = (uint32_t)ss->ss_flags & SS_FLAG_BITS;
	return 0;
}

static void sigcontext_save(struct ksigcontext *mc, const struct trapframe *tf,
			    const struct faultinfo *fault)
{
	mc->r8 = tf->r8, mc->r9 = tf->r9, mc->r10 = tf->r10, mc->r11 = tf->r11;
	mc->r12 = tf->r12, mc->r13 = tf->r13, mc->r14 = tf->r14, mc->r15 = tf->r15;
	mc->rdi = tf->rdi, mc->rsi = tf->rsi, mc->rbp = tf->rbp, mc->rbx = tf->rbx;
	mc->rdx = tf->rdx, mc->rax = tf->rax, mc->rcx = tf->rcx, mc->rsp = tf->rsp;
	mc->rip = tf->rip, mc->eflags = tf->rflags;
	mc->cs = USER_CS, mc->ss = USER_DS;
	mc->trapno = fault->trapno;
	mc->err = fault->error;
	mc->cr2 = fault->cr2;
}

/* The siginfo of sig from from.  A fault's signal (si_code > 0, not
 * SI_KERNEL) carries si_addr where a kill's carries si_pid and si_uid
 * (Linux's siginfo_layout: SIL_FAULT). */
static void siginfo_fill(struct ksiginfo *info, int sig, const struct sigsource *from)
{
	bool fault = (SIG_BIT(sig) & SIG_SYNCHRONOUS) && from->code > 0 && from->code != SI_KERNEL;

	info->signo = sig;
	info->code = from->code;
	if (fault) {
		info->addr = from->addr;
	} else {
		info->from.pid = from->pid;
		info->from.status = from->status;
	}
}

/* Where the frame goes: below rsp's red zone, or at the top of the
 * alternate stack; *fp_at gets the FXSAVE area's address.  0 (no room)
 * if a frame on the alternate stack would run off its end. */
static uint64_t sigframe_place(const struct uthread *u, uint64_t rsp, bool onstack, uint64_t *fp_at)
{
	bool nested = altstack_on(u, rsp), entering = false;
	uint64_t sp = rsp - RED_ZONE, at;

	if (onstack && altstack_mode(u, sp) == 0) {
		sp = u->altstack.sp + u->altstack.size;
		entering = true;
	}
	*fp_at = (sp - FPU_AREA_SIZE) & ~63ull;
	at = ((*fp_at - sizeof(struct rt_sigframe)) & ~15ull) - 8; /* as if called */
	if ((nested || entering) && !altstack_holds(u, at))
		return 0;
	return at;
}

int sigframe_push(struct uthread *u, struct trapframe *tf, int sig, const struct sigsource *from,
		  const uint64_t act[4], uint64_t mask)
{
	struct fpu_area fpu;
	struct rt_sigframe frame;
	uint64_t fp_at, at, flags;

	if (!(act[1] & SA_RESTORER))
		return -EFAULT; /* x86_64 has no vdso stub to return through */
	at = sigframe_place(u, tf->rsp, act[1] & SA_ONSTACK, &fp_at);
	if (!at)
		return -EFAULT;
	memset(&frame, 0, sizeof(frame));
	frame.pretcode = act[2];
	sigcontext_save(&frame.uc.mcontext, tf, &u->fault);
	frame.uc.mcontext.fpstate = fp_at;
	frame.uc.mcontext.oldmask = mask;
	frame.uc.sigmask = mask;
	frame.uc.stack = altstack_get(u, tf->rsp);
	siginfo_fill(&frame.info, sig, from);
	flags = irq_save();
	fpu_save(&fpu); /* the live registers are the process's */
	irq_restore(flags);
	if (copy_to_user(fp_at, &fpu, sizeof(fpu)) || copy_to_user(at, &frame, sizeof(frame)))
		return -EFAULT;

	if (u->altstack.flags & SS_AUTODISARM)
		u->altstack = (struct altstack){ 0 }; /* rt_sigreturn puts it back */
	fpu_area_init(&fpu); /* the handler's own: no unmasked exception of the code it stopped */
	flags = irq_save();
	fpu_restore(&fpu);
	irq_restore(flags);
	tf->rip = act[0];
	tf->rsp = at;
	tf->rdi = (uint64_t)sig;
	tf->rsi = at + __builtin_offsetof(struct rt_sigframe, info);
	tf->rdx = at + __builtin_offsetof(struct rt_sigframe, uc);
	tf->rax = 0;
	tf->rflags &= ~(RFLAGS_TF | RFLAGS_DF);
	return 0;
}

/* The FXSAVE area at user address at into the live registers (a fresh
 * state if at is 0, as Linux).  -EFAULT if it cannot be read or its
 * MXCSR sets bits the CPU reserves (FXRSTOR would fault on them). */
static int sigframe_restore_fpu(uint64_t at)
{
	struct fpu_area fpu, cur;
	uint32_t mxcsr, mask;
	uint64_t flags;

	if (!at)
		fpu_area_init(&fpu);
	else if (copy_from_user(&fpu, at, sizeof(fpu)))
		return -EFAULT;
	flags = irq_save();
	fpu_save(&cur);
	memcpy(&mask, cur.bytes + 28, 4); /* MXCSR_MASK */
	memcpy(&mxcsr, fpu.bytes + 24, 4);
	if (mxcsr & ~(mask ? mask : 0xffbf)) {
		irq_restore(flags);
		return -EFAULT;
	}
	fpu_restore(&fpu);
	irq_restore(flags);
	return 0;
}

void sigframe_return(struct trapframe *tf)
{
	struct uthread *u = uthread_current();
	struct rt_sigframe frame;
	struct ksigcontext *mc = &frame.uc.mcontext;

	/* The handler's `ret` popped pretcode: the frame starts 8 below. */
	if (copy_from_user(&frame, tf->rsp - 8, sizeof(frame)) || mc->rip >= USER_END ||
	    mc->rsp >= USER_END || (mc->cs | 3) != USER_CS || sigframe_restore_fpu(mc->fpstate))
		proc_exit_signal(SIGSEGV);
	tf->r8 = mc->r8, tf->r9 = mc->r9, tf->r10 = mc->r10, tf->r11 = mc->r11;
	tf->r12 = mc->r12, tf->r13 = mc->r13, tf->r14 = mc->r14, tf->r15 = mc->r15;
	tf->rdi = mc->rdi, tf->rsi = mc->rsi, tf->rbp = mc->rbp, tf->rbx = mc->rbx;
	tf->rdx = mc->rdx, tf->rax = mc->rax, tf->rcx = mc->rcx, tf->rsp = mc->rsp;
	tf->rip = mc->rip;
	tf->rflags = (tf->rflags & ~RFLAGS_USER) | (mc->eflags & RFLAGS_USER);
	tf->cs = USER_CS;
	tf->ss = USER_DS;
	tf->vector = 0; /* not a system call to restart any more */
	u->sigmask = frame.uc.sigmask & ~SIG_UNBLOCKABLE;
	/* Errors squashed, as Linux's restore_altstack does: a handler still
	 * on the stack it leaves keeps the setting. */
	sigframe_altstack(u, &frame.uc.stack, NULL, tf->rsp);
	signal_deliver(tf); /* one unblocked by the restored mask */
	usermode_enter(tf);
}
