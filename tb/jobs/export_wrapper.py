"""The toplevel of a user's HLS export under simulation: ``<TOP>_host``, the export with the
testbench's host-side parameter loader (tb/hdl/axilite_loader.sv) in front of its
s_axi_control write channels.

The wrapper has every port of the export, under the same names and widths (the host driver,
the AXI checkers and the watchdog see the export's own port list), plus the loader's control
and status ports ``bnnsplit_load_*``. While a load runs the loader owns the control port's
write channels and the wrapper's own write-channel outputs read idle; otherwise the ports
pass straight through.

Port widths of an HLS top are written with its parameters (``[C_M_AXI_HOSTMEM_ADDR_WIDTH - 1 :
0]``, ``C_S_AXI_CONTROL_WSTRB_WIDTH = (C_S_AXI_CONTROL_DATA_WIDTH / ap_const_int64_8)``):
they are worked out here from the module's parameter declarations (integers, sized literals,
+ - * / and parentheses), in ANSI or Verilog-1995 port style.
"""

from __future__ import annotations

import ast
import operator
import re
from dataclasses import dataclass
from pathlib import Path

from golden.errors import BnnInputError

LOADER_SV = Path(__file__).resolve().parents[1] / "hdl" / "axilite_loader.sv"
SUFFIX = "_host"
CONTROL = "s_axi_control"
# The loader's ports on the wrapper (name, direction, width).
LOADER_PORTS = [("bnnsplit_load_start", "input", 1), ("bnnsplit_load_busy", "output", 1),
                ("bnnsplit_load_done", "output", 1), ("bnnsplit_load_writes", "output", 32),
                ("bnnsplit_load_starts", "output", 32), ("bnnsplit_load_cycles", "output", 32),
                ("bnnsplit_load_error", "output", 4), ("bnnsplit_load_error_line", "output", 32)]
# Cycle stamps of the kernel's own start and done, as a testbench that sees inside measures
# them: the clock edge of the CTRL write that sets ap_start (its W handshake) and the edge
# where the top's ap_done rises (the interrupt's rise, when the top has no ap_done).
TIMING_PORTS = [("bnnsplit_start_cycle", "output", 64), ("bnnsplit_done_cycle", "output", 64),
                # the top's ap_idle (0 when it has none), for the watchdog to hold while idle
                ("bnnsplit_ap_idle", "output", 1)]
# Every port the wrapper adds to the export's own (a system brings them out per board).
HOST_PORTS = LOADER_PORTS + TIMING_PORTS
# What the loader's error codes mean (tb/hdl/axilite_loader.sv).
LOADER_ERRORS = {1: "the list of writes could not be read", 2: "a write response other than OKAY",
                 3: "a write response with no write outstanding",
                 4: "no interrupt after the kernel start (the word was not taken)",
                 5: "no write response"}


@dataclass(frozen=True)
class Port:
    name: str
    direction: str      # input | output | inout
    width: int


_LITERAL = re.compile(r"(\d+)?\s*'\s*[sS]?([bBoOdDhH])\s*([0-9a-fA-F_xXzZ?]+)")
_BASES = {"b": 2, "o": 8, "d": 10, "h": 16}
_OPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
        ast.FloorDiv: operator.floordiv, ast.Div: operator.floordiv, ast.Mod: operator.mod}


def _literal(m: re.Match) -> str:
    digits = m.group(3).replace("_", "")
    try:
        return str(int(digits, _BASES[m.group(2).lower()]))
    except ValueError:       # x / z digits: not a number a width can use
        return "None"


