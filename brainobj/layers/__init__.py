"""Layers: re-exported at the top level as ``bp.Linear``, ``bp.Sequential``, ..."""

from ._base import Layer as Layer
from ._conv import Conv1d as Conv1d, Conv2d as Conv2d, Conv3d as Conv3d
from ._dropout import Dropout as Dropout
from ._embedding import Embedding as Embedding
from ._linear import Dense as Dense, Linear as Linear
from ._normalization import (
    BatchNorm1d as BatchNorm1d,
    BatchNorm2d as BatchNorm2d,
    LayerNorm as LayerNorm,
)
from ._sequential import Lambda as Lambda, Sequential as Sequential
