"""Code coverage of the RTL: `make coverage` runs the regression with BNNSPLIT_COVERAGE=1
(Verilator line, branch and toggle coverage; every simulation writes its data under
build/coverage/dat/) and then `python -m tb.jobs.coverage` merges the data and writes:

- build/coverage/coverage.json: {"total": {"line": %, "toggle": %}, "modules": {name:
  {"line": %, "toggle": %, "lines_never_hit": ["file:line", ...]}}}, over the modules of
  rtl/ (and of the generated kernels, listed apart), each module's parameter variants
  merged (a source line is hit when any variant hits it);
- build/coverage/coverage.info (lcov: line hit counts per file) and, where genhtml is
  installed, build/coverage/html/.

With the same variable every simulation and pytest process also exports its functional
coverage (tb/jobs/functional_coverage.py: activation levels, AXI bursts and back-pressure,
registers, FIFOs full and empty, link faults) to build/coverage/func/*.yml. They are merged
with cocotb-coverage's merge_coverage into build/coverage/functional.yml, and coverage.json
gets {"functional": {"total": %, "bins": n, "hit": n, "runs": databases, "groups": {point:
{"coverage": %, "bins": n, "hit": n, "uncovered": [bin, ...]}}, "open": {"point[bin]":
reason}, "gaps": ["point[bin]", ...]}}: every bin never hit is either open (listed in
functional_coverage.OPEN with the reason the regression cannot hit it) or a gap.

Verilator's coverage points are per instance; a point counts as covered when any instance of
its module (or of any of its parameter variants) hits it. "line" counts Verilator's line
points (statement blocks), "branch" its branch points (each arm of an if / case), "toggle"
its toggle points (every bit of every signal rising and falling).
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

from tb.jobs import functional_coverage as fc
from tb.jobs.runner import BUILD, COVERAGE_DAT, REPO

OUT = BUILD / "coverage"


def parse(path: Path) -> dict[tuple, int]:
    """One coverage.dat -> {(file, line, column, page, comment): count}, summed over instances."""
    points: dict[tuple, int] = defaultdict(int)
    for raw in path.read_text(errors="replace").splitlines():
        if not raw.startswith("C '"):
            continue
        body, _, count = raw[3:].rpartition("' ")
        fields = {}
        for item in body.split("\x01"):
            if "\x02" in item:
                k, v = item.split("\x02", 1)
                fields[k] = v
        key = (fields.get("f", ""), int(fields.get("l", 0) or 0), fields.get("n", ""), fields.get("page", ""),
               fields.get("o", ""))
        points[key] += int(count)
    return points


def merge(paths: list[Path]) -> dict[tuple, int]:
    total: dict[tuple, int] = defaultdict(int)
    for p in paths:
        for k, v in parse(p).items():
            total[k] += v
    return total


def _pct(hit: int, n: int) -> float | None:
    return round(100.0 * hit / n, 2) if n else None


def _shown(f: str) -> str:
    """A source file relative to the repository where it is inside it."""
    path = Path(f).resolve()
    try:
        return str(path.relative_to(REPO))
    except ValueError:
        return str(path)


def _in_rtl(f: str) -> bool:
    return _shown(f).startswith("rtl/")


def by_source_module(points: dict[tuple, int]) -> dict[tuple, int]:
    """Points of a module's parameter variants (Verilator names them <module>__<suffix>, e.g.
    mvau__pi10) merged into one module: a source line counts as hit when any variant hits it."""
    out: dict[tuple, int] = defaultdict(int)
    for (f, line, col, page, o), count in points.items():
        kind, sep, module = page.partition("/")
        out[(f, line, col, kind + sep + re.sub(r"__.*$", "", module), o)] += count
    return out


def summarize(points: dict[tuple, int]) -> dict:
    points = by_source_module(points)
    kinds = {"v_line": "line", "v_branch": "branch", "v_toggle": "toggle"}
    per: dict[str, dict] = defaultdict(lambda: {"line": [0, 0], "branch": [0, 0], "toggle": [0, 0],
                                                "never": set(), "branch_never": set(), "file": ""})
    for (f, line, _col, page, _o), count in points.items():
        kind, _, module = page.partition("/")
        bucket = kinds.get(kind)
        if bucket is None:
            continue
        # rtl/ modules by name; the same module compiled from another file (a generated
        # kernel, a copy of rtl/ in an exported kernel's folder) apart, with its file
        if not _in_rtl(f):
            module = f"{module} ({_shown(f)})"
        m = per[module]
        m["file"] = f
        m[bucket][1] += 1
        if count:
            m[bucket][0] += 1
        elif bucket == "line":
            m["never"].add((f, line))
        elif bucket == "branch":
            m["branch_never"].add((f, line))
    modules, generated = {}, {}
    for name, m in sorted(per.items()):
        rel = _shown(m["file"])
        entry = {"file": rel, "line": _pct(*m["line"]), "branch": _pct(*m["branch"]),
                 "toggle": _pct(*m["toggle"]), "line_points": m["line"][1],
                 "branch_points": m["branch"][1], "toggle_points": m["toggle"][1],
                 "lines_never_hit": [f"{Path(f).name}:{ln}" for f, ln in sorted(m["never"])],
                 "branches_never_taken": [f"{Path(f).name}:{ln}" for f, ln in sorted(m["branch_never"])]}
        (modules if _in_rtl(m["file"]) else generated)[name] = entry
    rtl = [per[n] for n in modules]
    total = {k: _pct(sum(m[k][0] for m in rtl), sum(m[k][1] for m in rtl)) for k in ("line", "branch", "toggle")}
    return {"total": total, "modules": modules, "generated_kernels": generated}


def write_lcov(points: dict[tuple, int], path: Path) -> Path:
    lines: dict[str, dict[int, int]] = defaultdict(dict)
    for (f, line, _c, page, _o), count in points.items():
        if page.startswith(("v_line/", "v_branch/")) and line:
            lines[f][line] = max(lines[f].get(line, 0), count)
    out = []
    for f, hits in sorted(lines.items()):
        out.append(f"SF:{f}")
        out += [f"DA:{ln},{c}" for ln, c in sorted(hits.items())]
        out.append(f"LF:{len(hits)}")
        out.append(f"LH:{sum(1 for c in hits.values() if c)}")
        out.append("end_of_record")
    path.write_text("\n".join(out) + "\n")
    return path


def _points_of(db: dict) -> dict[str, dict]:
    """The coverpoints of an exported (or merged) cocotb-coverage database, by name without
    the model's root: {name: {bin: hits}}."""
    head = fc.ROOT + "."
    return {name[len(head):]: {str(b): int(h) for b, h in entry["bins:_hits"].items()}
            for name, entry in db.items()
            if name.startswith(head) and isinstance(entry, dict) and "bins:_hits" in entry}


