"""``weights_from``: which weights a run or a training job starts from, as requests spell it.

Either a training job's checkpoint ``{"job_id", "epoch"}`` or a stored model ``{"model_id"}``
(imported, or shipped with layerlab). Both resolve through :class:`app.models.home.WeightsHome`.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field


class JobWeights(BaseModel):
    """A training job's checkpoint."""

    model_config = ConfigDict(extra="forbid")
    job_id: str = Field(max_length=64, description="A job of POST /api/jobs.")
    epoch: int | None = Field(None, ge=0, description="Checkpoint epoch (0 = initial weights); omitted: the latest.")


class ModelWeights(BaseModel):
    """A model of GET /api/models: imported by POST /api/models, or shipped trained."""

    model_config = ConfigDict(extra="forbid")
    model_id: str = Field(max_length=64, description="As answered by POST /api/models or listed by GET /api/models.")


WeightsFrom = Annotated[
    JobWeights | ModelWeights,
    Field(description='A job\'s checkpoint {"job_id", "epoch"} or a model {"model_id"}; with no layers, its own layers are used.'),
]
