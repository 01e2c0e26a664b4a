"""The fuzz harnesses' regression mode: grade/host/fuzz_fat.c (the FAT library
of user/fatfs) and grade/host/fuzz_elf.c (the kernel's ELF loader,
kernel/proc/elf.c), built with cc under AddressSanitizer and UBSan with
grade/host/fuzz_main.c in place of libFuzzer (grade/host/fuzzhost.py), run
over their seed corpus (every seed must be accepted: a harness that refuses
everything tests nothing) and over the reproducers of the bugs `make
fuzz-host` found, written here as bytes: each must pass the harness (no
sanitizer report, no abort) with the verdict it names.

Run alone: python3 -m unittest discover -s grade -p 'test_fuzz.py' -v
"""
import re
import struct
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "host"))
import fuzzhost  # noqa: E402

harness = {}
seed_dirs = {}


def setUpModule():
    for name in fuzzhost.HARNESSES:
        harness[name] = fuzzhost.build(name, libfuzzer=False)
        seed_dirs[name] = fuzzhost.seeds(name)


def run_harness(name, *paths):
    """Run harness `name` on paths; returns (inputs, accepted), failing on
    any sanitizer report or abort."""
    done = subprocess.run([str(harness[name]), *map(str, paths)], stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, env=fuzzhost.ENV, timeout=120)
    if done.returncode != 0 or "runtime error" in done.stdout or "Sanitizer" in done.stdout:
        raise AssertionError("fuzz_{} failed (exit {}):\n{}".format(
            name, done.returncode, done.stdout[-4000:]))
    found = re.search(r"^fuzz: (\d+) inputs, (\d+) accepted$", done.stdout, re.M)
    if not found:
        raise AssertionError("fuzz_{}: no summary line:\n{}".format(name, done.stdout[-2000:]))
    return int(found.group(1)), int(found.group(2))


def with_phoff(elf, phoff):
    """elf with its program headers moved to file offset phoff."""
    phnum = struct.unpack_from("<H", elf, 56)[0]
    table = elf[64:64 + 56 * phnum]
    out = bytearray(elf)
    out[64:64 + 56 * phnum] = bytes(56 * phnum)
    out[phoff:phoff + len(table)] = table
    struct.pack_into("<Q", out, 32, phoff)
    return bytes(out)


def with_memsz(elf, index, memsz):
    """elf with program header `index`'s p_memsz set."""
    out = bytearray(elf)
    struct.pack_into("<Q", out, 64 + 56 * index + 40, memsz)
    return bytes(out)


def elf_cases():
    """(name, bytes, loads?): each a bug fuzz_elf found, as bytes."""
    elfs = fuzzhost.small_elfs()
    return [
        # Program headers at an odd offset were read in place as Elf64_Phdr:
        # UBSan's "misaligned address" in elf_check.  Refused now.
        ("misaligned program headers", with_phoff(elfs["shared-page"], 0x3f), False),
        ("aligned program headers elsewhere", with_phoff(elfs["shared-page"], 0x200), True),
        # A segment of 64 TiB (.bss) was mapped page by page: 2^34 calls
        # of uvm_map, the kernel busy for hours.  One uvm_map now, refused
        # as larger than memory (-ENOMEM).
        ("a 64 TiB segment", with_memsz(elfs["one-segment"], 0, 1 << 46), False),
        ("a 1 MiB .bss", with_memsz(elfs["one-segment"], 0, 1 << 20), True),
    ]


class FuzzRegression(unittest.TestCase):
    def test_fat_seeds_mount(self):
        seeds = sorted(seed_dirs["fat"].iterdir())
        self.assertGreaterEqual(len(seeds), 4)
        self.assertEqual(run_harness("fat", *seeds), (len(seeds), len(seeds)))

    def test_elf_seeds_load(self):
        seeds = sorted(seed_dirs["elf"].iterdir())
        self.assertGreaterEqual(len(seeds), len(fuzzhost.small_elfs()))
        self.assertEqual(run_harness("elf", *seeds), (len(seeds), len(seeds)))

    def test_elf_reproducers(self):
        with tempfile.TemporaryDirectory(prefix="fuzz-elf.") as tmp:
            for name, data, loads in elf_cases():
                with self.subTest(case=name):
                    path = Path(tmp) / "case"
                    path.write_bytes(data)
                    self.assertEqual(run_harness("elf", path), (1, int(loads)))


if __name__ == "__main__":
    unittest.main()
