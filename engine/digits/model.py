"""A LeNet-style CNN whose every layer can be looked at.

Layers (with the default 5x5 kernels, 'same' padding)::

    input    (1, 28, 28)
    conv1    (C1, 28, 28)   convolution + activation
    pool1    (C1, 14, 14)   2x2 max-pool ("downsampling")
    conv2    (C2, 14, 14)   convolution + activation
    pool2    (C2, 7, 7)     2x2 max-pool
    fc1      (F1,)          fully connected + activation
    fc2      (F2,)          fully connected + activation
    output   (10,)          softmax of the logits

The network exposes :meth:`DigitNet.forward_features` instead of relying on
forward hooks: hooks are mutable module state, unsafe on a model shared by
several users at once.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from engine.runtime import uninitialised

LAYERS: tuple[tuple[str, str], ...] = (
    ("input", "Input"),
    ("conv1", "Convolution 1"),
    ("pool1", "Downsampling 1"),
    ("conv2", "Convolution 2"),
    ("pool2", "Downsampling 2"),
    ("fc1", "Fully-connected 1"),
    ("fc2", "Fully-connected 2"),
    ("output", "Output"),
)
"""The eight displayed layers, in order: (key in forward_features, title)."""

ACTIVATIONS = {
    "relu": F.relu,
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
    "gelu": F.gelu,
}
"""Activation functions a user can pick, by name."""


@dataclass(frozen=True)
class Architecture:
    """Hyperparameters that fix the network's shape."""

    conv1_filters: int = 8
    conv2_filters: int = 16
    kernel_size: int = 5
    fc1_units: int = 120
    fc2_units: int = 84
    activation: str = "relu"
    dropout: float = 0.0

    def __post_init__(self) -> None:
        if self.activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, not {self.activation!r}")
        if self.kernel_size not in (3, 5, 7):
            raise ValueError("kernel_size must be 3, 5 or 7")
        for name in ("conv1_filters", "conv2_filters", "fc1_units", "fc2_units"):
            if not 1 <= getattr(self, name) <= 1024:
                raise ValueError(f"{name} must be between 1 and 1024")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError("dropout must be in [0, 1)")


class DigitNet(nn.Module):
    """The CNN. ``forward(x)`` maps ``(N, 1, 28, 28)`` images to ``(N, 10)`` logits.

    ``generator`` (a CPU ``torch.Generator``) draws the initial weights, so that
    building a network never touches torch's process-wide random state (other
    sessions' threads use it too). ``dropout_generator``, when set, draws the
    dropout masks in training mode for the same reason.
    """

    def __init__(self, arch: Architecture, generator: torch.Generator | None = None) -> None:
        super().__init__()
        self.arch = arch
        pad = arch.kernel_size // 2
        # With a generator, skip the layers' own initialisation (it draws from the global RNG).
        make = uninitialised if generator is not None else (lambda cls, *args, **kw: cls(*args, **kw))
        self.conv1 = make(nn.Conv2d, 1, arch.conv1_filters, arch.kernel_size, padding=pad)
        self.conv2 = make(nn.Conv2d, arch.conv1_filters, arch.conv2_filters, arch.kernel_size, padding=pad)
        self.fc1 = make(nn.Linear, arch.conv2_filters * 7 * 7, arch.fc1_units)
        self.fc2 = make(nn.Linear, arch.fc1_units, arch.fc2_units)
        self.out = make(nn.Linear, arch.fc2_units, 10)
        self.act = ACTIVATIONS[arch.activation]
        self.drop = nn.Dropout(arch.dropout)
        self.dropout_generator: torch.Generator | None = None
        if generator is not None:
            self.reset_parameters(generator)

    def reset_parameters(self, generator: torch.Generator) -> None:
        """PyTorch's default initialisation, drawn from ``generator``.

        Conv and linear layers start as ``U(-1/sqrt(fan_in), 1/sqrt(fan_in))`` for weights
        and biases alike: what ``kaiming_uniform_(a=sqrt(5))`` and the default bias
        initialisation give, without the global random state.
        """
        with torch.no_grad():
            for layer in (self.conv1, self.conv2, self.fc1, self.fc2, self.out):
                fan_in = layer.weight[0].numel()
                bound = 1.0 / fan_in**0.5
                layer.weight.uniform_(-bound, bound, generator=generator)
                layer.bias.uniform_(-bound, bound, generator=generator)

    def _dropout(self, x: torch.Tensor) -> torch.Tensor:
        p = self.arch.dropout
        if not self.training or p == 0.0:
            return x
        if self.dropout_generator is None:
            return self.drop(x)
        keep = torch.rand(x.shape, generator=self.dropout_generator, device=x.device) >= p
        return x * keep / (1.0 - p)

    def forward_features(self, x: torch.Tensor) -> OrderedDict[str, torch.Tensor]:
        """Every layer's activations for ``x`` of shape ``(N, 1, 28, 28)``, in order.

        Keys: the names in :data:`LAYERS`, plus ``"logits"`` (the output layer's
        pre-softmax values) just before ``"output"``.
        """
        feats: OrderedDict[str, torch.Tensor] = OrderedDict(input=x)
        feats["conv1"] = self.act(self.conv1(x))
        feats["pool1"] = F.max_pool2d(feats["conv1"], 2)
        feats["conv2"] = self.act(self.conv2(feats["pool1"]))
        feats["pool2"] = F.max_pool2d(feats["conv2"], 2)
        feats["fc1"] = self.act(self.fc1(self._dropout(feats["pool2"].flatten(1))))
        feats["fc2"] = self.act(self.fc2(self._dropout(feats["fc1"])))
        feats["logits"] = self.out(feats["fc2"])
        feats["output"] = torch.softmax(feats["logits"], dim=1)
        return feats

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_features(x)["logits"]


