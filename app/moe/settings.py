"""The settings column: preset picker and every router option, read into a clamped :class:`MoEConfig`.

Every widget's key is ``moe_<field>`` and is bound to the URL (``bind="query-params"``),
so a link holds the whole configuration. Widget defaults are the default preset's
values and never change, so a default leaves the URL clean and a link means the same
thing to everyone. The widgets' own options already bound most values; the combined
values still go through :meth:`MoEConfig.clamped` (top-k above the number of experts,
say), and the notes it returns are shown, never raised.
"""

from __future__ import annotations

import streamlit as st

from app.link_check import link_notes, link_values
from app.live import live_run, replace_trainer
from app.moe import keys as K
from engine.moe import DEFAULT_PRESET, OPTION_HELP, PRESET_HELP, PRESETS, MoEConfig
from engine.moe.data import TITLES

DEFAULT = PRESETS[DEFAULT_PRESET]
"""Every widget's default value (the default preset's)."""

# The choices each numeric setting offers (every preset's values are among them; tests check it).
CHOICES: dict[str, tuple] = {
    "n_experts": tuple(range(1, 17)),
    "top_k": (1, 2, 3, 4),
    "n_shared": (0, 1, 2),
    "aux_loss_coef": (0.0, 0.001, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0, 100.0),
    "importance_loss_coef": (0.0, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0, 100.0),
    "bias_rate": (0.0, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0),
    "z_loss_coef": (0.0, 0.0001, 0.001, 0.01, 0.1, 1.0),
    "capacity_factor": (0.0, 0.1, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 4.0),
    "learning_rate": (0.0003, 0.001, 0.003, 0.01, 0.03, 0.05, 0.1, 0.3, 1.0, 10.0, 100.0),
    "steps": (100, 200, 300, 600, 1000, 2000, 5000),
    "batch_size": (32, 64, 128, 256, 512, 1024),
    "expert_hidden": (2, 4, 8, 16, 32, 64, 128),
    "task_noise": (0.0, 0.02, 0.05, 0.1, 0.2),
    "n_samples": (1000, 3000, 10000),
}
SEED_MAX = 2**31 - 1
LABELS = {
    "router": {"topk": "Top-k", "noisy_topk": "Noisy top-k", "sigmoid_topk": "Sigmoid top-k (DeepSeek-V3)",
               "expert_choice": "Expert choice"},
    "gate": {"full": "Softmax over all experts", "topk": "Softmax over the chosen k"},
    "router_init": {"points": "Around training points", "default": "PyTorch default"},
    "dispatch": {"auto": "Automatic", "sparse": "Sparse (gather per expert)", "dense": "Dense (run all, mask)"},
    "lr_schedule": {"cosine": "Cosine decay", "constant": "Constant"},
}
FIELDS = ("task", "n_experts", "top_k", "router", "gate", "aux_loss_coef", "importance_loss_coef", "bias_rate",
          "z_loss_coef",
          "capacity_factor", "n_shared", "learning_rate", "lr_schedule", "steps", "batch_size", "expert_hidden",
          "seed", "router_init", "dense_baselines", "dispatch", "task_noise", "n_samples")
"""The config fields the page exposes, each as widget ``moe_<field>`` (the rest keep their defaults)."""

BENCH_COMMAND = "python bench/moe_collapse.py --seeds 5"
"""The benchmark behind the collapse demonstration's captions (seeds 0-4, each preset's planned steps)."""
BENCH_RESULTS = {
    "Collapse": {"dead_mean": 4.4, "dead_std": 0.8, "seeds_with_dead": 5},
    "Balanced": {"dead_mean": 0.0, "dead_std": 0.0, "seeds_with_dead": 0},
    "Expert choice": {"dead_mean": 0.0, "dead_std": 0.0, "seeds_with_dead": 0, "dropped_mean": 0.11},
}
"""What :data:`BENCH_COMMAND` measured at the end of training (the last evaluation window): dead experts
(under 1 % of the inputs) of 8, mean and standard deviation over the seeds, in how many of the 5 seeds one
died, and for expert choice the share of inputs no expert picked. tests/test_moe_claims.py measures them again."""


