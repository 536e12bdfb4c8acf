"""Data sources of generated training scripts: scikit-learn's bundled sets, CSV and NPZ files.

The generator checks what it can before writing a script (the file exists, the label column
exists, the model fits the input shape) and writes the source as a plain dict, ``DATA``; this
module loads it and checks again at load time, because files change after generation::

    split = load_data({"source": "sklearn", "name": "digits", "layout": "image", ...}, 0.2, seed=42)
    split.train_x.shape  # (1438, 1, 8, 8)
"""

from __future__ import annotations

import csv
import dataclasses
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

# The scikit-learn loaders by the names experiment.yaml uses (Java: DataSourceParser.SKLEARN).
SKLEARN_SETS = ("digits", "iris", "wine", "breast_cancer", "diabetes")


class DataError(ValueError):
    """Data that cannot be loaded as the script expects; the message names the file and what was expected."""


@dataclasses.dataclass(frozen=True)
class Split:
    """Training and validation examples as arrays.

    Attributes:
        train_x: float32 features, shape ``(n, *input_shape)``.
        train_y: int64 class indices for classification, float32 ``(n, 1)`` targets for regression.
        val_x: as ``train_x``; empty (0 rows) without validation data.
        val_y: as ``train_y``.
        classes: the label values in class-index order, for classification; empty for regression.
    """

    train_x: np.ndarray
    train_y: np.ndarray
    val_x: np.ndarray
    val_y: np.ndarray
    classes: tuple[str, ...] = ()


def load_data(spec: Mapping[str, Any], validation_split: float, seed: int) -> Split:
    """Loads the data source ``spec`` (the generated script's ``DATA``) and splits it.

    Args:
        spec: ``source`` (sklearn, csv, npz), ``name``, ``layout``, ``path``, ``label``,
            ``validation_path``, ``task``, ``input_shape`` and ``outputs``, as the generator wrote them.
        validation_split: the fraction held out for validation when there is no validation file.
        seed: seeds the split, so that a run is reproducible.

    Raises:
        DataError: a missing file or column, an unreadable value, or data whose shape or number
            of classes differs from what the script was generated for.
    """
    source = spec["source"]
    task = spec["task"]
    if source == "sklearn":
        features, labels = _sklearn(spec["name"], spec.get("layout", "flat"))
    elif source == "csv":
        features, labels = _csv(Path(spec["path"]), spec["label"])
    elif source == "npz":
        features, labels = _npz(Path(spec["path"]))
    else:
        raise DataError(f"unknown data source {source!r}; expected sklearn, csv or npz")
    where = spec.get("path") or spec["name"]
    _check_shape(where, features, spec["input_shape"])
    validation_path = spec.get("validation_path")
    if validation_path:
        path = Path(validation_path)
        val_x, val_y = _csv(path, spec["label"]) if source == "csv" else _npz(path)
        _check_shape(validation_path, val_x, spec["input_shape"])
        train_x, train_y = features, labels
    else:
        order = np.random.default_rng(seed).permutation(len(labels))
        validation_size = round(len(labels) * validation_split)
        val, train = order[:validation_size], order[validation_size:]
        train_x, train_y, val_x, val_y = features[train], labels[train], features[val], labels[val]
    if spec.get("standardize"):
        mean = train_x.mean(axis=0)
        std = train_x.std(axis=0)
        std[std == 0] = 1.0
        train_x, val_x = (train_x - mean) / std, (val_x - mean) / std
    classes: tuple[str, ...] = ()
    if task == "classification":
        classes = _classes(train_y)
        if len(classes) != spec["outputs"]:
            raise DataError(
                f"{where}: the labels hold {len(classes)} classes; the script was generated for {spec['outputs']} "
                "(regenerate it after changing the data)"
            )
        index = {value: position for position, value in enumerate(classes)}
        unknown = sorted({str(value) for value in val_y} - set(index))
        if unknown:
            raise DataError(
                f"{validation_path or where}: validation labels {unknown[:5]} do not occur in the training data"
            )
        train_y = np.array([index[str(value)] for value in train_y], dtype=np.int64)
        val_y = np.array([index[str(value)] for value in val_y], dtype=np.int64)
    else:
        try:
            train_y = train_y.astype(np.float32).reshape(-1, 1)
            val_y = val_y.astype(np.float32).reshape(-1, 1)
        except ValueError as error:
            raise DataError(f"{where}: a regression needs numeric targets: {error}") from None
    return Split(train_x.astype(np.float32), train_y, val_x.astype(np.float32), val_y, classes)


