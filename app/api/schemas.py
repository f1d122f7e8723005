"""Response models of the REST contract (``../shared/API.md``), and their builders from engine records."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from ..engine.registry import PoolIndices, ReceptiveField
from ..render.layout import MapKind, MapLayout


class Stats(BaseModel):
    min: float | None
    max: float | None
    mean: float | None
    std: float | None = Field(description="torch.std (unbiased); null for a single value.")
    zero_fraction: float | None
    nan_count: int = 0
    inf_count: int = 0


class GradStats(Stats):
    norm: float | None = Field(description="L2 norm of the gradient (what clip_grad_norm_ measures).")


class GradResult(BaseModel):
    """A gradient as a run with ``backward`` answers it: ∂L/∂ a stage's output, or ∂L/∂ a parameter."""

    stats: GradStats
    values: Any = Field(None, description="Exact values when at most 4,096 elements, else null.")
    image_url: str = Field(description="The gradient drawn in the diverging palette, white at 0.")
    values_url: str = Field(description="Every value as numpy .npy (float32, any size).")


class InputResult(BaseModel):
    shape: list[int]
    stats: Stats
    values: Any = Field(None, description="Exact values when at most 4,096 elements, else null.")
    image_url: str
    grad: GradResult | None = Field(None, description="With backward: ∂L/∂input (input.grad).")


class LayerResult(BaseModel):
    index: int = Field(description="1-based; stage 0 is the input.")
    type: str
    module: str = Field(description="The module as torch prints it.")
    input_shape: list[int]
    output_shape: list[int]
    params: int
    mult_adds: int = Field(description="Multiply-accumulates of one forward pass (0 for layers without weights).")
    stats: Stats
    values: Any = Field(None, description="Exact output when at most 4,096 elements, else null (non-finite → null).")
    indices: Any = Field(None, description="MaxPool2d/AdaptiveMaxPool2d with return_indices: where each max came from.")
    image_url: str
    size_formula: str = Field(description="The output size as its formula with this layer's numbers filled in.")
    time_ms: float
    notes: list[str] = Field(default_factory=list, description="What a learner might miss: lost batch dimension, no-op, warnings.")
    grad: GradResult | None = Field(None, description="With backward: ∂L/∂ this layer's output (retain_grad()).")
    param_grads: dict[str, GradResult] | None = Field(None, description="With backward, for a layer with parameters: their .grad by name.")


class RunResponse(BaseModel):
    run_id: str
    input: InputResult
    layers: list[LayerResult]
    output_shape: list[int]
    params: int = Field(description="Total parameters of the pipeline.")
    mult_adds: int
    seed: int
    mode: str
    code: str = Field(description="PyTorch source that rebuilds the same pipeline, weights and outputs.")
    loss: float | None = Field(None, description="With a backward loss: its value (null when not finite, or for an output backward).")


class MapLayoutResponse(BaseModel):
    """Where each value of a stage sits in its map: tile i's top-left pixel is
    (pad + (i % columns)·(tile_width + pad), pad + (i // columns)·(tile_height + pad)), and value (r, c)
    of the tile covers rows r·tile_height/cell_rows … (r+1)·tile_height/cell_rows, likewise columns."""

    kind: MapKind = Field(description="images: a tile per sample; channels: a tile per channel of `sample`; rows: a heat block per sample.")
    width: int
    height: int
    count: int = Field(description="Number of tiles.")
    columns: int = Field(description="Tiles per row of the grid.")
    pad: int = Field(description="Pixels around and between tiles (0 for a single tile).")
    tile_height: int
    tile_width: int
    cell_rows: int = Field(description="Rows of values in a tile: the stage's H, or a heat block's rows.")
    cell_cols: int = Field(description="Columns of values in a tile: the stage's W, or a heat block's width.")
    first: int = Field(description="images, rows: the sample shown by tile 0.")
    sample: int = Field(description="channels: the sample whose channels are shown.")
    features: int | None = Field(description="rows: values per sample (feature f at cell f // cell_cols, f % cell_cols).")


def map_layout_response(layout: MapLayout) -> MapLayoutResponse:
    width, height = layout.size
    return MapLayoutResponse(
        kind=layout.kind, width=width, height=height, count=layout.count, columns=layout.columns, pad=layout.pad,
        tile_height=layout.tile[0], tile_width=layout.tile[1], cell_rows=layout.cells[0], cell_cols=layout.cells[1],
        first=layout.first, sample=layout.sample, features=layout.features,
    )


class ParamInfo(BaseModel):
    name: str
    type: str = Field(description="int, float, bool, choice, int_or_pair, float_or_pair, padding, output_size, tensor")
    default: Any = Field(description="torch's default; null where torch has none (required) or None.")
    required: bool
    inferred: bool = Field(description="Filled from the incoming shape when left out.")
    nullable: bool
    constraints: dict[str, Any] = Field(default_factory=dict, description="ge / gt / le bounds and choices.")
    doc: str


class LayerInfo(BaseModel):
    type: str
    torch_class: str
    category: str
    doc: str
    params: list[ParamInfo]
    formula: str = Field(description="The output size, in words.")
    input_ranks: list[int] | None = Field(description="Accepted input dimensionalities (null: any).")
    tensors: list[str] = Field(description="Explicit tensors a request may give (weight, bias).")
    extra_fields: dict[str, str] = Field(default_factory=dict, description="layerlab's own fields, e.g. indices_from.")
    receptive_field: ReceptiveField = Field(description="Which input values feed one output value (the page's outline rule).")
    pool_indices: PoolIndices | None = Field(description="produces (MaxPool2d) or consumes (MaxUnpool2d, via indices_from) pool indices; null: neither.")
    defaults_from: dict[str, str] = Field(description='A parameter whose null or absent value takes another\'s, e.g. {"stride": "kernel_size"}.')
    new_card: dict[str, Any] = Field(description="The arguments a newly added layer starts with.")


class CurveResponse(BaseModel):
    type: str
    x: list[float]
    y: list[float | None]
    grad: list[float | None] = Field(description="dy/dx by autograd.")
    notes: list[str] = Field(default_factory=list, description="torch's warnings, e.g. Softmax's implicit dim.")


class LossResponse(BaseModel):
    type: str
    loss: Any = Field(description="A float, or nested values for reduction='none'.")
    grad: Any = Field(description="d loss / d input (of loss.sum() for reduction='none').")
    input_shape: list[int]
    target_shape: list[int]
    target_dtype: str
    notes: list[str] = Field(default_factory=list)


class Health(BaseModel):
    status: str = "ok"
    version: str
    pid: int = Field(description="The server process that answered (one of several with LAYERLAB_WEB_WORKERS).")
