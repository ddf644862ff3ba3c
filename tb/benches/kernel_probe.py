"""What a kernel's internals and ports are called, turned into the handles the monitors of
tb/bus watch (they know no DUT).

A generated kernel says it in its kernel.json (hls_out/kernel.py): every entry of "stages",
from the memory reader to the memory writer, names its instance and the signals of its
input and output streams ("signals": in_valid / in_ready / in_data, out_valid / out_ready /
out_data), a stream FIFO also its occupancy ("count"), the memory reader and writer their
"busy" and "error"; "control" names the sequencer's state (and its values), status and idle
signals; "interfaces" the AXI ports. A user's HLS export (tb/jobs/export_kernel.py) lists no
stages: only its buses are watched, and its idle comes from the bench (its host wrapper).

    hostmem, control = kernel_checkers(dut)                     # or kernel_checkers(dut, "conv0")
    wd = kernel_watchdog(dut, info, 200_000, buses=[hostmem, control])
    full = FifosSeenFull(kernel_fifos(scope, info))

`prefix` is the board prefix in a multi-board wrapper ("conv0": ports conv0_ap_clk, ...,
conv0_m_axi_hostmem_*, kernel instance u_conv0).
"""

from __future__ import annotations

import logging
from typing import Callable

from golden.errors import BnnInputError
from hls_out import interface
from tb.bus.axi_checker import AxiChecker
from tb.bus.axi_signals import bus_channels
from tb.bus.axil_checker import AxiLiteChecker
from tb.bus.fifo_monitor import FifoSignals
from tb.bus.values import to_int
from tb.bus.watchdog import Fifo, Stream, Watchdog, state_text

__all__ = ["kernel_checkers", "kernel_watchdog", "kernel_fifos", "kernel_streams", "kernel_status",
           "interfaces", "stage_entries", "kernel_data"]

CLOCK, RESET = "ap_clk", "ap_rst_n"      # the block-level clock and reset of a BlackBoxJam top
ROLE = {"memory_reader": "memory reader", "memory_writer": "memory writer"}


# ----------------------------------------------------------------------------- kernel.json
def kernel_data(kernel_info) -> dict:
    """kernel.json as a dict: given as one, as a KernelInfo / export (its `data`), or as a
    kernel name or folder."""
    if isinstance(kernel_info, dict):
        return kernel_info
    if hasattr(kernel_info, "data"):
        return kernel_info.data
    from hls_out.kernel import load
    return load(kernel_info).data


def stage_entries(info: dict) -> list[dict]:
    """kernel.json's stages, each naming its signals (an error, saying how to fix it, for
    a kernel.json written before they were recorded)."""
    entries = list(info.get("stages") or [])
    old = [st.get("name", "?") for st in entries if not isinstance(st.get("signals"), dict)]
    if old:
        raise BnnInputError(f"kernel {info.get('name')}: kernel.json names no signals for stage(s) "
                            f"{', '.join(old)}; regenerate it (make hls)")
    return entries


def interfaces(info: dict | None = None) -> dict[str, str]:
    """{port prefix: "AXI4" / "AXI4-Lite"} of the kernel's AXI interfaces: kernel.json's
    "interfaces", else BlackBoxJam's (hls_out/interface.py; an export has the same ports)."""
    given = (info or {}).get("interfaces")
    if given:
        return {p: d["protocol"] for p, d in given.items()
                if isinstance(d, dict) and d.get("protocol") in ("AXI4", "AXI4-Lite")}
    ports = [name for name, _, _ in interface.kernel_ports()]
    prefixes = sorted(name[: -len("_AWVALID")] for name in ports if name.endswith("_AWVALID"))
    return {p: "AXI4" if f"{p}_AWLEN" in ports else "AXI4-Lite" for p in prefixes}


def _bus_name(port: str) -> str:
    """A bus's name in reports: its port prefix without m_axi_ / s_axi_ ("hostmem")."""
    for head in ("m_axi_", "s_axi_"):
        if port.startswith(head):
            return port[len(head):]
    return port


def _label(st: dict) -> str:
    """A stage's name in diagnostics: "u_rd (memory reader)" for the memory ends, else its name."""
    role = ROLE.get(st.get("kind"))
    return f"{st.get('instance') or st['name']} ({role})" if role else st["name"]


