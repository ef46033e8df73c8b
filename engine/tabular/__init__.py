"""XGBoost on real tables: Bank Marketing, the bundled digits as a table, or a user's CSV (no Streamlit).

- :mod:`engine.tabular.data`: :class:`Table`, :func:`load_bank`, :func:`load_digits_table`, :func:`read_csv`,
  :func:`infer_kinds`, :func:`make_table`, :func:`find_leaks`, :class:`TableError`.
- :mod:`engine.tabular.split`: :func:`split_rows` (stratified, seeded train / validation / test).
- :mod:`engine.tabular.trainer`: :class:`TabularConfig`, :class:`TabularTrainer` (one boosting round per
  unit, early stopping on the validation rows), importance, SHAP, the categorical and leakage lessons.
- :mod:`engine.tabular.search` (Optuna), :mod:`engine.tabular.export`, :mod:`engine.tabular.spark` (PySpark)
  are imported on use: ``import engine.tabular`` loads neither optuna nor pyspark (nor xgboost).

From a terminal: ``python -m engine.tabular CSV --target COLUMN --json``.
"""

from __future__ import annotations

from engine.tabular.data import (
    MAX_UPLOAD_BYTES,
    Table,
    TableError,
    find_leaks,
    infer_kinds,
    load_bank,
    load_digits_table,
    make_table,
    read_csv,
)
from engine.tabular.split import Split, digits_split, split_rows
from engine.tabular.trainer import (
    TabularConfig,
    TabularTrainer,
    compare_categorical,
    fit,
    importance,
    leakage_lesson,
    shap_values,
    trees_frame,
)

__all__ = [
    "MAX_UPLOAD_BYTES", "Split", "Table", "TableError", "TabularConfig", "TabularTrainer", "compare_categorical",
    "digits_split", "find_leaks", "fit", "importance", "infer_kinds", "leakage_lesson", "load_bank",
    "load_digits_table", "make_table", "read_csv", "shap_values", "split_rows", "trees_frame",
]
