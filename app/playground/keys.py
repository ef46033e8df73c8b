"""Widget and container keys of the decision-boundary playground, defined once. Pattern: ``playground_<thing>``.

A setting's widget key is also its URL parameter (``bind="query-params"``), so a link
such as ``/playground?playground_dataset=spiral&playground_shape=8,8`` holds the setup.
"""

PREFIX = "playground"

# Settings (bound to the URL)
PROBLEM = "playground_problem"
DATASET = "playground_dataset"
REG_DATASET = "playground_reg_dataset"
NOISE = "playground_noise"
TRAIN = "playground_train"
BATCH = "playground_batch"
SEED = "playground_seed"
SHAPE = "playground_shape"
ACTIVATION = "playground_activation"
LEARNING_RATE = "playground_lr"
REGULARIZATION = "playground_reg"
REG_RATE = "playground_reg_rate"
LOSS = "playground_loss"
OPTIMIZER = "playground_optimizer"
MAX_EPOCHS = "playground_max_epochs"
SHOW_TEST = "playground_show_test"
DISCRETIZE = "playground_discretize"
NEURON = "playground_neuron"
HIDE = "playground_hide"
LARGE_FONT = "playground_large_font"
HIDE_TEXT = "playground_hide_text"  # the original's hideText: no explanations, captions or tips
INIT_ZERO = "playground_init_zero"  # the original's initZero: every weight starts at 0
DATA_SOURCE = "playground_data_source"
PRESET = "playground_preset"


def feature(name: str) -> str:
    """The toggle of input feature ``name`` (``"xSquared"`` -> ``playground_f_xSquared``)."""
    return f"playground_f_{name}"


# Compare mode (B's settings; the data, features, batch and seed are A's)
COMPARE = "playground_compare"
B_SHAPE = "playground_b_shape"
B_ACTIVATION = "playground_b_activation"
B_LEARNING_RATE = "playground_b_lr"
B_REGULARIZATION = "playground_b_reg"
B_REG_RATE = "playground_b_reg_rate"
B_OPTIMIZER = "playground_b_optimizer"
B_LOSS = "playground_b_loss"

# Buttons and inputs that are not in the URL
REGENERATE = "playground_regenerate"
ADD_LAYER = "playground_add_layer"
REMOVE_LAYER = "playground_remove_layer"
STEP_EPOCH = "playground_step_epoch"
TF_LINK = "playground_tf_link"
TF_LINK_LOAD = "playground_tf_link_load"
UPLOAD = "playground_upload"
EXPORT = "playground_export"
IMPORT = "playground_import"
CLICK_LABEL = "playground_click_label"
CLEAR_POINTS = "playground_clear_points"


def neurons_button(layer: int, sign: str) -> str:
    """The + or - button of hidden layer ``layer`` (0-based): ``playground_l2_plus``."""
    return f"playground_l{layer}_{'plus' if sign == '+' else 'minus'}"


# The live controls (app/live.py) under the prefix "playground"
PLAY, PAUSE, STEP, RESET, SPEED = "playground_play", "playground_pause", "playground_step", "playground_reset", \
    "playground_speed"
RUN = "playground_live_run"

# Session state that is not a widget
LINK_READ = "playground_link_read"  # a TensorFlow Playground link in the URL was applied (once per session)
NOTES = "playground_notes"  # corrections made to the last link read
POINTS = "playground_points"  # own data: (X (n, 2), y (n,)) or None
IMPORTED = "playground_imported"  # a trainer imported from JSON, adopted at the next run
RUN_CONFIG = "playground_run_config"  # the (config, b_config) the current trainer was built from

# Containers
LAYOUT = "playground_layout"  # the data column and the main column (phones: the main one first)
TOP_BOX = "playground_top"  # lesson preset, what to try, classroom mode
OPTIONS_BOX = "playground_options"  # show test data, discretize, +1 epoch, compare mode
PICTURE_BOX = "playground_picture"  # notes, Play and the live view (phones: first)
SETTINGS_BOX = "playground_settings"
DATA_BOX = "playground_data"
FEATURES_BOX = "playground_features"
NETWORK_BOX = "playground_network"
STATUS_BOX = "playground_status"
METRICS_BOX = "playground_metrics"
OUTPUT_BOX = "playground_output"
DIAGRAM_BOX = "playground_diagram"
NEURON_BOX = "playground_neuron_map"
CURVE_BOX = "playground_curve"
COMPARE_BOX = "playground_compare_box"
NOTES_BOX = "playground_notes_box"
EXPORT_BOX = "playground_export_box"
OWN_DATA_BOX = "playground_own_data"
HIDDEN_BOX = "playground_hidden_controls"  # invisible: the controls an instructor hid
THUMBNAILS = "playground_thumbnails"  # the data sets' pictures
NUMBERS = "playground_numbers"  # the losses and accuracies beside the epoch (``_a``, ``_b`` in compare mode)
BOARD = "playground_board"
"""The live view (every picture of a run in one element, :mod:`app.playground.board`)."""
CLICKS_SEEN = "playground_clicks_seen"  # the last map click applied to your own points (its id)
