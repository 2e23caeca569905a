"""fractalviz: fractal path graphs, their measurements, drop-path sampling and drawings.

Graph construction (`fractalviz.graph`) and measurement (`fractalviz.measure`) use
networkx only; drawing (`fractalviz.draw`) and animation (`fractalviz.animate`) add
Matplotlib; the explorers (`fractalviz.explorer`) add a JavaScript twin of the sampler
for the static book, and ipywidgets for a live kernel. The column explorers
(`fractalviz.column_explorer`) run a trained model on every subset of its columns,
importing Keras only then: importing fractalviz imports no TensorFlow.
"""

from fractalviz.animate import animate_drop_path, embed_animation, sample_grid
from fractalviz.column_explorer import ColumnExplorer, column_widget
from fractalviz.draw import draw_fractal, layout, legend_handles
from fractalviz.explorer import Explorer, explorer_samples, explorer_widget
from fractalviz.graph import block_graph, column_nodes, network_graph, nodes_of_kind
from fractalviz.measure import (
    count_convs,
    count_joins,
    count_paths,
    enumerate_paths,
    longest_path,
    longest_path_length,
    path_count_recurrence,
    path_length_histogram,
    receptive_field,
    shortest_path_length,
)
from fractalviz.sampling import (
    DropPathSample,
    Mulberry32,
    active_subgraph,
    column_survival_rate,
    sample_drop_path,
    summarize_sample,
    surviving_columns,
)

# What `import fractalviz` offers (the names above, each defined in its module).
__all__ = [
    "active_subgraph",
    "animate_drop_path",
    "block_graph",
    "column_nodes",
    "column_survival_rate",
    "column_widget",
    "ColumnExplorer",
    "count_convs",
    "count_joins",
    "count_paths",
    "draw_fractal",
    "DropPathSample",
    "embed_animation",
    "enumerate_paths",
    "Explorer",
    "explorer_samples",
    "explorer_widget",
    "layout",
    "legend_handles",
    "longest_path",
    "longest_path_length",
    "Mulberry32",
    "network_graph",
    "nodes_of_kind",
    "path_count_recurrence",
    "path_length_histogram",
    "receptive_field",
    "sample_drop_path",
    "sample_grid",
    "shortest_path_length",
    "summarize_sample",
    "surviving_columns",
]