def _stream_name(valid: str) -> str:
    """A stream's name: its VALID signal's name without the suffix ("s3" for s3_tvalid)."""
    for suffix in ("_tvalid", "_valid", "tvalid", "valid"):
        if valid.endswith(suffix) and len(valid) > len(suffix):
            return valid[: -len(suffix)]
    return valid


def _board(prefix: str) -> tuple[str, str]:
    board = prefix.rstrip("_")
    return board, f"{board}_" if board else ""


# ----------------------------------------------------------------------------- handles
def kernel_streams(scope, info: dict, log: logging.Logger | None = None
                   ) -> tuple[list[Stream], list[Fifo]]:
    """The streams between the kernel's stages (named after their VALID signal, from the
    stage writing them to the stage reading them) and its FIFOs' occupancies, found in
    `scope` (the kernel instance). Signals `scope` does not have are skipped (logged)."""
    entries = stage_entries(kernel_data(info))
    consumer = {st["signals"]["in_valid"]: st for st in entries if "in_valid" in st["signals"]}
    streams, fifos, missing = [], [], []
    for st in entries:
        sig = st["signals"]
        if "out_valid" in sig:
            name = _stream_name(sig["out_valid"])
            try:
                v, r = getattr(scope, sig["out_valid"]), getattr(scope, sig["out_ready"])
            except AttributeError:
                missing.append(name)
            else:
                d = getattr(scope, sig["out_data"], None) if "out_data" in sig else None
                dst = consumer.get(sig["out_valid"])
                streams.append(Stream(name, v, r, d, src=_label(st), dst=_label(dst) if dst else None))
        if "count" in sig:
            cnt = getattr(scope, sig["count"], None)
            if cnt is None:
                missing.append(sig["count"])
            else:
                fifos.append(Fifo(st["name"], cnt, st.get("params", {}).get("DEPTH")))
    if missing and log is not None:
        log.warning("watchdog: kernel signals not found (not watched): %s", ", ".join(missing))
    return streams, fifos


def kernel_fifos(scope, info: dict, log: logging.Logger | None = None) -> list[FifoSignals]:
    """The handles of the kernel's stream FIFOs (input READY, output VALID, occupancy) in
    `scope`, in stream order, for FifosSeenFull / FifoMonitor; a FIFO whose READY or VALID
    `scope` lacks is left out (logged)."""
    out, missing = [], []
    for st in stage_entries(kernel_data(info)):
        sig = st["signals"]
        if "count" not in sig:
            continue
        ready, valid = getattr(scope, sig["in_ready"], None), getattr(scope, sig["out_valid"], None)
        if ready is None or valid is None:
            missing.append(st["name"])
            continue
        out.append(FifoSignals(st["name"], ready, valid, getattr(scope, sig["count"], None)))
    if missing and log is not None:
        log.warning("kernel FIFO ports not found (not watched): %s", ", ".join(missing))
    return out


def kernel_status(scope, info: dict) -> dict:
    """{label: handle or callable} of the status signals a diagnostic shows: the sequencer's
    state by name, its status signals, each stage's busy / error (those `scope` has)."""
    info = kernel_data(info)
    control = info.get("control") or {}
    out: dict = {}
    state = control.get("state")
    if state and hasattr(scope, state):
        names = {int(k): v for k, v in (control.get("state_names") or {}).items()}
        out[state] = state_text(getattr(scope, state), names)
    names = list(control.get("status") or [])
    names += [st["signals"][k] for st in stage_entries(info) for k in ("busy", "error") if k in st["signals"]]
    for sig in names:
        if sig not in out and hasattr(scope, sig):
            out[sig] = getattr(scope, sig)
    return out


def _hints(scope, info: dict, streams: list[Stream]) -> Callable[[], list[str]]:
    """Explanations of a stall from the memory reader's and writer's busy signals, for when
    no stage visibly holds data."""
    memory = next((_bus_name(p) for p, proto in interfaces(info).items() if proto == "AXI4"), "memory")
    ends = []
    for st in stage_entries(info):
        if st.get("kind") in ROLE and "busy" in st["signals"] and streams:
            busy = getattr(scope, st["signals"]["busy"], None)
            if busy is not None:
                ends.append((st, busy))

    def hints() -> list[str]:
        out = []
        for st, busy in ends:
            if not to_int(busy.value):
                continue
            if st["kind"] == "memory_reader":
                own = [s for s in streams if s.src == _label(st)]
                if own and not to_int(own[0].valid.value):
                    out.append(f"{_label(st)}: busy but no word on {own[0].name} (waiting for {memory} R data?)")
            elif not out and not any(to_int(s.valid.value) for s in streams):
                out.append(f"{_label(st)}: busy with an empty pipeline (waiting for {memory} B responses, "
                           f"or for words that never came)")
        return out

    return hints


