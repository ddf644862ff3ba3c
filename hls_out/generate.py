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

    python -m hls_out.generate                 # every network's <prefix>_full, _part1, _part2
    python -m hls_out.generate --name cut3 --first 0 --last 3   # any other cut (of cnvW2A2)
    python -m hls_out.generate --network lfcW1A1 --name lfc_cut2 --first 0 --last 2
    python -m hls_out.generate --name cut3 --first 0 --last 3 --decoupled --out /tmp/k
    python -m hls_out.generate --check         # fail if regenerating would change hls_out/
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
from golden.network import Folding, LayerSpec, Network, layer
from hls_out import interface
# The ports and the register map are the BlackBoxJam interface (hls_out/interface.py);
# re-exported here for the code that imports them from the generator.
from hls_out.interface import AXI_PORTS, CTL_PORTS, kernel_ports  # noqa: F401

HERE = Path(__file__).resolve().parent
MEM_W = 64
# HLS timing: stages between the stream read and the stream write of one iteration of the
# sliding-window generator's pipelined loop (rtl/sliding_window.sv HLS_LAG).
SWG_HLS_LAG = 2


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


def kernel_for_range(network: Network, first: int, last: int, out_root: Path) -> Path:
    """Folder of a kernel of layers first..last: the committed default kernel of that range,
    or one generated into `out_root` (written only when missing or stale, so a rerun keeps
    the simulator's build cache)."""
    network.check_range(first, last)
    for name, rng in default_kernels(network).items():
        if rng == (first, last):
            return HERE / name
    name = f"{network.kernel_prefix}_L{first}_{last}"
    files = generate(KernelConfig(name, first, last, network.folding), out_root,
                     f"a plan stage of {network.name}")
    for path, text in files.items():
        if not path.exists() or path.read_text() != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
    return out_root / name


def inter_width(spec: LayerSpec, pe: int | None = None, network: Network | None = None) -> int:
    """Word width of the stream leaving a layer (and its pool) in the HLS top (BNN-PYNQ's
    top.cpp of each network):
    - a conv layer: one bit per channel, whatever its activation bits (CNV inter1..inter8:
      64, 64, 64, 128, 128, 128, 256, 256-bit words for W1A1, W1A2 and W2A2 alike);
    - an fc layer after conv layers (CNV inter9, inter10): 64 bits;
    - an fc layer of an all-fc network (LFC inter0..inter2, ap_uint<Lx_PE * (API + APF)>): the
      MVAU's own words, PE x activation bits (needs `pe` and `network`);
    - the last layer (scores, or an LFC's output bits: memOutStrm), or a layer without
      thresholds: 64 bits."""
    if not spec.thresholds or (network is not None and spec.index == network.last):
        return MEM_W
    if spec.kind == "conv":
        return spec.ofm_ch
    if network is not None and pe is not None and all(s.kind == "fc" for s in network):
        return pe * spec.out_bits
    return 64


@dataclass
class Stage:
    name: str
    module: str
    params: dict[str, int]
    in_w: int
    out_w: int
    layer: int | None = None
    image_words: int | None = None    # a FIFO's words per image (how many images it can hold)


@dataclass
class KernelConfig:
    name: str
    first: int
    last: int
    folding: Folding = field(default_factory=lambda: networks.default().folding)
    fifo_depths: dict[str, int] = field(default_factory=dict)
    # HLS_TIMING of the sliding-window generators, MVAUs and pools (see the module docstring).
    hls_timing: bool = True

    @property
    def network(self) -> Network:
        return self.folding.network

    def depth(self, key: str) -> int:
        net = self.network
        return self.fifo_depths.get(key, net.stream_depths.get(key, net.hls_default_depth))


