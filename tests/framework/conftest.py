"""tests/framework/: what the pages say PyTorch computes, checked against it (`make framework`).

PyTorch lives only in `make framework`'s own venv. Elsewhere (`make check`, a bare `pytest`, mutmut)
these modules are not collected, rather than failing to import torch.
"""

import importlib.util

if importlib.util.find_spec("torch") is None:
    collect_ignore_glob = ["test_*.py"]
