"""Network parameters: BNN-PYNQ folded `.bin` files <-> unfolded per-layer arrays.

`<L>-<pe>-weights.bin` holds WMEM little-endian uint64 words; word `nf*SF + sf` holds the
weights of row `nf*PE + pe`, columns `sf*SIMD + i`, i = 0..SIMD-1, LSB first:
- ternary layers (2-bit weights): bits 2i+1:2i hold the two's complement code (00 = 0,
  01 = +1, 11 = -1; 10 = -2 never occurs in a ternary net and is rejected);
- binary / XNOR layers (1-bit weights, finn-hlslib BinaryWeights<SIMD, PE, TILES>, the
  word's low SIMD bits): bit i is 1 for +1, 0 for -1.
`<L>-<pe>-thres.bin` holds TMEM x T int64 values, `[nf][i]` for row `nf*PE + pe`, T the
layer's thresholds per neuron (2 for 2-bit activations, 1 for 1-bit ones).
Unfolded, a layer is an int8 weight matrix (MH, MW) of values (-1/0/+1, or -1/+1 for 1-bit
weights) and an int64 threshold array (MH, T).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from golden.errors import BnnInputError
from golden.network import Folding, LayerSpec, Network, layer
from golden.stages.mvau import check_thresholds, fold_thresholds, fold_weights, unfold_thresholds, unfold_weights

_FILE_RE = re.compile(r"^(\d+)-(\d+)-(weights|thres)\.bin$")


@dataclass
class LayerParams:
    weights: np.ndarray              # int8 (MH, MW), values in {-1, 0, +1} ({-1, +1} if 1-bit)
    thresholds: np.ndarray | None    # int64 (MH, T): T = 2 (t0 < t1) or 1; None for a score layer


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


# ---------------------------------------------------------------- file I/O

def _read_words(path: Path, count: int, dtype: str, what: str) -> np.ndarray:
    if not path.exists():
        raise BnnInputError(f"parameter file {path} is missing ({what})")
    if not path.is_file():
        raise BnnInputError(f"parameter file {path} is not a file ({what})")
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


def _threshold_size_hint(size: int, tmem: int, expected: int) -> str:
    """Why a threshold file may have the wrong size: one of another activation width."""
    for t, kind in ((1, "1-bit"), (2, "2-bit")):
        if t != expected and size == tmem * t * 8:
            return (f"; it holds {t} threshold(s) per neuron, the size of a layer with {kind} "
                    f"activations: parameters of another network?")
    return ""


def _check_unused_bits(words: np.ndarray, used: int, names: list[str], simd: int, spec: LayerSpec) -> None:
    """A weight word holds SIMD weights in its low SIMD x bits bits; BNN-PYNQ's files have the
    rest 0. Bits set above them mean a file of another folding or network, not weights."""
    if used >= 64:
        return
    high = words >> np.uint64(used)
    bad = np.argwhere(high != 0)
    if bad.size:
        p, k = (int(v) for v in bad[0])
        raise BnnInputError(
            f"{names[p]}: word {k} is 0x{int(words[p, k]):016x}, with bits set above bit {used - 1}; "
            f"layer {spec.index} holds SIMD={simd} x {spec.weight_bits}-bit weights per word (bits "
            f"{used - 1}:0, the rest 0): weights of another folding or network? "
            f"({len(bad)} such word(s) in the layer)")


def load_layer(directory: Path, spec: LayerSpec, folding: Folding) -> LayerParams:
    i, simd, pe = spec.index, folding.simd(spec.index), folding.pe(spec.index)
    wmem, tmem = folding.wmem(i), folding.tmem(i)
    names = [str(directory / f"{i}-{p}-weights.bin") for p in range(pe)]
    words = np.stack([
        _read_words(Path(n), wmem, "<u8",
                    f"layer {i} weights, WMEM={wmem} for SIMD={simd} PE={pe}, "
                    f"{spec.weight_bits}-bit {spec.weight_kind} weights")
        for n in names])
    _check_unused_bits(words, simd * spec.weight_bits, names, simd, spec)
    w = unfold_weights(words, spec.mh, spec.mw, simd, pe, names, bits=spec.weight_bits,
                       ternary=spec.weight_kind == "ternary")
    t = None
    if spec.thresholds:
        per_pe = []
        n = spec.num_thresholds
        for p in range(pe):
            path = directory / f"{i}-{p}-thres.bin"
            if path.exists() and path.stat().st_size != tmem * n * 8:
                size = path.stat().st_size
                raise BnnInputError(
                    f"parameter file {path} has {size} bytes; expected {tmem * n * 8} "
                    f"({tmem * n} 64-bit words: layer {i} thresholds, TMEM={tmem} x {n} per neuron "
                    f"for {spec.act_bits}-bit activations)" + _threshold_size_hint(size, tmem, n))
            raw = _read_words(path, n * tmem, "<i8",
                              f"layer {i} thresholds, TMEM={tmem} x {n} per neuron")
            values = raw.reshape(tmem, n)
            check_thresholds(values, str(path), strict=spec.arith == "hls")
            per_pe.append(values)
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
        words = fold_weights(lp.weights, simd, pe, bits=folding.network[i].weight_bits)
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
                    thresholds: np.ndarray | None, simd: int, pe: int,
                    weight_bits: int = 2) -> list[Path]:
    """Write `<index>-<pe>-weights.hex` / `-thres.hex` for one layer of any shape: the .bin
    words as 16 hex digits, one 64-bit word per line (thresholds: the T values of each
    neuron fold in order, t0, t1 for two per neuron). `weight_bits`: 2 (ternary codes) or 1."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    words = fold_weights(weights, simd, pe, bits=weight_bits)
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
        written += write_layer_hex(directory, i, lp.weights, lp.thresholds, folding.simd(i), folding.pe(i),
                                   weight_bits=folding.network[i].weight_bits)
    return written
