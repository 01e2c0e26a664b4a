"""A model of a directory tree for grade/test_fatfs.py: what each operation
of fattool's scripts should print (errno included) and what the tree holds
after it, with the library's rules: names match regardless of ASCII case,
POSIX rename, times at 2-second (write), 1-day (access) and 10 ms
(creation) resolution, directories' write times changing with their names.

random_script() makes a seeded random script of creates, writes (with
holes), truncates, renames, removals, mkdirs, rmdirs, reads and stats,
with the lines it should print.  Standard library only.
"""

import re

ENOENT, EEXIST, ENOTDIR, EISDIR, EINVAL = -2, -17, -20, -21, -22
ENOTEMPTY = -39
DAY = 86400


def fold(name):
    """The library's name matching: ASCII letters regardless of case."""
    return "".join(c.lower() if c.isascii() else c for c in name)


class Node:
    def __init__(self, kind, data=b"", now=None):
        self.kind, self.data = kind, bytearray(data)
        self.ctime = self.mtime = self.atime = None
        if now is not None:
            self.ctime, self.mtime, self.atime = now, now - now % 2, now - now % DAY


class Model:
    """What the tree should hold after each operation, and what each returns."""

    def __init__(self, files, dirs, cluster):
        self.nodes = {d: Node("d") for d in dirs}
        self.nodes.update({p: Node("f", data) for p, data in files.items()})
        self.cluster = cluster
        self.now = 1700000001

    def children(self, d):
        return [p for p in self.nodes if p and p.rsplit("/", 1)[0] == d]

    def find(self, path):
        """(stored path or None, error of the walk to its parent)."""
        if path == "":
            return "", 0
        parent, name = path.rsplit("/", 1)
        sp, err = self.find(parent)
        if err or sp is None:
            return None, err or ENOENT
        if self.nodes[sp].kind != "d":
            return None, ENOTDIR
        for p in self.children(sp):
            if fold(p.rsplit("/", 1)[1]) == fold(name):
                return p, 0
        return None, 0

    def touch(self, d):
        if d:
            self.nodes[d].mtime = self.now - self.now % 2

    def stamp(self, node):
        node.mtime, node.atime = self.now - self.now % 2, self.now - self.now % DAY

    def create(self, path, kind):
        parent, name = path.rsplit("/", 1)
        sp, err = self.find(path)
        if err or sp is not None:
            return err or EEXIST
        sparent = self.find(parent)[0]
        self.nodes[sparent + "/" + name] = Node(kind, now=self.now)
        self.touch(sparent)
        return 0

    def file_op(self, path, change):
        sp, err = self.find(path)
        if err or sp is None:
            return err or ENOENT
        node = self.nodes[sp]
        if node.kind == "d":
            return EISDIR
        return change(node)

    def write(self, path, off, data):
        def change(node):
            if len(node.data) < off:
                node.data.extend(bytes(off - len(node.data)))
            node.data[off:off + len(data)] = data
            self.stamp(node)
            return 0
        return self.file_op(path, change)

    def trunc(self, path, size):
        def change(node):
            if size != len(node.data):
                node.data = node.data[:size] + bytes(max(0, size - len(node.data)))
                self.stamp(node)
            return 0
        return self.file_op(path, change)

    def put(self, path, data):
        sp, err = self.find(path)
        if err:
            return err
        if sp is None:
            self.create(path, "f")
        elif self.nodes[sp].kind == "d":
            return EISDIR
        self.trunc(path, 0)
        return self.write(path, 0, data) if data else 0

    def read(self, path, off, n):
        sp, err = self.find(path)
        node = self.nodes[sp]
        if off < len(node.data):
            node.atime = self.now - self.now % DAY
        return node.data[off:off + n]

    def remove(self, path, kind):
        sp, err = self.find(path)
        if err or sp is None:
            return err or ENOENT
        if self.nodes[sp].kind != kind:
            return EISDIR if kind == "f" else ENOTDIR
        if self.children(sp):
            return ENOTEMPTY
        del self.nodes[sp]
        self.touch(sp.rsplit("/", 1)[0])
        return 0

    def rename(self, a, b):
        sa, err = self.find(a)
        if err:
            return err
        sb, err = self.find(b)
        if err:
            return err
        if sa is None:
            return ENOENT
        src = self.nodes[sa]
        new = self.find(b.rsplit("/", 1)[0])[0] + "/" + b.rsplit("/", 1)[1]
        if sb == sa and new == sa:
            return 0
        if sb is not None and sb != sa:
            dst = self.nodes[sb]
            if src.kind != dst.kind:
                return ENOTDIR if src.kind == "d" else EISDIR
            if self.children(sb):
                return ENOTEMPTY
        pa, pb = sa.rsplit("/", 1)[0], new.rsplit("/", 1)[0]
        if src.kind == "d" and pa != pb and (pb == sa or pb.startswith(sa + "/")):
            return EINVAL
        if sb is not None and sb != sa:
            del self.nodes[sb]
        for p in sorted(self.nodes):
            if p == sa or p.startswith(sa + "/"):
                self.nodes[new + p[len(sa):]] = self.nodes.pop(p)
        self.touch(pa)
        self.touch(pb)
        return 0

    def nlink(self, d):
        return 2 + sum(self.nodes[p].kind == "d" for p in self.children(d))


