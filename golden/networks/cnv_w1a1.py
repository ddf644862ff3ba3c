"""BNN-PYNQ's CNV-W1A1: CIFAR-10, the CNV layer shapes with 1-bit weights and 1-bit
activations (Xilinx/BNN-PYNQ bnn/src/network/cnvW1A1/hw/top.cpp and config.h).

Semantics (finn-hlslib interpret.hpp, activations.hpp, mvau.hpp, maxpool.h):
- input: the same 8-bit pixel codes as CNV-W2A2 (ap_fixed<8,1>, 384 words per image);
- layer 0: `Recast<Binary>` weights (bit 1 = +1, bit 0 = -1) times the pixel codes, summed in
  ap_fixed<24,16>; one threshold per neuron (ap_fixed<24,16>, i.e. the test raw < 2*sum);
  output bit [t < acc] (ThresholdsActivation<.., 1, .., ap_uint<1>>, ActVal 0);
- layers 1-8: `Recast<XnorMul>` on the 1-bit inputs: each product is 1 when input and weight
  bits are equal, so the accumulator is a popcount in [0, MW] (ap_int<16> for 1-7);
  layers 1-7 output the bit [t < popcount] (thresholds cut to int16);
- layer 8: PassThroughActivation<ap_uint<16>>: 64 popcounts (10 are classes, rows 10-63 are
  padding with all weight bits 1), read by the host as ap_int<16> scores;
- 2x2 max pools after layers 1 and 3 on bits: StreamingMaxPool_Batch, a binary OR;
- the natural cut after layer 5: 256 channels x 1 bit = 32 bytes per image.
"""

from golden.network import LayerSpec, Network, VivadoUtilisation

NETWORK = Network(
    name="cnvW1A1",
    title="CNV-W1A1",
    dataset="CIFAR-10",
    classes=10,
    layers=(
        LayerSpec(0, "conv", 3, 64, 32, 3, in_bits=8, weight_kind="binary", act_bits=1),
        LayerSpec(1, "conv", 64, 64, 30, 3, pool_after=True, in_bits=1, weight_kind="xnor", act_bits=1),
        LayerSpec(2, "conv", 64, 128, 14, 3, in_bits=1, weight_kind="xnor", act_bits=1),
        LayerSpec(3, "conv", 128, 128, 12, 3, pool_after=True, in_bits=1, weight_kind="xnor", act_bits=1),
        LayerSpec(4, "conv", 128, 256, 5, 3, in_bits=1, weight_kind="xnor", act_bits=1),
        LayerSpec(5, "conv", 256, 256, 3, 3, in_bits=1, weight_kind="xnor", act_bits=1),
        LayerSpec(6, "fc", 256, 512, in_bits=1, weight_kind="xnor", act_bits=1),
        LayerSpec(7, "fc", 512, 512, in_bits=1, weight_kind="xnor", act_bits=1),
        LayerSpec(8, "fc", 512, 64, in_bits=1, weight_kind="xnor", thresholds=False, used_outputs=10),
    ),
    # config.h: (SIMD, PE) per layer
    default_folding=((3, 16), (32, 32), (32, 16), (32, 16), (32, 4), (32, 1), (4, 1), (8, 1), (1, 4)),
    # top.cpp: inter0_2 (24-bit pixels) 128, inter1 128, inter2 default, inter3 128, inter4 128,
    # inter5 default, inter6 81, inter7 1, inter8 1, inter9 128, inter10 3, memOutStrm default
    stream_depths={"pixels": 128, "L0": 128, "L1": 2, "pool1": 128, "L2": 128, "L3": 2,
                   "pool3": 81, "L4": 1, "L5": 1, "L6": 128, "L7": 3, "L8": 2},
    natural_cut=5,
    kernel_prefix="cnv_w1a1",
    input_widths=(192, 24),
    input_format="pixels8",
    image_shape=(32, 32, 3),
    # Vivado 2018.2 post-implementation utilisation of the full kernel (BNN-PYNQ README).
    vivado_full=VivadoUtilisation(lut=26072, lut_mem=2025, ff=41312, bram_tiles=124, dsp=24),
)