def plan(cfg: KernelConfig) -> list[Stage]:
    """The chain of stream stages from the memory reader to the memory writer."""
    net, f = cfg.folding.network, cfg.folding
    first, last = layer(cfg.first, net), layer(cfg.last, net)
    if cfg.first > cfg.last:
        raise BnnInputError(f"kernel {cfg.name}: first layer {cfg.first} is after last layer {cfg.last}")
    stages: list[Stage] = []
    width = MEM_W
    bits = net.words_per_image(cfg.first - 1) * MEM_W    # per image in the current stream

    def convert(to_w: int, tag: str) -> None:
        nonlocal width
        if to_w != width:
            if bits % width or bits % to_w:
                raise BnnInputError(f"kernel {cfg.name}: {bits} bits per image do not make whole "
                                    f"{width}- and {to_w}-bit words at {tag}")
            # HLS: StreamingDataWidthConverter_Batch's loop (IMAGE_WORDS: where an image ends)
            hls = {"HLS_TIMING": 1, "IMAGE_WORDS": bits // width} if cfg.hls_timing else {}
            stages.append(Stage(f"dwc_{tag}", "width_converter", {"IN_W": width, "OUT_W": to_w} | hls,
                                width, to_w))
            width = to_w

    def fifo(depth: int, tag: str, image_bits: int | None = None) -> None:
        words = (bits if image_bits is None else image_bits) // width
        stages.append(Stage(f"fifo_{tag}", "stream_fifo", {"WIDTH": width, "DEPTH": depth}, width, width,
                            image_words=words))

    if first.index == 0:
        for w in net.input_widths:      # e.g. CNV: 64 -> 192 -> 24 (one RGB pixel per word)
            convert(w, f"in{w}")
        fifo(cfg.depth("pixels"), "pixels")
    for i in range(cfg.first, cfg.last + 1):
        spec = layer(i, net)
        simd, pe = f.simd(i), f.pe(i)
        bits = spec.mw // spec.kernel ** 2 * spec.ifm_dim ** 2 * spec.in_bits   # the tensor entering it
        convert(simd * spec.in_bits, f"L{i}_in")
        if spec.kind == "conv":
            stages.append(Stage(f"swg_L{i}", "sliding_window",
                                {"K": spec.kernel, "IFM_DIM": spec.ifm_dim, "IFM_CH": spec.ifm_ch,
                                 "SIMD": simd, "BITS": spec.in_bits, "HLS_TIMING": int(cfg.hls_timing)}
                                | ({"HLS_LAG": SWG_HLS_LAG} if cfg.hls_timing else {}),
                                width, width, i))
            # the window generator's output: every input vector of every output pixel
            fifo(net.hls_default_depth, f"L{i}_swg", spec.ofm_dim ** 2 * spec.mw * spec.in_bits)
        out_w = pe * spec.out_bits
        stages.append(Stage(f"mvau_L{i}", "mvau", {
            "MW": spec.mw, "MH": spec.mh, "SIMD": simd, "PE": pe, "IN_BITS": spec.in_bits,
            "USE_THRESH": int(spec.thresholds), "THRESH_FIXED": int(spec.in_bits == 8),
            # HLS holds pixel-layer thresholds as ap_fixed<24,16>, the others as ap_int<16>
            "THRESH_BITS": 24 if spec.in_bits == 8 else 16, "LAYER": i,
            "HLS_TIMING": int(cfg.hls_timing)} | _number_params(spec)
            # HLS: input vectors per image, where the MVAU's pipeline drains (rtl/mvau.sv)
            | ({"VECTORS": spec.ofm_dim ** 2} if cfg.hls_timing and spec.ofm_dim > 1 else {}),
            width, out_w, i))
        width = out_w
        bits = spec.ofm_dim ** 2 * spec.mh * spec.out_bits
        convert(inter_width(spec, pe, net), f"L{i}_out")
        fifo(cfg.depth(f"L{i}"), f"L{i}")
        if spec.pool_after:
            act = spec.out_bits
            if width % act or spec.ofm_ch % (width // act):
                raise BnnInputError(f"kernel {cfg.name}: the pool after layer {i} gets {width}-bit words, "
                                    f"not a whole number of {act}-bit channels dividing {spec.ofm_ch}")
            stages.append(Stage(f"pool_L{i}", "maxpool", {
                "IFM_DIM": spec.ofm_dim, "CH": spec.ofm_ch, "PE": width // act,
                "HLS_TIMING": int(cfg.hls_timing)}
                | ({"BITS": act} if act != 2 else {})
                | ({"OR_POOL": 1} if spec.pool_kind == "or" else {}), width, width, i))
            bits //= 4
            fifo(cfg.depth(f"pool{i}"), f"pool{i}")
    convert(MEM_W, "mem")
    return stages


def _number_params(spec: LayerSpec) -> dict[str, int]:
    """The MVAU parameters of a layer's number formats that differ from rtl/mvau.sv's defaults
    (ternary weights, two thresholds, -1 + [t0 < acc] + [t1 < acc] in 2 bits), so that a
    CNV-W2A2 layer's instance lists exactly what it always did."""
    out: dict[str, int] = {}
    if spec.weight_bits != 2:
        out["WEIGHT_BITS"] = spec.weight_bits
    if spec.weight_kind == "xnor":
        out["XNOR"] = 1
    if spec.thresholds:
        for key, value, default in (("NUM_THRESH", spec.num_thresholds, 2),
                                    ("ACT_OFFSET", spec.act_offset, -1),
                                    ("ACT_BITS", spec.act_bits, 2)):
            if value != default:
                out[key] = value
    return out


def _stream_decl(k: int, w: int) -> str:
    return f"    logic [{w - 1}:0] s{k}_tdata;\n    logic s{k}_tvalid, s{k}_tready;\n"


def _inst(st: Stage, k_in: int, k_out: int) -> str:
    params = ", ".join(f".{p}({v})" for p, v in st.params.items())
    extra = ""
    if st.module == "stream_fifo":
        extra = f",\n        .count(fifo_count_{st.name[5:]})"
    if st.module == "mvau":
        i = st.layer
        extra = (f",\n        .cfg_we(cfg_we && cfg_layer[31:1] == 31'd{i}), .cfg_thresh(cfg_layer[0]),"
                 f"\n        .cfg_pe(cfg_pe), .cfg_addr(cfg_addr), .cfg_sel(cfg_sel[0]), .cfg_data(cfg_data)")
    return (f"    {st.module} #({params}) u_{st.name} (\n"
            f"        .ap_clk(ap_clk), .ap_rst_n(ap_rst_n),\n"
            f"        .s_axis_tdata(s{k_in}_tdata), .s_axis_tvalid(s{k_in}_tvalid), .s_axis_tready(s{k_in}_tready),\n"
            f"        .m_axis_tdata(s{k_out}_tdata), .m_axis_tvalid(s{k_out}_tvalid), .m_axis_tready(s{k_out}_tready)"
            f"{extra}\n    );\n")


def render_sv(cfg: KernelConfig, stages: list[Stage], in_words: int, out_words: int, source: str) -> str:
    lines = [
        f"// Generated by hls_out/generate.py from {source}: do not edit.",
        f"// Kernel {cfg.name}: layers {cfg.first}-{cfg.last} of {cfg.network.title}, {in_words} words in and "
        f"{out_words} words out per image.",
        f"// Block timing: {'HLS loops (HLS_TIMING=1)' if cfg.hls_timing else 'decoupled (HLS_TIMING=0)'}.",
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
    widths = [MEM_W] + [st.out_w for st in stages]
    for k, w in enumerate(widths):
        body.append(_stream_decl(k, w).rstrip("\n"))
    for st in stages:
        if st.module == "stream_fifo":
            depth = st.params["DEPTH"]
            body.append(f"    logic [$clog2({depth} + 1)-1:0] fifo_count_{st.name[5:]};")
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
    for k, st in enumerate(stages):
        body.append(_inst(st, k, k + 1).rstrip("\n"))
    n = len(stages)
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


def describe(cfg: KernelConfig, stages: list[Stage], in_words: int, out_words: int) -> dict:
    kc = kernel_cycles(cfg.first, cfg.last, cfg.folding)
    net = cfg.folding.network
    return {
        "generator": "hls_out/generate.py",
        "name": cfg.name,
        "top": cfg.name,
        "network": net.name,
        "first": cfg.first,
        "last": cfg.last,
        "role": net.role(cfg.first, cfg.last),
        "block_timing": "hls" if cfg.hls_timing else "decoupled",
        "layers": [{"index": i, "kind": layer(i, net).kind, "simd": cfg.folding.simd(i),
                    "pe": cfg.folding.pe(i), "wmem": cfg.folding.wmem(i),
                    "tmem": cfg.folding.tmem(i) if layer(i, net).thresholds else 0,
                    "pool_after": layer(i, net).pool_after}
                   for i in range(cfg.first, cfg.last + 1)],
        "interfaces": {
            "m_axi_hostmem": {"protocol": "AXI4", "data_width": 64, "addr_width": 64},
            "s_axi_control": {"protocol": "AXI4-Lite", "data_width": 32, "addr_width": 7},
            "interrupt": {"active": "high"},
        },
        "register_map": interface.register_map(),
        "init_target_layers": {str(2 * i): f"weights of layer {i}" for i in range(cfg.first, cfg.last + 1)}
        | {str(2 * i + 1): f"thresholds of layer {i}" for i in range(cfg.first, cfg.last + 1)
           if layer(i, net).thresholds},
        "words_per_image": {"in": in_words, "out": out_words},
        "stages": [{"name": s.name, "module": s.module, "params": s.params, "in_width": s.in_w,
                    "out_width": s.out_w} | ({"image_words": s.image_words} if s.image_words else {})
                   for s in stages],
        "fifo_depths": {s.name[5:]: s.params["DEPTH"] for s in stages if s.module == "stream_fifo"},
        "expected_cycles": {"per_layer": {str(k): v for k, v in kc.per_layer.items()},
                            "sum": kc.total, "initiation_interval": kc.ii, "bottleneck_layer": kc.bottleneck},
    }


def generate(cfg: KernelConfig, out_root: Path = HERE, source: str = "the default folding") -> dict[Path, str]:
    """Return {path: text} of the kernel's files (not written)."""
    net = cfg.folding.network
    stages = plan(cfg)
    in_words = net.words_per_image(cfg.first - 1)
    out_words = net.words_per_image(cfg.last)
    folder = out_root / cfg.name
    return {
        folder / f"{cfg.name}.sv": render_sv(cfg, stages, in_words, out_words, source),
        folder / "kernel.json": json.dumps(describe(cfg, stages, in_words, out_words), indent=2) + "\n",
    }


def default_files(out_root: Path = HERE, hls_timing: bool = True) -> dict[Path, str]:
    """The default kernels and, when they go to hls_out/ itself, the files derived from the
    register table (hls_out/interface.py: the decode block of rtl/axilite_ctrl.sv and the C++
    harness header tb/perf/blackboxjam_regs.h)."""
    files: dict[Path, str] = interface.generated_files() if out_root.resolve() == HERE else {}
    for net in networks.NETWORKS.values():      # <prefix>_full, _part1, _part2 of every network
        for name, (a, b) in default_kernels(net).items():
            files |= generate(KernelConfig(name, a, b, net.folding, hls_timing=hls_timing), out_root)
    return files


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m hls_out.generate", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--name", help="kernel name (with --first/--last); default: the default kernels "
                    "(<prefix>_full, _part1, _part2) of every network")
    ap.add_argument("--network", help=f"with --name: the network (default {networks.DEFAULT_NETWORK}; "
                    f"known: {', '.join(networks.NETWORKS)})")
    ap.add_argument("--first", type=int)
    ap.add_argument("--last", type=int)
    ap.add_argument("--folding", type=Path, help="folding config JSON")
    ap.add_argument("--fifo", action="append", default=[], metavar="KEY=DEPTH",
                    help="override a FIFO depth, e.g. L4=8 or pool3=100")
    ap.add_argument("--decoupled", action="store_true",
                    help="decoupled sliding windows, MVAUs and pools (HLS_TIMING=0) instead of the HLS loop timing")
    ap.add_argument("--out", type=Path, default=HERE, help="output root (default hls_out/)")
    ap.add_argument("--check", action="store_true", help="exit 1 if the files on disk differ")
    args = ap.parse_args(argv)
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
                                          hls_timing=not args.decoupled), args.out, src)
        else:
            if args.network:
                raise BnnInputError("--network needs --name, --first and --last")
            files = default_files(args.out, hls_timing=not args.decoupled)
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
