"""BNN-PYNQ's LFC-W1A1: MNIST, 4 fully connected layers with 1-bit weights and 1-bit
activations (Xilinx/BNN-PYNQ bnn/src/network/lfcW1A1/hw/top.cpp and config.h).

Semantics (finn-hlslib interpret.hpp, activations.hpp, mvau.hpp; BNN-PYNQ host library):
- input: the host binarizes each 28x28 MNIST pixel (tiny-cnn scales byte p to -1 + 2p/255,
  binarizeAndPack sets the bit when that is >= 0, i.e. p >= 128), pixel i at bit i%64 of
  word i/64, zero-padded to 832 bits = 13 words per image;
- every layer: `Recast<XnorMul>` on 1-bit inputs, so the accumulator (ap_int<16>) is the
  popcount of input XNOR weight; one threshold per neuron, out = [t < popcount] (ap_uint<1>);
- layer 3 is thresholded too: its 64 output bits (10 classes; rows 10-63 are padding with
  threshold 32767, never set) are the one output word; the host masks the low 10 bits and
  predicts floor(log2(word)), the highest set bit (class 0 if none);
- the natural cut: every cut between layers carries 1024 bits = 128 bytes per image; the tie
  is broken by balancing the two kernels (after layer 1: 416+512 vs 512+512 MVAU cycles).

HLS stream depths (top.cpp): memInStrm 1024 (64-bit words), inter0 512/L0_PE = 16,
inter1 512/L1_PE = 8, inter2 512/L2_PE = 16 (each in words of PE x 1 bit), memOutStrm 1024.
"""

from golden.network import LayerSpec, Network, VivadoUtilisation

NETWORK = Network(
    name="lfcW1A1",
    title="LFC-W1A1",
    dataset="MNIST",
    classes=10,
    layers=(
        LayerSpec(0, "fc", 832, 1024, in_bits=1, weight_kind="xnor", act_bits=1),
        LayerSpec(1, "fc", 1024, 1024, in_bits=1, weight_kind="xnor", act_bits=1),
        LayerSpec(2, "fc", 1024, 1024, in_bits=1, weight_kind="xnor", act_bits=1),
        LayerSpec(3, "fc", 1024, 64, in_bits=1, weight_kind="xnor", act_bits=1, used_outputs=10),
    ),
    # config.h: (SIMD, PE) per layer
    default_folding=((64, 32), (32, 64), (64, 32), (8, 16)),
    stream_depths={"pixels": 1024, "L0": 16, "L1": 8, "L2": 16, "L3": 1024},
    natural_cut=1,
    kernel_prefix="lfc_w1a1",
    input_widths=(),
    input_format="bits",
    image_shape=(28, 28),
    binarize_at=128,
    # Vivado 2018.2 post-implementation utilisation of the full kernel (BNN-PYNQ README).
    vivado_full=VivadoUtilisation(lut=28360, lut_mem=3001, ff=33470, bram_tiles=110, dsp=4),
)
