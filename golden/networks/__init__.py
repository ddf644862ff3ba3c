"""The networks of the BNN-PYNQ family, one module each; `get(name)` is how everything finds
one. Adding a network = adding its module here and to NETWORKS."""

from __future__ import annotations

from golden.errors import known
from golden.network import Network
from golden.networks import cnv_w1a1, cnv_w1a2, cnv_w2a2, lfc_w1a1, lfc_w1a2

NETWORKS: dict[str, Network] = {n.name: n for n in (
    cnv_w2a2.NETWORK, cnv_w1a1.NETWORK, cnv_w1a2.NETWORK, lfc_w1a1.NETWORK, lfc_w1a2.NETWORK)}
DEFAULT_NETWORK = "cnvW2A2"


def get(name: str | Network | None = None) -> Network:
    """The network called `name` (BNN-PYNQ's spelling, e.g. "cnvW2A2"; None = the default)."""
    return name if isinstance(name, Network) else known(NETWORKS, name, DEFAULT_NETWORK, "network")


def default() -> Network:
    return get(DEFAULT_NETWORK)
