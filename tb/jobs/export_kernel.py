"""A user's own HLS export of BNN-PYNQ's top (or any BlackBoxJam RTL folder) as a kernel this
testbench runs: `make sim-kernel KERNEL_DIR=DIR [TOP=BlackBoxJam] NETWORK=NET [FIRST=L LAST=L]`.

What a real export looks like, and what is done about it:
- many Verilog files (100-200 for a CNV), the top named BlackBoxJam: every .v/.sv file under
  the folder is compiled, the top chosen by name (an error lists the modules found otherwise);
- memories initialised with $readmemh from .dat files next to the sources, by paths relative
  to the simulation's working folder: each path is rewritten to the file next to its own
  source (two subfolders may hold .dat files of one name);
- `#0` / `#1` delays in initial and always blocks (FSM initialisation): built with
  --no-timing, so a delay is a statement with no delay, as in a cycle-based simulation;
- lines of 100k+ characters: Verilator's preprocessor token limit is raised;
- Vitis's simulation-only deadlock detector under `synthesis translate_off`: every
  translate_off ... translate_on region is blanked out (line numbers kept) in a copy of the
  sources under the run's build folder;
- m_axi_hostmem_* / s_axi_control_* ports with upper-case suffixes, a 2-bit AxLOCK, optional
  AXI signals that may be absent: the ports are read from the top's declaration (ANSI or
  Verilog-1995 style) and checked for the ones the host needs;
- weight and threshold memories that start at zero: the host loads every parameter word
  through the register map (tb/host/param_loader.py).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from golden import networks
from golden.cycles import kernel_cycles, pipeline_latency
from golden.errors import BnnInputError
from tb.jobs import export_wrapper

SOURCE_SUFFIXES = (".v", ".sv")
DATA_SUFFIXES = (".dat",)
# What the PYNQ-style host drives and reads; everything else on the AXI ports is optional.
REQUIRED_PORTS = ["ap_clk", "ap_rst_n", "interrupt"] + [
    f"s_axi_control_{s}" for s in ("AWVALID", "AWREADY", "AWADDR", "WVALID", "WREADY", "WDATA", "WSTRB",
                                   "ARVALID", "ARREADY", "ARADDR", "RVALID", "RREADY", "RDATA", "RRESP",
                                   "BVALID", "BREADY", "BRESP")] + [
    f"m_axi_hostmem_{s}" for s in ("AWVALID", "AWREADY", "AWADDR", "AWLEN", "AWSIZE", "AWBURST", "WVALID",
                                   "WREADY", "WDATA", "WSTRB", "WLAST", "ARVALID", "ARREADY", "ARADDR",
                                   "ARLEN", "ARSIZE", "ARBURST", "RVALID", "RREADY", "RDATA", "RLAST",
                                   "RRESP", "BVALID", "BREADY", "BRESP")]
# Verilator options for machine-written RTL (on top of the runner's usual ones), why each:
#   --no-timing        HLS initialises FSMs with `#0 ap_CS_fsm = ...` in initial blocks and
#                      some versions write `#1` in always blocks: delays are dropped, as a
#                      cycle-based simulation of synthesizable RTL should (--timing would run
#                      them through the coroutine scheduler for nothing);
#   --preproc-token-limit  HLS writes lines of 100k+ characters (wide constant tables);
#   -Wno-MULTIDRIVEN, -Wno-PINMISSING, -Wno-IMPLICIT (implicit nets), -Wno-TIMESCALEMOD
#                      (`timescale in some files only), -Wno-STMTDLY (the dropped delays):
#                      legal Verilog that HLS writes, reported by `make lint` rules only.
BUILD_ARGS = ["--no-timing", "--preproc-token-limit", "100000000", "-Wno-MULTIDRIVEN", "-Wno-PINMISSING",
              "-Wno-IMPLICIT", "-Wno-TIMESCALEMOD", "-Wno-STMTDLY"]

_OFF = re.compile(r"(//|/\*)\s*(synthesis|synopsys|pragma)\s+translate_off")
_ON = re.compile(r"(//|/\*)\s*(synthesis|synopsys|pragma)\s+translate_on")


def strip_translate_off(text: str) -> tuple[str, int]:
    """Blank out every translate_off ... translate_on region; returns (text, regions)."""
    out, skipping, regions = [], False, 0
    for line in text.split("\n"):
        if not skipping and _OFF.search(line):
            skipping, regions = True, regions + 1
            out.append("")
        elif skipping:
            if _ON.search(line):
                skipping = False
            out.append("")
        else:
            out.append(line)
    return "\n".join(out), regions


def read_ports(text: str, module: str, where: str) -> dict[str, str]:
    """{port: direction} of `module` in a source text, ANSI or Verilog-1995 style."""
    return {p.name: p.direction for p in export_wrapper.read_ports(where, module, text)}


@dataclass(kw_only=True)
class ExportKernel:
    """A kernel from a folder: what it is (network, layer range) and what it is built from."""

    folder: Path
    top: str
    network_name: str
    first: int
    last: int
    sources: list[Path] = field(default_factory=list)       # sanitised copies
    data_files: list[Path] = field(default_factory=list)
    stripped_regions: int = 0
    top_source: Path | None = None                           # the user's file defining the top
    port_list: list = field(default_factory=list)            # export_wrapper.Port of each port

    @property
    def ports(self) -> dict[str, str]:
        """{port: direction} of the top (from port_list)."""
        return {p.name: p.direction for p in self.port_list}

    @property
    def name(self) -> str:
        return self.top

    @property
    def network(self):
        return networks.get(self.network_name)

    @property
    def role(self) -> str:
        return self.network.role(self.first, self.last)

    @property
    def words_in(self) -> int:
        return self.network.words_per_image(self.first - 1)

    @property
    def words_out(self) -> int:
        return self.network.words_per_image(self.last)

    @property
    def data(self) -> dict:
        """What tb/benches/tb_kernel.py and the watchdog read of a kernel (like kernel.json)."""
        f = self.network.folding
        kc = kernel_cycles(self.first, self.last, f)
        return {"name": self.top, "top": self.top, "network": self.network_name, "first": self.first,
                "last": self.last, "role": self.role, "stages": [],
                "words_per_image": {"in": self.words_in, "out": self.words_out},
                "expected_cycles": {"sum": max(kc.total, pipeline_latency(self.first, self.last, f)),
                                    "initiation_interval": kc.ii, "bottleneck_layer": kc.bottleneck,
                                    "per_layer": {str(k): v for k, v in kc.per_layer.items()}},
                "export_folder": str(self.folder), "stripped_translate_off": self.stripped_regions}

    def paper(self):
        return self.network.paper_kernel(self.first, self.last)

    @property
    def folding(self):
        """An export holds the network's own folding (BNN-PYNQ's, as its parameters are laid out)."""
        return self.network.folding


_READMEM = re.compile(r'(\$readmem[hb]\s*\(\s*)"([^"]+)"')


def resolve_memory_files(text: str, src: Path, folder: Path) -> tuple[str, list[Path]]:
    """Point every `$readmemh("file", ...)` of a source at the file itself: HLS writes them
    relative to the simulation's working folder, where the .dat files sit next to the
    sources. Each is looked up next to its own source first (so two subfolders may hold .dat
    files of one name), then at the top of the export; a missing one is an error naming
    the source, the line and the file."""
    used: list[Path] = []

    def fix(m: re.Match, line_no: int) -> str:
        name = m.group(2)
        cands = [Path(name)] if Path(name).is_absolute() else [src.parent / name, folder / name]
        hit = next((c.resolve() for c in cands if c.is_file()), None)
        if hit is None:
            raise BnnInputError(f"{src}:{line_no}: $readmem file {name!r} not found (looked in {src.parent}"
                                f"{'' if src.parent == folder else f' and {folder}'}): an export needs "
                                f"its .dat files next to its sources")
        used.append(hit)
        return f'{m.group(1)}"{hit}"'

    if "$readmem" not in text:
        return text, used
    out = []
    for k, line in enumerate(text.split("\n"), start=1):
        out.append(_READMEM.sub(lambda m: fix(m, k), line) if "$readmem" in line else line)
    return "\n".join(out), used


def discover(folder: str | Path, top: str, network: str, first: int | None, last: int | None,
             work: Path, label: str = "KERNEL_DIR") -> ExportKernel:
    """Read an export folder; sanitised copies of its sources go to `work`/src. A copy starts
    with a `line directive naming the original, so Verilator's messages point at the user's
    own file and line."""
    folder_text = str(folder)
    if not folder_text.strip():
        raise BnnInputError(f"{label} is empty: give the folder of your HLS export")
    folder = Path(folder).resolve()
    if not folder.is_dir():
        raise BnnInputError(f"{label}={folder_text}: not a folder")
    net = networks.get(network)
    first = 0 if first is None else first
    last = net.last if last is None else last
    net.check_range(first, last)
    srcs = sorted(p for p in folder.rglob("*") if p.suffix in SOURCE_SUFFIXES and p.is_file())
    if not srcs:
        raise BnnInputError(f"{label}={folder_text}: no Verilog or SystemVerilog (.v, .sv) files: "
                            f"not an HLS export (expected the verilog/ folder of an exported IP)")
    out_dir = work / "src"
    out_dir.mkdir(parents=True, exist_ok=True)
    k = ExportKernel(folder=folder, top=top, network_name=net.name, first=first, last=last)
    modules: dict[str, Path] = {}
    data: list[Path] = []
    for src in srcs:
        text, regions = strip_translate_off(src.read_text(errors="replace"))
        text, used = resolve_memory_files(text, src, folder)
        data += used
        k.stripped_regions += regions
        for m in re.finditer(r"^\s*module\s+([A-Za-z_][A-Za-z0-9_$]*)", text, flags=re.M):
            modules.setdefault(m.group(1), src)
        text = f'`line 1 "{src}" 0\n' + text
        dst = out_dir / src.relative_to(folder)
        dst.parent.mkdir(parents=True, exist_ok=True)
        if not dst.exists() or dst.read_text(errors="replace") != text:
            dst.write_text(text)
        k.sources.append(dst)
    if top not in modules:
        some = ", ".join(sorted(modules)[:12])
        raise BnnInputError(f"{label}={folder_text}: no module named {top} (TOP=); modules found: {some}"
                            f"{' ...' if len(modules) > 12 else ''}")
    k.top_source = modules[top]
    k.port_list = export_wrapper.read_ports(modules[top], top)
    missing = [p for p in REQUIRED_PORTS if p not in k.ports]
    if missing:
        raise BnnInputError(f"{modules[top]}: module {top} lacks the port(s) the host needs: "
                            f"{', '.join(missing[:8])}{' ...' if len(missing) > 8 else ''} (expected the "
                            f"port list of a Vivado HLS export of BlackBoxJam: ap_clk, ap_rst_n, interrupt, "
                            f"m_axi_hostmem_*, s_axi_control_*)")
    k.data_files = sorted(set(data))
    return k


