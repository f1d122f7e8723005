"""Run a pipeline for real and capture every stage.

Order matters and mirrors the ``code`` field exactly: ``torch.manual_seed(seed)``, then every module
built in pipeline order (so torch's own initialisation draws the same numbers), explicit weights
copied in, the mode set, then one forward pass stage by stage. Only what draws from torch's
process-wide generator (building; random layers in train mode) holds its lock (:mod:`.rng`); the
rest of a run overlaps with other runs. torch's warnings are kept per run (:mod:`.captured`).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from concurrent.futures import Future
from functools import partial

import torch
import torch.nn as nn

from .backward import Backward, Gradients, PreparedLoss, check_output_index, gradients, objective, prepare_loss
from .built import BuiltNetwork, BuiltNetworks
from .captured import captured_warnings
from .errors import InputError, LayerError
from .explain import explain_refusal
from .notes import stage_notes
from .plan import make_plan
from .records import LayerConfig, Mode, Plan, Stage, StageResult, Stats, Trace
from .rng import seeded
from .shapes import shape_text
from .summary import stats_soon

StageReady = Callable[[int, torch.Tensor, Stats], object]
"""``on_stage`` of :func:`run_pipeline`: stage k's tensor and statistics, as soon as both exist."""


def check_input(x: torch.Tensor, max_elements: int) -> None:
    if x.numel() == 0:
        raise InputError(f"The input is empty (shape {tuple(x.shape)}); give at least one value.")
    if x.numel() > max_elements:
        raise InputError(
            f"The input holds {x.numel():,} values, above this server's limit of {max_elements:,} "
            "(LAYERLAB_MAX_ELEMENTS)."
        )


def build_modules(
    plan: Plan, mode: Mode, weights: dict[str, torch.Tensor] | None = None, warned: list[list[str]] | None = None
) -> list[nn.Module]:
    """Build on the CPU in pipeline order, as ``code`` does (inside :func:`.rng.seeded`); then
    ``weights`` (a state_dict keyed ``"<position>.<name>"``, as nn.Sequential names them) if given.

    With weights in eval mode the modules skip torch's initialisation and take the weights' tensors
    themselves (:func:`load_weights` ``share``): the state_dict replaces every tensor (strictly, or
    :func:`check_weights` refuses), and in eval mode nothing draws from the generator after building,
    so the outputs are those of ``code``'s seeded build + ``load_state_dict``, bit for bit.

    ``warned``, when given, receives each stage's warnings from its constructor (a deprecated name).
    """
    trained = weights is not None and mode is Mode.EVAL
    modules = []
    for stage in plan.stages:
        with captured_warnings() as caught:
            try:
                modules.append(stage.build(initialise=not trained))
            except Exception as exc:
                raise explain_refusal(stage, _config_of(stage), exc) from exc
        if warned is not None:
            warned.append(caught)
    with torch.no_grad():
        for stage, module in zip(plan.stages, modules, strict=True):
            for name, value in stage.explicit.items():
                getattr(module, name).copy_(value)
            module.train(mode is Mode.TRAIN)
    if weights is not None:
        load_weights(plan, modules, weights, share=trained)
    return modules


def load_weights(plan: Plan, modules: list[nn.Module], weights: dict[str, torch.Tensor], *, share: bool = False) -> None:
    """Copy a state_dict into the modules; a LayerError names the first layer that does not match.

    ``share``: the modules take the weights' tensors instead of copies (``load_state_dict(assign=True)``,
    each a new tensor object over the same memory) where dtype and layout are already the module's, so a
    run allocates and copies nothing. Only for modules nothing writes to: eval mode (train-mode BatchNorm
    updates its running statistics in place); ``weights`` are shared and never written to.
    """
    check_weights(plan, weights, modules)
    with torch.no_grad():
        for i, module in enumerate(modules):
            own = {k.split(".", 1)[1]: v for k, v in weights.items() if int(k.split(".", 1)[0]) == i}
            if share and all(_same_layout(getattr(module, name, None), tensor) for name, tensor in own.items()):
                module.load_state_dict({name: tensor.detach() for name, tensor in own.items()}, assign=True)
            else:
                module.load_state_dict(own)


