"""A scoreboard for one checkpoint of a pipeline: the words expected per image id, compared
with what arrives there (kernel output, a cut tensor reaching the next board, scores at the
host). Each mismatch names the image and the first differing 64-bit word; images that
arrive twice or never are reported too, so nothing is lost or delivered twice unnoticed."""

from __future__ import annotations

from typing import Mapping

import numpy as np


def _words(value) -> np.ndarray:
    if isinstance(value, (bytes, bytearray, memoryview)):
        if len(value) % 8:
            raise ValueError(f"{len(value)} bytes are not whole 64-bit words")
        return np.frombuffer(bytes(value), dtype="<u8")
    return np.asarray(value, dtype=np.uint64).reshape(-1)


def first_difference(got, expected) -> str | None:
    """None if equal, else which words differ and the first one."""
    g, e = _words(got), _words(expected)
    if len(g) != len(e):
        return f"{len(g)} words, expected {len(e)}"
    bad = np.flatnonzero(g != e)
    if not len(bad):
        return None
    w = int(bad[0])
    return (f"{len(bad)} of {len(e)} words differ; first at word {w}: "
            f"got 0x{int(g[w]):016x}, expected 0x{int(e[w]):016x}")


class Scoreboard:
    """Expected words of every image id at one checkpoint (`name`, e.g. "scores at host")."""

    def __init__(self, name: str, expected: Mapping[int, object] | np.ndarray, repeats_ok: bool = False):
        """`repeats_ok`: an image may legitimately pass this checkpoint again (re-sent after a
        failover); every copy is still compared, none counts as a duplicate."""
        self.name = name
        self.repeats_ok = repeats_ok
        if isinstance(expected, np.ndarray):
            expected = {k: expected[k] for k in range(len(expected))}
        self.expected = {int(k): _words(v) for k, v in expected.items()}
        self.seen: dict[int, int] = {}
        self.mismatches: dict[int, str] = {}
        self.unexpected: list[int] = []

    def check(self, image_id: int, got, where: str | None = None) -> bool:
        """Compare what arrived for `image_id` (at `where`, e.g. the board); True if it matches
        (and is its first arrival)."""
        image_id = int(image_id)
        if image_id not in self.expected:
            self.unexpected.append(image_id)
            return False
        self.seen[image_id] = self.seen.get(image_id, 0) + 1
        if self.seen[image_id] > 1 and not self.repeats_ok:
            return False
        diff = first_difference(got, self.expected[image_id])
        if diff is not None:
            at = f" at {where}" if where else ""
            self.mismatches.setdefault(image_id, f"{self.name}{at}: image {image_id}: {diff}")
        return diff is None

    @property
    def missing(self) -> list[int]:
        return sorted(k for k in self.expected if k not in self.seen)

    @property
    def duplicated(self) -> list[int]:
        return [] if self.repeats_ok else sorted(k for k, n in self.seen.items() if n > 1)

    def ok(self, complete: bool = True) -> bool:
        return not (self.mismatches or self.unexpected or self.duplicated or (complete and self.missing))

    def errors(self) -> list[str]:
        out = [self.mismatches[k] for k in sorted(self.mismatches)]
        if self.duplicated:
            out.append(f"{self.name}: images {self.duplicated} arrived more than once")
        if self.unexpected:
            out.append(f"{self.name}: unexpected image ids {sorted(set(self.unexpected))}")
        return out

    def summary(self) -> dict:
        return {"checked": len(self.seen), "expected": len(self.expected),
                "mismatches": len(self.mismatches), "missing": self.missing,
                "duplicated": self.duplicated, "unexpected": sorted(set(self.unexpected)),
                "first_mismatch": self.errors()[0] if self.mismatches else None}
