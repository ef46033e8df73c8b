"""Process-wide runtime settings: thread counts and the compute device.

Small models on a shared two-core machine are fastest with a single math thread:
two OpenMP threads that spin-wait while another process runs made LeNet training
15-65x slower here. ``OMP_WAIT_POLICY=PASSIVE`` only takes effect if it is set
before torch (or xgboost) loads its OpenMP runtime, so this module sets it first.

Environment variables
---------------------
ML_PLAYGROUND_THREADS
    Math threads for torch (default 1).
ML_PLAYGROUND_DEVICE
    ``cuda``, ``mps`` or ``cpu``; overrides automatic selection.
"""

from __future__ import annotations

import os

THREADS_ENV = "ML_PLAYGROUND_THREADS"
DEVICE_ENV = "ML_PLAYGROUND_DEVICE"


def configure_environment() -> int:
    """Set the OpenMP wait policy and thread count in the environment (no imports); return the threads."""
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    threads = math_threads()
    os.environ.setdefault("OMP_NUM_THREADS", str(threads))
    return threads


def math_threads() -> int:
    """Math threads per model: ``ML_PLAYGROUND_THREADS``, default 1 (also XGBoost's ``n_jobs``)."""
    return _env_int(THREADS_ENV, default=1, lowest=1)


def configure_threads() -> int:
    """Apply the thread policy to torch (imports it); return the thread count."""
    threads = configure_environment()
    import torch

    if torch.get_num_threads() != threads:
        torch.set_num_threads(threads)
    return threads


def resolve_device(preference: str | None = None):
    """Pick the compute device: CUDA, then Apple's MPS, then the CPU.

    Parameters
    ----------
    preference
        ``"cuda"``, ``"mps"``, ``"cpu"`` or ``None``. ``None`` reads
        ``ML_PLAYGROUND_DEVICE`` and falls back to automatic selection. A device
        that is asked for but not available falls back to the CPU.

    Returns
    -------
    torch.device
    """
    import torch

    wanted = (preference or os.environ.get(DEVICE_ENV, "") or "auto").strip().lower()
    cuda_ok = torch.cuda.is_available()
    mps_ok = bool(getattr(torch.backends, "mps", None)) and torch.backends.mps.is_available()
    if wanted.startswith("cuda") and cuda_ok:
        return torch.device(wanted)
    if wanted == "mps" and mps_ok:
        return torch.device("mps")
    if wanted == "auto":
        if cuda_ok:
            return torch.device("cuda")
        if mps_ok:
            return torch.device("mps")
    return torch.device("cpu")


def describe_device(device) -> str:
    """A short human-readable name for a device, e.g. ``"CPU (1 thread)"``."""
    import torch

    device = torch.device(device)
    if device.type == "cuda":
        return f"GPU: {torch.cuda.get_device_name(device)}"
    if device.type == "mps":
        return "GPU: Apple MPS"
    return f"CPU ({torch.get_num_threads()} thread{'s' if torch.get_num_threads() > 1 else ''})"


def _env_int(name: str, default: int, lowest: int) -> int:
    try:
        return max(lowest, int(os.environ.get(name, default)))
    except ValueError:
        return default