def evaluate(expr: str, names: dict[str, int]) -> int | None:
    """The integer value of a constant Verilog expression, or None when it is not one that
    this reads (names not known, operators other than + - * / %, x or z digits)."""
    text = _LITERAL.sub(_literal, expr.strip())
    text = re.sub(r"\$clog2\s*\(", "_clog2(", text)
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError:
        return None

    def ev(node):
        if isinstance(node, ast.Expression):
            return ev(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, int):
            return node.value
        if isinstance(node, ast.Name):
            return names.get(node.id)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            v = ev(node.operand)
            return None if v is None else -v
        if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
            a, b = ev(node.left), ev(node.right)
            if a is None or b is None or (isinstance(node.op, (ast.Div, ast.FloorDiv, ast.Mod)) and b == 0):
                return None
            return _OPS[type(node.op)](a, b)
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "_clog2" and len(node.args) == 1:
            v = ev(node.args[0])
            return None if v is None else max(0, (v - 1).bit_length())
        return None
    return ev(tree)


def _strip_comments(text: str) -> str:
    return re.sub(r"//[^\n]*|/\*.*?\*/", "", text, flags=re.S)


def _module_text(text: str, module: str, where: str) -> tuple[str, str, str]:
    """(parameter header, port list, body) of `module` in a comment-free source text."""
    m = re.search(rf"\bmodule\s+{re.escape(module)}\b\s*(#\s*\((.*?)\)\s*)?\((.*?)\)\s*;", text, flags=re.S)
    if not m:
        raise BnnInputError(f"{where}: no port list of module {module}")
    end = text.find("endmodule", m.end())
    return m.group(2) or "", m.group(3), text[m.end():end if end >= 0 else len(text)]


def _parameters(header: str, body: str) -> dict[str, int]:
    names: dict[str, int] = {}
    decls = [header] + re.findall(r"\b(?:parameter|localparam)\b([^;]*);", body)
    for decl in decls:
        decl = re.sub(r"\b(?:parameter|localparam|integer|int|unsigned|signed|logic|bit)\b", " ", decl)
        decl = re.sub(r"\[[^\]]*\]", " ", decl)
        for item in re.split(r",(?![^()]*\))", decl):
            if "=" in item:
                name, expr = item.split("=", 1)
                value = evaluate(expr, names)
                if value is not None:
                    names[name.strip()] = value
    return names


def _width(rng: str, names: dict[str, int], port: str, where: str) -> int:
    if not rng.strip():
        return 1
    parts = re.findall(r"\[([^\]]*)\]", rng)
    width = 1
    for part in parts:
        if ":" not in part:
            raise BnnInputError(f"{where}: port {port} has the range [{part}]; expected [msb:lsb]")
        hi, lo = (evaluate(x, names) for x in part.split(":", 1))
        if hi is None or lo is None:
            raise BnnInputError(f"{where}: the width of port {port} ([{part}]) is not a constant "
                                f"expression of the module's parameters")
        width *= abs(hi - lo) + 1
    return width


def read_ports(source: Path | str, module: str, text: str | None = None) -> list[Port]:
    """Every port of `module` in `source` with its direction and width, in port-list order."""
    where = str(source)
    text = _strip_comments(Path(source).read_text(errors="replace") if text is None else text)
    header, plist, body = _module_text(text, module, where)
    names = _parameters(header, body)
    ports: dict[str, Port | None] = {}
    direction, rng = "", ""
    decl_re = re.compile(r"^(input|output|inout)\b\s*(?:wire|reg|logic|var)?\s*(?:signed\s*)?((?:\[[^\]]*\]\s*)*)")
    for piece in (" ".join(p.split()) for p in plist.split(",")):
        if not piece:
            continue
        name = re.search(r"([A-Za-z_][A-Za-z0-9_$]*)\s*$", piece)
        if not name:
            raise BnnInputError(f"{where}: cannot read the port declaration {piece!r} of module {module}")
        d = decl_re.match(piece)
        if d:
            direction, rng = d.group(1), d.group(2)
        if direction:
            ports[name.group(1)] = Port(name.group(1), direction, _width(rng, names, name.group(1), where))
        else:
            ports[name.group(1)] = None
    if any(p is None for p in ports.values()):           # Verilog-1995: directions in the body
        for dm in re.finditer(r"\b(input|output|inout)\b\s*(?:wire|reg|logic)?\s*(?:signed\s*)?"
                              r"((?:\[[^\]]*\]\s*)*)([^;]*);", body):
            for nm in re.findall(r"[A-Za-z_][A-Za-z0-9_$]*", re.sub(r"\[[^\]]*\]", "", dm.group(3))):
                if nm in ports and ports[nm] is None:
                    ports[nm] = Port(nm, dm.group(1), _width(dm.group(2), names, nm, where))
    missing = [n for n, p in ports.items() if p is None]
    if missing:
        raise BnnInputError(f"{where}: module {module} declares no direction for port(s) {', '.join(missing[:6])}")
    return list(ports.values())  # type: ignore[arg-type]


