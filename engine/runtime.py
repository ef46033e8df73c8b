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
NO_DYNAMO_ENV = "ML_PLAYGROUND_NO_DYNAMO"
"""Set to ``1`` by the app's entry script: :func:`keep_dynamo_unloaded` runs once torch is imported."""


def configure_environment() -> int:
    """Set the OpenMP wait policy and thread count in the environment (no imports); return the threads."""
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    threads = math_threads()
    os.environ.setdefault("OMP_NUM_THREADS", str(threads))
    return threads


def math_threads() -> int:
    """Math threads per model: ``ML_PLAYGROUND_THREADS``, default 1 (also XGBoost's ``n_jobs``)."""
    return env_number(THREADS_ENV, default=1, lowest=1)


def configure_threads() -> int:
    """Apply the thread policy to torch (imports it); return the thread count."""
    threads = configure_environment()
    import torch

    if torch.get_num_threads() != threads:
        torch.set_num_threads(threads)
    if os.environ.get(NO_DYNAMO_ENV) == "1":
        keep_dynamo_unloaded()
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


def env_number(name: str, default, lowest, kind=int):
    """The environment variable ``name`` read as ``kind`` (int or float), at least ``lowest``; ``default`` when
    it is unset or unreadable."""
    try:
        return max(lowest, kind(os.environ.get(name, default)))
    except ValueError:
        return default


def keep_dynamo_unloaded() -> list[str]:
    """Let torch's optimizers be built and saved without importing ``torch._dynamo``; return the methods changed.

    Four methods of ``torch.optim.Optimizer`` (``add_param_group``, ``zero_grad``, ``state_dict`` and
    ``load_state_dict``) are wrapped by torch's ``_disable_dynamo``, which imports ``torch._dynamo`` on the
    wrapper's first call so that ``torch.compile`` does not trace them. That import brings sympy and about 800
    modules: +70 MB of resident memory (torch 2.13), in the web server only because it *builds* each run's
    trainer (its Adam) before a training worker trains it. The app compiles nothing, so the wrapper's cache is
    filled with the plain method: what the wrapper calls anyway once dynamo is loaded and nothing is being
    compiled. Only done while ``torch._dynamo`` is not loaded, and only for wrappers of exactly that shape.
    ``Optimizer.step`` itself still imports dynamo (its grad-mode wrapper does), so a process that trains pays
    the 70 MB anyway: the app's entry script asks for this (``ML_PLAYGROUND_NO_DYNAMO=1``); a notebook that
    compiles keeps torch as it is.
    """
    import sys

    if "torch._dynamo" in sys.modules:
        return []
    try:
        import torch
        from torch._compile import _disable_dynamo

        wrapper_code = _disable_dynamo(lambda: None).__code__
    except Exception:  # a torch without it: nothing to do
        return []
    changed = []
    for name, member in vars(torch.optim.Optimizer).items():
        original = getattr(member, "__wrapped__", None)
        if original is not None and getattr(member, "__code__", None) is wrapper_code:
            if getattr(original, "__dynamo_disable", None) is None:
                original.__dynamo_disable = original
            changed.append(name)
    return sorted(changed)


def uninitialised(cls, *args, **kwargs):
    """A torch layer whose parameters are allocated but not initialised (the caller draws them).

    What ``torch.nn.utils.skip_init`` does, without its ``to_empty``: that goes through torch's reference
    ``empty_like``, whose first call imports ``torch.fx``'s symbolic shapes and sympy (+35 MB in every process
    that builds a network; the web server builds each run's trainer). The layer is made on the meta device (no
    memory, no random draws) and each parameter is replaced by a plain ``torch.empty`` of its shape.
    """
    import torch

    layer = cls(*args, device="meta", **kwargs)
    for name, param in list(layer.named_parameters(recurse=False)):
        setattr(layer, name, torch.nn.Parameter(torch.empty(param.shape, dtype=param.dtype)))
    return layer
