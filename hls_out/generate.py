"""Kernel generator: network description + folding + cut -> hls_out/<name>/{<name>.sv, kernel.json}.

The generated top mirrors the dataflow of the BNN-PYNQ HLS top (DoCompute): a burst reader,
width converters down to the layer's SIMD width, a sliding-window generator and an MVAU per
conv layer, an MVAU per fc layer, the two max pools, inter-layer stream FIFOs with the HLS
depths, and a burst writer; an AXI4-Lite control block and a sequencer give it the HLS
register map and ap_ctrl_hs behaviour. Inside a layer the HLS dataflow connects processes
by depth-2 FIFOs, so the generator does the same.

By default the sliding-window generators, MVAUs, max pools and width converters get
HLS_TIMING = 1: they schedule their stream reads and writes like the loops of the HLS
functions (ConvolutionInputGenerator: a K-row fill per image, then one pipelined loop whose
reads and writes block together; Matrix_Vector_Activate_Batch: the next vector is read only
in the first neuron fold; StreamingMaxPool_Precision: two rows in, then the pooled row out;
StreamingDataWidthConverter_Batch: one loop that reads, then writes a stage later; and every
such pipeline stalls as a whole on a blocked read, as a Vivado HLS pipeline does), which is
what sets the single-image latency of the real kernel. `--decoupled` (KernelConfig
hls_timing=False) builds the faster, decoupled blocks instead; the batch interval is the
slowest layer either way.

Every one of these loops runs over the whole batch (numReps images) and drains its pipeline
only after the batch's last image: the tail of image k leaves a sliding window, an MVAU
(fc layers too) or a splitting width converter only when it reads image k+1's first input
(rtl/mvau.sv, sliding_window.sv, width_converter.sv; their `num_reps` input is the numReps
register). Which width converters hold a word that way is the HLS tool's schedule
(`--hls-schedule`, kernel.json `hls_schedule`, golden/stages/width_converter.py): "2018.2"
(the default; Vivado HLS 2018.2, BNN-PYNQ's bitstreams and the paper, and Vitis HLS 2023.2:
a split holds its last piece, a gather nothing) or "2016.3" (Vivado HLS 2016.3: no converter
holds anything).

    python -m hls_out.generate                 # every network's <prefix>_full, _part1, _part2
    python -m hls_out.generate --name cut3 --first 0 --last 3   # any other cut (of cnvW2A2)
    python -m hls_out.generate --network lfcW1A1 --name lfc_cut2 --first 0 --last 2
    python -m hls_out.generate --name cut3 --first 0 --last 3 --decoupled --out /tmp/k
    python -m hls_out.generate --check         # fail if regenerating would change hls_out/
    python -m hls_out.generate --hls-schedule 2016.3 --out build/hls-2016.3   # Vivado HLS 2016.3's schedule
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

from golden import networks
from golden.cycles import kernel_cycles
from golden.errors import BnnInputError
from golden.network import Folding, Network, layer
from golden.paths import BUILD
from golden.stages import MVAU, Chain, Stage, StreamFifo, kernel_chain
from golden.stages.mvau import MAC_VARIANTS
from golden.stages.width_converter import DEFAULT_HLS_SCHEDULE, HLS_SCHEDULES
from hls_out import interface
# The ports and the register map are the BlackBoxJam interface (hls_out/interface.py);
# re-exported here for the code that imports them from the generator.
from hls_out.interface import AXI_PORTS, CTL_PORTS, kernel_ports  # noqa: F401

HERE = Path(__file__).resolve().parent


def mac_root(mac: str) -> Path:
    """Where the default kernels of a MAC variant other than Mul_LUT are generated."""
    return BUILD / f"hls-mac-{mac}"


def default_kernels(network: Network) -> dict[str, tuple[int, int]]:
    """The kernels `make hls` generates for a network: the whole network and both halves of
    its natural cut, named <prefix>_full, <prefix>_part1, <prefix>_part2."""
    return {f"{network.kernel_prefix}_{role}": r for role, r in network.natural_ranges().items()}


def default_kernel(network: Network, role: str) -> str:
    """Name of the generated kernel that plays `role` (full, part1, part2) for a network."""
    for name, (a, b) in default_kernels(network).items():
        if network.role(a, b) == role:
            return name
    raise BnnInputError(f"{network.name} has no default kernel for the role {role!r}")


def is_builtin(network: Network) -> bool:
    """Whether a network's default kernels are the committed ones of hls_out/."""
    return network.name in networks.NETWORKS and not network.params_path