def bench_caption(name: str) -> str:
    """The caption under a preset of the collapse demonstration: a benchmark's result, labelled as one."""
    r = BENCH_RESULTS[name]
    if r["seeds_with_dead"]:
        dead = (f"{r['dead_mean']:.1f} ± {r['dead_std']:.1f} of 8 experts dead at the end, "
                + ("every seed with at least one" if r["seeds_with_dead"] == 5 else
                   f"{r['seeds_with_dead']} of 5 seeds with at least one"))
    else:
        dead = "no expert dead in any seed"
    if "dropped_mean" in r:
        dead += f", but about {r['dropped_mean'] * 100:.0f} % of the inputs get no expert"
    return f"Benchmark, not this run (`{BENCH_COMMAND}`, seeds 0–4): {dead}."


BENCH = {name: bench_caption(name) for name in BENCH_RESULTS}
"""What the benchmark measured for the three presets of the collapse demonstration, as the page shows it."""


def number(value) -> str:
    """A setting's value as a short, URL-friendly label (``0`` is ``off``)."""
    return "off" if value == 0 else f"{value:g}"


def option_help(name: str) -> str:
    """One sentence and its source, for a widget's tooltip."""
    sentence, source = OPTION_HELP[name]
    return f"{sentence} *Source: {source}.*"


def preset_of(config: MoEConfig) -> str | None:
    """The preset whose exposed settings ``config`` has, if any (seed included)."""
    for name, preset in PRESETS.items():
        if all(getattr(preset, f) == getattr(config, f) for f in FIELDS):
            return name
    return None


def _apply(config: MoEConfig) -> None:
    for field in FIELDS:
        st.session_state[K.setting(field)] = getattr(config, field)


def _on_preset() -> None:
    """A preset was chosen: load its settings and start afresh (the old run's numbers stay in the table)."""
    name = st.session_state.get(K.PRESET)
    if name not in PRESETS:
        return
    _apply(PRESETS[name])
    replace_trainer(live_run(K.PREFIX), None)


def _preset_from_link() -> None:
    """A link that names only a preset (``/moe?moe_preset=Balanced``) opens with that preset's settings.

    Done once per session, before the widgets exist; a link that also holds settings keeps them.
    """
    if st.session_state.get(K.LINK_READ):
        return
    st.session_state[K.LINK_READ] = True
    name = st.query_params.get(K.PRESET)
    if name in PRESETS and not any(K.setting(f) in st.query_params for f in FIELDS):
        _apply(PRESETS[name])


def settings_section(disabled: bool) -> tuple[MoEConfig, list[str]]:
    """Draw the settings; return the clamped config and the notes that explain every correction."""
    link = link_values(K.PREFIX)  # before the preset or any control reads the link
    _preset_from_link()
    with st.container(key=K.SETTINGS_BOX):
        name = st.selectbox("Preset", list(PRESETS), index=list(PRESETS).index(DEFAULT_PRESET), key=K.PRESET,
                            bind="query-params", on_change=_on_preset,
                            help="Ready-made settings for a lesson. The first three differ only in how load is "
                                 "balanced: same data, same seed. Choosing one starts a new run.")
        st.caption(PRESET_HELP.get(name, ""))
        if name in BENCH:
            st.caption(BENCH[name])
        values = _widgets(disabled)
    config, notes = MoEConfig.clamped(values, base=DEFAULT)
    shown = {K.setting(field): (lambda v, names=names: names.get(v, v)) for field, names in LABELS.items()}
    return config, link_notes(K.PREFIX, link, shown=shown) + notes


