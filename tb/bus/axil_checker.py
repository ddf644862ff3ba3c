"""Passive AXI4-Lite protocol checker for cocotb 2.x testbenches.

    chk = AxiLiteChecker(dut, "s_axi_control", dut.ap_clk, dut.ap_rst_n)

Rules checked, besides the VALID / payload rules of every channel
(tb/bus/axi_checker_base.py): every B response matched to an earlier accepted AW + W pair
(``b-without-aw``), every R to an earlier accepted AR (``r-without-ar``). Besides the rules,
the checker counts the writes and reads and the addresses accessed
(:attr:`AxiLiteChecker.accesses`, at AW / AR handshakes).
"""

from __future__ import annotations

from collections import Counter, deque

from tb.bus.axi_checker_base import AxiCheckerBase
from tb.bus.axi_signals import AXIL_CHANNELS
from tb.bus.values import to_int

__all__ = ["AxiLiteChecker"]


class AxiLiteChecker(AxiCheckerBase):
    """Passive AXI4-Lite protocol checker (same arguments as :class:`AxiChecker`, without
    the burst options): VALID/payload rules on all five channels, and every B (R)
    response matched to an earlier accepted AW + W pair (AR)."""

    CHANNELS = AXIL_CHANNELS

    def __init__(self, dut, prefix: str, clock, reset=None, name: str | None = None, **kw):
        super().__init__(dut, prefix, clock, reset, name, **kw)
        self.writes = 0
        self.reads = 0
        self.error_responses = {"write": 0, "read": 0}

    def _install_hooks(self) -> None:
        c = self.channels
        # addresses accepted per direction (AW / AR handshakes), with their counts
        self.accesses: dict[str, Counter] = {"write": Counter(), "read": Counter()}
        if "AW" in c:
            c["AW"].handshake = lambda cyc: (self._accessed("write", "AW"), self._aw_q.append(cyc),
                                             self._pair())
            c["W"].handshake = lambda cyc: self._w_q.append(cyc) or self._pair()
            c["B"].offer = lambda cyc: self._resp_offer("B", self._b_wait, cyc)
            c["B"].handshake = lambda cyc: self._resp_done("B", self._b_wait, cyc)
            c["B"].expected = lambda: bool(self._b_wait or self._aw_q or self._w_q)
        if "AR" in c:
            c["AR"].handshake = lambda cyc: (self._accessed("read", "AR"), self._r_wait.append(cyc),
                                             self._wake("R"))
            c["R"].expected = lambda: bool(self._r_wait)
            c["R"].offer = lambda cyc: self._resp_offer("R", self._r_wait, cyc)
            c["R"].handshake = lambda cyc: self._resp_done("R", self._r_wait, cyc)

    def _clear_state(self) -> None:
        self._aw_q: deque = deque()
        self._w_q: deque = deque()
        self._b_wait: deque = deque()
        self._r_wait: deque = deque()

    def _accessed(self, kind: str, ch: str) -> None:
        c = self.channels[ch]
        addr = to_int(c.fields[c.field_names.index("ADDR")].value)
        if addr is not None:
            self.accesses[kind][addr] += 1

    def _pair(self) -> None:
        self._wake("B")
        while self._aw_q and self._w_q:
            self._b_wait.append(max(self._aw_q.popleft(), self._w_q.popleft()))

    def _resp_offer(self, ch: str, q: deque, cyc: int) -> None:
        if not q or q[0] >= cyc:
            if ch == "B":
                why = (f"AW accepted {len(self._aw_q)}, W accepted {len(self._w_q)} unpaired"
                       if (self._aw_q or self._w_q) else "no write outstanding")
                if q:
                    why = f"the write completes only at cycle {q[0]}"
                self._violation("B", "b-without-aw", f"write response without an accepted "
                                f"AW and W: {why}", cyc)
            else:
                why = f"the AR is accepted only at cycle {q[0]}" if q else "no read outstanding"
                self._violation("R", "r-without-ar", f"read data without an accepted AR: {why}",
                                cyc)

    def _resp_done(self, ch: str, q: deque, cyc: int) -> None:
        if q and q[0] < cyc:
            q.popleft()
        if ch == "B":
            self.writes += 1
        else:
            self.reads += 1
        resp = self.channels[ch].field_names
        if "RESP" in resp:
            h = self.channels[ch].fields[resp.index("RESP")]
            if to_int(h.value):
                self.error_responses["write" if ch == "B" else "read"] += 1

    def waiting(self) -> list[str]:
        out = []
        if self._b_wait:
            out.append(f"{self.name}: {len(self._b_wait)} write(s) awaiting a B response")
        if self._aw_q or self._w_q:
            out.append(f"{self.name}: unpaired AW {len(self._aw_q)} / W {len(self._w_q)}")
        if self._r_wait:
            out.append(f"{self.name}: {len(self._r_wait)} read(s) awaiting R data")
        return out

    def summary(self) -> str:
        return (f"{self.name}: {self.writes} writes, {self.reads} reads (AXI4-Lite); "
                f"{self.violation_count} violation(s)")
