/*
 * QEMU's fw_cfg device, read the simplest way: through its I/O ports.
 *
 * The emulator keeps items the guest selects by a 16-bit key written to
 * the selector port; each read of the data port then gives the next byte
 * of the item.  Key 0 is the signature "QEMU"; key 0x19 the file
 * directory: a big-endian count, then for each file its big-endian size,
 * its key, two reserved bytes and a 56-byte name.  `-fw_cfg
 * name=opt/NAME,string=TEXT` on QEMU's command line adds a file (QEMU's
 * docs/specs/fw_cfg.rst).
 *
 * The graders pass their per-run nonce this way (opt/kestrel/nonce): the
 * ports need I/O permission that no program is given.  The machine has no
 * fw_cfg under Bochs; then the signature does not match, nothing is read,
 * and the graders put the nonce on the kernel command line instead, which
 * no program can read either (test/ktest.c).
 */
#include "boot/fwcfg.h"
#include "arch/x86_64/x86.h"
#include "lib/string.h"

#define FWCFG_SELECTOR  0x510
#define FWCFG_DATA      0x511
#define FWCFG_SIGNATURE 0x0000
#define FWCFG_FILE_DIR  0x0019
#define FWCFG_NAME_LEN  56

static void fwcfg_select(uint16_t key)
{
	outw(FWCFG_SELECTOR, key);
}

static void fwcfg_bytes(void *buf, size_t n)
{
	uint8_t *p = buf;

	while (n--)
		*p++ = inb(FWCFG_DATA);
}

static uint32_t fwcfg_be32(void)
{
	uint8_t b[4];

	fwcfg_bytes(b, sizeof(b));
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

int fwcfg_read_file(const char *name, char *buf, size_t cap)
{
	char sig[4], fname[FWCFG_NAME_LEN];
	uint32_t count;

	fwcfg_select(FWCFG_SIGNATURE);
	fwcfg_bytes(sig, sizeof(sig));
	if (memcmp(sig, "QEMU", 4) != 0 || cap == 0)
		return -1;
	fwcfg_select(FWCFG_FILE_DIR);
	count = fwcfg_be32();
	for (uint32_t i = 0; i < count && i < 4096; i++) {
		uint32_t size = fwcfg_be32();
		uint8_t key[4]; /* the key, big-endian, then two reserved bytes */

		fwcfg_bytes(key, sizeof(key));
		fwcfg_bytes(fname, sizeof(fname));
		fname[FWCFG_NAME_LEN - 1] = 0;
		if (strcmp(fname, name) != 0)
			continue;
		size = MIN(size, (uint32_t)cap - 1);
		fwcfg_select((uint16_t)(key[0] << 8 | key[1]));
		fwcfg_bytes(buf, size);
		buf[size] = 0;
		return (int)size;
	}
	return -1;
}
