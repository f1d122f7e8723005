"""Train a pipeline on CIFAR-10: a plain torch loop that yields records, nothing else.

The network is the lab's own: planned by :func:`make_plan` (so torch refuses a bad pipeline with the
lab's words) and built by :func:`build_modules` after ``torch.manual_seed(seed)``, exactly as the run
API builds it. Images stay uint8 (N, 3, 32, 32) where the dataset keeps them (memory-mapped for the
folder source); each batch is gathered from that tensor and scaled to [0, 1] on the fly — the scale
``ToTensor`` gives and the lab feeds, so trained weights mean the same thing in every lab view.
Callers write the records wherever they like (the job worker writes JSON lines and checkpoints).
Under ``torchrun`` the same loop is data-parallel (:mod:`.distributed`): every rank draws the same
seeded batches, trains on its share of each, and rank 0 alone evaluates and yields the records.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import torch
import torch.nn as nn

from . import distributed
from .distributed import SINGLE, Ranks
from .errors import EngineError, LayerError
from .health import HEALTH_IMAGES, ActivationRecord, LayerHealthRecord, NormWatch, activation_record
from .plan import make_plan
from .records import LayerConfig, Mode, Plan
from .recipe import Augment, Device, Optimizer, Schedule, augment_batch, make_optimizer, make_schedule, resolve_device
from .rng import seeded
from .run import build_modules
from .shapes import shape_text

IMAGE_SHAPE = (3, 32, 32)
NUM_CLASSES = 10
EVAL_BATCH = 500


@dataclass(frozen=True)
class TrainSpec:
    layers: list[LayerConfig]
    optimizer: Optimizer = Optimizer.SGD
    lr: float = 0.01
    momentum: float = 0.0
    weight_decay: float = 0.0
    batch_size: int = 64
    epochs: int = 1
    max_steps: int | None = None
    seed: int = 0
    device: Device = Device.AUTO
    schedule: Schedule = Schedule.CONSTANT
    augment: tuple[Augment, ...] = ()
    initial_weights: dict[str, torch.Tensor] | None = field(default=None, repr=False)  # fine-tune from these
    health_every: int = 0  # layer norms every this many steps and activations every epoch (app.engine.health); 0: off


@dataclass
class TrainData:
    """uint8 images (N, 3, 32, 32) and int64 labels (N,) per split."""

    train_images: torch.Tensor
    train_labels: torch.Tensor
    test_images: torch.Tensor
    test_labels: torch.Tensor


@dataclass
class StepRecord:
    step: int  # 1-based, over the whole job
    epoch: int  # 1-based epoch this step belongs to
    loss: float
    images_per_s: float
    time: float  # Unix time the loss was measured


@dataclass
class EpochRecord:
    """End of an epoch (epoch 0: the initial weights): test metrics and the weights to keep."""

    epoch: int
    step: int
    train_loss: float | None  # mean over the epoch's steps; None for epoch 0
    test_loss: float
    test_accuracy: float
    class_accuracy: list[float | None]  # per class; None where the test split has no image of it
    confusion: list[list[int]]  # [true class][predicted class] counts on the test split
    state_dict: dict[str, torch.Tensor] = field(repr=False)  # CPU copies, keys as nn.Sequential names them
    time: float


TrainRecord = StepRecord | EpochRecord | LayerHealthRecord | ActivationRecord


class Network(nn.ModuleList):
    """The plan's modules called in order, handing MaxPool2d indices to the MaxUnpool2d that names them.

    A ModuleList, so ``state_dict`` keys are ``"<position>.<name>"`` — the keys of the ``nn.Sequential``
    (or ``nn.ModuleList``) that the run API's ``code`` field builds.
    """

    def __init__(self, modules: list[nn.Module], indices_from: list[int | None]) -> None:
        super().__init__(modules)
        self.indices_from = indices_from

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for x in self.stages(x):  # noqa: B007 (the last stage's output is the network's)
            pass
        return x

    def stages(self, x: torch.Tensor) -> Iterator[torch.Tensor]:
        """Each stage's output in order."""
        indices: dict[int, torch.Tensor] = {}
        for position, (module, source) in enumerate(zip(self, self.indices_from, strict=True)):
            out = module(x) if source is None else module(x, indices[source])
            if isinstance(out, tuple):
                out, indices[position] = out
            x = out
            yield x