def _decl(direction: str, width: int, name: str) -> str:
    return f"{direction} logic {f'[{width - 1}:0] ' if width > 1 else ''}{name}"


def render(top: str, ports: list[Port], origin: str, has_ap_done: bool = True, has_ap_idle: bool = True) -> str:
    """SystemVerilog of <top>_host (see the module docstring)."""
    by = {p.name: p for p in ports}
    ctl = {s: by.get(f"{CONTROL}_{s}") for s in ("AWVALID", "AWREADY", "AWADDR", "WVALID", "WREADY", "WDATA",
                                                 "WSTRB", "BVALID", "BREADY", "BRESP")}
    missing = [f"{CONTROL}_{s}" for s, p in ctl.items() if p is None]
    if missing:
        raise BnnInputError(f"{origin}: module {top} lacks {', '.join(missing)}: the parameter loader needs "
                            f"the AXI4-Lite write channels of s_axi_control")
    addr_w = ctl["AWADDR"].width
    muxed_in = {f"{CONTROL}_{s}" for s in ("AWVALID", "AWADDR", "WVALID", "WDATA", "WSTRB", "BREADY")}
    muxed_out = {f"{CONTROL}_{s}" for s in ("AWREADY", "WREADY", "BVALID")}
    lines = [f"// Generated by tb/jobs/export_wrapper.py from the port list of module {top} in",
             f"// {origin}: the export with the testbench's parameter loader on its control port.",
             "/* verilator lint_off UNUSEDSIGNAL */",
             f"module {top}{SUFFIX} ("]
    decls = [_decl(p.direction, p.width, p.name) for p in ports]
    decls += [_decl(d, w, n) for n, d, w in LOADER_PORTS + TIMING_PORTS]
    lines.append(",\n".join(f"    {d}" for d in decls))
    lines.append(");")
    for p in ports:
        if p.name in muxed_in or p.name in muxed_out:
            lines.append(f"    logic {f'[{p.width - 1}:0] ' if p.width > 1 else ''}k_{p.name};")
    lines += ["    logic ld_awvalid, ld_wvalid, ld_bready;",
              f"    logic [{addr_w - 1}:0] ld_awaddr;",
              "    logic [31:0] ld_wdata;",
              "    logic [3:0] ld_wstrb;",
              "    wire  ld = bnnsplit_load_busy;",
              f"    assign k_{CONTROL}_AWVALID = ld ? ld_awvalid : {CONTROL}_AWVALID;",
              f"    assign k_{CONTROL}_AWADDR  = ld ? ld_awaddr  : {CONTROL}_AWADDR;",
              f"    assign k_{CONTROL}_WVALID  = ld ? ld_wvalid  : {CONTROL}_WVALID;",
              f"    assign k_{CONTROL}_WDATA   = ld ? ld_wdata{'' if ctl['WDATA'].width == 32 else ''} : {CONTROL}_WDATA;",
              f"    assign k_{CONTROL}_WSTRB   = ld ? ld_wstrb   : {CONTROL}_WSTRB;",
              f"    assign k_{CONTROL}_BREADY  = ld ? ld_bready  : {CONTROL}_BREADY;",
              f"    assign {CONTROL}_AWREADY = ld ? 1'b0 : k_{CONTROL}_AWREADY;",
              f"    assign {CONTROL}_WREADY  = ld ? 1'b0 : k_{CONTROL}_WREADY;",
              f"    assign {CONTROL}_BVALID  = ld ? 1'b0 : k_{CONTROL}_BVALID;",
              f"    axilite_loader #(.ADDR_W({addr_w}), .NAME(\"{top}\")) u_loader (",
              "        .ap_clk(ap_clk), .ap_rst_n(ap_rst_n), .start(bnnsplit_load_start),",
              "        .busy(bnnsplit_load_busy), .done(bnnsplit_load_done), .writes_done(bnnsplit_load_writes),",
              "        .starts_done(bnnsplit_load_starts), .cycles(bnnsplit_load_cycles),",
              "        .error(bnnsplit_load_error), .error_line(bnnsplit_load_error_line),",
              "        .awvalid(ld_awvalid), .awready(k_s_axi_control_AWREADY), .awaddr(ld_awaddr),",
              "        .wvalid(ld_wvalid), .wready(k_s_axi_control_WREADY), .wdata(ld_wdata), .wstrb(ld_wstrb),",
              "        .bvalid(k_s_axi_control_BVALID), .bready(ld_bready), .bresp(s_axi_control_BRESP),",
              "        .interrupt(interrupt));"]
    conns = []
    for p in ports:
        conns.append(f"        .{p.name}({'k_' if p.name in muxed_in or p.name in muxed_out else ''}{p.name})")
    done = "u_kernel.ap_done" if has_ap_done else "interrupt"
    idle = "u_kernel.ap_idle" if has_ap_idle else "1'b0"
    lines.append(f"    assign bnnsplit_ap_idle = {idle};")
    lines += ["    // Cycle stamps (TIMING_PORTS): edges counted from reset.",
              "    logic [63:0] cycle_count;",
              f"    logic [{addr_w - 1}:0] aw_held;",
              "    logic done_seen;",
              f"    wire  [{addr_w - 1}:0] w_addr = (k_s_axi_control_AWVALID && k_s_axi_control_AWREADY) ? "
              "k_s_axi_control_AWADDR : aw_held;",
              "    always @(posedge ap_clk) begin",
              "        if (!ap_rst_n) begin",
              "            cycle_count <= '0; aw_held <= '0; done_seen <= 1'b0;",
              "            bnnsplit_start_cycle <= '0; bnnsplit_done_cycle <= '0;",
              "        end else begin",
              "            cycle_count <= cycle_count + 1;",
              "            if (k_s_axi_control_AWVALID && k_s_axi_control_AWREADY) aw_held <= k_s_axi_control_AWADDR;",
              "            if (k_s_axi_control_WVALID && k_s_axi_control_WREADY && w_addr == '0 && k_s_axi_control_WDATA[0])",
              "                bnnsplit_start_cycle <= cycle_count;",
              f"            done_seen <= {done};",
              f"            if ({done} && !done_seen) bnnsplit_done_cycle <= cycle_count - 1;   // it rose at the edge before",
              "        end",
              "    end"]
    lines.append(f"    {top} u_kernel (")
    lines.append(",\n".join(conns))
    lines.append("    );")
    lines.append("endmodule")
    lines.append("/* verilator lint_on UNUSEDSIGNAL */")
    return "\n".join(lines) + "\n"


def write(top: str, ports: list[Port], origin: str, folder: Path) -> Path:
    """Write <folder>/<top>_host.sv (unchanged files keep their time stamp)."""
    path = folder / f"{top}{SUFFIX}.sv"
    body = _strip_comments(Path(origin).read_text(errors="replace"))
    try:
        _, _, body = _module_text(body, top, origin)
    except BnnInputError:
        body = ""
    # `reg ap_done;` (HLS) or `logic ap_start, ap_done, ap_idle;` (a list)
    has = {sig: re.search(rf"\b(?:reg|wire|logic)\b[^;]*\b{sig}\b[^;]*;", body) is not None
           for sig in ("ap_done", "ap_idle")}
    text = render(top, ports, origin, has["ap_done"], has["ap_idle"])
    if not path.exists() or path.read_text() != text:
        path.write_text(text)
    return path
