"""Layers: re-exported at the top level as ``bp.Linear``, ``bp.Sequential``, ..."""

from ._base import Layer as Layer
from ._linear import Dense as Dense, Linear as Linear
from ._sequential import Lambda as Lambda, Sequential as Sequential