def imported_root(network: Network) -> Path:
    """Where the kernels of an imported network are generated: hls/ in its own folder."""
    return Path(network.params_path) / "hls"


def range_kernel_name(network: Network, first: int, last: int) -> str:
    """A kernel's name: <prefix>_<role> for the ranges of the natural split, else
    <prefix>_L<first>_<last>."""
    for name, rng in default_kernels(network).items():
        if rng == (first, last):
            return name
    return f"{network.kernel_prefix}_L{first}_{last}"


def write_fresh(files: dict[Path, str]) -> None:
    """Write generated files that are missing or stale (a rerun keeps the simulator's build cache)."""
    for path, text in files.items():
        if not path.exists() or path.read_text() != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)


def kernel_for_range(network: Network, first: int, last: int, out_root: Path, fold: int = 0) -> Path:
    """Folder of a kernel of layers first..last: the committed default kernel of that range,
    or one generated into `out_root` (an imported network's: into its own folder); `fold`: its
    layers folded for that many images per second (a plan stage's @N, golden/folding.py),
    the kernel named <...>_at<N>."""
    network.check_range(first, last)
    name = range_kernel_name(network, first, last)
    if is_builtin(network) and name in default_kernels(network) and not fold:
        return HERE / name
    if not is_builtin(network):
        out_root = imported_root(network)
    folding = network.folding
    if fold:
        from golden.folding import stages_folding
        folding, name = stages_folding(network, [(first, last, fold)]), f"{name}_at{fold}"
    source = (f"layers {first}-{last} of {network.name} folded for {fold} img/s" if fold else
              f"{'a plan stage' if name not in default_kernels(network) else 'the default folding'} of {network.name}")
    write_fresh(generate(KernelConfig(name, first, last, folding), out_root, source))
    return out_root / name


@dataclass
class KernelConfig:
    name: str
    first: int
    last: int
    folding: Folding = field(default_factory=lambda: networks.default().folding)
    fifo_depths: dict[str, int] = field(default_factory=dict)
    # HLS_TIMING of the sliding-window generators, MVAUs and pools (see the module docstring).
    hls_timing: bool = True
    # How the MVAUs build their products: "lut" (Mul_LUT), "dsp" (DSP48), "auto" (Default).
    mac: str = "lut"
    # Whose HLS schedule the width converters follow (golden/stages/width_converter.py):
    # "2018.2" (Vivado HLS 2018.2 / Vitis: a split converter holds its last piece) or "2016.3".
    hls_schedule: str = DEFAULT_HLS_SCHEDULE

    @property
    def network(self) -> Network:
        return self.folding.network

    def depth(self, key: str) -> int:
        net = self.network
        return self.fifo_depths.get(key, net.stream_depths.get(key, net.hls_default_depth))


# The sequencer's signals in every generated top (rtl/kernel_ctrl.sv state_o as seq_state).
CONTROL = {"state": "seq_state", "state_names": {"0": "IDLE", "1": "RUN", "2": "DONE"},
           "status": ["ap_start", "ap_idle", "ap_done", "ap_ready", "interrupt"], "idle": "ap_idle"}


def plan(cfg: KernelConfig) -> Chain:
    """The chain of stream stages from the memory reader to the memory writer."""
    if cfg.first > cfg.last:
        cfg.network.check_range(cfg.first, cfg.first)
        raise BnnInputError(f"kernel {cfg.name}: first layer {cfg.first} is after last layer {cfg.last}")
    return kernel_chain(cfg.folding, cfg.first, cfg.last, depths=cfg.fifo_depths, hls_timing=cfg.hls_timing,
                        word_bits=interface.MEM_W, label=cfg.name, mac=cfg.mac, hls_schedule=cfg.hls_schedule)


