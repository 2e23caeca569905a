"""FractalNet in Keras 3, as built chapter by chapter in the book.

The modules below are generated from the chapters (see `tools/export_chapters.py`): the code a
reader sees in a chapter is the code this package runs.
"""

import os


def _import_keras_quietly():
    """Imports Keras with the TensorFlow backend's start-up lines kept off stderr.

    TensorFlow prints oneDNN and CPU-feature notices straight to file descriptor 2 while it
    is imported; `TF_CPP_MIN_LOG_LEVEL` does not stop all of them. Only the import is muted:
    errors raised later still reach stderr.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    saved_fd = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        import keras  # noqa: F401
    finally:
        os.dup2(saved_fd, 2)
        os.close(saved_fd)
        os.close(devnull)


_import_keras_quietly()

from fractalnet.layers import (  # noqa: E402
    MAX_COLUMNS,
    ConvBlock,
    FractalBlock,
    Join,
    column_keep,
    expand_fractal,
    fractal_joins,
)
from fractalnet.drop_path import DropPath, sample_global_column, sample_local_keep  # noqa: E402
from fractalnet.model import (  # noqa: E402
    FractalNet,
    block_column,
    create_fractal_net,
    evaluate_columns,
    recalibrate_batch_norm,
    sample_network_keep,
    standalone_column_model,
    subset_keep,
)

__all__ = [
    "MAX_COLUMNS",
    "ConvBlock",
    "DropPath",
    "FractalBlock",
    "FractalNet",
    "Join",
    "block_column",
    "column_keep",
    "create_fractal_net",
    "evaluate_columns",
    "expand_fractal",
    "fractal_joins",
    "recalibrate_batch_norm",
    "sample_global_column",
    "sample_local_keep",
    "sample_network_keep",
    "standalone_column_model",
    "subset_keep",
]
