"""netsim: the Ethernet link and topology model of bnnsplit-tb.

BNNsplit cuts BNN-PYNQ's CNV-W2A2 network across PYNQ-Z1 boards joined by Gigabit Ethernet:
a conv board (part 1) sends a 64-byte tensor per image to an FC board (part 2); one FC board
can serve several conv replicas. This package models everything between the kernels, in pure
Python and independent of any HDL simulator:

* :mod:`netsim.simtime`   integer-picosecond simulation time and conversions
* :mod:`netsim.events`    the scheduler protocol (``now``/``call_at``/``call_later``) and a
  heapq event loop; a cocotb adapter implements the same protocol
* :mod:`netsim.messages`  the BNSP application header and the image/tensor/score messages
* :mod:`netsim.frames`    Ethernet/IPv4/TCP|UDP frames built with scapy, real CRC-32 FCS,
  wire-byte accounting (preamble, padding, IFG)
* :mod:`netsim.faults`    seeded loss, burst loss, corruption, duplication, reordering,
  jitter, link-down intervals
* :mod:`netsim.wire`      one direction of a cable: serialisation at line rate, propagation
* :mod:`netsim.switch`    store-and-forward switch
* :mod:`netsim.transport` reliable in-order transport (seq/ACK/retransmission), LinkFailure
* :mod:`netsim.network`   nodes, cables, switch and connections
* :mod:`netsim.pcap`      pcap capture with simulation timestamps, and reading it back
* :mod:`netsim.kernel`    a board's accelerator as a batch server (latency/interval cycles)
* :mod:`netsim.config`    validated topology/link/transport configuration
* :mod:`netsim.topology`  the whole system (full, split, split-B) as a discrete-event model
* :mod:`netsim.sweep`     parameter sweeps and tables; :mod:`netsim.cli` ``python -m netsim``
"""

from .config import ConfigError, LinkConfig, TopologyConfig
from .events import EventLoop, Scheduler, Timer
from .faults import FaultConfig, GilbertElliott
from .kernel import DEFAULT_KERNELS, KernelTiming, default_timings
from .messages import Message, MessageError, MessageType
from .network import Network
from .pcap import PcapRecorder, read_messages
from .sweep import sweep
from .topology import BnnSystem, RunResult, run
from .transport import LinkFailure, TransportConfig

__all__ = [
    "ConfigError", "LinkConfig", "TopologyConfig", "EventLoop", "Scheduler", "Timer",
    "FaultConfig", "GilbertElliott", "DEFAULT_KERNELS", "KernelTiming", "default_timings", "Message",
    "MessageError", "MessageType", "Network", "PcapRecorder", "read_messages", "sweep",
    "BnnSystem", "RunResult", "run", "LinkFailure", "TransportConfig",
]
