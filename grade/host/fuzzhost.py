#!/usr/bin/env python3
"""Host fuzzing of the parsers: the FAT library (grade/host/fuzz_fat.c) and
the kernel's ELF loader (grade/host/fuzz_elf.c), each a libFuzzer harness.

    python3 grade/host/fuzzhost.py [--time SECONDS] [NAME...]    (make fuzz-host)

builds each harness with clang -fsanitize=fuzzer,address,undefined into
build/fuzz/, makes its seed corpus there, and runs it for SECONDS (default
60) on a copy of that corpus, which grows with what the fuzzer finds.  A
crash (an abort of the harness, a sanitizer report, a timeout of one input)
is saved as build/fuzz/NAME/crash-*; the script names it and exits 1.  Turn
each one into a unit test in grade/test_fuzz.py, then fix it.

The seeds, made at build time and never committed:
- fat: images from mkfs.fat (FAT12, FAT16, FAT32; 512- and 4096-byte
  sectors), filled by mcopy with grade/host/fatimg.py's tree (long, mixed
  case and non-ASCII names, nested directories, a directory of many
  names), each cut after its last non-zero sector: the harness pads an
  image to the size its boot sector declares.
- elf: the build's own programs (build/user/*, stripped), when built, and
  small executables written here: one segment, two sharing a page, TLS.

grade/test_fuzz.py (make unit-test) builds the same harnesses with cc and
grade/host/fuzz_main.c in place of libFuzzer and runs them once over these
seeds and the reproducers of the bugs found so far.  Standard library only.
"""
import argparse
import os
import shutil
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import fatimg  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent.parent
HOST = ROOT / "grade" / "host"
OUT = ROOT / "build" / "fuzz"
SANITIZE = ["-fsanitize=address,undefined", "-fno-sanitize-recover=all"]
HARNESSES = ("fat", "elf")
# libFuzzer's largest input: the biggest seed (a FAT32 image's metadata).
MAX_LEN = {"fat": 1 << 20, "elf": 1 << 18}
ENV = dict(os.environ, ASAN_OPTIONS="detect_leaks=0:abort_on_error=0",
           UBSAN_OPTIONS="print_stacktrace=1")


def run(cmd, **kw):
    done = subprocess.run([str(c) for c in cmd], stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, env=ENV, **kw)
    if done.returncode != 0:
        raise RuntimeError("{} exited {}:\n{}".format(
            " ".join(map(str, cmd)), done.returncode, done.stdout[-4000:]))
    return done.stdout


def kernel_object(cc, flags, source, obj):
    """Compile a kernel file for the host as grade/test_host.py does: the
    kernel's headers, freestanding, every defined symbol renamed k_NAME."""
    gcc_include = run([cc, "-print-file-name=include"]).strip()
    run([cc, "-std=gnu11", "-O1", "-g", "-ffreestanding", "-fno-builtin", "-nostdinc",
         "-isystem", gcc_include, "-I", ROOT / "kernel" / "include", "-I", ROOT / "kernel",
         "-Wall", "-Wextra", "-Werror", *flags, "-c", "-o", obj, source])
    defined = run(["nm", "--defined-only", "-g", obj]).split("\n")
    renames = obj.with_suffix(".syms")
    renames.write_text("".join("{0} k_{0}\n".format(line.split()[-1])
                               for line in defined if line.strip()))
    run(["objcopy", "--redefine-syms", renames, obj])
    return obj


def build(name, libfuzzer):
    """The harness `name` built for libFuzzer (clang) or for regression runs
    (cc with fuzz_main.c); returns the executable's path."""
    cc = "clang" if libfuzzer else (shutil.which("cc") or "gcc")
    out = OUT / ("lib" if libfuzzer else "regress")
    out.mkdir(parents=True, exist_ok=True)
    # Coverage instrumentation for the code under test; the fuzzer's own main at the link.
    flags = SANITIZE + (["-fsanitize=fuzzer-no-link"] if libfuzzer else [])
    link = SANITIZE + (["-fsanitize=fuzzer"] if libfuzzer else [])
    strict = ["-std=gnu11", "-O1", "-g", "-Wall", "-Wextra", "-Werror", *flags]
    sources = [HOST / "fuzz_{}.c".format(name)] + ([] if libfuzzer else [HOST / "fuzz_main.c"])
    objects = []
    if name == "fat":
        sources += sorted((ROOT / "user" / "fatfs").glob("fat*.c"))
    else:
        objects.append(kernel_object(cc, flags, ROOT / "kernel" / "proc" / "elf.c",
                                     out / "kernel_elf.o"))
    for c in sources:
        obj = out / "{}_{}.o".format(name, c.stem)
        run([cc, *strict, "-c", "-o", obj, c])
        objects.append(obj)
    exe = out / "fuzz_{}".format(name)
    run([cc, *link, "-o", exe, *objects])
    return exe


def trim(path):
    """Cut an image after its last sector holding a non-zero byte."""
    data = path.read_bytes().rstrip(b"\0")
    path.write_bytes(data + b"\0" * (-len(data) % 512))