def plan_for_training(layers: list[LayerConfig], batch_size: int, max_elements: int) -> Plan:
    """The plan for (batch, 3, 32, 32) images in train mode; refuses a pipeline that cannot train.

    Raises :class:`LayerError` (torch's refusal, in the lab's words) or :class:`EngineError`.
    """
    plan = make_plan((batch_size, *IMAGE_SHAPE), layers, max_elements, training=True)
    out = plan.stages[-1].output_shape if plan.stages else plan.input_shape
    if tuple(out) != (batch_size, NUM_CLASSES):
        shown = shape_text(tuple(out))
        last = plan.stages[-1]
        raise LayerError(
            last.position,
            last.spec.name,
            f"The pipeline must end in {NUM_CLASSES} outputs per image (one score per CIFAR-10 class, for "
            f"CrossEntropyLoss), i.e. shape {batch_size}×{NUM_CLASSES}; it ends in {shown}. "
            f"End with Flatten and a Linear with out_features={NUM_CLASSES}.",
            context={"expected": [batch_size, NUM_CLASSES], "got": list(out)},
        )
    if not any(stage.params for stage in plan.stages):
        raise EngineError("The pipeline has no parameters to train; add a Conv2d or Linear layer.")
    return plan


def build_network(plan: Plan, seed: int) -> Network:
    """Built as the run API builds it: same seed, same order, so epoch 0 equals the lab's weights."""
    with seeded(seed):  # the lock the run API builds under, so a run beside it cannot reseed
        modules = build_modules(plan, Mode.TRAIN)
    return Network(modules, [stage.indices_from for stage in plan.stages])


def to_input(images: torch.Tensor, device: torch.device) -> torch.Tensor:
    """uint8 (B, 3, 32, 32) → float32 in [0, 1] on ``device``, channels-last (convs measured ~1.5x faster)."""
    x = images.to(device, non_blocking=True).float().div_(255)  # what ToTensor computes
    return x.contiguous(memory_format=torch.channels_last)


@torch.no_grad()
def evaluate(net: nn.Module, images: torch.Tensor, labels: torch.Tensor, device: torch.device) -> tuple[float, torch.Tensor]:
    """Mean cross-entropy and the (true, predicted) confusion counts, in eval mode (put back after)."""
    was_training = net.training
    net.eval()
    total = torch.zeros((), dtype=torch.float64, device=device)
    confusion = torch.zeros(NUM_CLASSES * NUM_CLASSES, dtype=torch.int64, device=device)
    try:
        for start in range(0, len(labels), EVAL_BATCH):
            y = labels[start : start + EVAL_BATCH].to(device)
            logits = net(to_input(images[start : start + EVAL_BATCH], device))
            total += nn.functional.cross_entropy(logits, y, reduction="sum").double()
            confusion += torch.bincount(y * NUM_CLASSES + logits.argmax(1), minlength=NUM_CLASSES * NUM_CLASSES)
    finally:
        net.train(was_training)
    return float(total) / max(1, len(labels)), confusion.view(NUM_CLASSES, NUM_CLASSES).cpu()


def _epoch_record(net: Network, data: TrainData, device: torch.device, epoch: int, step: int, train_loss: float | None) -> EpochRecord:
    test_loss, confusion = evaluate(net, data.test_images, data.test_labels, device)
    per_class = confusion.sum(1)
    correct = confusion.diagonal()
    class_accuracy = [float(c) / float(n) if n else None for c, n in zip(correct, per_class, strict=True)]
    state = {k: v.detach().to("cpu", copy=True).contiguous() for k, v in net.state_dict().items()}
    return EpochRecord(
        epoch=epoch,
        step=step,
        train_loss=train_loss,
        test_loss=test_loss,
        test_accuracy=float(correct.sum()) / max(1, int(per_class.sum())),
        class_accuracy=class_accuracy,
        confusion=confusion.tolist(),
        state_dict=state,
        time=time.time(),
    )


def total_steps(spec: TrainSpec, train_size: int) -> int:
    per_epoch = math.ceil(train_size / spec.batch_size)
    steps = per_epoch * spec.epochs
    return min(steps, spec.max_steps) if spec.max_steps is not None else steps


def train(
    spec: TrainSpec, data: TrainData, *, max_elements: int, ranks: Ranks = SINGLE
) -> Iterator[TrainRecord]:
    """Yield a StepRecord per optimiser step and an EpochRecord at epoch 0 and after every epoch; with
    ``spec.health_every``, a LayerHealthRecord every that many steps and an ActivationRecord after each
    EpochRecord (:mod:`.health`).

    Stops early after ``max_steps``; the partial epoch still gets its EpochRecord. To stop it
    sooner, stop iterating (the job worker raises out of it from a signal handler). With several
    ``ranks`` (torchrun's), every rank must iterate; only rank 0 gets records, the others none.
    """
    plan = plan_for_training(spec.layers, spec.batch_size, max_elements)
    device = resolve_device(spec.device, ranks)
    with distributed.process_group(ranks, device):
        yield from _train(spec, data, plan, device, ranks)


