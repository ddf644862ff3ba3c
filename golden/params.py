"""Network parameters: BNN-PYNQ folded `.bin` files <-> unfolded per-layer arrays.

`<L>-<pe>-weights.bin` holds WMEM little-endian uint64 words; word `nf*SF + sf` holds in bits
2i+1:2i the 2-bit code of the weight of row `nf*PE + pe`, column `sf*SIMD + i`
(00 = 0, 01 = +1, 11 = -1; 10 = -2 never occurs in a ternary net and is rejected).
`<L>-<pe>-thres.bin` holds TMEM x 2 int64 values, `[nf][i]` for row `nf*PE + pe`.
Unfolded, a layer is an int8 weight matrix (MH, MW) and an int64 threshold array (MH, 2).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from golden.errors import BnnInputError
from golden.network import Folding, LayerSpec, Network, layer

_FILE_RE = re.compile(r"^(\d+)-(\d+)-(weights|thres)\.bin$")
_CODE_TO_W = np.array([0, 1, 0, 0], dtype=np.int8)
_CODE_TO_W[3] = -1


@dataclass
class LayerParams:
    weights: np.ndarray              # int8 (MH, MW), values in {-1, 0, +1}
    thresholds: np.ndarray | None    # int64 (MH, 2), t0 < t1; None for a score layer


@dataclass
class Params:
    layers: dict[int, LayerParams]
    folding: Folding = field(default_factory=lambda: _default_folding())
    source: str = "synthetic"

    @property
    def network(self) -> Network:
        return self.folding.network

    def __getitem__(self, index: int) -> LayerParams:
        if index not in self.layers:
            layer(index, self.folding.network)  # raises for an unknown layer
            raise BnnInputError(f"parameters from {self.source} have no layer {index}")
        return self.layers[index]


# ---------------------------------------------------------------- weights folding

def fold_weights(w: np.ndarray, simd: int, pe: int) -> np.ndarray:
    """(MH, MW) ternary weights -> uint64 words (PE, NF*SF), one row of words per PE file."""
    mh, mw = w.shape
    nf, sf = mh // pe, mw // simd
    codes = (w.astype(np.int64) & 3).astype(np.uint64)            # two's complement 2-bit codes
    codes = codes.reshape(nf, pe, sf, simd).transpose(1, 0, 2, 3)  # [pe][nf][sf][i]
    shifts = (2 * np.arange(simd, dtype=np.uint64))
    words = np.bitwise_or.reduce(codes << shifts, axis=3)
    return words.reshape(pe, nf * sf)


def unfold_weights(words: np.ndarray, mh: int, mw: int, simd: int, pe: int,
                   names: list[str] | None = None) -> np.ndarray:
    """uint64 words (PE, NF*SF) -> (MH, MW) int8 weights; rejects code 10 (-2) by file and word."""
    nf, sf = mh // pe, mw // simd
    shifts = (2 * np.arange(simd, dtype=np.uint64))
    codes = ((words.reshape(pe, nf, sf, 1) >> shifts) & np.uint64(3)).astype(np.int8)
    bad = np.argwhere(codes == 2)
    if bad.size:
        p, n, s, i = (int(v) for v in bad[0])
        where = names[p] if names else f"PE {p}"
        raise BnnInputError(
            f"{where}: word {n * sf + s} bits {2 * i + 1}:{2 * i} hold weight code 10 (-2); "
            f"a ternary weight must be 00 (0), 01 (+1) or 11 (-1) "
            f"({len(bad)} such weight(s) in layer)")
    return _CODE_TO_W[codes].transpose(1, 0, 2, 3).reshape(mh, mw)


def fold_thresholds(t: np.ndarray, pe: int) -> np.ndarray:
    """(MH, 2) int64 -> (PE, NF, 2): file of PE p holds rows nf*PE + p."""
    mh = t.shape[0]
    return t.reshape(mh // pe, pe, 2).transpose(1, 0, 2)


def unfold_thresholds(per_pe: np.ndarray) -> np.ndarray:
    """(PE, NF, 2) -> (MH, 2)."""
    pe, nf, _ = per_pe.shape
    return per_pe.transpose(1, 0, 2).reshape(nf * pe, 2)


def check_thresholds(t: np.ndarray, what: str) -> None:
    bad = np.flatnonzero(t[:, 0] >= t[:, 1])
    if bad.size:
        r = int(bad[0])
        raise BnnInputError(
            f"{what}: row {r} has thresholds t0={int(t[r, 0])} >= t1={int(t[r, 1])}; "
            f"expected t0 < t1 ({bad.size} such row(s))")


# ---------------------------------------------------------------- file I/O

def _read_words(path: Path, count: int, dtype: str, what: str) -> np.ndarray:
    if not path.exists():
        raise BnnInputError(f"parameter file {path} is missing ({what})")
    size = path.stat().st_size
    if size != count * 8:
        raise BnnInputError(
            f"parameter file {path} has {size} bytes; expected {count * 8} "
            f"({count} 64-bit words: {what})")
    return np.fromfile(path, dtype=dtype)


def _check_dir(directory: Path, network: tuple[LayerSpec, ...], folding: Folding) -> None:
    if not directory.is_dir():
        raise BnnInputError(f"parameter folder {directory} does not exist")
    for f in sorted(directory.iterdir()):
        m = _FILE_RE.match(f.name)
        if not m:
            continue
        idx, pe = int(m.group(1)), int(m.group(2))
        if idx not in {s.index for s in network}:
            raise BnnInputError(
                f"parameter file {f}: unknown layer {idx}; the network has layers "
                f"{network[0].index}-{network[-1].index}")
        if pe >= folding.pe(idx):
            raise BnnInputError(
                f"parameter file {f}: PE {pe} out of range; layer {idx} has PE={folding.pe(idx)} "
                f"(files {idx}-0 .. {idx}-{folding.pe(idx) - 1})")


def load_layer(directory: Path, spec: LayerSpec, folding: Folding) -> LayerParams:
    i, simd, pe = spec.index, folding.simd(spec.index), folding.pe(spec.index)
    wmem, tmem = folding.wmem(i), folding.tmem(i)
    names = [str(directory / f"{i}-{p}-weights.bin") for p in range(pe)]
    words = np.stack([
        _read_words(Path(n), wmem, "<u8", f"layer {i} weights, WMEM={wmem} for SIMD={simd} PE={pe}")
        for n in names])
    w = unfold_weights(words, spec.mh, spec.mw, simd, pe, names)
    t = None
    if spec.thresholds:
        per_pe = []
        for p in range(pe):
            path = directory / f"{i}-{p}-thres.bin"
            raw = _read_words(path, 2 * tmem, "<i8", f"layer {i} thresholds, TMEM={tmem} x 2")
            pairs = raw.reshape(tmem, 2)
            check_thresholds(pairs, str(path))
            per_pe.append(pairs)
        t = unfold_thresholds(np.stack(per_pe))
    return LayerParams(w, t)


def _default_folding() -> Folding:
    from golden import networks
    return networks.default().folding


def load_params(directory: str | Path, folding: Folding | None = None,
                layers: list[int] | None = None, network: str | Network | None = None) -> Params:
    """Read the folded `.bin` files of `layers` (default: all) from `directory`: files of
    `network` (a name or Network; default the default network) in `folding` (default: the
    network's BNN-PYNQ folding)."""
    from golden import networks
    folding = folding or networks.get(network).folding
    directory = Path(directory)
    network = folding.network
    _check_dir(directory, network, folding)
    wanted = [layer(i, network) for i in (layers if layers is not None else [s.index for s in network])]
    return Params({s.index: load_layer(directory, s, folding) for s in wanted}, folding,
                  str(directory))


def save_params(params: Params, directory: str | Path, folding: Folding | None = None) -> list[Path]:
    """Write the folded `.bin` files (byte-identical to BNN-PYNQ's for the same folding)."""
    folding = folding or params.folding
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for i, lp in sorted(params.layers.items()):
        simd, pe = folding.simd(i), folding.pe(i)
        words = fold_weights(lp.weights, simd, pe)
        for p in range(pe):
            path = directory / f"{i}-{p}-weights.bin"
            words[p].astype("<u8").tofile(path)
            written.append(path)
        if lp.thresholds is not None:
            per_pe = fold_thresholds(lp.thresholds, pe)
            for p in range(pe):
                path = directory / f"{i}-{p}-thres.bin"
                per_pe[p].astype("<i8").tofile(path)
                written.append(path)
    return written


def write_layer_hex(directory: str | Path, index: int, weights: np.ndarray,
                    thresholds: np.ndarray | None, simd: int, pe: int) -> list[Path]:
    """Write `<index>-<pe>-weights.hex` / `-thres.hex` for one layer of any shape: the .bin
    words as 16 hex digits, one 64-bit word per line (thresholds: t0, t1 per neuron fold)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    words = fold_weights(weights, simd, pe)
    files = [(f"{index}-{p}-weights.hex", words[p]) for p in range(pe)]
    if thresholds is not None:
        per_pe = fold_thresholds(np.asarray(thresholds, dtype=np.int64), pe).view(np.uint64)
        files += [(f"{index}-{p}-thres.hex", per_pe[p].reshape(-1)) for p in range(pe)]
    written = []
    for name, arr in files:
        path = directory / name
        path.write_text("".join(f"{int(v):016x}\n" for v in arr))
        written.append(path)
    return written


def save_hex(params: Params, directory: str | Path, folding: Folding | None = None) -> list[Path]:
    """Write the `$readmemh` files of every layer (the +PARAMS_DIR= preload of the RTL)."""
    folding = folding or params.folding
    written = []
    for i, lp in sorted(params.layers.items()):
        written += write_layer_hex(directory, i, lp.weights, lp.thresholds, folding.simd(i), folding.pe(i))
    return written
