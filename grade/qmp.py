"""qmp: talk to a running QEMU through its machine protocol (QMP).

Every Machine that gradelib starts has a QMP socket in its temporary
directory; `m.monitor` is a Monitor on it, connected at first use:

    m.monitor.sendkey("ctrl-c")          # one key combination, as `sendkey`
    m.monitor.type_text("ls /\\n")        # a string, key by key (US layout)
    w, h, rgb = m.monitor.screendump()   # the screen as PPM pixels
    vga = m.monitor.pmemsave(0xb8000, 4000)  # guest physical memory
    rows = m.monitor.vga_rows()          # the VGA text screen's characters

The protocol is JSON objects, one per line: QEMU greets, the client sends
`qmp_capabilities`, then each command gets one reply; asynchronous events
may arrive in between and are skipped (docs/interop/qmp-spec in QEMU).
"""
import json
import socket
import tempfile
import time
from pathlib import Path

CONNECT_TIMEOUT = 10.0   # seconds for QEMU to open the socket
REPLY_TIMEOUT = 60.0     # seconds for one command's reply
VGA_TEXT, VGA_COLS, VGA_ROWS = 0xb8000, 80, 25   # the VGA text buffer

# Characters typed with a plain key (QEMU's qcode names, US layout) ...
PLAIN_KEYS = {" ": "spc", "\n": "ret", "\t": "tab", "\b": "backspace", "-": "minus",
              "=": "equal", "[": "bracket_left", "]": "bracket_right", ";": "semicolon",
              "'": "apostrophe", "`": "grave_accent", "\\": "backslash", ",": "comma",
              ".": "dot", "/": "slash", "\x1b": "esc"}
# ... and those typed with shift.
SHIFT_KEYS = {"!": "1", "@": "2", "#": "3", "$": "4", "%": "5", "^": "6", "&": "7",
              "*": "8", "(": "9", ")": "0", "_": "minus", "+": "equal", "{": "bracket_left",
              "}": "bracket_right", ":": "semicolon", '"': "apostrophe", "~": "grave_accent",
              "|": "backslash", "<": "comma", ">": "dot", "?": "slash"}


class QMPError(Exception):
    """QEMU refused a command, or the socket failed."""


def key_combo(ch):
    """The qcodes that type character ch, e.g. "A" -> ["shift", "a"]."""
    if ch.isascii() and (ch.islower() or ch.isdigit()):
        return [ch]
    if ch.isascii() and ch.isupper():
        return ["shift", ch.lower()]
    if ch in PLAIN_KEYS:
        return [PLAIN_KEYS[ch]]
    if ch in SHIFT_KEYS:
        return ["shift", SHIFT_KEYS[ch]]
    raise ValueError("no key types {!r}".format(ch))


def parse_ppm(data):
    """(width, height, rgb bytes) of a binary PPM (P6, maxval 255) image."""
    fields, pos = [], 0
    while len(fields) < 4:
        while data[pos:pos + 1].isspace():
            pos += 1
        if data[pos:pos + 1] == b"#":
            pos = data.index(b"\n", pos)
            continue
        end = pos
        while not data[end:end + 1].isspace():
            end += 1
        fields.append(data[pos:end])
        pos = end
    if fields[0] != b"P6" or fields[3] != b"255":
        raise QMPError("screendump is not a P6 PPM with maxval 255")
    width, height = int(fields[1]), int(fields[2])
    pixels = data[pos + 1:pos + 1 + 3 * width * height]
    if len(pixels) != 3 * width * height:
        raise QMPError("screendump is truncated")
    return width, height, pixels


class Monitor:
    """A QMP client on the UNIX socket `path` (QEMU's -qmp unix:PATH,server=on,wait=off)."""

    def __init__(self, path):
        self.path = str(path)
        self._sock = None
        self._buf = b""

    def _connect(self):
        deadline = time.monotonic() + CONNECT_TIMEOUT
        while True:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                sock.connect(self.path)
                break
            except OSError as e:
                sock.close()
                if time.monotonic() > deadline:
                    raise QMPError("cannot reach QEMU's QMP socket: {}".format(e))
                time.sleep(0.05)
        sock.settimeout(REPLY_TIMEOUT)
        self._sock = sock
        self._read()  # the greeting
        self.command("qmp_capabilities")

    def _read(self):
        while b"\n" not in self._buf:
            try:
                chunk = self._sock.recv(65536)
            except OSError as e:
                raise QMPError("QMP: {}".format(e))
            if not chunk:
                raise QMPError("QEMU closed its QMP socket")
            self._buf += chunk
        line, self._buf = self._buf.split(b"\n", 1)
        return json.loads(line)

    def command(self, execute, **arguments):
        """Run one QMP command and return its "return" value."""
        if self._sock is None and execute != "qmp_capabilities":
            self._connect()
        message = {"execute": execute}
        if arguments:
            message["arguments"] = arguments
        try:
            self._sock.sendall(json.dumps(message).encode() + b"\n")
        except OSError as e:
            raise QMPError("QMP: {}".format(e))
        while True:
            reply = self._read()
            if "return" in reply:
                return reply["return"]
            if "error" in reply:
                raise QMPError("QEMU refused {}: {}".format(execute, reply["error"]["desc"]))

    def sendkey(self, combo, hold_ms=None):
        """Press and release one combination, written as `sendkey` does ("ctrl-alt-f1")."""
        args = {"keys": [{"type": "qcode", "data": k} for k in combo.split("-")]}
        if hold_ms is not None:
            args["hold-time"] = hold_ms
        self.command("send-key", **args)

    def type_text(self, text):
        """Type text on the keyboard, one key combination per character."""
        for ch in text:
            self.sendkey("-".join(key_combo(ch)))

    def _to_file(self, execute, suffix, **arguments):
        with tempfile.TemporaryDirectory(prefix="qmp-") as tmp:
            path = Path(tmp) / ("out" + suffix)
            self.command(execute, filename=str(path), **arguments)
            return path.read_bytes()

    def screendump(self):
        """The screen QEMU shows (VGA text or graphics) as (width, height, rgb bytes)."""
        return parse_ppm(self._to_file("screendump", ".ppm"))

    def pmemsave(self, addr, size):
        """size bytes of guest physical memory from addr."""
        return self._to_file("pmemsave", ".bin", val=addr, size=size)

    def vga_rows(self):
        """The characters of the VGA text screen (80x25 at 0xb8000, a character
        and an attribute byte a cell) as 25 strings, decoded as code page 437."""
        cells = self.pmemsave(VGA_TEXT, VGA_COLS * VGA_ROWS * 2)
        row = 2 * VGA_COLS
        return [cells[r * row:(r + 1) * row:2].decode("cp437") for r in range(VGA_ROWS)]

    def close(self):
        if self._sock is not None:
            self._sock.close()
            self._sock = None