def _stream_decl(k: int, w: int) -> str:
    return f"    logic [{w - 1}:0] s{k}_tdata;\n    logic s{k}_tvalid, s{k}_tready;\n"


def _inst(st: Stage) -> str:
    params = ", ".join(f".{p}({v})" for p, v in st.params.items())
    extra = ""
    if st.batch_port:
        extra += ",\n        .num_reps(num_reps)"
    if isinstance(st, StreamFifo):
        extra += f",\n        .count({st.count_signal})"
    if isinstance(st, MVAU):
        i = st.layer
        extra += (f",\n        .cfg_we(cfg_we && cfg_layer[31:1] == 31'd{i}), .cfg_thresh(cfg_layer[0]),"
                 f"\n        .cfg_pe(cfg_pe), .cfg_addr(cfg_addr), .cfg_sel(cfg_sel[3:0]), .cfg_data(cfg_data)")
    a, b = st.in_stream, st.out_stream
    return (f"    {st.module} #({params}) {st.instance} (\n"
            f"        .ap_clk(ap_clk), .ap_rst_n(ap_rst_n),\n"
            f"        .s_axis_tdata({a}_tdata), .s_axis_tvalid({a}_tvalid), .s_axis_tready({a}_tready),\n"
            f"        .m_axis_tdata({b}_tdata), .m_axis_tvalid({b}_tvalid), .m_axis_tready({b}_tready)"
            f"{extra}\n    );\n")


