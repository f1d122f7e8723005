"""layerlab's core: pure torch. Layer registry, schemas, shape inference on meta, run and trace.

Nothing here imports the web layer; rendering, datasets, jobs and the API depend on this package.
"""

from .errors import EngineError, InputError, LayerError, LimitError
from .plan import make_plan
from .records import LayerConfig, Mode, Plan, Stage, StageResult, Trace
from .registry import REGISTRY, SPECS, Category, Kind, LayerSpec, Param
from .run import run_pipeline

__all__ = [
    "REGISTRY",
    "SPECS",
    "Category",
    "EngineError",
    "InputError",
    "Kind",
    "LayerConfig",
    "LayerError",
    "LayerSpec",
    "LimitError",
    "Mode",
    "Param",
    "Plan",
    "Stage",
    "StageResult",
    "Trace",
    "make_plan",
    "run_pipeline",
]
