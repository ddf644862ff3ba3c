"""Clocks of kernel simulations: generated in HDL, not toggled from Python.

cocotb's `Clock` writes the clock through VPI twice a period, and Verilator's main loop in
cocotb then runs the timed callback, the value callbacks and an extra evaluation per edge.
So a kernel simulation's toplevel is a generated wrapper, ``<kernel>_tb``
(:func:`render_clock_wrapper`, written into the build folder by tb/jobs/kernel_job.py): every
port of the kernel except ``ap_clk``, which becomes an output driven by an HDL clock whose
period is the parameter ``AP_CLK_PERIOD_PS`` (default: the default platform's period,
golden/platform.py: 10000 ps = 100 MHz), the kernel instantiated as ``u_kernel``, and the
kernel's outputs reaching the ports 1 ps late so that the testbench still samples pre-edge
values at a clock edge (see render_clock_wrapper).
It needs Verilator's ``--timing`` (tb/jobs/toolchain.py sets the compiler flag that needs).
Measured with `python -m tb.perf.bench --skip-golden --skip-cosim --warm`, cocotb / C++ raw
cycles per second, before -> after: cnv_part2 0.14 -> 0.18 (517k -> 707k c/s), cnv_part1
0.60 -> 0.69, cnv_full 0.61 -> 0.66; simulated cycles unchanged.

Faster still, and the default for kernel simulations since: the **loop clock**. The bare
kernel is the toplevel and the simulation's main loop (tb/jobs/verilator_main.cpp, built with
``-DBNNSPLIT_CLOCK=<port>``, see :func:`loop_clock_args`) toggles the clock port itself at
every half period, then runs the value-change callbacks before evaluating the design: the
testbench sees pre-edge values at a RisingEdge exactly as with cocotb's Clock, with no VPI
write, no timer, no Python, no --timing scheduler and no delayed outputs. The runner passes
the period as the plusarg ``+bnnsplit_loop_clock=<port>:<period ps>`` (:data:`LOOP_PLUSARG`),
which both the main loop and :func:`start_clock` read (the job's board's period; without the
plusarg the main loop falls back to ``-DBNNSPLIT_CLOCK_PERIOD_PS``, the default platform's
period, which :func:`loop_clock_args` compiles in). A co-simulation's toplevel has one
clock port per board, each with its own period (the boards' ppm offsets): the main loop
toggles them all, ``+bnnsplit_loop_clock=conv0_ap_clk:10000,fc_ap_clk:10001``.
`BNNSPLIT_CLOCK` picks the mode of kernel and system simulations: ``loop`` (default), ``hdl``
(the wrapper above; kernels only, a system then uses cocotb's Clock), ``cocotb``.

In the testbench, :func:`start_clock` is the one way to start a kernel's clock: nothing to
do when the main loop or the toplevel generates it (the period used is checked against the
one asked for), else cocotb's Clock as before (the unit tests of rtl/ modules).
Kernel-internal signals (streams, FIFO counts, sequencer state) sit under
:func:`kernel_handle` (the ``u_kernel`` instance in a wrapper, the toplevel itself
otherwise); ports stay on the toplevel.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from golden.errors import BnnInputError
from golden.platform import platform
from tb.jobs.sv_ports import module_port_declarations

CLOCK_ENV = "BNNSPLIT_CLOCK"
CLOCK_MODES = ("loop", "hdl", "cocotb")
LOOP_DEFINE = "BNNSPLIT_CLOCK"
LOOP_PERIOD_DEFINE = "BNNSPLIT_CLOCK_PERIOD_PS"
LOOP_PLUSARG = "bnnsplit_loop_clock"
WRAPPER_SUFFIX = "_tb"
KERNEL_INSTANCE = "u_kernel"
DEFAULT_PERIOD_PS = platform().period_ps      # the default platform's clock (golden/platform.py)


def period_param(clock: str) -> str:
    """Name of the wrapper parameter holding the period (ps) of clock port `clock`; its
    presence on the toplevel is what tells :func:`start_clock` that the HDL drives it."""
    return f"{clock.upper()}_PERIOD_PS"


def clock_mode() -> str:
    """How kernel simulations are clocked: BNNSPLIT_CLOCK (loop, hdl or cocotb; default loop);
    the older BNNSPLIT_HDL_CLOCK=0 still means cocotb."""
    mode = os.environ.get(CLOCK_ENV)
    if mode is None:
        return "cocotb" if os.environ.get("BNNSPLIT_HDL_CLOCK", "1") in ("", "0") else "loop"
    if mode not in CLOCK_MODES:
        raise BnnInputError(f"{CLOCK_ENV}={mode!r}: expected one of {', '.join(CLOCK_MODES)}")
    return mode


# ---------------------------------------------------------------------------- loop clock (build side)
def loop_clock_args(*ports: str) -> list[str]:
    """Verilator options that make the main loop toggle inputs `ports` of the toplevel (one
    kernel's ap_clk, or every board's clock of a co-simulation), with the default platform's
    period where the run's plusarg gives none."""
    ports = ports or ("ap_clk",)
    for port in ports:
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", port):
            raise ValueError(f"not a port name: {port!r}")
    return ["-CFLAGS", f"-D{LOOP_DEFINE}={','.join(ports)}", "-CFLAGS", f"-D{LOOP_PERIOD_DEFINE}={DEFAULT_PERIOD_PS}"]


