"""Widget and container keys of the mixture-of-experts page, defined once. Pattern: ``moe_<thing>``.

A setting's key is ``moe_<field>`` for the :class:`engine.moe.MoEConfig` field it sets
(:func:`setting`); tests (AppTest and Playwright's ``.st-key-<key>``) use the same names.
"""

PREFIX = "moe"


def setting(field: str) -> str:
    """The widget key (and URL parameter) of the config field ``field``: ``moe_<field>``."""
    return f"{PREFIX}_{field}"


PRESET = "moe_preset"
# The live controls (app/live.py) under the prefix "moe": Play, Pause, Step, Reset, Speed, the run.
PLAY, PAUSE, STEP, RESET, SPEED = "moe_play", "moe_pause", "moe_step", "moe_reset", "moe_speed"
RUN = "moe_live_run"
# Session state that is not a widget
PREVIEW = "moe_preview"  # (config, untrained trainer): the maps before Play
LINK_READ = "moe_link_read"  # the link's preset was looked at (once per session)
RUNS = "moe_runs"  # label -> latest numbers of each run this session (the preset comparison)
# Containers
SETTINGS_BOX = "moe_settings"
NOTES_BOX = "moe_notes"
STATUS_BOX = "moe_status"
IMBALANCE_BOX = "moe_imbalance"
ROUTING_MAP_BOX = "moe_routing_map"
DECISION_MAP_BOX = "moe_decision_map"
LOAD_CHART_BOX = "moe_load_chart"
EXPERT_MAPS_BOX = "moe_expert_maps"
CURVES_BOX = "moe_curves"
CLASS_EXPERT_BOX = "moe_class_expert"
PARAMS_BOX = "moe_params"
RUNS_BOX = "moe_runs_table"
HELP_BOX = "moe_option_help"
PICTURE = "moe_picture"
"""Prefix of the live pictures' element keys (``moe_picture_routing_map`` ...)."""
