"""TFRecord files without TensorFlow: the framing, CRC32C, an index, a writer.

A TFRecord file is a sequence of records, each framed as

    uint64  length            little-endian
    uint32  masked CRC32C of the 8 length bytes
    bytes   data[length]
    uint32  masked CRC32C of the data

where ``masked(crc) = ((crc >> 15) | (crc << 17)) + 0xa282ead8 (mod 2**32)``.

CRC32C comes from the ``crc32c`` module when it is importable (hardware
instructions), else from crcmod's C extension, else from a pure-Python table
(correct but about a thousand times slower; only used when neither is
installed). ``CRC32C_BACKEND`` names the one in use.

Checking trade-off: indexing a file (``scan_records``/``index_records``)
checks every *length* CRC, which is cheap and is what finds a truncated or
misaligned file, but not the data CRCs: that would mean hashing every image
once more before training even starts. The data CRC of a record is checked
each time the record is read (``RecordReader.read``), so a corrupt image is
still refused, only later: when the training loop first reaches it.

Every framing problem is a ``RecordError`` (a ``Problem``) naming the file and
the byte offset of the record that is broken.
"""

import os
import struct
import threading

from ..problems import Problem

_MASK_DELTA = 0xA282EAD8
_HEADER = struct.Struct("<QI")
_FOOTER = struct.Struct("<I")
HEADER_SIZE = _HEADER.size  # 12
FOOTER_SIZE = _FOOTER.size  # 4


# --- CRC32C ---------------------------------------------------------------------------


def _make_table():
    poly = 0x82F63B78  # CRC-32C (Castagnoli), reflected
    table = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ poly if c & 1 else c >> 1
        table.append(c)
    return tuple(table)


_TABLE = _make_table()


def crc32c_python(data):
    """CRC32C of ``data`` in pure Python (the slow fallback)."""
    crc = 0xFFFFFFFF
    table = _TABLE
    for byte in bytes(data):
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def _available_implementations():
    found = {}
    try:
        import crc32c as _crc32c_module

        fn = getattr(_crc32c_module, "crc32c", None) or getattr(_crc32c_module, "crc32", None)
        if fn is not None:
            found["crc32c"] = fn
    except ImportError:
        pass
    try:
        import sys

        import crcmod.predefined

        # Only worth it with the C extension; pure-Python crcmod is no faster than ours.
        if getattr(sys.modules.get("crcmod.crcmod"), "_usingExtension", False):
            found["crcmod"] = crcmod.predefined.mkCrcFun("crc-32c")
    except ImportError:
        pass
    found["python"] = crc32c_python
    return found


#: Every CRC32C implementation importable here, fastest first (``python`` is always present).
CRC32C_IMPLEMENTATIONS = _available_implementations()
#: The name of the implementation ``crc32c`` uses: ``crc32c``, ``crcmod`` or ``python``.
CRC32C_BACKEND = next(iter(CRC32C_IMPLEMENTATIONS))
crc32c = CRC32C_IMPLEMENTATIONS[CRC32C_BACKEND]


def mask_crc(crc):
    """The masked form TFRecord stores of a CRC32C value."""
    return ((((crc >> 15) | (crc << 17)) & 0xFFFFFFFF) + _MASK_DELTA) & 0xFFFFFFFF


def masked_crc32c(data):
    """``mask_crc(crc32c(data))``."""
    return mask_crc(crc32c(data))


# --- errors ----------------------------------------------------------------------------


class RecordError(Problem):
    """A broken record: ``path`` is the file, ``offset`` the byte offset where the record starts."""

    def __init__(self, path, offset, message, hint=None):
        super().__init__(path, f"record at byte offset {offset:,}: {message}", hint=hint)
        self.offset = offset

    def __reduce__(self):  # picklable (DataLoader workers send exceptions back)
        return (_rebuild_record_error, (self.path, self.offset, self.message, self.hint))


def _rebuild_record_error(path, offset, message, hint):
    error = RecordError.__new__(RecordError)
    Problem.__init__(error, path, message, hint=hint)
    error.offset = offset
    return error


def _gzip_hint(path):
    try:
        with open(path, "rb") as f:
            if f.read(2) == b"\x1f\x8b":
                return "the file looks gzip-compressed; write the TFRecords uncompressed (or gunzip them)"
    except OSError:
        pass
    return "the file is corrupt or not a TFRecord file; write it again"


# --- reading ---------------------------------------------------------------------------


def _parse_header(path, offset, header, size):
    if len(header) < HEADER_SIZE:
        raise RecordError(path, offset, f"truncated: the file ends {len(header)} bytes into the 12-byte record header", hint="the file was cut short; copy or write it again")
    length, length_crc = _HEADER.unpack(header)
    if masked_crc32c(header[:8]) != length_crc:
        raise RecordError(path, offset, "length CRC mismatch", hint=_gzip_hint(path))
    end = offset + HEADER_SIZE + length + FOOTER_SIZE
    if size is not None and end > size:
        raise RecordError(
            path, offset, f"truncated: the record needs {length + FOOTER_SIZE:,} bytes after its header, the file has {size - offset - HEADER_SIZE:,}", hint="the file was cut short; copy or write it again"
        )
    return length


