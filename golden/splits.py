"""Where to cut the network: bytes per image that would cross the link at each cut."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from golden.errors import BnnInputError
from golden.paths import output_file
from golden.network import Network


@dataclass(frozen=True)
class Cut:
    name: str        # "input", "after L1", "after L1 pool", ...
    after_layer: int  # -1 for the input
    shape: tuple[int, ...]
    bits: int

    @property
    def bytes_per_image(self) -> int:
        n = 1
        for d in self.shape:
            n *= d
        return n * self.bits // 8


def cuts(network: Network) -> list[Cut]:
    first = network[0]
    out = [Cut("input", -1, first.in_shape, first.in_bits)]
    for spec in network:
        shape = (spec.ofm_dim, spec.ofm_dim, spec.ofm_ch) if spec.kind == "conv" else (spec.ofm_ch,)
        out.append(Cut(f"after L{spec.index}", spec.index, shape, spec.out_bits))
        if spec.pool_after:
            out.append(Cut(f"after L{spec.index} pool", spec.index, spec.out_shape, spec.out_bits))
    return out


def fewest_bytes_cuts(network: Network) -> list[int]:
    """The layer boundaries (cut after layer L, L < last) with the fewest bytes per image."""
    inner = {}
    for c in cuts(network):
        if 0 <= c.after_layer < network.last:
            inner[c.after_layer] = c.bytes_per_image   # the last entry: after the pool
    least = min(inner.values())
    return [layer_index for layer_index, b in inner.items() if b == least]


def cut_words(network: Network, after_layer: int) -> int:
    """64-bit words per image of the tensor leaving `after_layer` (after its pool, if any);
    -1 = the input."""
    found = [c for c in cuts(network) if c.after_layer == after_layer]
    if not found:
        raise BnnInputError(f"{network.name} has no layer {after_layer}")
    last_cut = found[-1]
    if last_cut.bytes_per_image % 8:
        raise BnnInputError(f"{network.name}: cut after layer {after_layer}: {last_cut.bytes_per_image} bytes "
                            f"per image is not a whole number of 64-bit words")
    return last_cut.bytes_per_image // 8


def split_table(network: Network) -> str:
    rows = [f"{'cut':<16} {'tensor':<14} {'bits':>4} {'bytes/image':>11} {'words64':>7}"]
    for c in cuts(network):
        rows.append(f"{c.name:<16} {'x'.join(map(str, c.shape)):<14} {c.bits:>4} "
                    f"{c.bytes_per_image:>11} {-(-c.bytes_per_image // 8):>7}")
    return "\n".join(rows)


def check_plot_path(path: str | Path, what: str = "plot") -> Path:
    """Where a plot goes, checked before any work: a file name with an image format matplotlib
    writes (.png, .pdf, .svg, ...), in a folder that exists."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.backend_bases import FigureCanvasBase

    path = Path(path)
    formats = FigureCanvasBase.get_supported_filetypes()
    suffix = path.suffix.lower().lstrip(".")
    if suffix not in formats:
        raise BnnInputError(f"{what} {path}: {'no file extension' if not suffix else f'.{suffix} is no image format'}; "
                            f"expected a file name ending in one of {', '.join('.' + f for f in sorted(formats))}")
    return output_file(path, what)


def plot_splits(path: str | Path, network: Network) -> Path:
    """A bar chart of the bytes per image at every cut, written to `path` (its folder must
    exist)."""
    path = check_plot_path(path)
    import matplotlib.pyplot as plt

    cs = cuts(network)
    natural = [c.name for c in cs if c.after_layer == network.natural_cut][-1]
    fig, ax = plt.subplots(figsize=(9, 4))
    bars = ax.bar(range(len(cs)), [c.bytes_per_image for c in cs], color="tab:blue")
    for b, c in zip(bars, cs):
        if c.name == natural:
            b.set_color("tab:red")
        ax.annotate(str(c.bytes_per_image), (b.get_x() + b.get_width() / 2, b.get_height()),
                    ha="center", va="bottom", fontsize=7)
    ax.set_xticks(range(len(cs)), [c.name.replace("after ", "") for c in cs], rotation=45, ha="right")
    ax.set_yscale("log")
    ax.set_ylabel("bytes per image across the cut")
    ax.set_title(f"{network.title}: data per image at each possible cut (red: the natural cut, {natural})")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
