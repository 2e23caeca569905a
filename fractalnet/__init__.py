"""FractalNet in Keras 3, as built chapter by chapter in the book.

The modules below are generated from the chapters (see `tools/export_chapters.py`): the code a
reader sees in a chapter is the code this package runs.

Importing the package changes nothing in the process: no environment variable, no redirected
stream. (The chapters keep TensorFlow's start-up notices off the page in their own set-up cell.)
"""

from fractalnet.layers import (
    MAX_COLUMNS,
    ConvBlock,
    FractalBlock,
    Join,
    column_keep,
    expand_fractal,
    fractal_joins,
)
from fractalnet.drop_path import DropPath, sample_global_column, sample_local_keep
from fractalnet.model import (
    FractalNet,
    block_column,
    create_fractal_net,
    evaluate_columns,
    recalibrate_batch_norm,
    sample_network_draw,
    standalone_column_model,
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
    "sample_network_draw",
    "standalone_column_model",
]