def render_sv(cfg: KernelConfig, chain: Chain, in_words: int, out_words: int, source: str) -> str:
    lines = [
        f"// Generated by hls_out/generate.py from {source}: do not edit.",
        f"// Kernel {cfg.name}: layers {cfg.first}-{cfg.last} of {cfg.network.title}, {in_words} words in and "
        f"{out_words} words out per image.",
        f"// Block timing: {'HLS loops (HLS_TIMING=1)' if cfg.hls_timing else 'decoupled (HLS_TIMING=0)'}"
        f"{', width converters as scheduled by HLS ' + cfg.hls_schedule if cfg.hls_timing else ''}.",
        f"// Port list as the Vivado HLS export of BNN-PYNQ's BlackBoxJam.",
        f"module {cfg.name} (",
        "    input  logic        ap_clk,",
        "    input  logic        ap_rst_n,",
        "    /* verilator lint_off SYMRSVDWORD */",
        "    output logic        interrupt,",
        "    /* verilator lint_on SYMRSVDWORD */",
    ]
    ports = []
    for prefix, sigs in (("m_axi_hostmem", AXI_PORTS), ("s_axi_control", CTL_PORTS)):
        for n, d, w in sigs:
            rng = f"[{w - 1}:0] " if w > 1 else ""
            ports.append(f"    {'output' if d == 'o' else 'input '} logic {rng}{prefix}_{n}")
    lines.append(",\n".join(ports))
    lines.append(");")
    body = [
        "    // control block and sequencer",
        "    logic ap_start, ap_done, ap_idle, ap_ready, do_init;",
        "    logic [63:0] in_addr, out_addr, init_val, cfg_data, rd_addr, wr_addr;",
        "    logic [31:0] target_layer, target_mem, target_ind, target_thresh, num_reps;",
        "    logic [31:0] rd_words, wr_words, cfg_layer, cfg_pe, cfg_addr, cfg_sel;",
        "    logic rd_start, rd_done, rd_busy, rd_error, wr_start, wr_done, wr_busy, wr_error, cfg_we;",
        "    logic [1:0] seq_state;",
        "    axilite_ctrl u_ctrl (",
        "        .ap_clk(ap_clk), .ap_rst_n(ap_rst_n),",
        "        .s_axi_control_awaddr(s_axi_control_AWADDR), .s_axi_control_awvalid(s_axi_control_AWVALID),",
        "        .s_axi_control_awready(s_axi_control_AWREADY), .s_axi_control_wdata(s_axi_control_WDATA),",
        "        .s_axi_control_wstrb(s_axi_control_WSTRB), .s_axi_control_wvalid(s_axi_control_WVALID),",
        "        .s_axi_control_wready(s_axi_control_WREADY), .s_axi_control_bresp(s_axi_control_BRESP),",
        "        .s_axi_control_bvalid(s_axi_control_BVALID), .s_axi_control_bready(s_axi_control_BREADY),",
        "        .s_axi_control_araddr(s_axi_control_ARADDR), .s_axi_control_arvalid(s_axi_control_ARVALID),",
        "        .s_axi_control_arready(s_axi_control_ARREADY), .s_axi_control_rdata(s_axi_control_RDATA),",
        "        .s_axi_control_rresp(s_axi_control_RRESP), .s_axi_control_rvalid(s_axi_control_RVALID),",
        "        .s_axi_control_rready(s_axi_control_RREADY), .interrupt(interrupt),",
        "        .ap_start(ap_start), .ap_done(ap_done), .ap_idle(ap_idle), .ap_ready(ap_ready),",
        "        .in_addr(in_addr), .out_addr(out_addr), .do_init(do_init), .target_layer(target_layer),",
        "        .target_mem(target_mem), .target_ind(target_ind), .target_thresh(target_thresh),",
        "        .init_val(init_val), .num_reps(num_reps)",
        "    );",
        f"    kernel_ctrl #(.IN_WORDS({in_words}), .OUT_WORDS({out_words})) u_seq (",
        "        .ap_clk(ap_clk), .ap_rst_n(ap_rst_n), .ap_start(ap_start), .ap_done(ap_done),",
        "        .ap_idle(ap_idle), .ap_ready(ap_ready), .in_addr(in_addr), .out_addr(out_addr),",
        "        .num_reps(num_reps), .do_init(do_init), .target_layer(target_layer), .target_mem(target_mem),",
        "        .target_ind(target_ind), .target_thresh(target_thresh), .init_val(init_val),",
        "        .rd_start(rd_start), .rd_addr(rd_addr), .rd_words(rd_words), .rd_done(rd_done),",
        "        .wr_start(wr_start), .wr_addr(wr_addr), .wr_words(wr_words), .wr_done(wr_done),",
        "        .cfg_we(cfg_we), .cfg_layer(cfg_layer), .cfg_pe(cfg_pe), .cfg_addr(cfg_addr),",
        "        .cfg_sel(cfg_sel), .cfg_data(cfg_data), .state_o(seq_state)",
        "    );",
        "",
        "    // datapath streams s0 (from memory) .. sN (to memory)",
    ]
    for k, w in enumerate(chain.stream_widths()):
        body.append(_stream_decl(k, w).rstrip("\n"))
    for st in chain.fifos:
        body.append(f"    logic [$clog2({st.depth} + 1)-1:0] {st.count_signal};")
    body += [
        "    logic arlock1, awlock1;",
        "    assign m_axi_hostmem_ARLOCK = {1'b0, arlock1};   // HLS exports a 2-bit (AXI3-style) lock",
        "    assign m_axi_hostmem_AWLOCK = {1'b0, awlock1};",
        "    axi_mm2s u_rd (",
        "        .ap_clk(ap_clk), .ap_rst_n(ap_rst_n), .start(rd_start), .addr(rd_addr), .words(rd_words),",
        "        .busy(rd_busy), .done(rd_done), .error(rd_error),",
        "        .m_axi_araddr(m_axi_hostmem_ARADDR), .m_axi_arlen(m_axi_hostmem_ARLEN),",
        "        .m_axi_arsize(m_axi_hostmem_ARSIZE), .m_axi_arburst(m_axi_hostmem_ARBURST),",
        "        .m_axi_arvalid(m_axi_hostmem_ARVALID), .m_axi_arready(m_axi_hostmem_ARREADY),",
        "        .m_axi_arid(m_axi_hostmem_ARID), .m_axi_arlock(arlock1), .m_axi_arcache(m_axi_hostmem_ARCACHE),",
        "        .m_axi_arprot(m_axi_hostmem_ARPROT), .m_axi_arqos(m_axi_hostmem_ARQOS),",
        "        .m_axi_arregion(m_axi_hostmem_ARREGION), .m_axi_rdata(m_axi_hostmem_RDATA),",
        "        .m_axi_rresp(m_axi_hostmem_RRESP), .m_axi_rlast(m_axi_hostmem_RLAST), .m_axi_rid(m_axi_hostmem_RID),",
        "        .m_axi_rvalid(m_axi_hostmem_RVALID), .m_axi_rready(m_axi_hostmem_RREADY),",
        "        .m_axis_tdata(s0_tdata), .m_axis_tvalid(s0_tvalid), .m_axis_tready(s0_tready)",
        "    );",
    ]
    for st in chain.inner:
        body.append(_inst(st).rstrip("\n"))
    n = len(chain) - 2
    body += [
        "    axi_s2mm u_wr (",
        "        .ap_clk(ap_clk), .ap_rst_n(ap_rst_n), .start(wr_start), .addr(wr_addr), .words(wr_words),",
        "        .busy(wr_busy), .done(wr_done), .error(wr_error),",
        "        .m_axi_awaddr(m_axi_hostmem_AWADDR), .m_axi_awlen(m_axi_hostmem_AWLEN),",
        "        .m_axi_awsize(m_axi_hostmem_AWSIZE), .m_axi_awburst(m_axi_hostmem_AWBURST),",
        "        .m_axi_awvalid(m_axi_hostmem_AWVALID), .m_axi_awready(m_axi_hostmem_AWREADY),",
        "        .m_axi_awid(m_axi_hostmem_AWID), .m_axi_awlock(awlock1), .m_axi_awcache(m_axi_hostmem_AWCACHE),",
        "        .m_axi_awprot(m_axi_hostmem_AWPROT), .m_axi_awqos(m_axi_hostmem_AWQOS),",
        "        .m_axi_awregion(m_axi_hostmem_AWREGION), .m_axi_wdata(m_axi_hostmem_WDATA),",
        "        .m_axi_wstrb(m_axi_hostmem_WSTRB), .m_axi_wlast(m_axi_hostmem_WLAST),",
        "        .m_axi_wvalid(m_axi_hostmem_WVALID), .m_axi_wready(m_axi_hostmem_WREADY),",
        "        .m_axi_bresp(m_axi_hostmem_BRESP), .m_axi_bid(m_axi_hostmem_BID),",
        "        .m_axi_bvalid(m_axi_hostmem_BVALID), .m_axi_bready(m_axi_hostmem_BREADY),",
        f"        .s_axis_tdata(s{n}_tdata), .s_axis_tvalid(s{n}_tvalid), .s_axis_tready(s{n}_tready)",
        "    );",
        "endmodule",
    ]
    return "\n".join(lines + body) + "\n"


