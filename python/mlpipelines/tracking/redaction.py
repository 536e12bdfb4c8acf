"""Which keys hold credentials: the same rule as Java's ``tracking/secret/Secrets.isSecretKey``.

"password" and "secret" anywhere; "token", "auth" and "pwd" only as whole words, so that
``tokenizer_vocab_size`` and ``author`` stay visible. A contract test checks both languages agree.
"""

import re

SECRET_KEY = re.compile(
    r".*(password|passwd|secret|api[_-]?key|access[_-]?key|private[_-]?key|credential).*"
    r"|(.*[_.-])?(token|auth|pwd)([_.-].*)?",
    re.IGNORECASE,
)

MASK = "********"


def is_secret_key(key: object) -> bool:
    """True for keys such as ``password``, ``MLFLOW_TRACKING_TOKEN``, ``db_api_key``."""
    return isinstance(key, str) and SECRET_KEY.fullmatch(key) is not None


def stored_value(key: str, value: str) -> str:
    """What a backend stores for a param or tag: ``MASK`` under a secret-looking key, else the value.

    The one rule for params and tags in every backend (Java: ``Secrets.storedValue``), so that a
    credential never lands in clear in MLflow, a CSV run directory or a TensorBoard event file.
    """
    return MASK if is_secret_key(key) else value


def stored_values(values: dict[str, str]) -> dict[str, str]:
    """``stored_value`` for every entry, in order."""
    return {key: stored_value(key, value) for key, value in values.items()}
