"""A user's own HLS export of BNN-PYNQ's top (or any BlackBoxJam RTL folder) as a kernel this
testbench runs: `make sim-kernel KERNEL_DIR=DIR [TOP=BlackBoxJam] NETWORK=NET [FIRST=L LAST=L]`.

What a real export looks like, and what is done about it:
- many Verilog files (100-200 for a CNV), the top named BlackBoxJam: every .v/.sv file under
  the folder is compiled, the top chosen by name (an error lists the modules found otherwise);
- memories initialised with $readmemh from .dat files next to the sources, by paths relative
  to the simulation's working folder: every .dat file is linked into that folder;
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
# Options for machine-written RTL (on top of the runner's usual ones).
BUILD_ARGS = ["--preproc-token-limit", "100000000", "-Wno-MULTIDRIVEN", "-Wno-PINMISSING",
              "-Wno-IMPLICIT", "-Wno-TIMESCALEMOD"]

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
    clean = re.sub(r"//[^\n]*|/\*.*?\*/", "", text, flags=re.S)
    m = re.search(rf"\bmodule\s+{re.escape(module)}\b\s*(#\s*\(.*?\)\s*)?\((.*?)\)\s*;", clean, flags=re.S)
    if not m:
        raise BnnInputError(f"{where}: no port list of module {module}")
    ports: dict[str, str] = {}
    direction = ""
    for piece in (p.strip() for p in m.group(2).split(",")):
        if not piece:
            continue
        d = re.match(r"(input|output|inout)\b", piece)
        if d:
            direction = d.group(1)
        name = re.search(r"([A-Za-z_][A-Za-z0-9_$]*)\s*(\[[^\]]*\]\s*)*$", piece)
        if name:
            ports[name.group(1)] = direction if (d or direction) else ""
    if any(not v for v in ports.values()):     # Verilog-1995: directions declared in the body
        body = clean[m.end():clean.find("endmodule", m.end())]
        for dm in re.finditer(r"\b(input|output|inout)\b([^;]*);", body):
            for nm in re.findall(r"([A-Za-z_][A-Za-z0-9_$]*)\s*(?:,|$)", re.sub(r"\[[^\]]*\]", "", dm.group(2))):
                if nm in ports:
                    ports[nm] = dm.group(1)
    return ports


@dataclass
class ExportKernel:
    """A kernel from a folder: what it is (network, layer range) and what it is built from."""

    folder: Path
    top: str
    network_name: str
    first: int
    last: int
    sources: list[Path] = field(default_factory=list)       # sanitised copies
    data_files: list[Path] = field(default_factory=list)
    ports: dict[str, str] = field(default_factory=dict)
    stripped_regions: int = 0

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


def discover(folder: str | Path, top: str, network: str, first: int | None, last: int | None,
             work: Path) -> ExportKernel:
    """Read an export folder; sanitised copies of its sources go to `work`/src."""
    folder = Path(folder)
    if not folder.is_dir():
        raise BnnInputError(f"KERNEL_DIR={folder}: not a folder")
    net = networks.get(network)
    first = 0 if first is None else first
    last = net.last if last is None else last
    net.check_range(first, last)
    srcs = sorted(p for p in folder.rglob("*") if p.suffix in SOURCE_SUFFIXES and p.is_file())
    if not srcs:
        raise BnnInputError(f"KERNEL_DIR={folder}: no Verilog or SystemVerilog (.v, .sv) files")
    out_dir = work / "src"
    out_dir.mkdir(parents=True, exist_ok=True)
    k = ExportKernel(folder, top, net.name, first, last)
    modules: dict[str, Path] = {}
    for src in srcs:
        text, regions = strip_translate_off(src.read_text(errors="replace"))
        k.stripped_regions += regions
        for m in re.finditer(r"^\s*module\s+([A-Za-z_][A-Za-z0-9_$]*)", text, flags=re.M):
            modules.setdefault(m.group(1), src)
        dst = out_dir / src.relative_to(folder)
        dst.parent.mkdir(parents=True, exist_ok=True)
        if not dst.exists() or dst.read_text(errors="replace") != text:
            dst.write_text(text)
        k.sources.append(dst)
    if top not in modules:
        some = ", ".join(sorted(modules)[:12])
        raise BnnInputError(f"KERNEL_DIR={folder}: no module named {top} (TOP=); modules found: {some}"
                            f"{' ...' if len(modules) > 12 else ''}")
    k.ports = read_ports(modules[top].read_text(errors="replace"), top, str(modules[top]))
    missing = [p for p in REQUIRED_PORTS if p not in k.ports]
    if missing:
        raise BnnInputError(f"{modules[top]}: module {top} lacks the port(s) the host needs: "
                            f"{', '.join(missing[:8])}{' ...' if len(missing) > 8 else ''} (expected the "
                            f"port list of a Vivado HLS export of BlackBoxJam: ap_clk, ap_rst_n, interrupt, "
                            f"m_axi_hostmem_*, s_axi_control_*)")
    k.data_files = sorted(p for p in folder.rglob("*") if p.suffix in DATA_SUFFIXES and p.is_file())
    return k


def link_data_files(k: ExportKernel, run_dir: Path) -> None:
    """$readmemh paths are relative to the simulation's working folder: put every .dat there."""
    run_dir.mkdir(parents=True, exist_ok=True)
    for f in k.data_files:
        dst = run_dir / f.name
        if dst.is_symlink() or dst.exists():
            dst.unlink()
        os.symlink(f.resolve(), dst)


def export_kernel(kernel_sv: Path, rtl: list[Path], dest: Path) -> Path:
    """Copy a kernel of this project and the stream library into a plain folder, as a user's
    export would arrive (used to test this path on our own kernels)."""
    dest.mkdir(parents=True, exist_ok=True)
    for p in [*rtl, kernel_sv]:
        (dest / p.name).write_text(p.read_text())
    return dest