def render_system(boards: list[tuple], name: str = "bnnsplit_system") -> str:
    """A wrapper holding several boards' kernels side by side in one simulation; board
    (prefix, kernel[, ports[, extra]]) gets every kernel port as <prefix>_<port> (own clock,
    reset, buses); `ports`, if given, are the ports the kernel has (a user's export may lack
    optional AXI signals: those wrapper ports are left unconnected); `extra`, more ports of
    the module as (name, "input" | "output", width) (an export's host wrapper: its loader)."""
    ports, insts = [], []
    for prefix, kernel, *has in boards:
        conns = []
        extra = has[1] if len(has) > 1 else []
        for n, d, w in [*kernel_ports(), *((n, d[0], w) for n, d, w in extra)]:
            rng = f"[{w - 1}:0] " if w > 1 else ""
            ports.append(f"    {'output' if d == 'o' else 'input '} logic {rng}{prefix}_{n}")
            if not has or n in has[0] or any(n == e[0] for e in extra):
                conns.append(f".{n}({prefix}_{n})")
        insts.append(f"    {kernel} u_{prefix} (\n        " + ",\n        ".join(conns) + "\n    );")
    desc = ", ".join(f"{b[0]}: {b[1]}" for b in boards)
    return "\n".join([
        f"// Generated by hls_out/generate.py (render_system) for the boards {desc}: do not edit.",
        "// Each board's kernel keeps its own clock, reset and buses; the link model joins them.",
        "/* verilator lint_off SYMRSVDWORD */",
        f"module {name} (",
        ",\n".join(ports),
        ");",
        *insts,
        "endmodule",
        "/* verilator lint_on SYMRSVDWORD */",
    ]) + "\n"


