"""The BlackBoxJam kernel interface as data: the one place that says what the ports and the
AXI4-Lite register map of a generated kernel are.

BNN-PYNQ's HLS top `BlackBoxJam` is exported by Vivado HLS with an AXI4 master
`m_axi_hostmem` (the input and output batches in host memory) and an AXI4-Lite slave
`s_axi_control` holding the `ap_ctrl_hs` block-level control registers and the function
arguments (in, out, doInit, targetLayer, targetMem, targetInd, targetThresh, val, numReps).
Everything that needs the register map is derived from the table below:

  - rtl/axilite_ctrl.sv decodes addresses and control bits with localparams generated into a
    marked block of that file (`render_sv_block`, spliced in by `make hls`);
  - tb/perf/harness.cpp (the C++ bench harness) includes tb/perf/blackboxjam_regs.h
    (`render_c_header`);
  - tb/host/driver.py (PynqHost) looks offsets and CTRL bits up here;
  - tb/units/tb_axilite_ctrl.py builds its reference model from the table;
  - every hls_out/<kernel>/kernel.json carries `register_map()`.

The Platform (golden/platform.py) names this top (`hls_top`) and gives the memory word width
of m_axi_hostmem. `python -m hls_out.generate` writes the generated files (`generated_files`) and `--check`
fails when one is stale. To add a register: add it to REGISTERS, implement it in
rtl/axilite_ctrl.sv, run `make hls`; the register testbench fails until table and RTL agree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from golden.platform import platform

REPO = Path(__file__).resolve().parents[1]
SV_TARGET = REPO / "rtl" / "axilite_ctrl.sv"
C_HEADER = REPO / "tb" / "perf" / "blackboxjam_regs.h"

# ---------------------------------------------------------------------------- ports
# m_axi_hostmem moves one memory word per beat (the platform's, golden/platform.py).
MEM_W = platform().mem_word_bits

# Ports of the HLS export: (name, direction, width) on m_axi_hostmem and s_axi_control.
AXI_PORTS = [("AWVALID", "o", 1), ("AWREADY", "i", 1), ("AWADDR", "o", 64), ("AWID", "o", 1), ("AWLEN", "o", 8),
       ("AWSIZE", "o", 3), ("AWBURST", "o", 2), ("AWLOCK", "o", 2), ("AWCACHE", "o", 4), ("AWPROT", "o", 3),
       ("AWQOS", "o", 4), ("AWREGION", "o", 4), ("WVALID", "o", 1), ("WREADY", "i", 1), ("WDATA", "o", MEM_W),
       ("WSTRB", "o", MEM_W // 8), ("WLAST", "o", 1), ("ARVALID", "o", 1), ("ARREADY", "i", 1), ("ARADDR", "o", 64),
       ("ARID", "o", 1), ("ARLEN", "o", 8), ("ARSIZE", "o", 3), ("ARBURST", "o", 2), ("ARLOCK", "o", 2),
       ("ARCACHE", "o", 4), ("ARPROT", "o", 3), ("ARQOS", "o", 4), ("ARREGION", "o", 4), ("RVALID", "i", 1),
       ("RREADY", "o", 1), ("RDATA", "i", MEM_W), ("RLAST", "i", 1), ("RID", "i", 1), ("RRESP", "i", 2),
       ("BVALID", "i", 1), ("BREADY", "o", 1), ("BRESP", "i", 2), ("BID", "i", 1)]

# s_axi_control: 7 address bits (32 words), 32-bit data; registers are decoded on the word
# address ADDR[6:2], and WSTRB selects the byte lanes a write changes.
ADDR_WIDTH = 7
DATA_WIDTH = 32
WORD_LSB = 2

CTL_PORTS = [("AWVALID", "i", 1), ("AWREADY", "o", 1), ("AWADDR", "i", ADDR_WIDTH), ("WVALID", "i", 1),
       ("WREADY", "o", 1), ("WDATA", "i", DATA_WIDTH), ("WSTRB", "i", DATA_WIDTH // 8), ("ARVALID", "i", 1),
       ("ARREADY", "o", 1), ("ARADDR", "i", ADDR_WIDTH), ("RVALID", "o", 1), ("RREADY", "i", 1),
       ("RDATA", "o", DATA_WIDTH), ("RRESP", "o", 2), ("BVALID", "o", 1), ("BREADY", "i", 1), ("BRESP", "o", 2)]


def kernel_ports() -> list[tuple[str, str, int]]:
    """Every port of a generated kernel top as (name, "i"/"o", width)."""
    ports = [("ap_clk", "i", 1), ("ap_rst_n", "i", 1), ("interrupt", "o", 1)]
    for prefix, sigs in (("m_axi_hostmem", AXI_PORTS), ("s_axi_control", CTL_PORTS)):
        ports += [(f"{prefix}_{n}", d, w) for n, d, w in sigs]
    return ports


# ---------------------------------------------------------------------------- register table
# How a field behaves on the bus. Reads never change a field except "cor".
ACCESS = {
    "rw": "read/write",
    "ro": "read-only: follows the core (writes ignored)",
    "cor": "read-only: set by a core event, cleared by a read of the register (an event in the "
           "same cycle as the read wins)",
    "w1s": "write 1 to set, writing 0 has no effect; cleared by the core (ap_start: by ap_ready "
           "unless auto_restart)",
    "tow": "set by an enabled core event, toggled by writing 1",
}


@dataclass(frozen=True)
class Field:
    """Bits lsb .. lsb+width-1 of a register. `port`: the rtl/axilite_ctrl.sv port the field
    drives (rw, w1s) or follows (ro, cor), port_lsb: where in that port; None for state that
    stays inside the control block (GIER, IER, ISR, auto_restart)."""
    name: str
    lsb: int
    width: int = 1
    access: str = "rw"
    reset: int = 0          # value read after reset with an idle core (ap_idle = 1)
    port: str | None = None
    port_lsb: int = 0
    description: str = ""

    @property
    def mask(self) -> int:
        return ((1 << self.width) - 1) << self.lsb


@dataclass(frozen=True)
class Register:
    """One 32-bit word of s_axi_control at byte `offset`."""
    name: str
    offset: int
    fields: tuple[Field, ...]
    description: str

    @property
    def reset(self) -> int:
        return sum(f.reset << f.lsb for f in self.fields)

    def mask(self, *access: str) -> int:
        """Bits of the fields with one of these access kinds (all fields when none given)."""
        return sum(f.mask for f in self.fields if not access or f.access in access)

    @property
    def writable(self) -> int:
        """Bits a write can change (rw, w1s, tow)."""
        return self.mask("rw", "w1s", "tow")

    @property
    def access(self) -> str:
        """The register's access kind, or "mixed" (CTRL)."""
        kinds = {f.access for f in self.fields}
        return kinds.pop() if len(kinds) == 1 else "mixed"

    def after_write(self, old: int, data: int, strb: int = 0xF) -> int:
        """The value read back after writing `data` with byte strobes `strb` to a register
        holding `old`, with no core event in between (the reference model of the write)."""
        lanes = sum(0xFF << (8 * i) for i in range(DATA_WIDTH // 8) if strb >> i & 1)
        new = old
        for f in self.fields:
            m = f.mask & lanes
            if f.access == "rw":
                new = (new & ~m) | (data & m)
            elif f.access == "w1s":
                new |= data & m
            elif f.access == "tow":
                new ^= data & m
        return new


@dataclass(frozen=True)
class Argument:
    """An argument of the HLS function: its 32-bit registers (lo first)."""
    name: str
    width: int
    registers: tuple[str, ...]


def _arg(name: str, offset: int, port: str, description: str, width: int = 32) -> list[Register]:
    """The registers of one HLS argument: one word, or a lo/hi pair for a 64-bit one."""
    if width <= DATA_WIDTH:
        return [Register(name, offset, (Field("value", 0, width, "rw", 0, port, 0, description),),
                         description)]
    return [Register(f"{name}_{half}", offset + 4 * i,
                     (Field("value", 0, DATA_WIDTH, "rw", 0, port, DATA_WIDTH * i, f"{description}, {half} word"),),
                     f"{description}, bits {DATA_WIDTH * (i + 1) - 1}:{DATA_WIDTH * i}")
            for i, half in enumerate(("lo", "hi"))]


# The Vivado HLS `ap_ctrl_hs` map of BlackBoxJam (DESIGN.md "Kernel interface"). HLS leaves a
# reserved word after every argument (0x18, 0x24, 0x2C, ...): those read 0.
REGISTERS: tuple[Register, ...] = (
    Register("CTRL", 0x00, (
        Field("ap_start", 0, access="w1s", port="ap_start", description="start the core"),
        Field("ap_done", 1, access="cor", port="ap_done", description="the core finished a run"),
        Field("ap_idle", 2, access="ro", reset=1, port="ap_idle", description="the core is idle"),
        Field("ap_ready", 3, access="cor", port="ap_ready",
              description="the core took its arguments and can accept a new start"),
        Field("auto_restart", 7, description="keep ap_start set across ap_ready (run again and again)"),
    ), "block-level control (ap_ctrl_hs)"),
    Register("GIER", 0x04, (Field("enable", 0, description="global interrupt enable"),),
             "global interrupt enable: interrupt = GIER.enable & (IP_ISR != 0)"),
    Register("IP_IER", 0x08, (
        Field("done", 0, description="latch ap_done into IP_ISR.done"),
        Field("ready", 1, description="latch ap_ready into IP_ISR.ready"),
    ), "IP interrupt enable"),
    Register("IP_ISR", 0x0C, (
        Field("done", 0, access="tow", description="an enabled ap_done happened"),
        Field("ready", 1, access="tow", description="an enabled ap_ready happened"),
    ), "IP interrupt status"),
    *_arg("in", 0x10, "in_addr", "host address of the input batch", 64),
    *_arg("out", 0x1C, "out_addr", "host address of the output batch", 64),
    *_arg("doInit", 0x28, "do_init", "1: the next start writes one parameter word (init mode)", 1),
    *_arg("targetLayer", 0x30, "target_layer", "init mode: 2L = weights of layer L, 2L+1 = its thresholds"),
    *_arg("targetMem", 0x38, "target_mem", "init mode: PE"),
    *_arg("targetInd", 0x40, "target_ind", "init mode: word index (nf for thresholds)"),
    *_arg("targetThresh", 0x48, "target_thresh", "init mode: which threshold of the neuron"),
    *_arg("val", 0x50, "init_val", "init mode: the 64-bit parameter word", 64),
    *_arg("numReps", 0x5C, "num_reps", "images in the batch"),
)

ARGUMENTS: tuple[Argument, ...] = (
    Argument("in", 64, ("in_lo", "in_hi")), Argument("out", 64, ("out_lo", "out_hi")),
    Argument("doInit", 1, ("doInit",)), Argument("targetLayer", 32, ("targetLayer",)),
    Argument("targetMem", 32, ("targetMem",)), Argument("targetInd", 32, ("targetInd",)),
    Argument("targetThresh", 32, ("targetThresh",)), Argument("val", 64, ("val_lo", "val_hi")),
    Argument("numReps", 32, ("numReps",)),
)

BY_NAME: dict[str, Register] = {r.name: r for r in REGISTERS}
BY_OFFSET: dict[int, Register] = {r.offset: r for r in REGISTERS}

# Bit positions of the block-level control and of the two interrupt sources (IP_IER, IP_ISR).
CTRL_BITS: dict[str, int] = {f.name: f.lsb for f in BY_NAME["CTRL"].fields}
INTERRUPT_BITS: dict[str, int] = {f.name: f.lsb for f in BY_NAME["IP_IER"].fields}


def register(name: str) -> Register:
    try:
        return BY_NAME[name]
    except KeyError:
        raise KeyError(f"no BlackBoxJam register {name!r} in hls_out/interface.py "
                       f"(registers: {', '.join(BY_NAME)})") from None


def ctrl_mask(*names: str) -> int:
    """CTRL value with the named bits set, e.g. ctrl_mask("ap_done", "ap_idle") == 0x6."""
    return sum(1 << CTRL_BITS[n] for n in names)


class RegisterOffsets(dict):
    """{name: byte offset} of every register and every argument (an argument name gives its
    first, lo, register); an unknown name is an error that lists the known ones."""

    def __missing__(self, name):
        raise KeyError(f"no BlackBoxJam register or argument {name!r} in hls_out/interface.py "
                       f"(known: {', '.join(self)})")


def host_offsets() -> RegisterOffsets:
    """The names a host driver writes: "CTRL", "in" (= in_lo), "in_hi", "val", "numReps", ..."""
    offsets = RegisterOffsets({r.name: r.offset for r in REGISTERS})
    for a in ARGUMENTS:
        offsets.setdefault(a.name, BY_NAME[a.registers[0]].offset)
    return offsets


def register_map() -> dict[str, str]:
    """{register: "0xNN"}, as written into every kernel.json."""
    return {r.name: f"0x{r.offset:02X}" for r in REGISTERS}


def _check_table() -> None:
    """The table is consistent: the RTL decode, the C++ header and the driver rely on it."""
    words = 1 << (ADDR_WIDTH - WORD_LSB)
    seen: dict[int, str] = {}
    for r in REGISTERS:
        where = f"hls_out/interface.py: register {r.name} (0x{r.offset:02X})"
        if r.offset % 4 or not 0 <= r.offset // 4 < words:
            raise ValueError(f"{where}: offset not a word address inside the {ADDR_WIDTH}-bit space")
        if r.offset in seen:
            raise ValueError(f"{where}: same offset as {seen[r.offset]}")
        seen[r.offset] = r.name
        used = 0
        for f in r.fields:
            if f.access not in ACCESS:
                raise ValueError(f"{where}: field {f.name} has unknown access {f.access!r}")
            if f.mask >> DATA_WIDTH or f.mask & used:
                raise ValueError(f"{where}: field {f.name} overlaps another or leaves the word")
            if f.reset >> f.width:
                raise ValueError(f"{where}: field {f.name} reset value does not fit {f.width} bit(s)")
            used |= f.mask
    for a in ARGUMENTS:
        offs = [register(n).offset for n in a.registers]
        # PynqHost.write_reg64 and the harness write the hi word at lo + 4.
        if offs != [offs[0] + 4 * i for i in range(len(offs))]:
            raise ValueError(f"hls_out/interface.py: argument {a.name}: its registers are not consecutive words")
    # One bit per interrupt source, at the same position in the enable and the status word.
    if {f.name: f.lsb for f in BY_NAME["IP_ISR"].fields} != INTERRUPT_BITS:
        raise ValueError("hls_out/interface.py: IP_IER and IP_ISR must have the same bits")


_check_table()

# ---------------------------------------------------------------------------- renderers
GENERATED = "generated by hls_out/interface.py from the register table: do not edit (run `make hls`)"
SV_BEGIN = "// BEGIN register map, " + GENERATED
SV_END = "// END register map"
# Registers whose fields are named control bits (the others are argument words).
_CONTROL = ("CTRL", "GIER", "IP_IER", "IP_ISR")


def sv_name(name: str) -> str:
    """targetLayer -> TARGET_LAYER, in_lo -> IN_LO, IP_IER -> IP_IER."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).upper()


def _control_bits() -> list[tuple[str, Field]]:
    """(CTRL_AP_START, its field), ... for the fields of the control registers."""
    return [(f"{sv_name(name)}_{sv_name(f.name)}", f) for name in _CONTROL for f in BY_NAME[name].fields]


def render_sv_block(indent: str = "    ") -> str:
    """The localparams rtl/axilite_ctrl.sv decodes with, between the BEGIN/END marker lines.
    They sit inside the module (a spliced block rather than an `include or a package), so
    every build that compiles axilite_ctrl.sv alone, Verilator's per-file lint, slang and
    Yosys 0.23 (no `import`) read them with no include path and no file order. Every
    localparam is used by the RTL: Verilator -Wall (UNUSEDPARAM) flags a table entry the
    RTL does not implement."""
    aw = ADDR_WIDTH - WORD_LSB
    lines = [SV_BEGIN,
             f"// Word addresses (byte offset / 4, ADDR[{ADDR_WIDTH - 1}:{WORD_LSB}]); unmapped words read 0."]
    width = max(len(sv_name(r.name)) for r in REGISTERS)
    for r in REGISTERS:
        lines.append(f"localparam logic [{aw - 1}:0] A_{sv_name(r.name):<{width}} = {aw}'h{r.offset // 4:02X};"
                     f"  // 0x{r.offset:02X} {r.access:<5} {r.description}")
    lines.append("// Bit positions of the control registers' fields.")
    bits = _control_bits()
    width = max(len(ident) for ident, _ in bits)
    for ident, f in bits:
        lines.append(f"localparam int {ident:<{width}} = {f.lsb};"
                     f"  // {f.access:<3} reset {f.reset}: {f.description}")
    lines.append(SV_END)
    return "\n".join(indent + ln for ln in lines) + "\n"


def splice_sv(text: str, path: Path = SV_TARGET) -> str:
    """`text` (rtl/axilite_ctrl.sv) with the block between the marker lines regenerated."""
    m = re.search(rf"^([ \t]*){re.escape(SV_BEGIN)}\n.*?^[ \t]*{re.escape(SV_END)}\n", text, re.M | re.S)
    if not m:
        raise ValueError(f"{path}: no generated register-map block (a line '{SV_BEGIN}' ... "
                         f"a line '{SV_END}') to regenerate")
    return text[:m.start()] + render_sv_block(m.group(1)) + text[m.end():]


def render_c_header() -> str:
    """tb/perf/blackboxjam_regs.h: byte offsets and bit masks for the C++ harness."""
    width = max(len(sv_name(r.name)) for r in REGISTERS) + 4
    out = [f"// BlackBoxJam AXI4-Lite register map (s_axi_control), {GENERATED}.",
           "#ifndef BLACKBOXJAM_REGS_H",
           "#define BLACKBOXJAM_REGS_H",
           "",
           "#include <cstdint>",
           "",
           "namespace blackboxjam {",
           "",
           "// byte offsets"]
    for r in REGISTERS:
        out.append(f"constexpr uint32_t {'REG_' + sv_name(r.name):<{width}} = 0x{r.offset:02X};  // {r.description}")
    out.append("")
    out.append("// bit masks of the control registers' fields")
    bits = _control_bits()
    width = max(len(ident) for ident, _ in bits)
    for ident, f in bits:
        out.append(f"constexpr uint32_t {ident:<{width}} = 1u << {f.lsb};  // {f.description}")
    out += ["", "}  // namespace blackboxjam", "", "#endif  // BLACKBOXJAM_REGS_H"]
    return "\n".join(out) + "\n"


def generated_files() -> dict[Path, str]:
    """{path: text} of the files derived from the table (not written)."""
    return {SV_TARGET: splice_sv(SV_TARGET.read_text()), C_HEADER: render_c_header()}
