"""Batched, on-the-fly augmentation of 28x28 digits with torch.

Each call draws a fresh random warp per image: an affine map (rotation, scale,
shear, shift), an elastic distortion (a smooth random displacement field) and a
stroke-thickness change (blend toward a 3x3 dilation or erosion). Everything runs
as a handful of batched tensor operations, so it costs far less than the training
step it feeds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch.nn import functional as F


@dataclass(frozen=True)
class AugmentConfig:
    """Ranges of the random transforms (angles in degrees, shifts in pixels)."""

    rotation: float = 12.0
    scale: tuple[float, float] = (0.85, 1.1)
    aspect: float = 0.15
    shear: float = 0.25
    shift: float = 2.0
    elastic: float = 0.0
    thicken: float = 0.0
    thin: float = 0.0


LIGHT = AugmentConfig()
"""Affine jitter only: quick and enough for a model trained in seconds."""
STRONG = AugmentConfig(rotation=15.0, scale=(0.75, 1.1), aspect=0.25, shear=0.35, shift=2.5,
                       elastic=0.08, thicken=0.4, thin=0.2)
"""Affine, elastic and stroke-thickness changes: for robustness to mouse drawings."""


def augment(images: torch.Tensor, config: AugmentConfig, generator: torch.Generator) -> torch.Tensor:
    """Randomly warp ``images`` ``(N, 1, 28, 28)``; returns a new tensor of the same shape."""
    n = images.shape[0]
    device = images.device

    def uniform(low: float, high: float, *shape: int) -> torch.Tensor:
        return torch.rand(*(shape or (n,)), generator=generator).to(device) * (high - low) + low

    angle = uniform(-config.rotation, config.rotation) * math.pi / 180
    scale = uniform(*config.scale)
    aspect = uniform(-config.aspect, config.aspect)
    sx, sy = scale * (1 + aspect), scale * (1 - aspect)
    shear = uniform(-config.shear, config.shear)
    tx = uniform(-config.shift, config.shift) * 2 / 28
    ty = uniform(-config.shift, config.shift) * 2 / 28
    cos, sin = torch.cos(angle), torch.sin(angle)
    # The grid maps output coordinates to input ones, so this is the inverse warp.
    theta = torch.stack(
        [
            torch.stack([cos / sx, (-sin + shear * cos) / sx, tx], dim=1),
            torch.stack([sin / sy, (cos + shear * sin) / sy, ty], dim=1),
        ],
        dim=1,
    )
    grid = F.affine_grid(theta, list(images.shape), align_corners=False)
    if config.elastic > 0:
        coarse = (torch.rand(n, 2, 4, 4, generator=generator).to(device) * 2 - 1) * config.elastic
        field = F.interpolate(coarse, size=(28, 28), mode="bicubic", align_corners=True)
        grid = grid + field.permute(0, 2, 3, 1)
    out = F.grid_sample(images, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    if config.thicken > 0 or config.thin > 0:
        choice = torch.rand(n, generator=generator).to(device)
        amount = torch.rand(n, generator=generator).to(device).view(n, 1, 1, 1)
        dilated = F.max_pool2d(out, 3, stride=1, padding=1)
        eroded = -F.max_pool2d(-out, 3, stride=1, padding=1)
        thick = (choice < config.thicken).view(n, 1, 1, 1)
        thin = ((choice >= config.thicken) & (choice < config.thicken + config.thin)).view(n, 1, 1, 1)
        out = torch.where(thick, out + amount * (dilated - out), out)
        out = torch.where(thin, out + 0.6 * amount * (eroded - out), out)
    return out.clamp(0.0, 1.0)
