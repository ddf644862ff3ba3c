"""Where to cut the network: bytes per image that would cross the link at each cut, as a
table and a plot (the cuts themselves are the network's: golden.network.cuts)."""

from __future__ import annotations

from pathlib import Path

from golden.errors import BnnInputError
from golden.paths import output_file
from golden.network import Network, cuts


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