def _classes(labels: np.ndarray) -> tuple[str, ...]:
    """The distinct labels as text, numbers in numeric order."""
    distinct = {str(value) for value in labels.tolist()}
    try:
        return tuple(sorted(distinct, key=float))
    except ValueError:
        return tuple(sorted(distinct))


def _check_shape(where: str, features: np.ndarray, expected: Sequence[int]) -> None:
    if tuple(features.shape[1:]) != tuple(expected):
        raise DataError(
            f"{where}: examples have the shape {tuple(features.shape[1:])}; the script was generated for "
            f"{tuple(expected)} (regenerate it after changing the data)"
        )


def _sklearn(name: str, layout: str) -> tuple[np.ndarray, np.ndarray]:
    if name not in SKLEARN_SETS:
        raise DataError(f"{name!r} is not a scikit-learn data set; expected one of {', '.join(SKLEARN_SETS)}")
    import sklearn.datasets  # here, so that --help works without scikit-learn

    bunch = getattr(sklearn.datasets, "load_" + name)()
    features = np.asarray(bunch.data, dtype=np.float64)
    if name == "digits":
        features = features / 16.0
        if layout == "image":
            features = features.reshape(-1, 1, 8, 8)
    return features, np.asarray(bunch.target)


def _csv(path: Path, label: str) -> tuple[np.ndarray, np.ndarray]:
    try:
        with path.open(newline="", encoding="utf-8") as file:
            rows = list(csv.reader(file))
    except OSError as error:
        raise DataError(f"{path}: cannot read: {error.strerror or error}") from None
    if not rows:
        raise DataError(f"{path}: is empty; expected a header row and data rows")
    header = [cell.strip() for cell in rows[0]]
    if label not in header:
        raise DataError(f"{path}: has no column {label!r}; its columns are {', '.join(header)}")
    label_column = header.index(label)
    features, labels = [], []
    for line, row in enumerate(rows[1:], start=2):
        if not row or all(not cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raise DataError(f"{path}: line {line} has {len(row)} values; expected {len(header)} as in the header")
        values = []
        for column, cell in enumerate(row):
            if column == label_column:
                continue
            try:
                values.append(float(cell))
            except ValueError:
                raise DataError(f"{path}: line {line}, column {header[column]!r}: {cell!r} is not a number") from None
        features.append(values)
        labels.append(row[label_column].strip())
    if not labels:
        raise DataError(f"{path}: has no data rows")
    return np.array(features, dtype=np.float64), np.array(labels)


def _npz(path: Path) -> tuple[np.ndarray, np.ndarray]:
    try:
        with np.load(path, allow_pickle=False) as arrays:
            missing = [name for name in ("x", "y") if name not in arrays.files]
            if missing:
                raise DataError(
                    f"{path}: has no array {missing[0]!r} (it has {', '.join(arrays.files)}); expected x and y"
                )
            features, labels = np.asarray(arrays["x"], dtype=np.float64), np.asarray(arrays["y"]).reshape(-1)
    except (OSError, ValueError) as error:
        if isinstance(error, DataError):
            raise
        raise DataError(f"{path}: cannot read as NPZ: {error}") from None
    if features.ndim == 3:
        features = features[:, np.newaxis]  # (n, height, width) images get one channel, as the generator assumes
    if len(features) != len(labels):
        raise DataError(f"{path}: x has {len(features)} rows but y has {len(labels)}; expected one label per row")
    return features, labels
