"""BNN-PYNQ's CNV-W2A2: CIFAR-10, 6 conv + 3 fully connected layers, 2-bit (ternary) weights
and activations; the network of the BNNsplit paper, on PYNQ-Z1 boards at 100 MHz.

Semantics (verified bit for bit against a C simulation of the HLS source):
- input: 32x32 RGB pixels as 8-bit codes (ap_fixed<8,1>), 384 64-bit words per image;
- weights: 2-bit two's complement codes, ternary in practice (00 = 0, 01 = +1, 11 = -1);
- layers 0-7: two thresholds per neuron, out = -1 + [t0 < acc] + [t1 < acc] (2-bit codes);
  layer 0 compares in fixed point, layers 1-7 in signed 16 bit;
- layer 8: 64 unsigned 16-bit accumulators (10 are classes), read by the host as signed;
- 2x2 signed max pools after layers 1 and 3;
- layer 1's weights in LUT RAM, every other weight array in block RAM (BNN-PYNQ's top.cpp);
- the paper's cut: after layer 5 (64 bytes per image).
"""

from golden.network import LayerSpec, Network, PaperKernel, VivadoUtilisation

NETWORK = Network(
    name="cnvW2A2",
    title="CNV-W2A2",
    dataset="CIFAR-10",
    classes=10,
    layers=(
        LayerSpec(0, "conv", 3, 64, 32, 3, in_bits=8),
        # BNN-PYNQ's top.cpp binds this layer's weights to LUT RAM (RESOURCE core=RAM_2P_LUTRAM)
        LayerSpec(1, "conv", 64, 64, 30, 3, pool_after=True, weight_ram="lutram"),
        LayerSpec(2, "conv", 64, 128, 14, 3),
        LayerSpec(3, "conv", 128, 128, 12, 3, pool_after=True),
        LayerSpec(4, "conv", 128, 256, 5, 3),
        LayerSpec(5, "conv", 256, 256, 3, 3),
        LayerSpec(6, "fc", 256, 512),
        LayerSpec(7, "fc", 512, 512),
        LayerSpec(8, "fc", 512, 64, thresholds=False, used_outputs=10),
    ),
    default_folding=((3, 8), (16, 16), (16, 8), (16, 8), (8, 4), (8, 1), (2, 1), (2, 2), (1, 4)),
    stream_depths={"pixels": 128, "L0": 128, "L1": 2, "pool1": 128, "L2": 128, "L3": 2,
                   "pool3": 81, "L4": 1, "L5": 1, "L6": 128, "L7": 3, "L8": 2},
    natural_cut=5,
    kernel_prefix="cnv",
    input_widths=(192, 24),
    # Table I of the BNNsplit paper: full network, part 1 (conv, Mul_LUT), part 2 (FC, Mul_LUT).
    paper_kernels=(
        PaperKernel("full", 0, 8, 4867.77, 1.36, 205.51, 70.12, 100.00, 1.836),
        PaperKernel("part1", 0, 5, 3480.23, 1.63, 287.10, 58.35, 88.93, 1.823),
        PaperKernel("part2", 6, 8, 1389.70, 1.19, 719.60, 15.70, 25.71, 1.511),
    ),
    # Vivado 2018.2 post-implementation utilisation of the full kernel (BNN-PYNQ README).
    vivado_full=VivadoUtilisation(lut=37302, lut_mem=7437, ff=51386, bram_tiles=140, dsp=32),
)