def _same_layout(target: object, tensor: torch.Tensor) -> bool:
    """``tensor`` can stand in for ``target`` unchanged: same dtype, dense and contiguous (copying would change nothing)."""
    return (
        isinstance(target, torch.Tensor) and tensor.dtype == target.dtype and tensor.device == target.device
        and tensor.layout is torch.strided and tensor.is_contiguous()
    )  # fmt: skip


def check_weights(plan: Plan, weights: dict[str, torch.Tensor], modules: list[nn.Module] | None = None) -> None:
    """A LayerError naming the first layer whose keys or shapes differ from ``weights`` (strict, like
    ``load_state_dict``); without ``modules`` they are built on the meta device, allocating nothing."""
    if modules is None:
        with captured_warnings():  # meta builds warn about no-op initialisation
            modules = [stage.build("meta") for stage in plan.stages]
    expected = {f"{i}.{k}": v for i, m in enumerate(modules) for k, v in m.state_dict().items()}
    for key in [*expected, *(k for k in weights if k not in expected)]:  # the modules' own order first
        position = min(int(key.split(".", 1)[0]), len(plan.stages) - 1)
        stage = plan.stages[position]
        name = key.split(".", 1)[1]
        here, there = expected.get(key), weights.get(key)
        if here is not None and there is not None and here.shape == there.shape:
            continue
        shape = lambda t: shape_text(tuple(t.shape))  # noqa: E731
        if there is None:
            got = f"has {name} ({shape(here)}) here, which the weights lack"
        elif here is None:
            got = f"has no {name}, but the weights hold one for layer {position + 1} ({shape(there)})"
        else:
            got = f"has {name} of shape {shape(here)} here but {shape(there)} in the weights"
        raise LayerError(
            position,
            stage.spec.name,
            f"Layer {stage.index} ({stage.spec.name}) {got}: the layers do not match the trained network. "
            "Leave layers out to use the network's own, or change this layer back to its.",
            param=name,
            context={"expected": list(there.shape) if there is not None else None, "got": list(here.shape) if here is not None else None},
        )


def rebuild_modules(trace: Trace) -> list[nn.Module]:
    """The run's modules again, with the same weights: seeded and built in order as the run was, then its
    trained weights if it had any. Runs keep tensors, not modules."""
    with seeded(trace.seed, cpu_only=True):  # the runs' RNG lock: no other request reseeds meanwhile
        return build_modules(trace.plan, trace.mode, trace.weights)


def _config_of(stage: Stage) -> LayerConfig:
    return {"type": stage.spec.name, **stage.kwargs}


