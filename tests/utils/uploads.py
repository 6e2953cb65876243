"""Request bodies that test the app's size limits as a client would send them."""

from __future__ import annotations

from collections.abc import Iterator

MULTIPART = {"content-type": "multipart/form-data; boundary=zzz"}


def chunked_wav_upload(kib: int) -> Iterator[bytes]:
    """A well-formed multipart upload of ``kib`` KiB of audio, sent without a length.

    Post it with ``headers=MULTIPART``; only a limit counted while reading stops it.
    """
    yield (
        b'--zzz\r\nContent-Disposition: form-data; name="audio"; '
        b'filename="v.wav"\r\nContent-Type: audio/wav\r\n\r\n'
    )
    for _ in range(kib):
        yield b"\0" * 1024
    yield b"\r\n--zzz--\r\n"
