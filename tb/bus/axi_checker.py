"""Passive AXI4 protocol checker for cocotb 2.x testbenches.

Attach one to any AXI4 interface of a DUT (master or slave side, the rules are the same)::

    chk = AxiChecker(dut, "m_axi_hostmem", dut.ap_clk, dut.ap_rst_n)
    ...                       # run the test
    chk.check()               # optional: raise if anything was recorded (fail_fast=False)
    dut._log.info(chk.summary())

Signals are found as ``<prefix>_<NAME>`` with any capitalisation (tb/bus/axi_signals.py);
ID, LOCK (1 or 2 bits), CACHE, PROT, QOS, REGION, USER, STRB and RESP are optional, and a
bus may be read-only or write-only.

Rules checked (each violation names the bus, channel, rule and clock cycle), besides the
VALID / payload rules of every channel (tb/bus/axi_checker_base.py):

* ``burst-type``: AxBURST is INCR (configurable), ``burst-length``: AxLEN + 1 <= 256 for
  INCR (16 for FIXED / WRAP, WRAP lengths 2/4/8/16), ``size``: AxSIZE = log2(data bytes)
  unless configured otherwise, ``4k-boundary``: an INCR burst never crosses 4 KiB;
* ``wlast``: WLAST on exactly the last beat of each write burst (W beats counted against
  AWLEN in AW order; W data may run ahead of its AW);
* ``b-without-aw``: a B response only for an accepted AW whose W beats are all accepted
  (in order per BID), asserted after the last of those handshakes;
* ``r-without-ar``: R data only for an accepted AR (in order per RID), ``rlast``: RLAST on
  exactly the last beat of each read burst.

Besides the rules, the checker counts per direction the bursts, beats, bytes, error
responses, the peak of outstanding bursts and the burst lengths in beats
(:attr:`AxiChecker.burst_beats`), all at handshakes (for reports and functional coverage).
"""

from __future__ import annotations

from collections import Counter, deque
from typing import Iterable

from tb.bus.axi_checker_base import AxiCheckerBase, AxiProtocolError, Violation
from tb.bus.axi_signals import AXI4_CHANNELS
from tb.bus.values import to_int

__all__ = ["AxiChecker", "AxiProtocolError", "Violation", "BURST_NAMES"]

BURST_NAMES = {0: "FIXED", 1: "INCR", 2: "WRAP", 3: "reserved"}