class DigitModel:
    """A trained :class:`DigitNet` in evaluation mode, with NumPy in and out.

    Safe to share between threads: it never switches to training mode and keeps
    no per-call state.

    Attributes
    ----------
    net : DigitNet
    device : torch.device
    info : dict
        Free-form facts about the model (training data, accuracy, seed).
    """

    def __init__(self, net: DigitNet, device: torch.device | str = "cpu", info: dict | None = None) -> None:
        self.device = torch.device(device)
        self.net = net.to(self.device).eval()
        self.info = dict(info or {})

    @property
    def arch(self) -> Architecture:
        return self.net.arch

    def _tensor(self, images: np.ndarray) -> torch.Tensor:
        array = np.asarray(images, dtype=np.float32)
        if array.shape[-2:] != (28, 28):
            raise ValueError(f"expected 28x28 images, got shape {array.shape}")
        return torch.from_numpy(array.reshape(-1, 1, 28, 28).copy()).to(self.device)

    def predict_proba(self, images: np.ndarray) -> np.ndarray:
        """Class probabilities ``(N, 10)`` for images ``(N, 28, 28)`` (or one ``(28, 28)``) in [0, 1]."""
        with torch.inference_mode():
            return torch.softmax(self.net(self._tensor(images)), dim=1).cpu().numpy()

    def forward_features(self, image: np.ndarray) -> dict[str, np.ndarray]:
        """Every layer's activations for one ``(28, 28)`` image, batch axis removed, in order."""
        with torch.inference_mode():
            feats = self.net.forward_features(self._tensor(image)[:1])
        return {name: value[0].cpu().numpy() for name, value in feats.items()}

    def saliency(self, image: np.ndarray, target: int | None = None) -> np.ndarray:
        """Gradient x input ``(28, 28)`` for the ``target`` class logit (default: the top class).

        Positive values are pixels whose ink pushed the network toward ``target``.
        Only the input gets a gradient, so the shared weights are untouched.
        """
        x = self._tensor(image)[:1].requires_grad_(True)
        with torch.enable_grad():
            logits = self.net(x)
            cls = int(logits.argmax(1)) if target is None else int(target)
            (grad,) = torch.autograd.grad(logits[0, cls], x)
        return (grad * x).detach()[0, 0].cpu().numpy()

    def parameters_numpy(self) -> dict[str, np.ndarray]:
        """Weights and biases by layer, e.g. ``"conv1.weight"`` ``(C1, 1, k, k)``, read-only.

        On the CPU these are views of the network's own tensors, which every
        session using this model shares, so writing to them raises ``ValueError``
        (and the flag cannot be switched back on). Copy one to change it.
        """
        params = {}
        for name, tensor in self.net.state_dict().items():
            array = tensor.detach().cpu().numpy()
            array.flags.writeable = False
            params[name] = array
        return params

    def save(self, path: str | Path) -> None:
        """Write weights and architecture to ``path`` (a ``.pt`` file)."""
        payload = {
            "arch": asdict(self.arch),
            "info": self.info,
            "state_dict": {k: v.detach().cpu() for k, v in self.net.state_dict().items()},
        }
        torch.save(payload, Path(path))

    @classmethod
    def load(cls, path: str | Path, device: torch.device | str = "cpu") -> DigitModel:
        """Read a model written by :meth:`save`."""
        payload = torch.load(Path(path), map_location="cpu", weights_only=True)
        net = DigitNet(Architecture(**payload["arch"]))
        net.load_state_dict(payload["state_dict"])
        info = payload.get("info", {})
        if isinstance(info, str):
            info = json.loads(info)
        return cls(net, device, info)
