"""The ANSI port list of a SystemVerilog module, read from its source text: what the runner
needs to make a toplevel's ports public (tb/jobs/runner.py, public.vlt) and what a kernel's
clock wrapper copies (tb/jobs/clocking.py). One reader for both, below both."""

from __future__ import annotations

import re
from pathlib import Path


def module_port_declarations(source: Path, module: str) -> list[tuple[str, str]] | None:
    """(name, declaration) of each ANSI-style port of `module` in `source`, in order, with
    the direction and type written out on every port (`input logic a, b` gives two); None
    when `source` has no such module or port list."""
    text = re.sub(r"//[^\n]*|/\*.*?\*/", "", Path(source).read_text(), flags=re.S)
    m = re.search(rf"\bmodule\s+{re.escape(module)}\b\s*(#\s*\(.*?\)\s*)?\((.*?)\)\s*;", text, flags=re.S)
    if not m:
        return None
    decls: list[tuple[str, str]] = []
    head = ""                           # direction and type, inherited by `input a, b`
    for piece in (p.strip() for p in m.group(2).split(",")):
        if not piece:
            continue
        piece = " ".join(piece.split())
        name_m = re.search(r"([A-Za-z_][A-Za-z0-9_$]*)\s*((?:\[[^\]]*\]\s*)*)$", piece)
        if not name_m:
            raise ValueError(f"{source}: cannot read port declaration {piece!r} of {module}")
        name = name_m.group(1)
        if re.match(r"(input|output|inout)\b", piece):
            head = piece[:name_m.start()].strip()
        elif not head:
            raise ValueError(f"{source}: port {name} of {module} has no direction")
        else:
            piece = f"{head} {piece}"
        decls.append((name, piece))
    return decls or None


def module_ports(source: Path, module: str) -> list[str] | None:
    """Names of the ANSI-style ports of `module` in `source` (None if not found there)."""
    decls = module_port_declarations(source, module)
    return [n for n, _ in decls] if decls else None
