"""BNN-PYNQ's CNV-W1A2: CIFAR-10, the CNV layer shapes with 1-bit weights and 2-bit
activations (Xilinx/BNN-PYNQ bnn/src/network/cnvW1A2/hw/top.cpp and config.h).

Semantics (finn-hlslib interpret.hpp, activations.hpp, mvau.hpp, maxpool.h):
- input: the same 8-bit pixel codes as CNV-W2A2 (ap_fixed<8,1>, 384 words per image);
- weights: `Recast<Binary>` in every layer: bit 1 = +1, bit 0 = -1, times the input value;
- layer 0: sum of +-pixel codes in ap_fixed<24,16>, two thresholds, the fixed-point test
  raw < 2*sum as in CNV-W2A2; out = -1 + [t0 < acc] + [t1 < acc] (ap_int<2>, ActVal -1);
- layers 1-7: `Slice<ap_int<2>>` inputs (signed 2-bit codes), ap_int<16> accumulators,
  two thresholds cut to int16, the same ternary output;
- layer 8: PassThroughActivation<ap_uint<16>> (wraps), read by the host as ap_int<16>;
- 2x2 signed max pools (init -1) after layers 1 and 3 (StreamingMaxPool_Precision_Batch);
- the natural cut after layer 5: 256 channels x 2 bit = 64 bytes per image.
"""

from golden.network import LayerSpec, Network, VivadoUtilisation

NETWORK = Network(
    name="cnvW1A2",
    title="CNV-W1A2",
    dataset="CIFAR-10",
    classes=10,
    layers=(
        LayerSpec(0, "conv", 3, 64, 32, 3, in_bits=8, weight_kind="binary"),
        LayerSpec(1, "conv", 64, 64, 30, 3, pool_after=True, weight_kind="binary"),
        LayerSpec(2, "conv", 64, 128, 14, 3, weight_kind="binary"),
        LayerSpec(3, "conv", 128, 128, 12, 3, pool_after=True, weight_kind="binary"),
        LayerSpec(4, "conv", 128, 256, 5, 3, weight_kind="binary"),
        LayerSpec(5, "conv", 256, 256, 3, 3, weight_kind="binary"),
        LayerSpec(6, "fc", 256, 512, weight_kind="binary"),
        LayerSpec(7, "fc", 512, 512, weight_kind="binary"),
        LayerSpec(8, "fc", 512, 64, weight_kind="binary", thresholds=False, used_outputs=10),
    ),
    # config.h: (SIMD, PE) per layer (the same folding as CNV-W1A1)
    default_folding=((3, 16), (32, 32), (32, 16), (32, 16), (32, 4), (32, 1), (4, 1), (8, 1), (1, 4)),
    # top.cpp: the same stream pragmas as CNV-W1A1 and CNV-W2A2
    stream_depths={"pixels": 128, "L0": 128, "L1": 2, "pool1": 128, "L2": 128, "L3": 2,
                   "pool3": 81, "L4": 1, "L5": 1, "L6": 128, "L7": 3, "L8": 2},
    natural_cut=5,
    kernel_prefix="cnv_w1a2",
    input_widths=(192, 24),
    input_format="pixels8",
    image_shape=(32, 32, 3),
    # Vivado 2018.2 post-implementation utilisation of the full kernel (BNN-PYNQ README).
    vivado_full=VivadoUtilisation(lut=40321, lut_mem=3776, ff=56276, bram_tiles=131.5, dsp=26),
)