def merge_functional(files: list[Path], merged: Path) -> dict:
    """Merge the exported databases into `merged` (cocotb-coverage's merge_coverage: hits
    add up, points only some runs declared are kept); returns the merged database."""
    import yaml
    from cocotb_coverage.coverage import merge_coverage

    bins: dict[str, tuple[list[str], Path]] = {}
    for f in files:
        try:
            db = yaml.safe_load(f.read_text())
        except yaml.YAMLError as exc:
            raise SystemExit(f"{f}: not a coverage database ({exc})") from None
        if not isinstance(db, dict):
            raise SystemExit(f"{f}: not a coverage database (no YAML mapping)")
        for name, hits in _points_of(db).items():
            first = bins.setdefault(name, (list(hits), f))
            if first[0] != list(hits):
                raise SystemExit(f"functional coverage point {name} has bins {first[0]} in {first[1]} and "
                                 f"{list(hits)} in {f}: data of two versions of the model; delete "
                                 f"{f.parent} and run again (make coverage)")
    merged.parent.mkdir(parents=True, exist_ok=True)
    merge_coverage(lambda *_: None, str(merged), *(str(f) for f in files))
    return yaml.safe_load(merged.read_text())


def summarize_functional(db: dict, runs: int) -> dict:
    """The functional section of coverage.json from a merged database."""
    groups, open_, gaps = {}, {}, []
    for name, hits in sorted(_points_of(db).items()):
        missed = [b for b, h in hits.items() if not h]
        groups[name] = {"coverage": _pct(len(hits) - len(missed), len(hits)), "bins": len(hits),
                        "hit": len(hits) - len(missed), "uncovered": missed}
        for b in missed:
            full = f"{name}[{b}]"
            reason = fc.open_reason(full)
            if reason is None:
                gaps.append(full)
            else:
                open_[full] = reason
    n = sum(g["bins"] for g in groups.values())
    hit = sum(g["hit"] for g in groups.values())
    return {"total": _pct(hit, n), "bins": n, "hit": hit, "runs": runs, "groups": groups,
            "open": open_, "gaps": gaps}


