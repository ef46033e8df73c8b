"""What the web server loads to build a run: building and shipping a trainer must not load torch's compiler stack.

The web process builds each run's trainer (network and optimizer) and pickles it to a training worker. Two torch
paths imported ``torch._dynamo`` and sympy there (+75 MB of resident memory per server process, measured with
the digit page's trainer): ``nn.utils.skip_init`` (via ``to_empty``) and the optimizer's dynamo-disabled methods.
Each check runs in a fresh interpreter, since another test may have loaded them already.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import torch
from torch import nn

from engine.runtime import uninitialised

ROOT = Path(__file__).resolve().parents[1]

BUILD_AND_SHIP = textwrap.dedent("""
    import sys
    import engine.digits, engine.moe
    from engine import snapshots
    from engine.digits.data import DigitData, load_bundled_digits
    from engine.digits.model import Architecture
    from engine.digits.train import DigitTrainer, TrainConfig
    from engine.moe.train import MoEConfig, MoETrainer

    images, labels = load_bundled_digits()
    data = DigitData(images[:200], labels[:200], images[200:260], labels[200:260], "a few")
    small = Architecture(conv1_filters=4, conv2_filters=8, fc1_units=32, fc2_units=16)
    for trainer in (DigitTrainer(TrainConfig(arch=small, epochs=1, batch_size=32), data, device="cpu"),
                    MoETrainer(MoEConfig())):
        again = snapshots.loads(snapshots.dumps(trainer))
        again.optimizer_.state_dict()
    print("loaded:", sorted(m for m in ("torch._dynamo", "sympy") if m in sys.modules))
    trainer.step(0.0)  # training itself still works (and may load them: a worker trains)
    print("trained:", trainer.progress > 0)
""")


def run_fresh(code: str, **env: str) -> str:
    environment = {**os.environ, "PYTHONPATH": str(ROOT), **env}
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_the_web_process_builds_and_ships_trainers_without_torch_dynamo_or_sympy():
    out = run_fresh(BUILD_AND_SHIP, ML_PLAYGROUND_NO_DYNAMO="1")
    assert "loaded: []" in out and "trained: True" in out, out


def test_without_the_setting_torch_loads_dynamo_as_usual():
    """The setting is what keeps dynamo out (this fails if torch stops loading it: then the setting can go)."""
    out = run_fresh(BUILD_AND_SHIP, ML_PLAYGROUND_NO_DYNAMO="0")
    assert "'torch._dynamo'" in out.split("trained:")[0], out


def test_an_uninitialised_layer_is_skip_inits_layer():
    """Same class, shapes, dtypes and trainability as ``nn.utils.skip_init``; parameters on the CPU."""
    for cls, args in ((nn.Conv2d, (3, 5, 4)), (nn.Linear, (7, 2))):
        ours, theirs = uninitialised(cls, *args), nn.utils.skip_init(cls, *args)
        assert type(ours) is type(theirs)
        mine, reference = dict(ours.named_parameters()), dict(theirs.named_parameters())
        assert mine.keys() == reference.keys()
        for name, param in mine.items():
            assert param.shape == reference[name].shape and param.dtype == reference[name].dtype
            assert param.device == torch.device("cpu") and param.requires_grad
