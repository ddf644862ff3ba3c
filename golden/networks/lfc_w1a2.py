"""BNN-PYNQ's LFC-W1A2: MNIST, 4 fully connected layers with 1-bit weights and 2-bit
activations (Xilinx/BNN-PYNQ bnn/src/network/lfcW1A2/hw/top.cpp and config.h).

Semantics (finn-hlslib interpret.hpp, activations.hpp, mvau.hpp; BNN-PYNQ host library):
- input: the same binarized, zero-padded 832-bit MNIST image as LFC-W1A1 (13 words);
- weights: `Recast<Binary>` in every layer (bit 1 = +1, bit 0 = -1);
- layer 0: `Recast<Binary>` inputs too (bit 1 = +1, bit 0 = -1, padding bits count as -1):
  the accumulator (ap_int<16>) is the +-1 dot product; layers 1-3 take `Slice<ap_int<2>>`
  signed 2-bit codes;
- layers 0-2: two thresholds, out = -1 + [t0 < acc] + [t1 < acc] (ap_int<2>, ActVal -1);
- layer 3: one threshold, out = [t < acc] as ap_int<1> (the bit; rows 10-63 are padding with
  threshold 32767): one output word of 64 bits, decoded by the host like LFC-W1A1's
  (highest set bit among the 10 classes, class 0 if none);
- the natural cut: every cut between layers carries 1024 x 2 bits = 256 bytes per image; the
  tie is broken by balancing the two kernels (after layer 1).

HLS stream depths (top.cpp): memInStrm 1024, inter0 16, inter1 8, inter2 16 (in words of
PE x 2 bits), memOutStrm 1024.
"""

from golden.network import LayerSpec, Network, VivadoUtilisation

NETWORK = Network(
    name="lfcW1A2",
    title="LFC-W1A2",
    dataset="MNIST",
    classes=10,
    layers=(
        LayerSpec(0, "fc", 832, 1024, in_bits=1, weight_kind="binary", act_bits=2),
        LayerSpec(1, "fc", 1024, 1024, in_bits=2, weight_kind="binary", act_bits=2),
        LayerSpec(2, "fc", 1024, 1024, in_bits=2, weight_kind="binary", act_bits=2),
        LayerSpec(3, "fc", 1024, 64, in_bits=2, weight_kind="binary", act_bits=1, used_outputs=10),
    ),
    # config.h: (SIMD, PE) per layer (the same folding as LFC-W1A1)
    default_folding=((64, 32), (32, 64), (64, 32), (8, 16)),
    stream_depths={"pixels": 1024, "L0": 16, "L1": 8, "L2": 16, "L3": 1024},
    natural_cut=1,
    kernel_prefix="lfc_w1a2",
    input_widths=(),
    input_format="bits",
    image_shape=(28, 28),
    binarize_at=128,
    # Vivado 2018.2 post-implementation utilisation of the full kernel (BNN-PYNQ README).
    vivado_full=VivadoUtilisation(lut=48981, lut_mem=4791, ff=45338, bram_tiles=110, dsp=4),
)