def run_pipeline(
    x: torch.Tensor,
    layers: list[LayerConfig],
    *,
    seed: int = 0,
    mode: Mode = Mode.EVAL,
    max_elements: int = 50_000_000,
    weights: dict[str, torch.Tensor] | None = None,
    backward: Backward | None = None,
    on_stage: StageReady | None = None,
    built: list[nn.Module] | None = None,
    reuse: BuiltNetworks | None = None,
) -> Trace:
    """Plan on meta (refusing early), then build and run on the CPU, capturing every stage.

    ``weights``: a trained state_dict (a job's checkpoint) to run instead of the seeded initial weights.
    ``backward``: also differentiate (:mod:`.backward`); the forward pass then records autograd's graph.
    ``on_stage(k, tensor, stats)``: called as soon as stage k (0: the input) and its statistics exist, on
    whichever thread computed them, while later layers may still run (e.g. to start drawing its map).
    Each stage's statistics are computed beside the next layer's forward pass (:func:`.summary.stats_soon`).
    ``built``, when given, receives the modules the run built (an eval run leaves them as built: attributions
    reuse them instead of building the network again).
    ``reuse``: the networks already built with these ``weights`` (:mod:`.built`); a plain eval forward pass
    takes its plan's from there, or builds it and leaves it there.
    """
    x = x.to(torch.float32)
    check_input(x, max_elements)
    training = mode is Mode.TRAIN
    plan = make_plan(tuple(x.shape), layers, max_elements, training=training)
    prepared = _prepare_backward(backward, plan.stages[-1].output_shape if plan.stages else plan.input_shape)
    pending = [_stats_of(0, x, on_stage)]
    # A plain eval forward pass with trained weights may share its modules with other runs (.built).
    keep = reuse if weights is not None and mode is Mode.EVAL and backward is None and built is None else None
    kept = keep.get(plan) if keep is not None else None
    stream = None  # the run's random stream: train mode's random layers continue it (never a reused network)
    if kept is not None:
        modules, built_warnings = kept.modules, kept.warnings  # read only: each stage's notes get a new list
    else:
        built_warnings = []
        with seeded(seed, cpu_only=True) as stream:
            modules = build_modules(plan, mode, weights, built_warnings)
        if keep is not None:
            keep.put(plan, BuiltNetwork(modules, built_warnings))
    # With backward, x is a leaf that keeps its gradient and every stage's output stays in the graph
    # (``live``); the records hold detached views of the same values.
    live = [x.detach().requires_grad_(True)] if backward is not None else []
    grad_mode = torch.enable_grad if backward is not None else torch.no_grad
    results: list[StageResult] = []
    warnings_of: list[list[str]] = []
    current = live[0] if live else x
    for stage, module, warned in zip(plan.stages, modules, built_warnings, strict=True):
        arg = current.clone() if getattr(module, "inplace", False) else current
        pool_indices = None if stage.indices_from is None else results[stage.indices_from].indices
        # Only a layer that draws random numbers continues the run's stream, under the RNG lock.
        draws = stream.drawing() if training and stream is not None and stage.spec.random_in_train else contextlib.nullcontext()
        with draws, captured_warnings() as caught, grad_mode():
            start = time.perf_counter()
            try:
                out = stage.forward(module, arg, pool_indices)
            except Exception as exc:  # data-dependent refusals the meta pass cannot see
                raise explain_refusal(stage, _config_of(stage), exc) from exc
            elapsed = (time.perf_counter() - start) * 1000
        out, indices = out if isinstance(out, tuple) else (out, None)
        if live:
            if out.requires_grad:
                out.retain_grad()
            live.append(out)
            out = out.detach()
        pending.append(_stats_of(stage.index, out, on_stage))  # once per run: the cache keeps it with the tensors
        results.append(StageResult(stage, repr(module), out, indices, elapsed))
        warnings_of.append(warned + caught)
        current = live[-1] if live else out
    input_stats = pending[0].result()
    previous, previous_stats = x, input_stats
    for result, stats, warned in zip(results, pending[1:], warnings_of, strict=True):
        result.stats = stats.result()
        result.notes = stage_notes(result.stage, previous, previous_stats, result.output, result.stats, warned)
        previous, previous_stats = result.output, result.stats
    grads = None if backward is None else _differentiate(backward, prepared, live, modules)
    if built is not None:
        built.extend(modules)
    return Trace(x, plan, results, seed, mode, input_stats, weights, grads)


def _stats_of(k: int, t: torch.Tensor, on_stage: StageReady | None) -> Future[Stats]:
    return stats_soon(t, None if on_stage is None else partial(on_stage, k, t))


def _prepare_backward(backward: Backward | None, out_shape: tuple[int, ...]) -> PreparedLoss | None:
    """Refuses a target or output index that cannot fit the planned output, before any module is built."""
    if backward is None:
        return None
    if backward.loss is None:
        assert backward.output is not None
        check_output_index(backward.output, out_shape)
        return None
    return prepare_loss(backward, out_shape)


def _differentiate(backward: Backward, prepared: PreparedLoss | None, live: list[torch.Tensor], modules: list[nn.Module]) -> Gradients:
    with torch.enable_grad():
        return gradients(objective(backward, prepared, live[-1]), backward, live, modules)