def _widgets(disabled: bool) -> dict[str, object]:
    common = dict(disabled=disabled, bind="query-params")
    d = DEFAULT
    v: dict[str, object] = {}

    def pick(field: str, label: str, help: str, fmt=number) -> None:
        v[field] = st.select_slider(label, CHOICES[field], getattr(d, field), key=K.setting(field),
                                    format_func=fmt, help=help, **common)

    def choose(field: str, label: str, help: str, options=None, horizontal=False) -> None:
        labels = LABELS.get(field, {})
        options = options or tuple(labels)
        v[field] = st.radio(label, options, options.index(getattr(d, field)), key=K.setting(field),
                            format_func=lambda o: labels.get(o, o), help=help, horizontal=horizontal, **common)

    v["task"] = st.selectbox("Task", list(TITLES), list(TITLES).index(d.task), key=K.setting("task"),
                             format_func=TITLES.get, help="Three 2-D tasks with many regions (experts can own "
                             "regions of the plane), or handwritten digits (experts can own digits).", **common)
    st.markdown("**Router**")
    pick("n_experts", "Experts", option_help("n_experts"), fmt=str)
    pick("top_k", "Top-k: experts per input", option_help("top_k"), fmt=str)
    choose("router", "Routing", "Who chooses: " + " ".join(OPTION_HELP[f"router.{r}"][0] for r in LABELS["router"]))
    sentence, source = OPTION_HELP[f"router.{v['router']}"]
    st.caption(f"{sentence} *{source}.*")
    choose("gate", "Gate of a chosen expert", option_help("gate.full") + " " + option_help("gate.topk"))
    st.markdown("**Balancing**")
    pick("aux_loss_coef", "Switch load-balancing loss α", option_help("aux_loss_coef"))
    pick("importance_loss_coef", "Shazeer's importance and load losses w", option_help("importance_loss_coef"))
    pick("bias_rate", "Loss-free balancing bias rate γ", option_help("bias_rate"))
    pick("z_loss_coef", "Router z-loss coefficient", option_help("z_loss_coef"))
    pick("capacity_factor", "Capacity factor", option_help("capacity_factor"),
         fmt=lambda c: "no limit" if c == 0 else f"{c:g}")
    pick("n_shared", "Shared experts", option_help("n_shared"), fmt=str)
    with st.expander("Training and data", key="moe_training_box"):
        pick("learning_rate", "Learning rate (Adam)", "Step size of Adam for the MoE and the dense models. "
             "Try 10 or 100 to watch training diverge.", fmt=lambda x: f"{x:g}")
        choose("lr_schedule", "Learning-rate schedule", "Cosine decay lowers the step size smoothly to 5 % of "
               "the learning rate by the last step, so the maps settle instead of drifting; constant keeps it "
               "(the picture keeps moving a little). *Source: Loshchilov & Hutter 2017, SGDR.*", horizontal=True)
        pick("steps", "Training steps", "Optimizer steps in one run (one batch each).", fmt=str)
        pick("batch_size", "Batch size", "Inputs per step; capacity and expert choice share out one batch.", fmt=str)
        pick("expert_hidden", "Hidden units per expert", "Every expert is an MLP: inputs → this many ReLU units "
             "→ classes.", fmt=str)
        v["seed"] = st.number_input("Seed", 0, SEED_MAX, d.seed, 1, key=K.setting("seed"),
                                    help="Weights, the router's starting regions, batch order and router noise all "
                                         "come from it: same seed, same run.", **common)
        choose("router_init", "Router start", option_help("router_init"))
        v["dense_baselines"] = st.toggle("Train the dense comparisons", d.dense_baselines,
                                         key=K.setting("dense_baselines"), **common,
                                         help="Also train a dense network with the MoE's active parameter count and "
                                              "one with its total, on the same batches.")
        choose("dispatch", "Dispatch", "How inputs reach experts: sparse gathers each expert's inputs and runs it "
               "on those only; dense runs every expert on every input and masks; automatic picks whichever is "
               "cheaper for these sizes.")
        if v["task"] != "digits":
            pick("task_noise", "Extra noise on the points", "Gaussian jitter added to every point.",
                 fmt=lambda x: f"{x:g}")
            pick("n_samples", "Points", "Points in the task (60 % train, 20 % validation, 20 % test).",
                 fmt=lambda n: f"{n:,}")
    return v


def changed_from_preset(config: MoEConfig) -> list[str]:
    """The exposed settings in which ``config`` differs from the chosen preset."""
    preset = PRESETS.get(st.session_state.get(K.PRESET, DEFAULT_PRESET), DEFAULT)
    return [f for f in FIELDS if getattr(preset, f) != getattr(config, f)]


def option_reference() -> None:
    """Every router option in one place: one sentence each, with its source."""
    with st.expander("Every option in one sentence, with its source", key=K.HELP_BOX):
        for name, (sentence, source) in OPTION_HELP.items():
            field, _, choice = name.partition(".")
            label = LABELS.get(field, {}).get(choice, "") if choice else ""
            title = f"{field.replace('_', ' ')}: {label}" if label else field.replace("_", " ")
            st.markdown(f"**{title}** — {sentence} *({source})*")