NAMES = ["a.txt", "A.TXT", "Report 2024.pdf", "notes", "NOTES.md", "x", "data.tar.gz",
         "\u00dcn\u00efc\u00f6d\u00e9.txt", "\u65e5\u672c.txt", "lower", "UPPER", "MiXeD",
         "long name with spaces and more than thirteen characters.text", "file.with.dots",
         ".dotfile", "\U0001F600 smile", "sub", "Sub Dir", "readme.txt", "z" * 100]


def mtools_name(name):
    """mtools 4.0 shows each half of a UTF-16 surrogate pair as '_'."""
    return re.sub("[\U00010000-\U0010FFFF]", "__", name)


class Script:
    """A random script of operations on model, and what each line prints."""

    def __init__(self, model, rng, host):
        self.model, self.rng, self.host = model, rng, host
        self.lines, self.expect = [], []

    def emit(self, line, want):
        self.lines += ["time\t{}".format(self.model.now), line]
        self.expect += ["ok", want]

    def do(self, line, result):
        self.emit(line, "ok" if result == 0 else "err {}".format(result))

    def some_dir(self):
        return self.rng.choice(sorted(p for p, n in self.model.nodes.items() if n.kind == "d" and p))

    def some_node(self):
        return self.rng.choice(sorted(p for p in self.model.nodes if p))

    def host_file(self, data):
        path = self.host.with_suffix(".{}".format(len(self.lines)))
        path.write_bytes(data)
        return path

    def put(self, path, cluster):
        data = self.rng.randbytes(self.rng.choice([0, 1, 100, cluster, 3 * cluster + 5, 20000]))
        self.do("put\t{}\t{}\t{}".format(self.host_file(data), path,
                                          self.rng.choice([1000, 4096, 65536])),
                self.model.put(path, data))

    def write(self, path, cluster):
        data = self.rng.randbytes(self.rng.randrange(1, 3 * cluster))
        sp = self.model.find(path)[0]
        size = len(self.model.nodes[sp].data) if sp else 0
        off = self.rng.randrange(0, size + 2 * cluster)
        self.do("write\t{}\t{}\t{}".format(path, off, self.host_file(data)),
                self.model.write(path, off, data))

    def look(self, op, path, cluster):
        """read or stat of a file whose times the model knows."""
        sp, err = self.model.find(path)
        if sp is None or self.model.nodes[sp].kind != "f" or self.model.nodes[sp].ctime is None:
            return
        node = self.model.nodes[sp]
        if op == "read":
            off, count = self.rng.randrange(0, len(node.data) + 2), self.rng.randrange(1, 4000)
            data = self.model.read(sp, off, count)
            self.emit("read\t{}\t{}\t{}".format(path, off, count),
                      "ok\t{}\t{}".format(len(data), data.hex()))
        else:
            size = len(node.data)
            blocks = -(-size // cluster) * cluster // 512
            self.emit("stat\t" + path, "ok\t{}\t100644\t1\t{}\t{}\t{}\t{}".format(
                size, node.atime, node.mtime, node.ctime, blocks))

    def rename(self, path):
        a = self.some_node()
        if self.rng.random() < 0.15:
            b = a.rsplit("/", 1)[0] + "/" + a.rsplit("/", 1)[1].swapcase()
        elif self.rng.random() < 0.2:
            b = self.some_node()
        else:
            b = path
        self.do("mv\t{}\t{}".format(a, b), self.model.rename(a, b))

    def step(self):
        m, rng, cluster = self.model, self.rng, self.model.cluster
        m.now += rng.choice([1, 2, 3, 59, 3600, 86400 * 3 + 1])
        op = rng.choice(["create", "mkdir", "put", "put", "write", "write", "trunc", "rm",
                         "rmdir", "mv", "mv", "mv", "read", "stat"])
        path = (self.some_dir() if rng.random() < 0.95 else "/no such dir") + "/" + \
            rng.choice(NAMES)
        if op in ("write", "trunc", "read", "stat") and rng.random() < 0.9:
            path = self.some_node()
        if op in ("rm", "rmdir") and rng.random() < 0.7:
            path = self.some_node()
        if op in ("create", "mkdir"):
            self.do("{}\t{}".format(op, path), m.create(path, "f" if op == "create" else "d"))
        elif op == "put":
            self.put(path, cluster)
        elif op == "write":
            self.write(path, cluster)
        elif op == "trunc":
            size = rng.choice([0, 1, cluster, cluster + 1, rng.randrange(0, 50000)])
            self.do("trunc\t{}\t{}".format(path, size), m.trunc(path, size))
        elif op in ("read", "stat"):
            self.look(op, path, cluster)
        elif op in ("rm", "rmdir"):
            self.do("{}\t{}".format(op, path), m.remove(path, "f" if op == "rm" else "d"))
        else:
            self.rename(path)


def random_script(model, rng, host, steps=160):
    """(script lines, expected output lines) of a random run; model follows it.
    New names go below directories other than the root (a FAT12/16 root is
    small); host names the scratch files holding data to write."""
    s = Script(model, rng, host)
    for d in ("/work", "/work/one", "/work/two"):
        model.now += 1
        s.do("mkdir\t" + d, model.create(d, "d"))
    for _ in range(steps):
        s.step()
    return s.lines, s.expect
