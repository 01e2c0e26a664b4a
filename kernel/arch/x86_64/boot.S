/*
 * The first code that runs.  GRUB (multiboot2) enters _start in 32-bit
 * protected mode with paging off, EAX = multiboot2 magic, EBX = physical
 * address of the multiboot information (Multiboot2 spec, 3.3 "I386 machine
 * state").  We:
 *
 *   1. check the magic and that the CPU has long mode (CPUID 0x80000001 EDX
 *      bit 29), printing a message on COM1 and the screen if not;
 *   2. build boot page tables that map the first 1 GiB three times, with
 *      2 MiB pages: identity (so this code keeps running after paging is on),
 *      at PHYS_MAP_BASE (the direct map) and at KERNEL_VMA (the kernel image);
 *   3. enable PAE, set EFER.LME, enable paging: the CPU is now in long mode
 *      (Intel SDM Vol. 3A, 10.8.5 "Initializing IA-32e Mode");
 *   4. far-jump into a 64-bit code segment and then to the higher-half
 *      kernel_entry64, which calls kmain(magic, mbi_phys).
 *
 * This part lives in the .boot section, linked at its physical address, so
 * that it can run before paging.  The kernel proper is linked at KERNEL_VMA.
 * The paging stage replaces these tables with the kernel's own.
 *
 * Nothing called this code, so its call frame information (the .cfi_
 * lines, for the debugger's unwinder) says that there is no return
 * address: GDB's `bt` ends here instead of reading garbage as frames.  The
 * 32-bit part uses DWARF's x86_64 register numbers (7 = rsp, 16 = rip):
 * the object is 64-bit even where the code is not.
 */
#include "arch/x86_64/memlayout.h"

#define MB2_HEADER_MAGIC 0xe85250d6
#define MB2_BOOT_MAGIC   0x36d76289
#define COM1             0x3f8
#define PTE_PW           0x003          /* present, writable */
#define PTE_PW_HUGE      0x083          /* present, writable, 2 MiB page */

/* Multiboot2 header: must be 8-byte aligned in the first 32 KiB of the file. */
	.section .multiboot2, "a"
	.balign 8
mb2_header:
	.long MB2_HEADER_MAGIC
	.long 0                                 /* architecture: i386 */
	.long mb2_header_end - mb2_header
	.long -(MB2_HEADER_MAGIC + (mb2_header_end - mb2_header))
	/* Framebuffer request (Multiboot2 spec 3.1.10), optional (flags bit 0)
	 * so that a loader in text mode still boots us; width, height and depth
	 * 0: no preference.  With it GRUB sets the mode grub.cfg's gfxpayload
	 * names ("text" by default, "1024x768x32" with VIDEO=fb) and passes it
	 * in the framebuffer tag (drivers/fb.c). */
	.balign 8
	.short 5, 1
	.long 20
	.long 0, 0, 0
	.balign 8                               /* end tag */
	.short 0, 0
	.long 8
mb2_header_end:

	.cfi_sections .debug_frame

	.section .boot.text, "ax"
	.code32
	.global _start
_start:
	.cfi_startproc simple
	.cfi_def_cfa 7, 0
	.cfi_undefined 16
	cli
	cld
	movl $boot_stack_top, %esp
	movl %eax, boot_mb_magic
	movl %ebx, boot_mb_info

	cmpl $MB2_BOOT_MAGIC, %eax
	jne no_multiboot

	/* CPUID exists iff EFLAGS.ID (bit 21) can be flipped. */
	pushfl
	popl %eax
	movl %eax, %ecx
	xorl $(1 << 21), %eax
	pushl %eax
	popfl
	pushfl
	popl %eax
	pushl %ecx
	popfl
	cmpl %eax, %ecx
	je no_long_mode

	movl $0x80000000, %eax
	cpuid
	cmpl $0x80000001, %eax
	jb no_long_mode
	movl $0x80000001, %eax
	cpuid
	testl $(1 << 29), %edx
	jz no_long_mode

	/* Page tables: the .boot.data tables are zero; fill in the entries. */
	movl $(boot_pdpt_low + PTE_PW), boot_pml4                 /* identity */
	movl $(boot_pdpt_low + PTE_PW), boot_pml4 + 256 * 8       /* direct map */
	movl $(boot_pdpt_high + PTE_PW), boot_pml4 + 511 * 8      /* kernel image */
	movl $(boot_pd + PTE_PW), boot_pdpt_low
	movl $(boot_pd + PTE_PW), boot_pdpt_high + 510 * 8
	xorl %ecx, %ecx
