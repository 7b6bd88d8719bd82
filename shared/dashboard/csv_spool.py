"""The CSV export so far, gzip-compressed page by page in memory, with what each way of answering
it inline would cost as FunctionGraph counts it: ``len(json.dumps(response))`` at most
6,291,456 bytes, with ``json.dumps``'s defaults (a CJK character costs 6 bytes, ``"`` costs 2).

The compressed spool is the only copy: when the export stops fitting an answer it is replayed,
decompressed a bounded slice at a time, into the OBS upload; when it fits, it is the gzip body
(base64, ``isBase64Encoded``) or, for a caller that does not accept gzip, decompressed once."""
from __future__ import annotations

import base64
import json
import zlib
from collections.abc import Callable, Mapping

from shared.result_limits import HTTP_RESULT_LIMIT, sized_body, text_cost

FUNCTION_RESPONSE_LIMIT = HTTP_RESULT_LIMIT  # FunctionGraph refuses a larger serialised result
GZIP_WBITS = 31  # zlib's gzip framing
REPLAY_SLICE = 1024 * 1024


def base64_len(n: int) -> int:
    return 4 * ((n + 2) // 3)


def json_len(text: str) -> int:
    """Characters ``text`` costs inside ``json.dumps`` (its quotes excluded)."""
    return text_cost(text) - 2


class CsvSpool:
    def __init__(self, plain: bool = True) -> None:
        """``plain``: also count what the CSV costs as a plain answer (``json.dumps``'s escaping of
        every character), which only an answer to a caller without gzip needs."""
        self.plain = plain
        self._zip = zlib.compressobj(6, zlib.DEFLATED, GZIP_WBITS)
        self._chunks: list[bytes] = []
        self.gzip_bytes = 0
        self.plain_json_chars = 0
        self.plain_bytes = 0

    def write(self, text: str) -> None:
        """One slice (a page or so): compressed and flushed so the sizes are exact, not estimates."""
        data = text.encode("utf-8")
        self.plain_bytes += len(data)
        if self.plain:
            self.plain_json_chars += json_len(text)
        chunk = self._zip.compress(data) + self._zip.flush(zlib.Z_SYNC_FLUSH)
        self._chunks.append(chunk)
        self.gzip_bytes += len(chunk)

    def inline_len(self, gzip: bool) -> int:
        """The body's length in the serialised answer; gzip adds its 8-byte trailer and end block."""
        assert gzip or self.plain, "a plain answer's size is counted only by a spool made with plain=True"
        return base64_len(self.gzip_bytes + 16) if gzip else self.plain_json_chars

    def fits(self, gzip: bool, overhead: int) -> bool:
        return self.inline_len(gzip) + overhead <= FUNCTION_RESPONSE_LIMIT

    def _close(self) -> bytes:
        tail = self._zip.flush()
        self.gzip_bytes += len(tail)
        data = b"".join(self._chunks) + tail
        self._chunks = []
        return data

    def gzip_body(self) -> str:
        data = self._close()
        encoded = base64.b64encode(data)
        del data  # two copies at a time, not three: the answer is most of the peak
        text = encoded.decode("ascii")
        return sized_body(text, len(text) + 2)  # base64: nothing json.dumps escapes; not measured again

    def plain_body(self) -> str:
        text = zlib.decompress(self._close(), GZIP_WBITS).decode("utf-8")
        return sized_body(text, self.plain_json_chars + 2) if self.plain else text

    def replay(self, sink: Callable[[bytes], None]) -> None:
        """Everything spooled so far, uncompressed, into ``sink`` a slice at a time; the spool
        is emptied as it goes (the chunks are released as they are read)."""
        unzip = zlib.decompressobj(GZIP_WBITS)
        while self._chunks:
            data = self._chunks.pop(0)
            while data:
                sink(unzip.decompress(data, REPLAY_SLICE))
                data = unzip.unconsumed_tail


def answer_overhead(headers: Mapping[str, str], status: int = 200) -> int:
    """What an answer with these headers costs around its body, serialised as FunctionGraph does."""
    return len(json.dumps({"statusCode": status, "headers": dict(headers), "body": "", "isBase64Encoded": True}))
