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
LAYOUT = "moe_layout"  # app.layout.phone_first: columns moe_layout_0 (settings) and moe_layout_1 (the run)
INTRO = "moe_intro"  # the sentence under the title (after the run on a phone)
SETTINGS_BOX = "moe_settings"
NOTES_BOX = "moe_notes"
STATUS_BOX = "moe_status"
PARAMS_BOX = "moe_params"
RUNS_BOX = "moe_runs_table"
HELP_BOX = "moe_option_help"
PICTURE = "moe_picture"
"""Prefix of the picture elements' keys (app.html_view; Playwright finds them by ``.st-key-<key>`` too)."""
IMBALANCE_BOX = f"{PICTURE}_imbalance"  # the figure cards, their sparklines and the summary sentence
LIVE_VIEWS = f"{PICTURE}_live"  # the routing map (class moe-routing) and the load chart (class moe-load)
# and, in the same element (app/moe/components/moe_live.js), the answer to a click (class moe-probe), the digit
# strip (class moe-digit-strip) and the loss-free bias chart (class moe-bias)
BATCH_BOX = f"{PICTURE}_batch"  # one training batch routed together: capacity drops, expert choice's gaps
DECISION_MAP_BOX = f"{PICTURE}_decision"
EXPERT_MAPS_BOX = f"{PICTURE}_expert_map"
CURVES_BOX = f"{PICTURE}_curves"  # accuracy, loss and the class x expert matrix