def describe(cfg: KernelConfig, chain: Chain, in_words: int, out_words: int) -> dict:
    kc = kernel_cycles(cfg.first, cfg.last, cfg.folding)
    net = cfg.folding.network
    targets: dict[int, str] = {}
    for st in chain:
        targets |= st.init_targets()
    return {
        "generator": "hls_out/generate.py",
        "name": cfg.name,
        "top": cfg.name,
        # a built-in network by name; an imported one by its folder (any process finds it)
        "network": net.params_path or net.name,
        "first": cfg.first,
        "last": cfg.last,
        "role": net.role(cfg.first, cfg.last),
        "block_timing": "hls" if cfg.hls_timing else "decoupled",
        "mac": cfg.mac,
        "hls_schedule": cfg.hls_schedule,
        "layers": [{"index": m.layer, "kind": m.spec.kind, "simd": m.simd, "pe": m.pe, "wmem": m.wmem,
                    "tmem": m.tmem, "pool_after": m.spec.pool_after} for m in chain.mvaus],
        "interfaces": {
            "m_axi_hostmem": {"protocol": "AXI4", "data_width": 64, "addr_width": 64},
            "s_axi_control": {"protocol": "AXI4-Lite", "data_width": 32, "addr_width": 7},
            "interrupt": {"active": "high"},
        },
        "register_map": interface.register_map(),
        "init_target_layers": {str(k): v for k, v in sorted(targets.items())},
        "words_per_image": {"in": in_words, "out": out_words},
        "stages": [st.to_json() for st in chain],
        "control": CONTROL,
        "fifo_depths": {f.tag: f.depth for f in chain.fifos},
        "expected_cycles": {"per_layer": {str(k): v for k, v in kc.per_layer.items()},
                            "sum": kc.total, "initiation_interval": kc.ii, "bottleneck_layer": kc.bottleneck},
    }


def generate(cfg: KernelConfig, out_root: Path = HERE, source: str = "the default folding") -> dict[Path, str]:
    """Return {path: text} of the kernel's files (not written)."""
    net = cfg.folding.network
    chain = plan(cfg)
    in_words = net.words_per_image(cfg.first - 1)
    out_words = net.words_per_image(cfg.last)
    folder = out_root / cfg.name
    return {
        folder / f"{cfg.name}.sv": render_sv(cfg, chain, in_words, out_words, source),
        folder / "kernel.json": json.dumps(describe(cfg, chain, in_words, out_words), indent=2) + "\n",
    }


