"""k-fold cross-validation of the NLU pipeline on our own training data.

Usage (on .venv-rasa, from the project root)::

    .venv-rasa/bin/python -m nlu.cv [--folds 5] [--epochs 15] [--json out.json]

The intent examples are split into stratified folds with a fixed seed (so two
pipelines are compared on the same folds); synonyms, lookup tables and regexes
stay in every training split. Each fold trains an NLU-only model with the
pipeline of ``config.yml`` (DIET's epochs optionally overridden) and parses its
held-out examples with the emergency guard included, as ``nlu.parse`` does.
Prints accuracy, macro F1, per-intent recall and training time per fold.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from nlu.eval import intent_figures, print_intents
from nlu.parse import PROJECT_ROOT, Parser, quiet_structlog


def _config(path: Path, epochs: int | None, out: Path) -> Path:
    """The pipeline of ``path`` (no policies), DIET's epochs overridden if asked."""
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    config.pop("policies", None)
    if epochs is not None:
        for step in config["pipeline"]:
            if step["name"] == "DIETClassifier":
                step["epochs"] = epochs
    target = out / "config.yml"
    target.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return target


def _folds(data: Any, folds: int, seed: int) -> list[tuple[Any, Any]]:
    from rasa.shared.nlu.constants import INTENT
    from rasa.shared.nlu.training_data.training_data import TrainingData
    from sklearn.model_selection import StratifiedKFold

    examples = data.intent_examples
    labels = [example.get(INTENT) for example in examples]
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    pairs = []
    for train_index, test_index in splitter.split(examples, labels):
        train = TrainingData(
            training_examples=[examples[i] for i in train_index],
            entity_synonyms=data.entity_synonyms,
            regex_features=data.regex_features,
            lookup_tables=data.lookup_tables,
        )
        pairs.append((train, [examples[i] for i in test_index]))
    return pairs


def run(
    *,
    data_dir: Path,
    config: Path,
    folds: int,
    epochs: int | None,
    seed: int,
    max_folds: int | None = None,
) -> dict[str, Any]:
    """Train and test each fold; figures over all held-out examples together.

    Returns:
        ``nlu.eval``'s intent figures plus per-fold accuracy and training seconds.
    """
    from rasa.model_training import train_nlu
    from rasa.shared.nlu.constants import INTENT, TEXT
    from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLWriter
    from rasa.shared.nlu.training_data.loading import load_data

    data = load_data(str(data_dir), language="zh")
    gold: list[str] = []
    predicted: list[str] = []
    per_fold: list[dict[str, Any]] = []
    below: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="nlu-cv-") as tmp:
        work = Path(tmp)
        pipeline = _config(config, epochs, work)
        splits = _folds(data, folds, seed)[: max_folds or folds]
        for number, (train, test) in enumerate(splits, 1):
            train_file = work / f"train-{number}.yml"
            RasaYAMLWriter().dump(train_file, train)
            started = time.monotonic()
            model = train_nlu(
                config=str(pipeline),
                nlu_data=str(train_file),
                output=str(work),
                fixed_model_name=f"fold-{number}",
            )
            seconds = time.monotonic() - started
            if model is None:
                raise RuntimeError(f"fold {number}: training failed")
            parser = Parser(Path(model))
            fold_gold = [str(example.get(INTENT)) for example in test]
            records = [parser.parse(example.get(TEXT)) for example in test]
            fold_pred = [str(record["intent"]) for record in records]
            below += [
                {"gold": g, **r["below_threshold"]}
                for g, r in zip(fold_gold, records, strict=True)
                if "below_threshold" in r
            ]
            parser.close()
            correct = sum(g == p for g, p in zip(fold_gold, fold_pred, strict=True))
            per_fold.append(
                {
                    "fold": number,
                    "n": len(test),
                    "accuracy": round(correct / len(test), 4),
                    "train_seconds": round(seconds, 1),
                }
            )
            print(f"fold {number}: {per_fold[-1]}", file=sys.stderr, flush=True)
            gold += fold_gold
            predicted += fold_pred
    figures = intent_figures(gold, predicted)
    figures.update(folds=per_fold, epochs=epochs, seed=seed, below_threshold=below)
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m nlu.cv", description=__doc__)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--epochs", type=int, help="override DIET's epochs")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--max-folds", type=int, help="test only the first N folds (quick comparisons)"
    )
    parser.add_argument("--data", type=Path, default=PROJECT_ROOT / "nlu" / "data")
    parser.add_argument("--config", type=Path, default=PROJECT_ROOT / "config.yml")
    parser.add_argument("--json", type=Path, dest="json_out", help="write figures here")
    args = parser.parse_args(argv)
    quiet_structlog()
    figures = run(
        data_dir=args.data,
        config=args.config,
        folds=args.folds,
        epochs=args.epochs,
        seed=args.seed,
        max_folds=args.max_folds,
    )
    print(f"cross-validation      {args.folds} folds, epochs={args.epochs or 'config'}")
    for row in figures["folds"]:
        print(
            f"  fold {row['fold']}: acc {row['accuracy']:.4f}, {row['train_seconds']} s"
        )
    print_intents(figures)
    if args.json_out:
        args.json_out.write_text(json.dumps(figures, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
