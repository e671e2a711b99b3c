"""Run a function in one or many processes: GPUs with NCCL, or CPU processes with gloo.

On GPUs this is detectron2's own ``launch``. detectron2 v0.6's launcher requires CUDA, so for
CPU processes (tests, CPU clusters) :func:`launch` starts them itself with the gloo backend and
sets up detectron2's per-machine process group the same way.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import benchmark.compat  # noqa: F401

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from detectron2.engine import launch as detectron2_launch
from detectron2.utils import comm

TIMEOUT = timedelta(minutes=30)


def free_local_url() -> str:
    """A ``tcp://127.0.0.1:PORT`` URL with a port that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return f"tcp://127.0.0.1:{sock.getsockname()[1]}"


def launch(
    main_func: Callable[..., Any],
    num_processes: int = 1,
    num_machines: int = 1,
    machine_rank: int = 0,
    dist_url: str = "auto",
    args: tuple = (),
    use_gpu: bool | None = None,
) -> None:
    """Run ``main_func(*args)`` in ``num_processes`` processes on each of ``num_machines``.

    Parameters
    ----------
    main_func
        A picklable (module-level) function.
    num_processes
        Processes per machine: GPUs when CUDA is available, CPU processes otherwise.
    num_machines, machine_rank, dist_url
        As in detectron2: ``dist_url`` is ``tcp://HOST:PORT`` of machine 0, or ``"auto"`` for a
        free local port (one machine only).
    use_gpu
        One process per GPU with NCCL, or CPU processes with gloo; default: GPUs when CUDA is
        available. Pass ``False`` for a CPU config on a machine that has a GPU.
    """
    world_size = num_processes * num_machines
    if use_gpu is None:
        use_gpu = torch.cuda.is_available()
    if use_gpu:
        detectron2_launch(
            main_func, num_processes, num_machines, machine_rank, dist_url, args, TIMEOUT
        )
        return
    if world_size == 1:
        main_func(*args)
        return
    if dist_url == "auto":
        if num_machines != 1:
            raise ValueError("dist_url='auto' works on one machine only; give tcp://HOST:PORT")
        dist_url = free_local_url()
    mp.start_processes(
        _cpu_worker,
        nprocs=num_processes,
        args=(main_func, world_size, num_processes, machine_rank, dist_url, args),
        daemon=False,
        start_method="spawn",
    )


def _cpu_worker(
    local_rank: int,
    main_func: Callable[..., Any],
    world_size: int,
    num_processes: int,
    machine_rank: int,
    dist_url: str,
    args: tuple,
) -> None:

    global_rank = machine_rank * num_processes + local_rank
    dist.init_process_group(
        "gloo", init_method=dist_url, world_size=world_size, rank=global_rank, timeout=TIMEOUT
    )
    # detectron2's comm.get_local_rank/size read this module attribute (set the same way by
    # detectron2's own GPU launcher).
    for machine in range(world_size // num_processes):
        ranks = list(range(machine * num_processes, (machine + 1) * num_processes))
        group = dist.new_group(ranks)
        if machine == machine_rank:
            comm._LOCAL_PROCESS_GROUP = group
    torch.set_num_threads(max(1, torch.get_num_threads() // num_processes))
    comm.synchronize()
    try:
        main_func(*args)
    finally:
        dist.destroy_process_group()
