"""cocotb unit testbenches of the rtl/ stream library, one per module, and their HDL fixtures
(hdl/)."""