def _activations(net: Network, plan: Plan, data: TrainData, device: torch.device, epoch: int, step: int) -> ActivationRecord:
    """Each stage over the first test images, in eval mode (put back after)."""
    was_training = net.training
    net.eval()
    try:
        return activation_record(plan, net.stages, to_input(data.test_images[:HEALTH_IMAGES], device), epoch, step)
    finally:
        net.train(was_training)


def _train(spec: TrainSpec, data: TrainData, plan: Plan, device: torch.device, ranks: Ranks) -> Iterator[TrainRecord]:
    net = build_network(plan, spec.seed)
    if spec.initial_weights is not None:  # fine-tuning: the seeded build is overwritten, strictly
        net.load_state_dict(spec.initial_weights, strict=True)
    net = net.to(device, memory_format=torch.channels_last)
    model = distributed.wrap(net, ranks, device)  # trains; ``net`` is evaluated and saved (its own state_dict keys)
    optimizer = make_optimizer(spec.optimizer, model.parameters(), spec.lr, spec.momentum, spec.weight_decay)
    loss_fn = nn.CrossEntropyLoss(reduction="sum")  # summed over the rank's shard: see distributed.shard_loss
    if device.type == "cuda":  # the whole uint8 split fits on any GPU (150 MB): slice it there
        data = TrainData(*(t.to(device) for t in (data.train_images, data.train_labels, data.test_images, data.test_labels)))
    order = torch.Generator().manual_seed(spec.seed)  # the shuffle is seeded apart from the model's RNG
    augmenting = torch.Generator().manual_seed(spec.seed + 1)  # so are the crops and flips
    torch.manual_seed(spec.seed)  # Dropout/RReLU draws during training
    watch = NormWatch(plan, net) if spec.health_every and ranks.leader else None
    if ranks.leader:
        yield _epoch_record(net, data, device, 0, 0, None)
        if watch is not None:
            yield _activations(net, plan, data, device, 0, 0)
    n, step, last = len(data.train_labels), 0, time.perf_counter()
    limit = total_steps(spec, n)
    scheduler = make_schedule(spec.schedule, optimizer, spec.lr, limit)
    for epoch in range(1, spec.epochs + 1):
        permutation = torch.randperm(n, generator=order).to(data.train_labels.device)
        losses = torch.zeros((), device=device)
        epoch_steps = 0
        for start in range(0, n, spec.batch_size):
            batch = permutation[start : start + spec.batch_size]
            mine = distributed.shard(batch, ranks)  # (B / world,): this rank's images of the global batch
            images = data.train_images.index_select(0, mine)
            if spec.augment:
                images = augment_batch(images, spec.augment, augmenting)
            x = to_input(images, device)
            y = data.train_labels.index_select(0, mine).to(device, non_blocking=True)
            optimizer.zero_grad(set_to_none=True)
            loss_sum = loss_fn(model(x), y)
            distributed.shard_loss(loss_sum, len(batch), ranks).backward()
            watching = watch is not None and (step + 1) % spec.health_every == 0
            if watching:
                lr = float(optimizer.param_groups[0]["lr"])  # the rate of this step (a schedule changes it after)
                watch.before_step()
            optimizer.step()
            health = watch.after_step(step + 1, epoch, lr) if watching else None
            if scheduler is not None:
                scheduler.step()
            step += 1
            epoch_steps += 1
            loss = distributed.global_sum(loss_sum.detach(), ranks) / len(batch)  # the global batch's mean
            value = float(loss)  # waits for the step: the time below is the step's own
            now = time.perf_counter()
            losses += loss
            if ranks.leader:
                yield StepRecord(step, epoch, value, len(batch) / max(now - last, 1e-9), time.time())
                if health is not None:
                    yield health
            last = time.perf_counter()  # the caller's time to write the record is not the model's
            if step >= limit:
                break
        if ranks.leader:
            yield _epoch_record(net, data, device, epoch, step, float(losses) / max(1, epoch_steps))
            if watch is not None:
                yield _activations(net, plan, data, device, epoch, step)
        last = time.perf_counter()
        if step >= limit:
            return