def loop_clock_ports(build_args) -> list[str]:
    """The ports a build's main loop toggles (from its options); [] for none."""
    args = list(build_args)
    for a, b in zip(args, args[1:]):
        if a == "-CFLAGS" and b.startswith(f"-D{LOOP_DEFINE}="):
            return b.split("=", 1)[1].split(",")
    return []


def loop_clock_plusarg(periods: dict[str, int]) -> str:
    """The plusarg giving each loop clock's period in ps ({port: period})."""
    return f"+{LOOP_PLUSARG}=" + ",".join(f"{port}:{int(p)}" for port, p in periods.items())


# ---------------------------------------------------------------------------- wrapper (build side)
def _port_declarations(source: Path, module: str) -> list[tuple[str, str]]:
    """(name, declaration) of each ANSI port of `module` in `source`, in order
    (tb/jobs/sv_ports.py, the reader the runner's public.vlt uses too)."""
    decls = module_port_declarations(source, module)
    if not decls:
        raise ValueError(f"no ANSI port list of module {module} found in {source}")
    return decls


OUTPUT_DELAY_PS = 1


def _internal_type(decl: str, name: str) -> str:
    """`logic [..]` (signed if so) of a port declaration, for the wire inside the wrapper."""
    head = decl[:decl.rindex(name)]
    dims = "".join(re.findall(r"\[[^\]]*\]", head))
    return "logic" + (" signed" if re.search(r"\bsigned\b", head) else "") + (f" {dims}" if dims else "")


def render_clock_wrapper(module: str, source: Path, clocks: dict[str, int] | None = None,
                         name: str | None = None) -> str:
    """SystemVerilog of `<module>_tb`: the ports of `module` (read from `source`) except the
    clock inputs in `clocks` ({port: default period in ps}; default ap_clk at the default
    platform's clock), which become outputs driven by HDL clocks with parameters
    <PORT>_PERIOD_PS; `module` instantiated as u_kernel.

    The clock is high for the first half period from time 0, as cocotb's Clock (start_high)
    was: rising edges at 0, P, 2P, ... The kernel's outputs reach the wrapper's ports
    OUTPUT_DELAY_PS (1 ps) late. With cocotb's Clock, a testbench woken by RisingEdge read
    the design before it evaluated that edge (the clock is written through VPI, value
    callbacks run, then Verilator evaluates); a clock generated in HDL changes within the
    evaluation that also updates the flip-flops, so without the delay the testbench (the
    cocotbext-axi models, the checkers) would sample post-edge values and miss handshakes.
    Inputs are not delayed: what the testbench writes after an edge is seen by the next one,
    as before. Signals read inside u_kernel (watchdog) are post-edge at a RisingEdge."""
    clocks = dict(clocks or {"ap_clk": DEFAULT_PERIOD_PS})
    name = name or module + WRAPPER_SUFFIX
    decls = _port_declarations(Path(source), module)
    ports = [n for n, _ in decls]
    missing = [c for c in clocks if c not in ports]
    if missing:
        raise ValueError(f"module {module} has no clock port(s) {', '.join(missing)}")
    try:
        shown = Path(source).resolve().relative_to(Path(__file__).resolve().parents[2])
    except ValueError:       # e.g. a mutant copy: its name only, so that the text (and the
        shown = Path(source).name  # build digest) does not depend on a temporary folder
    outputs = [(n, d) for n, d in decls if n not in clocks and re.match(r"output\b", d)]
    if any(re.match(r"inout\b", d) for _, d in decls):
        raise ValueError(f"module {module} has inout ports: not supported by the clock wrapper")
    params = ",\n".join(f"    parameter int {period_param(c)} = {int(p)}" for c, p in clocks.items())
    port_lines = [f"    output logic {n}" if n in clocks else f"    {d}" for n, d in decls]
    lines = [
        f"// Generated by tb/jobs/clocking.py (render_clock_wrapper) from kernel {module} ({shown}): do not edit.",
        f"// The ports of {module}; {', '.join(clocks)} generated here (period parameter(s) in ps), so",
        "// that no clock is toggled from Python; the kernel's outputs reach the ports "
        f"{OUTPUT_DELAY_PS} ps late",
        "// (testbench samples at a clock edge see pre-edge values). Needs Verilator --timing.",
        "/* verilator lint_off SYMRSVDWORD */",
        f"module {name} #(",
        params,
        ") (",
        ",\n".join(port_lines),
        ");",
        "/* verilator lint_on SYMRSVDWORD */",
        "    timeunit 1ns;",
        "    timeprecision 1ps;",
    ]
    for c in clocks:
        p = period_param(c)
        lines += [
            f"    localparam int {p}_HIGH = {p} / 2;",
            f"    localparam int {p}_LOW = {p} - {p}_HIGH;",
            "    initial begin",
            f"        {c} = 1'b1;",
            "        forever begin",
            f"            #({p}_HIGH * 1ps) {c} = 1'b0;",
            f"            #({p}_LOW * 1ps) {c} = 1'b1;",
            "        end",
            "    end",
        ]
    if outputs:
        lines.append("    // the kernel's outputs, and their copies on the ports, OUTPUT_DELAY_PS later")
        lines += [f"    {_internal_type(d, n)} k_{n};" for n, d in outputs]
        lhs = "{" + ", ".join(n for n, _ in outputs) + "}"
        rhs = "{" + ", ".join(f"k_{n}" for n, _ in outputs) + "}"
        lines += [
            f"    initial #({OUTPUT_DELAY_PS} * 1ps) {lhs} = {rhs};",
            "    always @(" + ", ".join(f"k_{n}" for n, _ in outputs) + ")",
            f"        {lhs} <= #({OUTPUT_DELAY_PS} * 1ps) {rhs};",
        ]
    out_names = {n for n, _ in outputs}
    conns = ",\n".join(f"        .{n}({'k_' + n if n in out_names else n})" for n in ports)
    lines += [f"    {module} {KERNEL_INSTANCE} (", conns, "    );", "endmodule", ""]
    return "\n".join(lines)


