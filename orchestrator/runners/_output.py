"""A workload's output kept with a size cap, so a program that floods its output cannot fill gctune's
memory or the disk; the cut is marked where it happened."""

from __future__ import annotations

import threading

# Per stream. A gctrace line is ~150 bytes and the workload's sample line ~2 KiB: a run of hours at the
# default sample interval stays far below this.
MAX_STREAM_BYTES = 32 * 2**20


class CappedOutput:
    """Bytes of one stream up to ``limit``; what comes after is counted, not kept."""

    def __init__(self, limit: int = MAX_STREAM_BYTES) -> None:
        self.limit = limit
        self.dropped = 0
        self._chunks: list[bytes] = []
        self._kept = 0
        self._lock = threading.Lock()

    def append(self, data: bytes) -> None:
        with self._lock:
            room = self.limit - self._kept
            if room > 0:
                self._chunks.append(data[:room])
                self._kept += min(room, len(data))
            self.dropped += max(0, len(data) - max(room, 0))

    def text(self) -> str:
        """The kept output, with a last line saying how much was cut when anything was."""
        with self._lock:
            kept = b"".join(self._chunks).decode("utf-8", "replace")
        if not self.dropped:
            return kept
        return (kept if kept.endswith("\n") else kept + "\n") + (
            f"gctune: output cut here: {self.dropped} more bytes were not kept (limit {self.limit} bytes)\n")