class BuildError(BnnInputError):
    """Verilator or the compiler rejected an export: the first error, on one line, at the
    user's own file and line (the copies carry `line directives naming the originals)."""

    def __init__(self, folder: str, message: str, log: Path | None = None):
        first = next((ln.strip() for ln in message.splitlines() if ln.startswith("%Error") or ": error:" in ln),
                     None)
        if first is None:
            first = next((ln.strip() for ln in message.splitlines() if ln.strip()), message.strip())
        super().__init__(f"KERNEL_DIR={folder} does not build: {first}"
                         + (f" (full log: {log})" if log is not None else ""))


def build_setup(k: ExportKernel, where: Path) -> tuple[str, list[Path], list[str], str]:
    """(toplevel, sources, Verilator options, build tag) of a simulation of export `k`: its
    sources with the host wrapper <top>_host (tb/jobs/export_wrapper.py) and the loader
    (tb/hdl/axilite_loader.sv), the loop clock on ap_clk, a build cached per export folder."""
    import hashlib

    from tb.jobs import clocking

    wrapper = export_wrapper.write(k.top, k.port_list, str(k.top_source), where)
    tag = "export:" + hashlib.sha1(str(k.folder).encode()).hexdigest()[:10]
    return (k.top + export_wrapper.SUFFIX, [*k.sources, export_wrapper.LOADER_SV, wrapper],
            BUILD_ARGS + clocking.loop_clock_args("ap_clk"), tag)


def export_kernel(kernel_sv: Path, rtl: list[Path], dest: Path) -> Path:
    """Copy a kernel of this project and the stream library into a plain folder, as a user's
    export would arrive (used to test this path on our own kernels)."""
    dest.mkdir(parents=True, exist_ok=True)
    for p in [*rtl, kernel_sv]:
        (dest / p.name).write_text(p.read_text())
    return dest
