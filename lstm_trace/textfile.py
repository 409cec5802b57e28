"""A scenario or answers file's text, or one clear error; no YAML yet (template reads files without it)."""

from __future__ import annotations

import os
import re
import stat

from .errors import ScenarioError

# a D=64, H=128, T=8192 scenario (lstm-trace new) is about 11 MB; this leaves room and still bounds a read
MAX_BYTES = 64 * 1024 * 1024
LIMIT = f"the limit is {MAX_BYTES:,} bytes ({MAX_BYTES // 2**20} MiB)"

# what YAML refuses in a file: the C0 controls but tab and line breaks, DEL, the C1 controls but NEL,
# surrogates, U+FFFE and U+FFFF; everything else (printable ASCII and the printable planes) it allows.
# Written as what it refuses: the class of what it allows, negated, took 9 ms to compile on every command
_NON_PRINTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ud800-\udfff\ufffe\uffff]")
_PRINTABLE_ASCII = bytes(range(0x20, 0x7F)) + b"\t\n\r"
_BREAK = re.compile("\r\n|[\n\r\x85\u2028\u2029]")  # YAML's line breaks, as its marks count lines
_C0 = (
    "NUL SOH STX ETX EOT ENQ ACK BEL BS HT LF VT FF CR SO SI DLE DC1 DC2 DC3 DC4 NAK SYN ETB CAN EM SUB ESC FS GS RS US"
)

_KINDS = {
    stat.S_ISFIFO: "a FIFO (named pipe)",
    stat.S_ISCHR: "a character device",
    stat.S_ISBLK: "a block device",
    stat.S_ISSOCK: "a socket",
}


def read_text(path: str | os.PathLike[str]) -> str:
    """The file's text, or a clear error for a missing, huge, binary, non-UTF-8 or not regular file.

    Opened without blocking (a FIFO with no writer would wait forever) and checked to be a
    regular file before anything is read; then at most MAX_BYTES + 1 bytes are read, whatever
    the size the file claims (/proc files claim 0).
    """
    name = os.fspath(path)
    if os.path.isdir(name):
        raise ScenarioError("is a directory, expected a YAML file", file=name)
    try:
        fd = os.open(name, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
        with open(fd, "rb") as fh:
            st = os.fstat(fd)
            mode, size = st.st_mode, st.st_size
            if not stat.S_ISREG(mode):
                kind = next((what for test, what in _KINDS.items() if test(mode)), "not a regular file")
                raise ScenarioError(f"is {kind}, expected a regular YAML file", file=name)
            if size > MAX_BYTES:
                raise ScenarioError(f"file is {size:,} bytes; {LIMIT}", file=name)
            raw = fh.read(MAX_BYTES + 1)
    except OSError as exc:
        raise ScenarioError(f"cannot read: {exc.strerror or exc}", file=name) from None
    if len(raw) > MAX_BYTES:
        raise ScenarioError(f"file is over {MAX_BYTES:,} bytes; {LIMIT}", file=name)
    if b"\0" in raw:
        raise ScenarioError("is a binary file, expected YAML text", file=name)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ScenarioError(f"is not UTF-8 text (byte {exc.start})", file=name) from None
    check_characters(text, name)
    return text


def check_characters(text: str, file: str) -> None:
    """An error naming line and column of the first character YAML refuses: a control (ESC, DEL, ...) or worse."""
    if text.isascii() and not text.encode("ascii").translate(None, _PRINTABLE_ASCII):
        return  # the common case, in a few milliseconds for 10 MB
    found = _NON_PRINTABLE.search(text)
    if found is None:
        return
    at, code = found.start(), ord(found.group())
    breaks = list(_BREAK.finditer(text, 0, at))
    line, column = len(breaks) + 1, at - (breaks[-1].end() if breaks else 0) + 1
    if code < 0x20 or code == 0x7F:
        what = f"the control character U+{code:04X} ({_C0.split()[code] if code < 0x20 else 'DEL'})"
    elif code <= 0x9F:
        what = f"the control character U+{code:04X}"
    else:
        what = f"U+{code:04X}, which is not a character"  # a lone surrogate, U+FFFE, U+FFFF
    raise ScenarioError(f"expected YAML text, found {what}; delete it", file=file, line=line, column=column)