def report(dat_dir: Path = COVERAGE_DAT, out: Path = OUT, func_dir: Path = fc.FUNC_DIR) -> dict:
    files = sorted(dat_dir.glob("*.dat"))
    if not files:
        raise SystemExit(f"no coverage data in {dat_dir}: run the regression with BNNSPLIT_COVERAGE=1 "
                         f"(make coverage)")
    points = merge(files)
    summary = summarize(points) | {"runs": len(files)}
    func_files = sorted(Path(func_dir).glob("*.yml"))
    if func_files:
        summary["functional"] = summarize_functional(merge_functional(func_files, out / "functional.yml"),
                                                     len(func_files))
    out.mkdir(parents=True, exist_ok=True)
    (out / "coverage.json").write_text(json.dumps(summary, indent=2))
    info = write_lcov(points, out / "coverage.info")
    if shutil.which("genhtml"):
        subprocess.run(["genhtml", "-q", "-o", str(out / "html"), str(info)], check=False)
    return summary


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tb.jobs.coverage", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dat", type=Path, default=COVERAGE_DAT)
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--func", type=Path, default=fc.FUNC_DIR, help="functional coverage databases (*.yml)")
    args = ap.parse_args(argv)
    s = report(args.dat, args.out, args.func)
    print(f"coverage of rtl/ over {s['runs']} simulation(s): line {s['total']['line']}%, "
          f"toggle {s['total']['toggle']}%")
    print(f"{'module':<22} {'line %':>7} {'toggle %':>8}  lines never hit")
    for name, m in s["modules"].items():
        never = ", ".join(m["lines_never_hit"][:6]) + (" ..." if len(m["lines_never_hit"]) > 6 else "")
        print(f"{name:<22} {m['line']!s:>7} {m['toggle']!s:>8}  {never}")
    f = s.get("functional")
    if f is None:
        print(f"no functional coverage data in {args.func} (the regression writes it with BNNSPLIT_COVERAGE=1)")
    else:
        print_functional(f)
    print(f"written: {args.out / 'coverage.json'}, {args.out / 'coverage.info'}"
          + (f", {args.out / 'functional.yml'}" if f is not None else "")
          + (f", {args.out / 'html'}/" if (args.out / 'html').exists() else ""))
    return 0


def print_functional(f: dict) -> None:
    """The functional section: the points not fully covered, then every bin never hit with
    the reason it is open, or marked as a gap."""
    full = [n for n, g in f["groups"].items() if not g["uncovered"]]
    print(f"functional coverage over {f['runs']} database(s): {f['total']}% ({f['hit']} of {f['bins']} bins), "
          f"{len(full)} of {len(f['groups'])} points complete")
    partial = {n: g for n, g in f["groups"].items() if g["uncovered"]}
    if partial:
        print(f"{'point':<40} {'%':>7} {'hit':>9}  uncovered")
        for name, g in partial.items():
            print(f"{name:<40} {g['coverage']!s:>7} {g['hit']:>4}/{g['bins']:<4}  {', '.join(g['uncovered'])}")
    for name, reason in f["open"].items():
        print(f"open: {name}: {reason}")
    for name in f["gaps"]:
        print(f"GAP:  {name}: never hit, no reason recorded (tb/jobs/functional_coverage.py OPEN)")


if __name__ == "__main__":
    sys.exit(main())
