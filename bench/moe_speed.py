"""Speed of the mixture-of-experts engine: sparse dispatch vs dense, and the default preset's time to a stable picture.

    python bench/moe_speed.py [--repeats 30] [--skip-preset]

1. One training step (router + experts forward, backward, Adam) of a MoE layer
   with 16 experts of width 64 -> 256 -> 64, top-2, batch 1,024, with sparse
   dispatch and with the dense "every expert on every input, then mask" reference,
   interleaved in one run (median of ``--repeats``). Target: sparse <= 0.35 x dense.
   The same for the explorer's tiny 2-D experts (8 of 2 -> 8 -> 5, top-1, batch
   256), where dispatch overhead dominates, and what ``dispatch="auto"`` picks.
2. The default preset trained as the page does (ticks of ``step(0.1)``): the
   training time until the picture is stable — from then on, the routing map's
   top-1 expert differs from the final one in at most 2 % of the grid, every
   expert's load share is within 0.03 of its final value and validation accuracy
   within 2 points of its final value. Target: <= 10 s. Also the cost of the
   views a page draws per update (routing map, decision map, expert maps).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

from engine.moe import DEFAULT_PRESET, PRESETS, MoETrainer  # noqa: E402
from engine.moe.experts import ExpertBank, choose_dispatch  # noqa: E402
from engine.moe.router import Router  # noqa: E402


def layer_step_times(n_experts, d, hidden, d_out, top_k, batch, repeats) -> dict[str, float]:
    """Median seconds of one training step with each dispatch, interleaved so machine load hits both alike."""
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(batch, d, generator=gen)
    target = torch.randn(batch, d_out, generator=gen)
    setups = {}
    for dispatch in ("sparse", "dense"):
        g = torch.Generator().manual_seed(1)
        router = Router(d, n_experts, top_k=top_k, gate="topk" if top_k > 1 else "full", generator=g)
        bank = ExpertBank(n_experts, d, hidden, d_out, g)
        opt = torch.optim.Adam([*router.parameters(), *bank.parameters()], lr=1e-3, foreach=True)
        setups[dispatch] = (router, bank, opt)
    times: dict[str, list[float]] = {k: [] for k in setups}

    def one(dispatch):
        router, bank, opt = setups[dispatch]
        started = time.perf_counter()
        routing = router(x)
        out = bank(x, routing.tokens, routing.experts, routing.weights, dispatch=dispatch)
        loss = torch.nn.functional.mse_loss(out, target)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return time.perf_counter() - started

    for _ in range(3):  # warm-up
        for dispatch in setups:
            one(dispatch)
    for _ in range(repeats):
        for dispatch in setups:
            times[dispatch].append(one(dispatch))
    return {k: statistics.median(v) for k, v in times.items()}


def report_dispatch(repeats: int) -> None:
    for label, args in (("16 experts 64->256->64, top-2, batch 1,024", (16, 64, 256, 64, 2, 1024)),
                        ("8 experts 2->8->5, top-1, batch 256 (the 2-D explorer)", (8, 2, 8, 5, 1, 256))):
        n_experts, d, hidden, d_out, top_k, batch = args
        t = layer_step_times(*args, repeats=repeats)
        auto = choose_dispatch(batch, batch * top_k, n_experts, d * hidden + hidden * d_out)
        print(f"{label}: sparse {t['sparse'] * 1e3:.2f} ms, dense {t['dense'] * 1e3:.2f} ms per training step "
              f"-> sparse/dense = {t['sparse'] / t['dense']:.2f}; auto picks {auto}", flush=True)


MAP_TOLERANCE, SHARE_TOLERANCE, ACCURACY_TOLERANCE = 0.02, 0.03, 0.02
"""A picture counts as stable when it stays this close to the final one (see :func:`settled_index`)."""


def settled_index(snapshots: list[tuple[np.ndarray, np.ndarray | None, float]]) -> int:
    """Index of the first snapshot ``(routing map's top-1 expert, load shares, validation accuracy)`` from which
    every later one stays close to the last: the map differs in at most 2 % of the grid, every share by at most
    0.03, the accuracy by at most 2 points."""
    final_map, final_shares, final_acc = snapshots[-1]
    for i in range(len(snapshots)):
        if all(shares is not None and (map_ != final_map).mean() <= MAP_TOLERANCE
               and np.abs(shares - final_shares).max() <= SHARE_TOLERANCE and abs(acc - final_acc) <= ACCURACY_TOLERANCE
               for map_, shares, acc in snapshots[i:]):
            return i
    return len(snapshots) - 1


def settles(config, every: int = 25) -> tuple[int, float]:
    """``(step from which the picture is stable, final validation accuracy)`` of one run of ``config``
    without the dense comparisons (they do not change the MoE's run), snapshots every ``every`` steps."""
    trainer = MoETrainer(config.replace(dense_baselines=False), device="cpu")
    snapshots, steps = [], []
    while not trainer.finished:
        trainer.train_steps(every)
        last = trainer.history_[-1]
        snapshots.append((trainer.routing_map(60)["expert"], np.array(last.shares), last.val_accuracy))
        steps.append(trainer.step_)
    return steps[settled_index(snapshots)], snapshots[-1][2]


def report_preset(tick: float = 0.1, resolution: int = 60) -> None:
    config = PRESETS[DEFAULT_PRESET]
    trainer = MoETrainer(config, device="cpu")
    snapshots = []  # (training seconds, step, routing map, shares, val accuracy)
    trained = 0.0
    view_costs = []
    while not trainer.finished:
        started = time.perf_counter()
        trainer.step(tick)
        trained += time.perf_counter() - started
        started = time.perf_counter()
        routing = trainer.routing_map(resolution)
        trainer.decision_map(resolution)
        trainer.expert_maps(40)
        view_costs.append(time.perf_counter() - started)
        last = trainer.history_[-1] if trainer.history_ else None
        snapshots.append((trained, trainer.step_, routing["expert"],
                          np.array(last.shares) if last else None, last.val_accuracy if last else 0.0))
    index = settled_index([(map_, shares, acc) for _, _, map_, shares, acc in snapshots])
    stable_at = snapshots[index][:2]
    last = trainer.history_[-1]
    print(f"default preset {DEFAULT_PRESET!r} ({config.steps} steps, dense baselines on, ticks of {tick} s): "
          f"{trained:.1f} s of training in {len(snapshots)} ticks ({trainer.status_}); stable picture after "
          f"{stable_at[0]:.1f} s (step {stable_at[1]}); final validation accuracy {last.val_accuracy:.3f}, "
          f"max share {last.max_share:.2f}, dead {last.dead}", flush=True)
    print(f"views per update (routing map {resolution}x{resolution}, decision map, 8 expert maps 40x40): median "
          f"{statistics.median(view_costs) * 1e3:.1f} ms", flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--skip-preset", action="store_true")
    args = parser.parse_args(argv)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s)")
    report_dispatch(args.repeats)
    if not args.skip_preset:
        report_preset()


if __name__ == "__main__":
    main()