def default_files(out_root: Path = HERE, hls_timing: bool = True, mac: str = "lut",
                  hls_schedule: str = DEFAULT_HLS_SCHEDULE) -> dict[Path, str]:
    """The default kernels and, when they go to hls_out/ itself, the files derived from the
    register table (hls_out/interface.py: the decode block of rtl/axilite_ctrl.sv and the C++
    harness header tb/perf/blackboxjam_regs.h)."""
    files: dict[Path, str] = interface.generated_files() if out_root.resolve() == HERE else {}
    for net in networks.NETWORKS.values():      # <prefix>_full, _part1, _part2 of every network
        for name, (a, b) in default_kernels(net).items():
            src = "the default folding" + (f", MAC={mac}" if mac != "lut" else "") \
                + (f", HLS schedule {hls_schedule}" if hls_schedule != DEFAULT_HLS_SCHEDULE else "")
            files |= generate(KernelConfig(name, a, b, net.folding, hls_timing=hls_timing, mac=mac,
                                           hls_schedule=hls_schedule), out_root, src)
    return files


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m hls_out.generate", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--name", help="kernel name (with --first/--last); default: the default kernels "
                    "(<prefix>_full, _part1, _part2) of every network")
    ap.add_argument("--network", help=f"the network (default {networks.DEFAULT_NETWORK}; known: "
                    f"{', '.join(networks.NETWORKS)}, or an imported network's folder or model file); "
                    f"alone: its natural split's kernels (an imported network's into hls/ of its folder)")
    ap.add_argument("--first", type=int)
    ap.add_argument("--last", type=int)
    ap.add_argument("--folding", type=Path, help="folding config JSON")
    ap.add_argument("--fifo", action="append", default=[], metavar="KEY=DEPTH",
                    help="override a FIFO depth, e.g. L4=8 or pool3=100")
    ap.add_argument("--decoupled", action="store_true",
                    help="decoupled sliding windows, MVAUs and pools (HLS_TIMING=0) instead of the HLS loop timing")
    ap.add_argument("--mac", choices=MAC_VARIANTS, default="lut",
                    help="the MVAUs' products: lut (Mul_LUT, the default kernels), dsp (DSP48: multiplications "
                         "for DSP48E1), auto (Default: DSP48E1 for 8-bit pixel inputs only); a variant other "
                         "than lut goes to build/hls-mac-<variant>/ unless --out says otherwise")
    ap.add_argument("--hls-schedule", choices=HLS_SCHEDULES, default=DEFAULT_HLS_SCHEDULE,
                    help="whose HLS schedule the width converters follow: 2018.2 (the default: Vivado HLS "
                         "2018.2 and Vitis, a split converter holds its last piece until the next word) or "
                         "2016.3 (Vivado HLS 2016.3: no converter holds anything); other than the default, "
                         "give --out (the kernels in hls_out/ are the default's)")
    ap.add_argument("--out", type=Path, default=None, help="output root (default hls_out/)")
    ap.add_argument("--check", action="store_true", help="exit 1 if the files on disk differ")
    args = ap.parse_args(argv)
    if args.out is None:
        args.out = HERE if args.mac == "lut" else mac_root(args.mac)
    if args.hls_schedule != DEFAULT_HLS_SCHEDULE and args.out.resolve() == HERE:
        print(f"error: --hls-schedule {args.hls_schedule} needs --out (hls_out/ holds the "
              f"{DEFAULT_HLS_SCHEDULE} schedule's kernels)", file=sys.stderr)
        return 2
    try:
        if args.name:
            if args.first is None or args.last is None:
                raise BnnInputError("--name needs --first and --last")
            net = networks.get(args.network)
            folding = Folding.load(args.folding, net) if args.folding else net.folding
            depths = {}
            for item in args.fifo:
                key, _, val = item.partition("=")
                if not val.isdigit() or int(val) < 1:
                    raise BnnInputError(f"--fifo {item}: expected KEY=DEPTH with DEPTH >= 1")
                depths[key] = int(val)
            src = str(args.folding) if args.folding else "the default folding"
            files = generate(KernelConfig(args.name, args.first, args.last, folding, depths,
                                          hls_timing=not args.decoupled, mac=args.mac,
                                          hls_schedule=args.hls_schedule), args.out, src)
        elif args.network:
            # one network: its natural split's kernels, or the layer range --first..--last
            net = networks.get(args.network)
            folding = Folding.load(args.folding, net) if args.folding else net.folding
            out = args.out if args.out != HERE or is_builtin(net) else imported_root(net)
            if (args.first is None) != (args.last is None):
                raise BnnInputError("--first and --last go together")
            ranges = ({range_kernel_name(net, args.first, args.last): (args.first, args.last)}
                      if args.first is not None else default_kernels(net))
            files = {}
            for name, (a, b) in ranges.items():
                net.check_range(a, b)
                files |= generate(KernelConfig(name, a, b, folding, hls_timing=not args.decoupled, mac=args.mac,
                                               hls_schedule=args.hls_schedule), out,
                                  str(args.folding) if args.folding else f"the default folding of {net.name}")
        else:
            files = default_files(args.out, hls_timing=not args.decoupled, mac=args.mac,
                                  hls_schedule=args.hls_schedule)
    except BnnInputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    stale = [p for p, text in files.items() if not p.exists() or p.read_text() != text]
    if args.check:
        for p in stale:
            print(f"stale: {p} (run `make hls`)")
        return 1 if stale else 0
    for p, text in files.items():
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
        print(f"wrote {p}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
