"""Mixture-of-experts routing explorer: train a small MoE live and watch the router decide.

Public API (the page, notebooks and benchmarks use these)::

    from engine.moe import PRESETS, MoEConfig, MoETrainer
    trainer = MoETrainer(PRESETS["Collapse"])
    trainer.step(max_seconds=0.1)           # the live protocol of engine.live; or trainer.train_steps(100)
    trainer.history_[-1].max_share          # load imbalance, accuracy, gate entropy, dropped share ...
    trainer.route(points)                   # (expert indices, gate weights, dropped mask)
    trainer.load_history()                  # (steps, n_experts) inputs each expert processed
    trainer.param_counts()                  # total vs active parameters, FLOPs per input
    trainer.routing_map(80)                 # top-1 expert and router confidence over the plane

Importing this package imports torch and applies the thread policy of
:mod:`engine.runtime` (``import engine`` alone stays light).
"""

from __future__ import annotations

from engine.runtime import configure_threads

configure_threads()  # before any model is built: one torch thread, no OpenMP spin-waiting

from engine.moe.config import GATES, ROUTERS, TASKS, MoEConfig  # noqa: E402
from engine.moe.data import MoETask, load_task  # noqa: E402
from engine.moe.metrics import LoadStats, ParamCounts, count_params, load_stats  # noqa: E402
from engine.moe.presets import DEFAULT_PRESET, OPTION_HELP, PRESET_HELP, PRESETS  # noqa: E402
from engine.moe.records import EvalResult, MoERecord  # noqa: E402
from engine.moe.router import Routing  # noqa: E402
from engine.moe.train import MoETrainer  # noqa: E402

__all__ = [
    "DEFAULT_PRESET",
    "GATES",
    "OPTION_HELP",
    "PRESETS",
    "PRESET_HELP",
    "ROUTERS",
    "TASKS",
    "EvalResult",
    "LoadStats",
    "MoEConfig",
    "MoERecord",
    "MoETask",
    "MoETrainer",
    "ParamCounts",
    "Routing",
    "count_params",
    "load_stats",
    "load_task",
]