def write_clock_wrapper(module: str, source: Path, folder: Path,
                        clocks: dict[str, int] | None = None) -> Path:
    """Write <folder>/<module>_tb.sv (only when its content changes); returns its path."""
    path = Path(folder) / f"{module}{WRAPPER_SUFFIX}.sv"
    text = render_clock_wrapper(module, source, clocks)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.read_text() != text:
        tmp = path.with_name(f"{path.name}.tmp{os.getpid()}")
        tmp.write_text(text)
        tmp.replace(path)       # atomic: parallel test workers may share the build folder
    return path


# ---------------------------------------------------------------------------- cocotb side
def _child(handle, name: str):
    """handle.<name>, or None when the design has no such object."""
    try:
        return getattr(handle, name)
    except AttributeError:
        return None


def loop_clock_period_ps(clock: str = "ap_clk") -> int | None:
    """The period (ps) at which the simulation's main loop toggles `clock`, or None."""
    import cocotb

    value = (getattr(cocotb, "plusargs", None) or {}).get(LOOP_PLUSARG)   # {} outside a simulation
    if not isinstance(value, str):
        return None
    for item in value.split(","):
        port, _, period = item.rpartition(":")
        if port == clock:
            return int(period)
    return None


def hdl_clock_period_ps(dut, clock: str = "ap_clk") -> int | None:
    """The period (ps) of the HDL clock driving `clock`, or None if the toplevel does not
    generate that clock."""
    p = _child(dut, period_param(clock))
    return None if p is None else int(p.value)


def start_clock(dut, period_ps: int, clock: str = "ap_clk"):
    """Start clock `clock` of a kernel or system testbench with a period of `period_ps` (the
    job's board's): nothing to start when the main loop or the toplevel generates it (its
    period must be the same), else cocotb's Clock on dut.<clock>. Returns the cocotb Task of
    the Clock, or None."""
    generated = loop_clock_period_ps(clock) or hdl_clock_period_ps(dut, clock)
    if generated is not None:
        if generated != period_ps:
            raise ValueError(f"{dut._name}.{clock} is generated with a period of {generated} ps, "
                             f"the testbench asks for {period_ps} ps")
        return None
    from cocotb.clock import Clock

    return Clock(getattr(dut, clock), period_ps, unit="ps").start()


def kernel_handle(dut):
    """Where the kernel's own signals are: the u_kernel instance of a clock wrapper, else
    the toplevel (the kernel itself)."""
    inst = _child(dut, KERNEL_INSTANCE)
    return dut if inst is None else inst