def scan_records(path):
    """Yield ``(offset, data)`` for every record of the file, checking the length CRCs (not the data CRCs).

    ``offset`` is where the record's header starts; the data are read, so this
    is the pass to use when something in each record is needed (the labels).
    """
    size = os.path.getsize(path)
    with open(path, "rb", buffering=1 << 20) as f:
        offset = 0
        while offset < size:
            length = _parse_header(path, offset, f.read(HEADER_SIZE), size)
            data = f.read(length)
            f.read(FOOTER_SIZE)
            yield offset, data
            offset += HEADER_SIZE + length + FOOTER_SIZE


def index_records(path):
    """``(offsets, lengths)`` of every record (header offsets, data lengths), seeking past the data."""
    size = os.path.getsize(path)
    offsets, lengths = [], []
    with open(path, "rb") as f:
        offset = 0
        while offset < size:
            f.seek(offset)
            length = _parse_header(path, offset, f.read(HEADER_SIZE), size)
            offsets.append(offset)
            lengths.append(length)
            offset += HEADER_SIZE + length + FOOTER_SIZE
    return offsets, lengths


class RecordReader:
    """Random access to the records of one file, by header offset.

    The file is opened on first use, once per process, and read with
    ``os.pread`` where there is one (safe from several threads), so the object
    pickles into DataLoader workers without an open file in it.
    """

    def __init__(self, path):
        self.path = path
        self._fd = None
        self._pid = None
        self._lock = threading.Lock()

    def __getstate__(self):
        return {"path": self.path}

    def __setstate__(self, state):
        self.__init__(state["path"])

    def _descriptor(self):
        pid = os.getpid()
        if self._fd is None or self._pid != pid:
            with self._lock:
                if self._fd is None or self._pid != pid:
                    # After a fork the inherited descriptor works, but shares its position with the parent.
                    self._fd = os.open(self.path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
                    self._pid = pid
        return self._fd

    def _pread(self, size, offset):
        fd = self._descriptor()
        if hasattr(os, "pread"):
            chunks = []
            while size > 0:
                chunk = os.pread(fd, size, offset)
                if not chunk:
                    break
                chunks.append(chunk)
                size -= len(chunk)
                offset += len(chunk)
            return b"".join(chunks) if len(chunks) != 1 else chunks[0]
        with self._lock:
            os.lseek(fd, offset, os.SEEK_SET)
            return os.read(fd, size)

    def read(self, offset, length=None, check_crc=True):
        """The data of the record whose header is at ``offset`` (CRCs checked unless ``check_crc`` is false).

        With ``length`` known (from an index) it takes one read; the length
        field is still compared with it.
        """
        if length is None:
            header = self._pread(HEADER_SIZE, offset)
            length = _parse_header(self.path, offset, header, None)
            blob = header + self._pread(length + FOOTER_SIZE, offset + HEADER_SIZE)
        else:
            blob = self._pread(HEADER_SIZE + length + FOOTER_SIZE, offset)
            got = _parse_header(self.path, offset, blob[:HEADER_SIZE], None)
            if got != length:
                raise RecordError(self.path, offset, f"length {got:,} differs from the indexed {length:,}", hint="the file changed after it was indexed")
        if len(blob) < HEADER_SIZE + length + FOOTER_SIZE:
            raise RecordError(self.path, offset, "truncated: the file ends inside the record", hint="the file was cut short; copy or write it again")
        data = blob[HEADER_SIZE : HEADER_SIZE + length]
        if check_crc:
            (data_crc,) = _FOOTER.unpack_from(blob, HEADER_SIZE + length)
            if masked_crc32c(data) != data_crc:
                raise RecordError(self.path, offset, "data CRC mismatch", hint="the file is corrupt; copy or write it again")
        return data

    def close(self):
        if self._fd is not None and self._pid == os.getpid():
            os.close(self._fd)
        self._fd = None

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass


def read_records(path, check_crc=True):
    """Every record's data, in order (a simple reader for tests and scripts)."""
    with open(path, "rb") as f:
        blob = f.read()
    out = []
    offset, size = 0, len(blob)
    while offset < size:
        length = _parse_header(path, offset, blob[offset : offset + HEADER_SIZE], size)
        start = offset + HEADER_SIZE
        data = blob[start : start + length]
        if check_crc:
            (data_crc,) = _FOOTER.unpack_from(blob, start + length)
            if masked_crc32c(data) != data_crc:
                raise RecordError(path, offset, "data CRC mismatch", hint="the file is corrupt; copy or write it again")
        out.append(data)
        offset = start + length + FOOTER_SIZE
    return out


# --- writing ---------------------------------------------------------------------------


def frame_record(data):
    """The bytes of one framed record holding ``data``."""
    data = bytes(data)
    length = struct.pack("<Q", len(data))
    return length + struct.pack("<I", masked_crc32c(length)) + data + struct.pack("<I", masked_crc32c(data))


def write_records(path, payloads):
    """Write ``payloads`` (an iterable of bytes) as a TFRecord file; returns the number of records."""
    count = 0
    with open(path, "wb") as f:
        for data in payloads:
            f.write(frame_record(data))
            count += 1
    return count
