"""fractalviz: fractal path graphs, their measurements, drop-path sampling and drawings.

Graph construction (`fractalviz.graph`) and measurement (`fractalviz.measure`) use networkx
only; drawing (`fractalviz.draw`) adds Matplotlib. Nothing here imports TensorFlow.
"""

from fractalviz.draw import draw_fractal, layout
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
from fractalviz.sampling import DropPathSample, active_subgraph, sample_drop_path