1:	movl %ecx, %eax
	shll $21, %eax                          /* i * 2 MiB */
	orl $PTE_PW_HUGE, %eax
	movl %eax, boot_pd(, %ecx, 8)
	incl %ecx
	cmpl $512, %ecx
	jne 1b

	movl $boot_pml4, %eax
	movl %eax, %cr3
	movl %cr4, %eax
	orl $(1 << 5), %eax                     /* CR4.PAE */
	movl %eax, %cr4
	movl $0xc0000080, %ecx                  /* EFER */
	rdmsr
	orl $(1 << 8), %eax                     /* EFER.LME */
	wrmsr
	movl %cr0, %eax
	orl $((1 << 31) | (1 << 16) | 1), %eax  /* CR0.PG, CR0.WP, CR0.PE */
	movl %eax, %cr0

	lgdt boot_gdt_ptr
	ljmp $0x08, $boot_long_mode

no_multiboot:
	movl $msg_no_multiboot, %esi
	jmp boot_fail
no_long_mode:
	movl $msg_no_long_mode, %esi
	/* fall through */

/* Print the NUL-terminated string at ESI on COM1 and the VGA screen; halt. */
boot_fail:
	movl $0xb8000, %edi
1:	lodsb
	testb %al, %al
	jz 3f
	movb %al, %bl
	movw $(COM1 + 5), %dx                   /* wait for the transmitter */
2:	inb %dx, %al
	testb $0x20, %al
	jz 2b
	movw $COM1, %dx
	movb %bl, %al
	outb %al, %dx
	movb %bl, (%edi)
	movb $0x4f, 1(%edi)                     /* white on red */
	addl $2, %edi
	jmp 1b
3:	cli
	hlt
	jmp 3b

	.code64
boot_long_mode:
	movw $0x10, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	xorw %ax, %ax
	movw %ax, %fs
	movw %ax, %gs
	movl boot_mb_magic, %edi
	movl boot_mb_info, %esi
	movabsq $kernel_entry64, %rax
	jmp *%rax
	.cfi_endproc

	.section .boot.data, "aw"
msg_no_multiboot:
	.asciz "boot: not loaded by a multiboot2 loader; halting\r\n"
msg_no_long_mode:
	.asciz "boot: this CPU has no 64-bit long mode; halting\r\n"

	.balign 8
boot_mb_magic:
	.long 0
boot_mb_info:
	.long 0

/* A flat GDT: null, 64-bit kernel code (0x08), kernel data (0x10). */
	.balign 16
	.global boot_gdt
boot_gdt:
	.quad 0
	.quad 0x00af9a000000ffff
	.quad 0x00cf92000000ffff
boot_gdt_end:
boot_gdt_ptr:
	.short boot_gdt_end - boot_gdt - 1
	.long boot_gdt

	.balign 4096
boot_pml4:
	.fill 4096, 1, 0
boot_pdpt_low:
	.fill 4096, 1, 0
boot_pdpt_high:
	.fill 4096, 1, 0
boot_pd:
	.fill 4096, 1, 0
	.fill 1024, 1, 0                        /* the 32-bit code's stack */
boot_stack_top:

/* ---- 64-bit, higher half ---------------------------------------------- */

	.section .text
	.global kernel_entry64
	.type kernel_entry64, @function
kernel_entry64:
	.cfi_startproc simple
	.cfi_def_cfa %rsp, 0
	.cfi_undefined %rip
	movabsq $boot_stack_top64, %rsp
	lgdt boot_gdt_ptr64(%rip)               /* GDTR must hold a high address */
	xorl %ebp, %ebp                         /* ends the backtrace chain */
	call kmain                              /* kmain(magic, mbi_phys) */
1:	cli
	hlt
	jmp 1b
	.cfi_endproc
	.size kernel_entry64, . - kernel_entry64

	.section .data
	.balign 16
boot_gdt_ptr64:
	.short boot_gdt_end - boot_gdt - 1
	.quad boot_gdt + KERNEL_VMA

/*
 * The boot thread's kernel stack, with a page below it that the paging stage
 * unmaps, so that an overflow faults instead of corrupting .bss.
 */
	.section .bss
	.balign 4096
	.global boot_stack_guard, boot_stack_bottom
boot_stack_guard:
	.skip 4096
boot_stack_bottom:
	.skip 16384
	.global boot_stack_top64
boot_stack_top64:
