"""``params.yaml`` keeps value types by the same rule in both languages (ParamValues / rundirs.typed_param).

Each tricky text is written by Java's ``YamlStore.mergeParams`` and by Python's typed
``merge_yaml_mapping``; ``yaml.safe_load`` must give the same typed value from both files, its
``str`` must be the logged text, and each half must read the other's file back to the same texts.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import yaml

from mlpipelines import bridge
from mlpipelines.tracking.rundirs import merge_yaml_mapping, param_text, typed_param

TRICKY_TEXTS = [
    # ints: canonical only
    "0", "3", "-2", "42", "9223372036854775808", "-9223372036854775809", "1" * 4300,
    "-0", "+3", "007", "1_000", "1" * 4301, "٣", "0x10", "0o7", "1 ",
    # floats: Python's repr only
    "0.1", "1e-05", "1e+16", "100.0", "-0.0", "1.0", "0.30000000000000004", "5e-324",
    "1.7976931348623157e+308", "nan", "inf", "-inf",
    "0.10", "1e5", "1E-05", "1.0e-05", ".5", "5.", "-nan", "+inf", "Infinity", "NaN", ".nan", "1e400",
    "0.1d", "1f", "0x1p3", " 0.1", "1e-5", "123456789012345678.0",
    # booleans: Python's str only
    "True", "False", "true", "false", "TRUE", "yes", "no", "on", "null", "~",
    # strings
    "", "adam", "2024-01-01", "12:30", "=", "<<", "a: b", "- x", "line\nbreak", "  ",
]  # fmt: skip


def java_write(file: Path, text: str) -> None:
    yaml_store = bridge.java_class("de.monticore.mlpipelines.tracking.rundir.YamlStore")
    path_class = bridge.java_class("java.nio.file.Path")
    map_class = bridge.java_class("java.util.Map")
    yaml_store.mergeParams(path_class.of(str(file), []), map_class.of("p", text))


def same_value(left: object, right: object) -> bool:
    if isinstance(left, float) and isinstance(right, float) and math.isnan(left):
        return math.isnan(right)
    return type(left) is type(right) and repr(left) == repr(right)


@pytest.mark.parametrize("text", TRICKY_TEXTS, ids=[repr(t)[:30] for t in TRICKY_TEXTS])
def test_both_halves_store_a_param_with_the_same_type(tmp_path, text):
    """Java's file and Python's file load to the same typed value, whose text is the logged one."""
    java_file, python_file = tmp_path / "java.yaml", tmp_path / "python.yaml"
    java_write(java_file, text)
    merge_yaml_mapping(str(python_file), {"p": text}, typed=True)
    from_java = yaml.safe_load(java_file.read_text(encoding="utf-8"))["p"]
    from_python = yaml.safe_load(python_file.read_text(encoding="utf-8"))["p"]
    assert same_value(from_java, from_python), (from_java, from_python)
    assert same_value(from_python, typed_param(text))
    assert param_text(from_java) == text
    param_values = bridge.java_class("de.monticore.mlpipelines.tracking.format.ParamValues")
    assert str(param_values.text(param_values.typed(text))) == text


def test_the_rule_types_what_users_expect():
    """Numbers and Python booleans are typed; look-alikes that would change on the way back stay text."""
    typed = [t for t in TRICKY_TEXTS if not isinstance(typed_param(t), str)]
    assert typed == [
        "0", "3", "-2", "42", "9223372036854775808", "-9223372036854775809", "1" * 4300,
        "0.1", "1e-05", "1e+16", "100.0", "-0.0", "1.0", "0.30000000000000004", "5e-324",
        "1.7976931348623157e+308", "nan", "inf", "-inf", "True", "False",
    ]  # fmt: skip


def test_each_half_reads_the_others_typed_params_back_as_the_logged_texts(tmp_path):
    """A params.yaml merged by Python then Java (and the reverse) keeps every text of both."""
    texts = {f"p{i}": text for i, text in enumerate(TRICKY_TEXTS)}
    yaml_store = bridge.java_class("de.monticore.mlpipelines.tracking.rundir.YamlStore")
    path_class = bridge.java_class("java.nio.file.Path")
    hash_map = bridge.java_class("java.util.LinkedHashMap")
    first, second = dict(list(texts.items())[::2]), dict(list(texts.items())[1::2])
    file = tmp_path / "params.yaml"
    merge_yaml_mapping(str(file), first, typed=True)
    java_additions = hash_map()
    for key, value in second.items():
        java_additions.put(key, value)
    yaml_store.mergeParams(path_class.of(str(file), []), java_additions)
    java_read = yaml_store.readStringMap(path_class.of(str(file), []))
    assert {str(k): str(java_read.get(k)) for k in java_read.keySet()} == texts
    assert {k: param_text(v) for k, v in yaml.safe_load(file.read_text(encoding="utf-8")).items()} == texts
    merge_yaml_mapping(str(file), {"extra": "0.5"}, typed=True)
    assert yaml.safe_load(file.read_text(encoding="utf-8")) == {
        **{k: typed_param(v) for k, v in texts.items() if v != "nan"},
        "p" + str(TRICKY_TEXTS.index("nan")): pytest.approx(math.nan, nan_ok=True),
        "extra": 0.5,
    }