def fat_seeds(dest):
    """mkfs.fat images of each FAT type, filled and trimmed."""
    shapes = [("fat12", 12, 360, 512, 1, []), ("fat12-4k", 12, 1440, 4096, 1, []),
              ("fat16", 16, 2200, 512, 1, []), ("fat32", 32, 33500, 512, 1, ["-f", "1"])]
    with tempfile.TemporaryDirectory(prefix="fuzz-fat.") as tmp:
        for n, (key, fat, kib, sector, spc, extra) in enumerate(shapes):
            src = Path(tmp) / key
            _, _, empty = fatimg.tree(src, seed=n, cluster=sector * spc, big=False)
            image = dest / (key + ".img")
            if image.exists():
                image.unlink()
            fatimg.run(["mkfs.fat", "-C", "-F", fat, "-S", sector, "-s", spc,
                        "-i", "12345678", *extra, image, kib])
            fatimg.fill(image, src, empty)
            trim(image)


def elf_file(phdrs, body, entry):
    """A static x86_64 executable: the ELF header and program headers (each
    (type, flags, offset, vaddr, filesz, memsz)) in the first page, body
    from offset 0x1000."""
    ehdr = struct.pack("<4sBBBBB7sHHIQQQIHHHHHH", b"\x7fELF", 2, 1, 1, 0, 0, b"", 2, 62, 1,
                       entry, 64, 0, 0, 64, 56, len(phdrs), 64, 0, 0)
    table = b"".join(struct.pack("<IIQQQQQQ", kind, flags, off, vaddr, vaddr, filesz, memsz,
                                 0x1000) for kind, flags, off, vaddr, filesz, memsz in phdrs)
    return (ehdr + table).ljust(0x1000, b"\0") + body


def small_elfs():
    """Hand-made executables the loader accepts (names -> bytes): the first
    PT_LOAD maps the file from offset 0, so it holds the program headers."""
    code = b"\x48\x31\xff\xb8\x3c\x00\x00\x00\x0f\x05"  # exit(0)
    load, tls, phdr, rx, rw = 1, 7, 6, 5, 6
    text = (load, rx, 0, 0x400000, 0x1000 + len(code), 0x1000 + len(code))
    return {
        "one-segment": elf_file([text], code, 0x401000),
        # The data segment starts in the text's last page.
        "shared-page": elf_file([(load, rx, 0, 0x400000, 0x1000 + 200, 0x1000 + 200),
                                 (load, rw, 0x10c8, 0x4010c8, 64, 9000)],
                                code * 20 + b"x" * 64, 0x401000),
        "tls": elf_file([text, (load, rw, 0x2000, 0x402000, 32, 4096),
                         (tls, 4, 0x2000, 0x402000, 32, 48)],
                        code.ljust(0x1000, b"\0") + b"t" * 32, 0x401000),
        "phdr": elf_file([(phdr, 4, 64, 0x400040, 3 * 56, 3 * 56), text,
                          (load, rw, 0x2000, 0x402000, 0, 1 << 20)],
                         code.ljust(0x1000, b"\0"), 0x401000),
    }


def elf_seeds(dest):
    for name, data in small_elfs().items():
        (dest / (name + ".elf")).write_bytes(data)
    programs = sorted(p for p in (ROOT / "build" / "user").glob("*")
                      if p.is_file() and os.access(p, os.X_OK) and not p.suffix)
    # The smallest few: a big seed makes every mutation slower.
    for p in sorted(programs, key=lambda p: p.stat().st_size)[:6]:
        run(["objcopy", "--strip-all", p, dest / (p.name + ".prog")])


def seeds(name):
    """The seed corpus of harness `name`, made afresh in build/fuzz/seeds-NAME."""
    dest = OUT / "seeds-{}".format(name)
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    (fat_seeds if name == "fat" else elf_seeds)(dest)
    return dest


def fuzz(name, seconds):
    """Run libFuzzer on harness `name` for `seconds`; returns the crash files."""
    exe = build(name, libfuzzer=True)
    seed = seeds(name)
    work = OUT / name
    corpus = work / "corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    for f in seed.iterdir():
        shutil.copy(f, corpus / f.name)
    before = set(work.glob("crash-*")) | set(work.glob("timeout-*")) | set(work.glob("oom-*"))
    print("fuzz-host: {} for {} s (corpus {})".format(name, seconds, corpus), flush=True)
    done = subprocess.run([str(exe), "-max_total_time={}".format(seconds),
                           "-max_len={}".format(MAX_LEN[name]), "-timeout=10",
                           "-rss_limit_mb=4096", "-print_final_stats=1",
                           "-artifact_prefix={}/".format(work), str(corpus)],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=ENV)
    found = sorted((set(work.glob("crash-*")) | set(work.glob("timeout-*")) |
                    set(work.glob("oom-*"))) - before)
    stats = [line for line in done.stdout.split("\n") if line.startswith("stat::")]
    print("\n".join("  " + s for s in stats))
    if done.returncode != 0 or found:
        print(done.stdout[-6000:])
    return found, done.returncode


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--time", type=int, default=60, help="seconds per harness")
    parser.add_argument("names", nargs="*", help="of: " + " ".join(HARNESSES))
    args = parser.parse_args()
    for name in args.names:
        if name not in HARNESSES:
            parser.error("no harness {!r} (there are: {})".format(name, " ".join(HARNESSES)))
    failed = False
    for name in args.names or HARNESSES:
        found, status = fuzz(name, args.time)
        for f in found:
            print("fuzz-host: {}: found {}".format(name, f.relative_to(ROOT)))
        if found or status != 0:
            failed = True
            print("fuzz-host: {}: FAILED (exit {})".format(name, status))
        else:
            print("fuzz-host: {}: no crash".format(name))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
