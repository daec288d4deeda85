"""Reading: only regular files, clear messages for encodings we cannot take."""

from __future__ import annotations

import codecs
import os
import socket

import pytest

from torchmigrate.sources import SourceError, decode, discover, read_source

LEGACY = "import torch\ntorch.nn.utils.clip_grad_norm(p, 1)\n"


def test_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "x.py"
    os.mkfifo(fifo)  # nobody writes to it: opening it for reading would block
    with pytest.raises(SourceError, match="FIFO"):
        read_source(fifo)


def test_socket_is_refused(tmp_path):
    path = tmp_path / "s.py"
    s = socket.socket(socket.AF_UNIX)
    try:
        s.bind(str(path))
        with pytest.raises(SourceError, match="socket"):
            read_source(path)
    finally:
        s.close()


def test_device_is_refused():
    with pytest.raises(SourceError, match="character device"):
        read_source("/dev/null")


def test_walk_skips_special_files_with_a_note_and_named_ones_are_errors(tmp_path):
    (tmp_path / "a.py").write_text(LEGACY)
    os.mkfifo(tmp_path / "x.py")
    notes: list = []
    files, errors = discover([tmp_path], notes=notes)
    assert files == [tmp_path / "a.py"] and errors == []
    assert notes == [f"{tmp_path / 'x.py'}: is a FIFO (named pipe), not a regular file; skipped"]
    files, errors = discover([tmp_path / "x.py"])
    assert files == [] and len(errors) == 1 and "FIFO" in str(errors[0])


@pytest.mark.parametrize(
    "codec,bom",
    [
        ("utf-16-le", codecs.BOM_UTF16_LE),
        ("utf-16-be", codecs.BOM_UTF16_BE),
        ("utf-32-le", codecs.BOM_UTF32_LE),
        ("utf-16-le", b""),
        ("utf-16-be", b""),
    ],
)
def test_utf16_and_utf32_are_named_not_called_binary(codec, bom):
    data = bom + LEGACY.encode(codec)
    with pytest.raises(SourceError) as info:
        decode("w.py", data)
    msg = info.value.message
    assert "is not supported" in msg and "binary" not in msg
    assert ("UTF-32" if "32" in codec else "UTF-16") in msg
    assert "iconv" in msg


def test_binary_is_still_binary():
    with pytest.raises(SourceError, match="binary"):
        decode("b.py", b"\x00\x01\x02\x03abc\x00\x00\x00")


def test_encodings_round_trip():
    for raw in [
        LEGACY.encode(),
        codecs.BOM_UTF8 + LEGACY.encode(),
        ("# -*- coding: latin-1 -*-\n# caf\xe9\n" + LEGACY).encode("latin-1"),
        LEGACY.replace("\n", "\r\n").encode(),
        LEGACY.replace("\n", "\r").encode(),
    ]:
        text, enc, newline, endings = decode("x.py", raw)
        assert "\r" not in text
        assert endings is None
        rendered = text.replace("\n", newline).encode(enc)
        assert rendered == raw