# ----------------------------------------------------------------------------- monitors
def kernel_checkers(dut, prefix: str = "", info: dict | None = None, **kw
                    ) -> tuple[AxiChecker, AxiLiteChecker]:
    """An AxiChecker on the kernel's AXI4 port (m_axi_hostmem) and an AxiLiteChecker on its
    AXI4-Lite port (s_axi_control), clocked by ap_clk / ap_rst_n; `prefix`: the board
    prefix. Keyword arguments go to both checkers."""
    board, pp = _board(prefix)
    ports = interfaces(info)
    memory = next(p for p, proto in ports.items() if proto == "AXI4")
    control = next(p for p, proto in ports.items() if proto == "AXI4-Lite")
    clk, rst = getattr(dut, pp + CLOCK), getattr(dut, pp + RESET)
    # B and R are watched only while a response may legally come: no simulator callback on
    # them while the kernel computes (hostmem's come from the testbench's RAM, and the
    # control master's sinks do the same, tb/bus/lean_streams.py); a response nobody asked
    # for is still reported, at the next accepted request.
    kw = {"watch_idle_responses": False} | kw
    return (AxiChecker(dut, pp + memory, clk, rst, b_after_last_w=True, **kw),
            AxiLiteChecker(dut, pp + control, clk, rst, **kw))


def kernel_watchdog(dut, kernel_info, limit_cycles: int, prefix: str = "", *, scope=None,
                    hold_when_idle: bool = True, **kw) -> Watchdog:
    """A Watchdog over a kernel: every stream between its stages, every FIFO count, its AXI
    buses, the sequencer's status; it holds while the kernel's idle signal is high.
    `kernel_info`: kernel.json as a dict, a KernelInfo, its folder or the kernel's name.
    `scope`: the kernel instance (default: u_<board> in a wrapper, else `dut`). Pass
    ``buses=[checker, ...]`` to watch the buses through AXI checkers (the diagnostic then
    lists unanswered requests), ``idle=handle`` for a kernel whose idle signal is elsewhere
    (an export's host wrapper). Other keywords go to Watchdog.

    A kernel whose stages are not known (a user's HLS export: only its buses are seen) is
    quiet at its boundary for up to its whole latency while it computes an image (139k
    cycles for CNV's FC part), so its limit is at least twice its expected latency; the
    watchdog's `limit` says what it is."""
    info = kernel_data(kernel_info)
    if not info.get("stages") and "expected_cycles" in info:
        limit_cycles = max(limit_cycles, 2 * int(info["expected_cycles"]["sum"]))
    board, pp = _board(prefix)
    if scope is None:
        scope = getattr(dut, f"u_{board}") if board else dut
    log = kw.pop("log", None) or logging.getLogger(f"cocotb.watchdog.{board or info.get('name', 'kernel')}")
    streams, fifos = kernel_streams(scope, info, log)
    buses = kw.pop("buses", None)
    if buses is None:
        buses = [(f"{board}.{_bus_name(port)}" if board else _bus_name(port), pp + port)
                 for port in interfaces(info) if bus_channels(dut, pp + port)]
    idle = kw.pop("idle", None)       # a handle given by the bench (an export's wrapper port)
    idle_name = (info.get("control") or {}).get("idle")
    if idle is None and hold_when_idle and idle_name:
        idle = getattr(scope, idle_name, None)
    name = kw.pop("name", f"watchdog[{board or info.get('name', 'kernel')}]")
    kw.setdefault("hints", _hints(scope, info, streams))
    return Watchdog(dut, getattr(dut, pp + CLOCK), limit_cycles, streams, fifos, buses, idle=idle,
                    reset=getattr(dut, pp + RESET, None), reset_active_level=False,
                    signals=kernel_status(scope, info), name=name, log=log, **kw)
