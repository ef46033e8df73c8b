"""Widget and container keys of the gradient-boosting page, defined once. Pattern: ``boosting_<thing>``.

A setting's key (and URL parameter) is ``boosting_<field>`` for the
:class:`engine.boosting.BoostingConfig` field it sets (:func:`setting`).
"""

PREFIX = "boosting"


def setting(field: str) -> str:
    """The widget key (and URL parameter) of the config field ``field``: ``boosting_<field>``."""
    return f"{PREFIX}_{field}"


# View state bound to the URL
STAGE = "boosting_stage"  # trees summed in the map (0..n_trees)
TREE = "boosting_tree"  # the selected tree (0..n_trees-1)
SHOW_GRADIENTS = "boosting_show_gradients"
GRADIENTS_OF = "boosting_gradients_of"  # "tree" | "stage"
SHOW_TEST = "boosting_show_test"
ORIGINAL_COLOURS = "boosting_original_colours"  # orange and blue instead of blue and red
VIEW = "boosting_view"  # the tab of extra views
CHALLENGE = "boosting_challenge"
# Buttons
DATASET_BUTTON = "boosting_pick_"  # + dataset index: the thumbnail buttons
THUMB_BUTTON = "boosting_sum_"  # + tree index: "sum up to here" under each tree thumbnail
CHALLENGE_LOAD = "boosting_challenge_load"
# The live controls (app/live.py) under the prefix "boosting"
PLAY, PAUSE, STEP, RESET, SPEED = "boosting_play", "boosting_pause", "boosting_step", "boosting_reset", \
    "boosting_speed"
RUN = "boosting_live_run"
# Session state that is not a widget
CACHE = "boosting_cache"  # config -> EnsembleViews, a few recent ones
FIT_OWNER = "boosting_fit_owner"  # this session's name in the training slots' queue while it fits (not its live run's)
PICTURES = "boosting_pictures"  # PNG bytes of the shown ensemble's tree pictures
STATE_READ = "boosting_state_read"  # the link's stage was read (once per session)
LAST_N_TREES = "boosting_last_n_trees"
HOVER = "boosting_hover_data"  # the hover element's data (JSON) for the shown ensemble and colours
HOVER_VIEW = "boosting_hover"  # the hover element (app/boosting/hover.py)
SOLVED = "boosting_solved"  # challenge keys solved this session
# Containers
FORMULA_BOX = "boosting_formula"
LAYOUT = "boosting_layout"  # the settings and main columns (app/layout.py: the map first on a phone)
DATASETS_BOX = "boosting_datasets"
SETTINGS_BOX = "boosting_settings"
NOTES_BOX = "boosting_notes"
METRICS_BOX = "boosting_metrics"
MAP_BOX = "boosting_map"
CURVES_BOX = "boosting_curves"
THUMBS_BOX = "boosting_thumbs"
TREE_BOX = "boosting_tree_diagram"
TREE_TABLE_BOX = "boosting_tree_table_box"
CHALLENGES_BOX = "boosting_challenges"
MODES_BOX = "boosting_modes"
SHAP_BOX = "boosting_shap"
COMPARE_BOX = "boosting_compare"
LIVE_BOX = "boosting_live"
REGRESSION_BOX = "boosting_regression"
# Regression companion (its own settings, in the URL)
REG_DEPTH = "boosting_reg_depth"
REG_RATE = "boosting_reg_rate"
REG_TREES = "boosting_reg_trees"
REG_STAGE = "boosting_reg_stage"
REG_NEXT = "boosting_reg_next"
REG_BACK = "boosting_reg_back"
