"""Widget and container keys of the XGBoost-on-real-data page, defined once. Pattern: ``tabular_<thing>``.

A training setting's key (and URL parameter) is ``tabular_<field>`` for the
:class:`engine.tabular.trainer.TabularConfig` field it sets (:func:`setting`).
"""

PREFIX = "tabular"


def setting(field: str) -> str:
    """The widget key (and URL parameter) of the config field ``field``: ``tabular_<field>``."""
    return f"{PREFIX}_{field}"


# Data choices bound to the URL
DATASET = "tabular_dataset"  # "bank" | "digits" | "csv"
UNKNOWN_MISSING = "tabular_unknown_missing"
DROP_DURATION = "tabular_drop_duration"
SPLIT_SEED = "tabular_split_seed"
VIEW = "tabular_view"  # the tab of the main column
IMPORTANCE_KIND = "tabular_importance"
SHAP_FEATURE = "tabular_shap_feature"
SHAP_ROW = "tabular_shap_row"
SEARCH_BUDGET = "tabular_search_budget"  # "trials" | "seconds"
SEARCH_TRIALS = "tabular_search_trials"
SEARCH_SECONDS = "tabular_search_seconds"
CLUSTER_ENGINE = "tabular_cluster"  # "Spark" | "Dask"
CLUSTER_WORKERS = "tabular_cluster_workers"  # 1 | 2
# Your CSV (not in the URL: a link cannot carry the file)
UPLOAD = "tabular_upload"
TARGET = "tabular_target"
CATEGORICAL = "tabular_categorical_columns"
IGNORED = "tabular_ignored_columns"
DROP_EMPTY_TARGET = "tabular_drop_empty_target"
TASK = "tabular_task"
# Buttons
SCORE_TEST = "tabular_score_test"
FIT_NOW = "tabular_fit_now"
COMPARE_RUN = "tabular_compare_run"
LEAK_RUN = "tabular_leak_run"
SEARCH_USE = "tabular_search_use"
SPARK_RUN = "tabular_spark_run"
SPARK_FALLBACK = "tabular_spark_fallback"
DASK_RUN = "tabular_dask_run"
PREDICT_UPLOAD = "tabular_predict_upload"
PREDICT_FRAME = "tabular_predict_frame"  # the new rows' file, read once
PREDICT_KEEP = "tabular_predict_keep"
PREDICTIONS = "tabular_predictions"  # (signature, table, notes, CSV bytes or the error)
PREDICT_DOWNLOAD = "tabular_predict_download"
CNN_RUN = "tabular_cnn_run"
EXPORT_MODEL = "tabular_export_model"
EXPORT_SCRIPT = "tabular_export_script"
# The live controls (app/live.py) under the prefix "tabular"
PLAY, PAUSE, STEP, RESET, SPEED = "tabular_play", "tabular_pause", "tabular_step", "tabular_reset", "tabular_speed"
RUN = "tabular_live_run"
SEARCH_PREFIX = "tabular_search"  # the search's own live controls: tabular_search_play, ...
SEARCH_RUN_STATE = "tabular_search_live_run"
# Session state that is not a widget
FRAME = "tabular_frame"  # (upload signature, DataFrame, notes) of the last CSV read
RESULTS = "tabular_results"  # (what, table signature, config) -> result of a button's fit
FITTED = "tabular_fitted"  # a trainer fitted to the end by "Train to the end now"
TEST_SCORES = "tabular_test_scores"  # trainer run id -> the test metrics scored once
# Containers
LAYOUT = "tabular_layout"  # the main and settings columns (app/layout.py: projector mode hides the settings)
DATA_BOX = "tabular_data"
NOTES_BOX = "tabular_notes"
SPLIT_BOX = "tabular_split"
SETTINGS_BOX = "tabular_settings"
LIVE_BOX = "tabular_live"
CONTROLS_BOX = "tabular_controls"
CURVES_BOX = "tabular_curves"
TEST_BOX = "tabular_test"
TREE_BOX = "tabular_tree"
COMPARE_BOX = "tabular_compare"
IMPORTANCE_BOX = "tabular_importance_box"
SHAP_BOX = "tabular_shap"
LEAK_BOX = "tabular_leak"
SEARCH_BOX = "tabular_search"
SPARK_BOX = "tabular_spark"
EXPORT_BOX = "tabular_export"
DIGITS_BOX = "tabular_digits"
