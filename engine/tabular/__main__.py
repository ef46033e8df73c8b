"""The page's workflow from a terminal: ``python -m engine.tabular CSV --target COLUMN --json``.

Reads the CSV as the page does (types inferred), splits it (stratified, seeded: 60 / 20 / 20), trains
with the page's defaults and early stopping on the validation rows (after an Optuna search on the
validation rows when ``--trials`` is given), scores the test rows once, and prints one JSON object:
rows and columns used, best round, validation and test metrics, backend (local, spark or dask) and
seconds. ``bank`` as the CSV means the bundled Bank Marketing table. ``--predict NEW_CSV`` then writes
the model's predictions for new rows to ``--out``. Bad input prints the message and exits with status 2.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace

from engine.tabular.data import TableError, load_bank, make_table, read_csv
from engine.tabular.split import split_rows
from engine.tabular.trainer import TabularConfig, fit, metrics


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m engine.tabular", description=__doc__.splitlines()[0])
    parser.add_argument("csv", help="a CSV file, or 'bank' for the bundled Bank Marketing table")
    parser.add_argument("--target", help="the column to predict (default for 'bank': y)")
    parser.add_argument("--drop", default="", help="columns to leave out, comma-separated (e.g. duration)")
    parser.add_argument("--task", choices=("auto", "classification", "regression"), default="auto",
                        help="what the target is (auto: text or a few whole numbers are classes, other numbers "
                             "regression)")
    parser.add_argument("--drop-missing-target", action="store_true",
                        help="drop rows whose target is empty (without it such a table is refused)")
    parser.add_argument("--backend", choices=("local", "spark", "dask"), default="local")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--trials", type=int, default=0, help="Optuna trials before the final fit (0: none)")
    parser.add_argument("--categorical", choices=("native", "onehot"), default="native")
    parser.add_argument("--master", default=None, help="Spark master (default: $ML_PLAYGROUND_SPARK_MASTER or "
                                                       "local[2])")
    parser.add_argument("--scheduler", default=None, help="Dask scheduler address (default: "
                                                          "$ML_PLAYGROUND_DASK_SCHEDULER or a local cluster)")
    parser.add_argument("--predict", metavar="NEW_CSV", default=None,
                        help="after training, predict these rows (same columns; the target may be missing) and "
                             "write them to --out (local backend)")
    parser.add_argument("--out", default="predictions.csv", help="where --predict writes (default: %(default)s)")
    parser.add_argument("--keep", default="", help="columns of NEW_CSV to copy into --out, comma-separated (an id)")
    parser.add_argument("--json", action="store_true", help="print one JSON object (default: a short summary)")
    return parser


def run(args: argparse.Namespace) -> dict:
    """Train as the command line asks and return the JSON-ready summary (raises TableError on bad input)."""
    start = time.perf_counter()
    drop = tuple(c.strip() for c in args.drop.split(",") if c.strip())
    if args.csv == "bank":
        if args.target not in (None, "y"):
            raise TableError("The Bank Marketing table's target is 'y'.")
        table = load_bank(drop=drop)
    else:
        if not args.target:
            raise TableError("Give the column to predict with --target COLUMN.")
        task = "regression" if args.task == "regression" else None
        kinds = {args.target: "categorical"} if args.task == "classification" else None
        table = make_table(read_csv(args.csv), args.target, kinds=kinds, drop=drop, name=args.csv, task=task,
                           drop_missing_target=args.drop_missing_target)
    if args.predict and args.backend != "local":
        raise TableError("--predict uses the local model: leave out --backend, or predict from the exported model.")
    new_rows = read_csv(args.predict) if args.predict else None
    split = split_rows(table, seed=args.seed)
    config = TabularConfig(seed=args.seed, categorical=args.categorical)
    out: dict = {"rows": table.n_rows, "columns": table.features, "target": table.target, "task": table.task,
                 "split": split.sizes, "notes": table.notes}
    if args.trials:
        from engine.tabular.search import search

        found = search(table, split, config, n_trials=args.trials)
        config = found.best_config or config
        out["search"] = {"trials": args.trials, "best_valid": found.best_score, "metric": found.metric,
                         "best_params": {k: getattr(config, k) for k in ("max_depth", "learning_rate", "subsample",
                                                                         "colsample_bytree", "reg_lambda",
                                                                         "reg_alpha", "min_child_weight")},
                         "seconds": round(found.seconds, 3)}
    if args.backend == "spark":
        out.update(_spark(table, split, config, args.master))
    elif args.backend == "dask":
        out.update(_dask(table, split, config, args.scheduler))
    else:
        trainer = fit(table, split, config)
        out.update({"best_round": trainer.best_round_, "rounds": trainer.rounds_, "valid": trainer.scores("valid"),
                    "test": trainer.score_test(), "backend": "local", "device": trainer.device_})
        if new_rows is not None:
            from engine.tabular.export import predict_rows

            keep = tuple(c.strip() for c in args.keep.split(",") if c.strip())
            predicted, notes = predict_rows(trainer, new_rows, keep=keep)
            predicted.to_csv(args.out, index=False)
            out["predictions"] = {"rows": len(predicted), "path": str(args.out), "columns": list(predicted.columns),
                                  "notes": [*new_rows.attrs.get("notes", []), *notes]}
    out["config"] = {k: v for k, v in config.__dict__.items()}
    out["seconds"] = round(time.perf_counter() - start, 3)
    return out


def _spark(table, split, config, master) -> dict:
    try:
        from engine.tabular.spark import train_spark
    except ImportError as error:
        raise TableError(f"The Spark backend is not available here ({error}). Install pyspark (and a Java "
                         "runtime), or use --backend local.") from None
    return _cluster_summary(train_spark(table, split, replace(config), master=master), table, split, config, "spark")


def _dask(table, split, config, scheduler) -> dict:
    from engine.tabular.dask_cluster import train_dask

    return _cluster_summary(train_dask(table, split, replace(config), scheduler=scheduler), table, split, config,
                            "dask")


def _cluster_summary(run_, table, split, config, backend: str) -> dict:
    """A Spark or Dask run's summary, with the test rows scored once here (they never went to the cluster)."""
    from engine.tabular.spark import spark_frame

    frame = spark_frame(table, split.test, config.categorical)[0]
    test = metrics(table.task, table.y[split.test], run_.predict(frame))
    return {"best_round": run_.best_round, "rounds": run_.rounds, "valid": run_.valid, "test": test,
            "backend": backend, "where": dict(run_.where.__dict__), f"{backend}_seconds": run_.seconds}


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        out = run(args)
    except TableError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except Exception as error:  # Spark that cannot start, a master that does not answer: one line, not a trace
        if type(error).__name__ in ("SparkUnavailable", "SparkStopped", "DaskUnavailable", "DaskStopped"):
            print(f"error: {error}", file=sys.stderr)
            return 3
        raise
    if args.json:
        print(json.dumps(out, default=_plain))
    else:
        valid = ", ".join(f"{k} {v:.4f}" for k, v in out["valid"].items())
        test = ", ".join(f"{k} {v:.4f}" for k, v in out["test"].items())
        print(f"{out['rows']:,} rows, {len(out['columns'])} columns, {out['backend']}: best round "
              f"{out['best_round'] + 1} of {out['rounds']}; validation {valid}; test {test}; {out['seconds']:.1f} s")
    return 0


def _plain(value):
    """JSON for numpy scalars and anything else the summary may hold."""
    if hasattr(value, "item"):
        return value.item()
    return str(value)


if __name__ == "__main__":
    sys.exit(main())