class AxiChecker(AxiCheckerBase):
    """Passive AXI4 protocol checker for the interface ``<prefix>_*`` of `dut`.

    Args:
        dut: the scope holding the signals (usually the toplevel).
        prefix: signal prefix, e.g. ``"m_axi_hostmem"`` (the ``_`` before AWVALID is added).
        clock: the interface clock; reset: its reset (None: never in reset).
        name: bus name in messages (default: the prefix without ``m_axi_`` / ``s_axi_``).
        reset_active_level: default inferred from the name (``*_n``: active low).
        fail_fast: raise AxiProtocolError at the first violation (ends the test).
        size: expected AxSIZE; None = full data width (log2 of the data bytes), "any" =
            only check it does not exceed the data width.
        bursts: allowed AxBURST codes (default INCR only).
        max_outstanding: optional limit on accepted-but-unanswered bursts per direction.
        watch_idle_responses: True (default) watches B and R all the time; False only while
            a response may legally come (a request is outstanding), which saves two
            simulator callbacks; a response with nothing outstanding is then reported when
            the next request is accepted instead of when it appears.
        b_after_last_w: with watch_idle_responses=False, watch B only once a burst's W data
            are complete, not from its AW on. For a B the testbench's own memory model
            answers (the RAM behind a kernel's m_axi port), where a B before the last W would
            be the model's bug, not the DUT's: a kernel streaming its output has a burst's AW
            accepted for a whole batch, and B then costs nothing until its data are written.
        period_steps: clock period in simulator steps (default: measured).
        log: logger (default ``cocotb.axi_checker.<name>``).
    """

    CHANNELS = AXI4_CHANNELS

    def __init__(self, dut, prefix: str, clock, reset=None, name: str | None = None, *,
                 size: int | str | None = None, bursts: Iterable[int] = (1,),
                 max_outstanding: int | None = None, b_after_last_w: bool = False, **kw):
        self._size_cfg = size
        self.allowed_bursts = frozenset(bursts)
        self.max_outstanding = max_outstanding
        self.b_after_last_w = b_after_last_w
        super().__init__(dut, prefix, clock, reset, name, **kw)
        data = (self.channels.get("W") or self.channels.get("R")).fields[0]
        self.data_bytes = len(data) // 8
        self.full_size = max(0, self.data_bytes.bit_length() - 1)
        # counters for reports
        self.bursts = {"write": 0, "read": 0}
        self.beats = {"write": 0, "read": 0}
        self.bytes = {"write": 0, "read": 0}
        self.peak_outstanding = {"write": 0, "read": 0}
        self.error_responses = {"write": 0, "read": 0}
        # bursts accepted per direction, by length in beats (AxLEN + 1)
        self.burst_beats: dict[str, Counter] = {"write": Counter(), "read": Counter()}

    def _install_hooks(self) -> None:
        c = self.channels
        if "AW" in c:
            self._fw = {n: h for n, h in zip(c["W"].field_names, c["W"].fields)}
            self._fb = {n: h for n, h in zip(c["B"].field_names, c["B"].fields)}
            self._faw = {n: h for n, h in zip(c["AW"].field_names, c["AW"].fields)}
            c["AW"].offer = lambda cyc: self._request_offer("AW", self._faw, cyc)
            c["AW"].handshake = self._aw_handshake
            c["W"].handshake = self._w_handshake
            c["B"].offer = self._b_offer
            c["B"].handshake = self._b_handshake
            # b_after_last_w: B is watched only once a burst's W data are complete (a kernel
            # streaming its output keeps a burst's AW accepted for a whole batch).
            c["B"].expected = ((lambda: any(self._b_wait.values())) if self.b_after_last_w
                               else (lambda: self._b_pending > 0))
        if "AR" in c:
            self._far = {n: h for n, h in zip(c["AR"].field_names, c["AR"].fields)}
            self._fr = {n: h for n, h in zip(c["R"].field_names, c["R"].fields)}
            c["AR"].offer = lambda cyc: self._request_offer("AR", self._far, cyc)
            c["AR"].handshake = self._ar_handshake
            c["R"].offer = self._r_offer
            c["R"].handshake = self._r_handshake
            c["R"].expected = lambda: self._r_pending > 0

    def _clear_state(self) -> None:
        self._aw_wait_w: deque = deque()     # [addr, len, id] AWs whose W burst is incomplete
        self._w_beats = 0                    # beats of the current W burst
        self._w_early: deque = deque()       # (beats, cycle) W bursts that beat their AW
        self._b_wait: dict[int, deque] = {}  # id -> deque[(complete cycle, addr, len)]
        self._r_wait: dict[int, deque] = {}  # id -> deque[[ar cycle, addr, len, beats]]
        self._b_pending = 0
        self._r_pending = 0

    @staticmethod
    def _field(fields: dict, name: str, default: int = 0) -> int:
        h = fields.get(name)
        if h is None:
            return default
        v = to_int(h.value)
        return default if v is None else v

    # ------------------------------------------------------------------ requests
    def _request_offer(self, ch: str, f: dict, cyc: int | None) -> None:
        """Attribute rules of an AW / AR request, checked when it is first offered."""
        addr = to_int(f["ADDR"].value)
        alen = to_int(f["LEN"].value)
        if addr is None or alen is None:
            self._violation(ch, "x-payload", f"{ch}ADDR/{ch}LEN is X/Z while {ch}VALID", cyc)
            return
        size = self._field(f, "SIZE", self.full_size)
        burst = self._field(f, "BURST", 1)
        beats = alen + 1
        if burst not in self.allowed_bursts:
            allowed = "/".join(BURST_NAMES[b] for b in sorted(self.allowed_bursts))
            self._violation(ch, "burst-type", f"{ch}BURST={burst} ({BURST_NAMES[burst]}) for the "
                            f"burst at 0x{addr:x}, expected {allowed}", cyc)
        if burst == 1 and beats > 256:
            self._violation(ch, "burst-length", f"INCR burst at 0x{addr:x} {ch}LEN {alen} "
                            f"({beats} beats > 256)", cyc)
        elif burst in (0, 2) and beats > 16:
            self._violation(ch, "burst-length", f"{BURST_NAMES[burst]} burst at 0x{addr:x} "
                            f"{ch}LEN {alen} ({beats} beats > 16)", cyc)
        elif burst == 2 and beats not in (2, 4, 8, 16):
            self._violation(ch, "burst-length", f"WRAP burst at 0x{addr:x} of {beats} beats "
                            f"(must be 2, 4, 8 or 16)", cyc)
        if self._size_cfg == "any":
            if size > self.full_size:
                self._violation(ch, "size", f"{ch}SIZE={size} ({1 << size} bytes) wider than "
                                f"the {self.data_bytes}-byte data bus", cyc)
        else:
            want = self.full_size if self._size_cfg is None else int(self._size_cfg)
            if size != want:
                self._violation(ch, "size", f"{ch}SIZE={size} ({1 << size} bytes) for the burst "
                                f"at 0x{addr:x}, expected {want} ({1 << want} bytes)", cyc)
        if burst == 1:
            nbytes = 1 << size
            last = (addr & ~(nbytes - 1)) + beats * nbytes - 1
            if (addr >> 12) != (last >> 12):
                self._violation(ch, "4k-boundary", f"burst at 0x{addr:x} len {alen} "
                                f"({beats} x {nbytes} bytes, to 0x{last:x}) crosses a 4 KiB "
                                f"boundary", cyc)

    def _outstanding(self, kind: str, n: int, ch: str, cyc) -> None:
        if n > self.peak_outstanding[kind]:
            self.peak_outstanding[kind] = n
        if self.max_outstanding is not None and n > self.max_outstanding:
            self._violation(ch, "outstanding", f"{n} {kind} bursts outstanding, limit "
                            f"{self.max_outstanding}", cyc)

    # ------------------------------------------------------------------ write
    def _aw_handshake(self, cyc: int) -> None:
        f = self._faw
        addr, alen, bid = self._field(f, "ADDR"), self._field(f, "LEN"), self._field(f, "ID")
        self.bursts["write"] += 1
        self.burst_beats["write"][alen + 1] += 1
        self._b_pending += 1
        if not self.b_after_last_w:
            self._wake("B")
        self._outstanding("write", self._b_pending, "AW", cyc)
        if self._w_early:
            beats, wcyc = self._w_early.popleft()
            if beats != alen + 1:
                self._violation("W", "wlast", f"WLAST on beat {beats} of the write burst at "
                                f"0x{addr:x}, AWLEN {alen} ({alen + 1} beats)", cyc)
            self._b_wait.setdefault(bid, deque()).append((max(cyc, wcyc), addr, alen))
            self._wake("B")
        elif not self._aw_wait_w and self._w_beats > alen + 1:
            self._violation("W", "wlast", f"WLAST missing: {self._w_beats} W beats already "
                            f"sent for the write burst at 0x{addr:x}, AWLEN {alen} "
                            f"({alen + 1} beats)", cyc)
            self._w_beats = 0
            self._b_wait.setdefault(bid, deque()).append((cyc, addr, alen))
            self._wake("B")
        else:
            self._aw_wait_w.append((addr, alen, bid))

    def _w_handshake(self, cyc: int) -> None:
        last = self._field(self._fw, "LAST")
        self._w_beats += 1
        beats = self._w_beats
        self.beats["write"] += 1
        self.bytes["write"] += self.data_bytes
        if self._aw_wait_w:
            addr, alen, bid = self._aw_wait_w[0]
            n = alen + 1
            if last and beats != n:
                self._violation("W", "wlast", f"WLAST on beat {beats} of the write burst at "
                                f"0x{addr:x}, AWLEN {alen} ({n} beats)", cyc)
            elif not last and beats == n:
                self._violation("W", "wlast", f"WLAST missing on beat {n}, the last of the "
                                f"write burst at 0x{addr:x} (AWLEN {alen})", cyc)
            if last or beats >= n:
                self._aw_wait_w.popleft()
                self._w_beats = 0
                self._b_wait.setdefault(bid, deque()).append((cyc, addr, alen))
                self._wake("B")
        elif last:
            self._w_early.append((beats, cyc))
            self._w_beats = 0
        elif beats > 256:
            self._violation("W", "wlast", f"{beats} W beats without WLAST and no AW", cyc)
            self._w_beats = 0

    def _b_offer(self, cyc: int) -> None:
        bid = self._field(self._fb, "ID")
        q = self._b_wait.get(bid)
        if not q or q[0][0] >= cyc:
            idtxt = f" (BID {bid})" if "ID" in self._fb else ""
            if q:
                why = f"its last W / AW handshake is at cycle {q[0][0]}"
            elif self._aw_wait_w:
                why = (f"the W data of the burst at 0x{self._aw_wait_w[0][0]:x} are incomplete "
                       f"({self._w_beats} of {self._aw_wait_w[0][1] + 1} beats)")
            else:
                why = "no write burst is outstanding"
            self._violation("B", "b-without-aw", f"write response{idtxt} without a completed "
                            f"write: {why}", cyc)

    def _b_handshake(self, cyc: int) -> None:
        bid = self._field(self._fb, "ID")
        q = self._b_wait.get(bid)
        if q and q[0][0] < cyc:
            q.popleft()
            self._b_pending -= 1
        if self._field(self._fb, "RESP"):
            self.error_responses["write"] += 1

    # ------------------------------------------------------------------ read
    def _ar_handshake(self, cyc: int) -> None:
        f = self._far
        addr, alen, rid = self._field(f, "ADDR"), self._field(f, "LEN"), self._field(f, "ID")
        self.bursts["read"] += 1
        self.burst_beats["read"][alen + 1] += 1
        self._r_pending += 1
        self._wake("R")
        self._outstanding("read", self._r_pending, "AR", cyc)
        self._r_wait.setdefault(rid, deque()).append([cyc, addr, alen, 0])

    def _r_offer(self, cyc: int) -> None:
        rid = self._field(self._fr, "ID")
        q = self._r_wait.get(rid)
        if not q or q[0][0] >= cyc:
            idtxt = f" (RID {rid})" if "ID" in self._fr else ""
            why = (f"the matching AR is accepted only at cycle {q[0][0]}" if q
                   else "no read burst is outstanding")
            self._violation("R", "r-without-ar", f"read data{idtxt} without an accepted AR: "
                            f"{why}", cyc)

    def _r_handshake(self, cyc: int) -> None:
        f = self._fr
        rid = self._field(f, "ID")
        last = self._field(f, "LAST")
        self.beats["read"] += 1
        self.bytes["read"] += self.data_bytes
        if self._field(f, "RESP"):
            self.error_responses["read"] += 1
        q = self._r_wait.get(rid)
        if not q or q[0][0] >= cyc:
            return      # reported at the offer
        ent = q[0]
        ent[3] += 1
        beats, n = ent[3], ent[2] + 1
        if last and beats != n:
            self._violation("R", "rlast", f"RLAST on beat {beats} of the read burst at "
                            f"0x{ent[1]:x}, ARLEN {ent[2]} ({n} beats)", cyc)
        elif not last and beats == n:
            self._violation("R", "rlast", f"RLAST missing on beat {n}, the last of the read "
                            f"burst at 0x{ent[1]:x} (ARLEN {ent[2]})", cyc)
        if last or beats >= n:
            q.popleft()
            self._r_pending -= 1

    def waiting(self) -> list[str]:
        out = []
        if self._r_pending:
            out.append(f"{self.name}: {self._r_pending} read burst(s) accepted and not "
                       f"finished, RVALID={self.channels['R'].valid.value}")
        if self._aw_wait_w or self._w_early or self._w_beats:
            out.append(f"{self.name}: write data incomplete ({len(self._aw_wait_w)} AW(s) "
                       f"waiting for W beats, {self._w_beats} beat(s) of the current burst)")
        done = sum(len(q) for q in self._b_wait.values())
        if done:
            out.append(f"{self.name}: {done} complete write burst(s) awaiting a B response, "
                       f"BVALID={self.channels['B'].valid.value}")
        return out

    def stats(self) -> dict:
        out = super().stats()
        out.update(bursts=dict(self.bursts), beats=dict(self.beats), bytes=dict(self.bytes),
                   peak_outstanding=dict(self.peak_outstanding),
                   error_responses=dict(self.error_responses),
                   burst_beats={k: dict(sorted(v.items())) for k, v in self.burst_beats.items()})
        return out

    def summary(self) -> str:
        return (f"{self.name}: {self.bursts['read']} read bursts / {self.beats['read']} beats, "
                f"{self.bursts['write']} write bursts / {self.beats['write']} beats, peak "
                f"outstanding {self.peak_outstanding['read']} read / "
                f"{self.peak_outstanding['write']} write; {self.violation_count} violation(s)")
