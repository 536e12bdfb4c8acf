"""``backend_requirements.txt`` is the one list of pip requirements; pyproject.toml agrees with it."""

import pytest
import tomllib

from mlpipelines.tracking import TrackingError, registered_trackers, requirements
from tracking_helpers import PYTHON_SOURCE

PYPROJECT = PYTHON_SOURCE.parent / "pyproject.toml"


def pyproject():
    with open(PYPROJECT, "rb") as source:
        return tomllib.load(source)["project"]


def test_every_named_backend_is_registered():
    named = set(requirements.backend_requirements()) - {requirements.RUNTIME}
    assert named <= set(registered_trackers())


def test_runtime_requirements_are_project_dependencies():
    assert set(requirements.requirements_of(requirements.RUNTIME)) <= set(pyproject()["dependencies"])


@pytest.mark.parametrize("backend", sorted(set(requirements.backend_requirements()) - {requirements.RUNTIME}))
def test_backend_requirements_are_in_its_extra_or_the_dependencies(backend):
    project = pyproject()
    extra = set(project["optional-dependencies"].get(backend.lower(), ()))
    for requirement in requirements.requirements_of(backend):
        assert requirement in extra or requirement in project["dependencies"], (backend, requirement)


def test_each_backend_extra_is_exactly_what_the_file_lists():
    extras = pyproject()["optional-dependencies"]
    for backend in registered_trackers():
        if backend.lower() in extras:
            assert tuple(extras[backend.lower()]) == requirements.requirements_of(backend), backend


def test_missing_library_names_every_requirement_of_the_backend():
    with pytest.raises(TrackingError) as error:
        requirements.require_library("TENSORBOARD", "surely_not_an_installed_module")
    assert str(error.value) == (
        "the TENSORBOARD backend needs surely_not_an_installed_module: pip install 'tensorboard>=2.15' 'crc32c>=2.3'"
    )


def test_a_malformed_line_names_the_file_and_line(tmp_path, monkeypatch):
    broken = tmp_path / "backend_requirements.txt"
    broken.write_text("# comment\n\nMLFLOW mlflow>=2.12\nTENSORBOARD\n")
    monkeypatch.setattr(requirements, "REQUIREMENTS_FILE", str(broken))
    requirements.backend_requirements.cache_clear()
    try:
        with pytest.raises(TrackingError, match=r"backend_requirements.txt:4: expected 'BACKEND requirement  # why'"):
            requirements.backend_requirements()
    finally:
        monkeypatch.undo()
        requirements.backend_requirements.cache_clear()
