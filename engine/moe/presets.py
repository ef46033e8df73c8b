"""Ready-made configurations for instructors, and one sentence (with its source) for every router option.

The first three presets run on the same data and seed and differ only in how
load is balanced, so the page can put their measured imbalance side by side
(``bench/moe_collapse.py`` measures them over many seeds).
"""

from __future__ import annotations

from engine.moe.config import MoEConfig

_BASE = MoEConfig(task="spiral", n_experts=8, top_k=1, router="topk", gate="full", seed=0)

PRESETS: dict[str, MoEConfig] = {
    "Collapse": _BASE,
    "Balanced": _BASE.replace(bias_rate=0.03),
    "Expert choice": _BASE.replace(router="expert_choice", capacity_factor=1.0),
    "Switch aux loss": _BASE.replace(aux_loss_coef=0.3),
    "Capacity limit": _BASE.replace(capacity_factor=1.0),
    "Noisy top-2": _BASE.replace(router="noisy_topk", top_k=2, gate="topk"),
    "Shazeer's losses": _BASE.replace(router="noisy_topk", top_k=2, gate="topk", importance_loss_coef=0.1),
    "Sigmoid + bias": _BASE.replace(router="sigmoid_topk", top_k=2, bias_rate=0.01),
    "Shared expert": _BASE.replace(top_k=2, n_shared=1, bias_rate=0.01),
    "Digits": _BASE.replace(task="digits", expert_hidden=32, bias_rate=0.1, learning_rate=0.003, steps=600),
}
"""Named configurations; the first three are the collapse demonstration."""

DEFAULT_PRESET = "Collapse"
"""What the page opens with."""

PRESET_HELP: dict[str, str] = {
    "Collapse": "Top-1 routing with no balancing: experts the router favours early get more inputs, learn faster "
                "and get chosen even more, so a few experts end up with most inputs and others with none.",
    "Balanced": "The same run with DeepSeek-V3's balancing bias: an overloaded expert's selection bias drops and an "
                "idle one's rises after every step, with no extra loss term.",
    "Expert choice": "Each expert picks its favourite inputs up to a fixed capacity, so every expert gets exactly "
                     "the same load; some inputs are picked by no expert.",
    "Switch aux loss": "The same run with the Switch Transformer's balancing loss, α = 0.3 (the paper's 0.01 is too "
                       "weak for this tiny router).",
    "Capacity limit": "Top-1 with no balancing but at most an even share per expert: inputs beyond an expert's "
                      "capacity are dropped. A limit, not a balancer: the router still prefers the same experts.",
    "Noisy top-2": "Shazeer et al.'s noisy top-k gating with k = 2: learned noise on the logits spreads the choices.",
    "Shazeer's losses": "Noisy top-2 with the importance and load losses of the same paper (w = 0.1, its value): "
                        "both are 0 only when every expert carries the same share.",
    "Sigmoid + bias": "DeepSeek-V3's router: sigmoid affinities, the top 2 chosen and their gates normalised, "
                      "balanced by the selection bias instead of a loss. Set the bias rate to off to watch it "
                      "collapse.",
    "Shared expert": "DeepSeekMoE: one shared expert sees every input, two of eight routed experts add to it.",
    "Digits": "Eight experts on handwritten digits: the class-by-expert matrix shows which digits each expert serves.",
}

OPTION_HELP: dict[str, tuple[str, str]] = {
    "n_experts": ("How many experts the router chooses among; each is a small MLP.",
                  "Jacobs et al. 1991, Adaptive Mixtures of Local Experts"),
    "top_k": ("How many experts each input goes to; the work per input grows with k, the parameters with the "
              "number of experts.", "Shazeer et al. 2017, Outrageously Large Neural Networks"),
    "router.topk": ("Softmax top-k: every input goes to the k experts with the highest router scores.",
                    "Shazeer et al. 2017; Fedus et al. 2021, Switch Transformers"),
    "router.noisy_topk": ("Noisy top-k: learned, input-dependent Gaussian noise is added to the scores before "
                          "choosing, so close calls go either way and more experts get trained.",
                          "Shazeer et al. 2017, Outrageously Large Neural Networks"),
    "router.sigmoid_topk": ("Sigmoid top-k: each expert's affinity is its own sigmoid score, the k highest are "
                            "chosen, and their gates are the affinities divided by their sum.",
                            "DeepSeek-AI 2024, DeepSeek-V3 Technical Report"),
    "router.expert_choice": ("Expert choice: instead of inputs picking experts, every expert picks its top "
                             "inputs up to a fixed capacity — perfectly balanced, but some inputs get no expert.",
                             "Zhou et al. 2022, Mixture-of-Experts with Expert Choice Routing"),
    "gate.full": ("Gate = the chosen expert's probability under a softmax over all experts, so the router learns "
                  "even when k = 1.", "Fedus et al. 2021, Switch Transformers"),
    "gate.topk": ("Gate = a softmax over the chosen experts' scores only, so the k gates sum to 1; with k = 1 the "
                  "gate is always 1 and the router gets no gradient.", "Shazeer et al. 2017; Jiang et al. 2024, "
                                                                        "Mixtral of Experts"),
    "aux_loss_coef": ("Switch load-balancing loss α·N·Σ fᵢ·Pᵢ (fᵢ: share of inputs sent to expert i, Pᵢ: its mean "
                      "router probability); it is smallest, exactly α, when the load is even.",
                      "Fedus et al. 2021, Switch Transformers"),
    "importance_loss_coef": ("Two losses of weight w: the importance loss, w·CV(Σ gates per expert)², and the load "
                             "loss, w·CV(expected inputs per expert)², where the noisy router makes the expected "
                             "count smooth; both are 0 when every expert carries the same share.",
                             "Shazeer et al. 2017, Outrageously Large Neural Networks"),
    "z_loss_coef": ("Router z-loss: penalises large router logits (the squared log-sum-exp), which keeps "
                    "training stable; it does not balance the load.", "Zoph et al. 2022, ST-MoE"),
    "bias_rate": ("Auxiliary-loss-free balancing: a per-expert bias, added only when choosing experts, is lowered "
                  "for overloaded experts and raised for idle ones after every step.",
                  "DeepSeek-AI 2024, DeepSeek-V3 Technical Report"),
    "capacity_factor": ("Each expert takes at most this multiple of an even share of the inputs; the rest are "
                        "dropped and get no output from that expert (0 = no limit).",
                        "Lepikhin et al. 2020, GShard; Fedus et al. 2021, Switch Transformers"),
    "n_shared": ("Shared experts process every input alongside the routed ones, holding common knowledge so the "
                 "routed experts can specialise.", "Dai et al. 2024, DeepSeekMoE"),
    "router_init": ("Points: every expert starts owning the region around one random training point, so any "
                    "collapse you see is learned. Default: PyTorch's initialisation, which already leaves about "
                    "half of the experts owning no region.", "this playground"),
}
"""``option -> (one sentence, source)``; router and gate choices are keyed ``"router.<name>"``, ``"gate.<name>"``."""
