"""Several training processes on one machine, as ``torchrun`` starts them.

``torchrun`` sets ``RANK``, ``LOCAL_RANK`` and ``WORLD_SIZE`` (and the rendezvous address) in
each process's environment; :func:`ProcessGroup.from_environment` reads them and joins the group
with the gloo backend, which runs on CPUs. Without them, it is a group of one and nothing is
initialised, so the same script runs with ``python train.py`` and under ``torchrun``.
"""

from __future__ import annotations

import dataclasses
import os

import torch
import torch.distributed as dist
from torch import nn


@dataclasses.dataclass(frozen=True)
class ProcessGroup:
    """This process's place among the training processes.

    Attributes:
        rank: 0 for the main process, which prints and saves checkpoints.
        world_size: how many processes train together.
    """

    rank: int
    world_size: int

    @property
    def is_main(self) -> bool:
        """True for rank 0."""
        return self.rank == 0

    @classmethod
    def single(cls) -> ProcessGroup:
        """A group of one: plain training."""
        return cls(0, 1)

    @classmethod
    def from_environment(cls) -> ProcessGroup:
        """The group that ``torchrun``'s variables describe, joined (gloo); a group of one without them."""
        world_size = int(os.environ.get("WORLD_SIZE", "1"))
        if world_size <= 1:
            return cls.single()
        if not dist.is_initialized():
            dist.init_process_group(backend="gloo")
        return cls(dist.get_rank(), dist.get_world_size())

    def wrap(self, model: nn.Module) -> nn.Module:
        """The model as it trains: in DistributedDataParallel when there are several processes."""
        if self.world_size <= 1:
            return model
        return nn.parallel.DistributedDataParallel(model)

    def agree(self, decision: bool) -> bool:
        """Rank 0's ``decision`` on every rank, so that all ranks stop in the same epoch (a rank that stops
        alone would leave the others waiting in their next gradient exchange)."""
        if self.world_size <= 1:
            return decision
        flag = torch.tensor([1 if decision else 0], dtype=torch.int64)
        dist.broadcast(flag, src=0)
        return bool(flag.item())

    def close(self) -> None:
        """Leaves the group; a no-op for a group of one."""
        if self.world_size > 1 and dist.is_initialized():
            dist.destroy_process_group()
