"""Fixtures of the cross-language contract tests: one JVM per session, the real Java classes."""

from types import SimpleNamespace

import pytest

# Plain asserts in the shared checks report their values like asserts in test modules.
pytest.register_assert_rewrite("contract_checks")

from contract_checks import java_classes  # noqa: E402


@pytest.fixture(scope="session")
def java() -> SimpleNamespace:
    """The Java classes, in this process through JPype (the session's one JVM)."""
    return java_classes()
