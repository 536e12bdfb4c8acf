"""How the MLflow backend and ``replay`` talk to an MLflow tracking store.

Two transports with the same five calls (``log_batch``, ``experiment_id``,
``create_run``, ``end_run``, ``log_artifact``):

* ``RestTransport`` for ``http(s)://`` URIs. It sends MLflow's REST API requests
  with MLflow's retries switched off and a bounded timeout: ``MlflowClient`` retries
  a refused connection for minutes (7 retries, exponential backoff, per process
  environment variables), which would stall delivery during an outage. Our caller
  retries with its own bounded backoff and spools what still fails. The requests go
  through ``requests`` directly (``LeanHttp``), with the credentials MLflow reads
  (``MLFLOW_TRACKING_USERNAME``/``PASSWORD`` or ``~/.mlflow/credentials``,
  ``MLFLOW_TRACKING_TOKEN``, ``MLFLOW_TRACKING_INSECURE_TLS``,
  ``MLFLOW_TRACKING_CLIENT_CERT_PATH``, ``MLFLOW_TRACKING_SERVER_CERT_PATH``), so that a
  training process logging to a server never imports mlflow (about 1 s and 180 MiB).
  Where MLflow itself would do more than that (``MLFLOW_TRACKING_AUTH``,
  ``MLFLOW_TRACKING_AWS_SIGV4``, ``MLFLOW_WORKSPACE``, or an installed request-header
  or auth plugin), MLflow's own ``http_request`` is used instead (``mlflow_http``).
* ``ClientTransport`` for every other URI (``sqlite:///``, ``file:``, ...): plain
  ``MlflowClient`` calls, which do no network I/O.

Both raise ``DeliveryError`` with ``transient`` telling whether a retry may help.
mlflow is imported when a ``ClientTransport`` (or MLflow's ``http_request``) is built,
never at module import, and only on the delivery thread.

Artifacts of a run whose artifact root is the server's proxy (``mlflow-artifacts:``)
are uploaded through this transport's own HTTP path to that server (``PUT
/api/2.0/mlflow-artifacts/artifacts/...``): MLflow's client resolves such roots
against the process-wide tracking URI, which a standalone script never set.
"""

from __future__ import annotations

import base64
import configparser
import math
import os
import posixpath
import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

# MLflow 3 opens an experiment by this kind; model training opens on the runs table (as the Java half tags).
EXPERIMENT_TAGS = {"mlflow.experimentKind": "custom_model_development"}

# One metric as the engine queues it: (key, value, timestamp in ms, step).
Metric = tuple[str, float, int, int]


class DeliveryError(Exception):
    """A call to the tracking store failed.

    Attributes:
        transient: True for unreachable servers, timeouts, HTTP 429 and 5xx (retry may
            help); False for requests the store rejects (bad run id, bad value).
        error_code: MLflow's error code when the store sent one (RESOURCE_DOES_NOT_EXIST, ...).
    """

    def __init__(self, message: str, transient: bool, error_code: str = "") -> None:
        super().__init__(message)
        self.transient = transient
        self.error_code = error_code


_MLFLOW_HTTP_VARIABLES = ("MLFLOW_TRACKING_AUTH", "MLFLOW_TRACKING_AWS_SIGV4", "MLFLOW_WORKSPACE")
_MLFLOW_HTTP_PLUGIN_GROUPS = ("mlflow.request_header_provider", "mlflow.request_auth_provider")


def needs_mlflow_http() -> bool:
    """True when MLflow's ``http_request`` would do more than ``LeanHttp`` does.

    That is an auth provider or SigV4 signing (``MLFLOW_TRACKING_AUTH``, ``MLFLOW_TRACKING_AWS_SIGV4``),
    a workspace header (``MLFLOW_WORKSPACE``), or an installed plugin that adds request headers or auth.
    """
    if any(os.environ.get(name, "").strip().lower() not in ("", "false", "0") for name in _MLFLOW_HTTP_VARIABLES):
        return True
    from importlib.metadata import entry_points

    return any(entry_points(group=group) for group in _MLFLOW_HTTP_PLUGIN_GROUPS)


def _environment_flag(name: str) -> bool:
    value = os.environ.get(name, "").strip().lower()
    if value in ("", "false", "0"):
        return False
    if value in ("true", "1"):
        return True
    raise DeliveryError(f"{name}={value!r} is not a boolean; expected true, false, 1 or 0", transient=False)


@dataclass(frozen=True)
class HostCredentials:
    """What MLflow's ``get_default_host_creds`` reads for an http(s) store, without importing mlflow.

    Attributes:
        host: the server's base URL.
        username, password: basic auth (environment first, then ``~/.mlflow/credentials``' [mlflow]).
        token: bearer token (used when there is no username and password, as MLflow does).
        ignore_tls_verification: ``MLFLOW_TRACKING_INSECURE_TLS``.
        client_cert_path: ``MLFLOW_TRACKING_CLIENT_CERT_PATH``.
        server_cert_path: ``MLFLOW_TRACKING_SERVER_CERT_PATH``.
    """

    host: str
    username: str | None = None
    password: str | None = None
    token: str | None = None
    ignore_tls_verification: bool = False
    client_cert_path: str | None = None
    server_cert_path: str | None = None

    @classmethod
    def from_environment(cls, host: str) -> HostCredentials:
        """Read the credentials for ``host`` the way MLflow does (see the class doc).

        Raises:
            DeliveryError: ``MLFLOW_TRACKING_INSECURE_TLS`` is not a boolean, or it is set together
                with ``MLFLOW_TRACKING_SERVER_CERT_PATH`` (permanent, as in MLflow).
        """
        file_user = file_password = None
        path = os.path.expanduser("~/.mlflow/credentials")
        if os.path.exists(path):
            parser = configparser.ConfigParser()
            parser.read(path)
            if "mlflow" in parser:
                file_user = parser["mlflow"].get("mlflow_tracking_username")
                file_password = parser["mlflow"].get("mlflow_tracking_password")
        insecure = _environment_flag("MLFLOW_TRACKING_INSECURE_TLS")
        server_cert = os.environ.get("MLFLOW_TRACKING_SERVER_CERT_PATH") or None
        if insecure and server_cert:
            # MLflow refuses the pair too (rest_utils: ignore_tls_verification with server_cert_path).
            raise DeliveryError(
                "MLFLOW_TRACKING_INSECURE_TLS and MLFLOW_TRACKING_SERVER_CERT_PATH are both set; set only one of them",
                transient=False,
            )
        return cls(
            host=host,
            username=os.environ.get("MLFLOW_TRACKING_USERNAME") or file_user,
            password=os.environ.get("MLFLOW_TRACKING_PASSWORD") or file_password,
            token=os.environ.get("MLFLOW_TRACKING_TOKEN") or None,
            ignore_tls_verification=insecure,
            client_cert_path=os.environ.get("MLFLOW_TRACKING_CLIENT_CERT_PATH") or None,
            server_cert_path=server_cert,
        )


class LeanHttp:
    """MLflow's REST requests through one keep-alive ``requests.Session``, without importing mlflow.

    Called like ``mlflow.utils.rest_utils.http_request`` (the subset ``RestTransport`` uses):
    ``(host_creds, endpoint, method, timeout=..., json=/params=/data=...)``; the retry arguments
    are accepted and ignored, because this never retries (the delivery engine does).
    """

    def __init__(self) -> None:
        import requests

        self._session = requests.Session()
        self._session.headers["User-Agent"] = "mlpipelines-tracking"

    def __call__(
        self, host_creds: HostCredentials, endpoint: str, method: str, *, timeout: float, **request: Any
    ) -> Any:
        for ignored in ("max_retries", "backoff_factor", "backoff_jitter", "raise_on_status"):
            request.pop(ignored, None)
        headers = {}
        if host_creds.username and host_creds.password:
            basic = base64.standard_b64encode(f"{host_creds.username}:{host_creds.password}".encode()).decode()
            headers["Authorization"] = f"Basic {basic}"
        elif host_creds.token:
            headers["Authorization"] = f"Bearer {host_creds.token}"
        verify: bool | str = True
        if host_creds.ignore_tls_verification:
            verify = False
        elif host_creds.server_cert_path:
            verify = host_creds.server_cert_path
        return self._session.request(
            method,
            host_creds.host + endpoint,
            headers=headers,
            timeout=timeout,
            verify=verify,
            cert=host_creds.client_cert_path,
            **request,
        )


def open_transport(tracking_uri: str, timeout_seconds: float) -> RestTransport | ClientTransport:
    """Return the transport for ``tracking_uri``.

    Args:
        tracking_uri: an MLflow tracking URI.
        timeout_seconds: the per-request timeout for HTTP stores.
    """
    if tracking_uri.startswith(("http://", "https://")):
        return RestTransport(tracking_uri, timeout_seconds)
    return ClientTransport(tracking_uri)


def _json_number(value: float) -> float | str:
    # Protobuf JSON (what the MLflow server parses) spells non-finite doubles as strings.
    if math.isfinite(value):
        return value
    if math.isnan(value):
        return "NaN"
    return "Infinity" if value > 0 else "-Infinity"


class RestTransport:
    """MLflow REST API calls over ``mlflow.utils.rest_utils.http_request`` without its retries."""

    def __init__(self, tracking_uri: str, timeout_seconds: float, mlflow_http: bool | None = None) -> None:
        """Args:
        tracking_uri: the server's http(s) URL.
        timeout_seconds: per request.
        mlflow_http: True: MLflow's ``http_request``; False: ``LeanHttp``; None: MLflow's only
            where ``needs_mlflow_http()``.
        """
        self.tracking_uri = tracking_uri.rstrip("/")
        self.uses_mlflow_http = needs_mlflow_http() if mlflow_http is None else mlflow_http
        self._http_request: Callable[..., Any]
        if self.uses_mlflow_http:
            from mlflow.utils.rest_utils import http_request

            self._http_request = http_request
        else:
            self._http_request = LeanHttp()
        self._host_creds = self._credentials(self.tracking_uri)
        self._timeout = timeout_seconds

    def _credentials(self, host: str) -> Any:
        if self.uses_mlflow_http:
            from mlflow.utils.credentials import get_default_host_creds

            return get_default_host_creds(host)
        return HostCredentials.from_environment(host)

    def _call(self, method: str, endpoint: str, **request: Any) -> Any:
        return self._request(self._host_creds, method, "/api/2.0/mlflow/" + endpoint, **request)

    def _request(self, host_creds: Any, method: str, endpoint: str, **request: Any) -> Any:
        try:
            response = self._http_request(
                host_creds,
                endpoint,
                method,
                max_retries=0,
                backoff_factor=0,
                backoff_jitter=0,
                timeout=self._timeout,
                raise_on_status=False,
                **request,
            )
        except Exception as error:
            raise DeliveryError(
                f"{method} {self.tracking_uri}{endpoint}: {type(error).__name__}: {error}", transient=True
            ) from error
        status = response.status_code
        if status == 200:
            return response.json() if response.text.strip() else {}
        detail, error_code = response.text[:300], ""
        try:
            body = response.json()
            detail, error_code = body.get("message", detail), body.get("error_code", "")
        except (ValueError, AttributeError):
            pass
        raise DeliveryError(
            f"{method} {self.tracking_uri}{endpoint}: HTTP {status}: {detail}",
            transient=status == 429 or status >= 500,
            error_code=error_code,
        )

    def log_batch(
        self, run_id: str, metrics: Sequence[Metric], params: Mapping[str, str], tags: Mapping[str, str]
    ) -> None:
        """Send up to 1000 metrics ((key, value, ms, step) tuples), 100 params and tags."""
        body: dict[str, Any] = {"run_id": run_id}
        if metrics:
            body["metrics"] = [
                {"key": key, "value": _json_number(value), "timestamp": timestamp, "step": step}
                for key, value, timestamp, step in metrics
            ]
        if params:
            body["params"] = [{"key": key, "value": value} for key, value in params.items()]
        if tags:
            body["tags"] = [{"key": key, "value": value} for key, value in tags.items()]
        self._call("POST", "runs/log-batch", json=body)

    def experiment_id(self, name: str) -> str:
        """Return the id of experiment ``name``, creating it if needed."""
        try:
            found = self._call("GET", "experiments/get-by-name", params={"experiment_name": name})
            return str(found["experiment"]["experiment_id"])
        except DeliveryError as error:
            if error.error_code != "RESOURCE_DOES_NOT_EXIST":
                raise
        try:
            return str(self._call("POST", "experiments/create", json={"name": name})["experiment_id"])
        except DeliveryError as error:
            if error.error_code != "RESOURCE_ALREADY_EXISTS":
                raise
            # Another process created it between our two calls.
            found = self._call("GET", "experiments/get-by-name", params={"experiment_name": name})
            return str(found["experiment"]["experiment_id"])

    def create_run(self, experiment_id: str, start_time: int, run_name: str | None = None) -> str:
        """Create a run in ``experiment_id`` that started at ``start_time`` (ms); return its id."""
        body: dict[str, Any] = {"experiment_id": str(experiment_id), "start_time": int(start_time)}
        if run_name:
            body["run_name"] = run_name
        created = self._call("POST", "runs/create", json=body)
        return str(created["run"]["info"]["run_id"])

    def end_run(self, run_id: str, status: str, end_time: int) -> None:
        """Set the run's final ``status`` and ``end_time`` (ms)."""
        self._call("POST", "runs/update", json={"run_id": run_id, "status": status, "end_time": end_time})

    def log_artifact(self, run_id: str, path: str, artifact_path: str | None) -> None:
        """Upload a file or directory into the run's artifacts.

        Through the server's artifact proxy for ``mlflow-artifacts:`` roots, else through
        MLflow's artifact repository for the root.
        """
        artifact_uri = str(self._call("GET", "runs/get", params={"run_id": run_id})["run"]["info"]["artifact_uri"])
        if not artifact_uri.startswith("mlflow-artifacts:"):
            _log_artifact_with_client(self.tracking_uri, run_id, path, artifact_path)
            return
        root = urllib.parse.urlsplit(artifact_uri)
        host_creds = self._host_creds
        if root.netloc:
            scheme = urllib.parse.urlsplit(self.tracking_uri).scheme
            host_creds = self._credentials(f"{scheme}://{root.netloc}")
        destination = posixpath.join(root.path.strip("/"), artifact_path or "")
        for local, relative in _files_to_upload(path):
            endpoint = "/api/2.0/mlflow-artifacts/artifacts/" + urllib.parse.quote(
                posixpath.join(destination, relative).strip("/")
            )
            try:
                with open(local, "rb") as content:
                    self._request(host_creds, "PUT", endpoint, data=content)
            except OSError as error:
                raise DeliveryError(f"artifact {local}: {error}", transient=False) from error

    def run_location(self, experiment_id: str | None, run_id: str) -> str:
        """Where a user finds the run (a UI URL)."""
        if experiment_id is None:
            return f"{self.tracking_uri}/#/runs/{run_id}"
        return f"{self.tracking_uri}/#/experiments/{experiment_id}/runs/{run_id}"


def _files_to_upload(path: str) -> list[tuple[str, str]]:
    """(local file, path relative to the upload's destination) for a file or a directory tree."""
    if not os.path.isdir(path):
        return [(path, os.path.basename(path))]
    files = []
    for directory, _, names in os.walk(path):
        for name in sorted(names):
            local = os.path.join(directory, name)
            files.append((local, os.path.relpath(local, path).replace(os.sep, "/")))
    return files


def _log_artifact_with_client(tracking_uri: str, run_id: str, path: str, artifact_path: str | None) -> None:
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri)
    try:
        if os.path.isdir(path):
            client.log_artifacts(run_id, path, artifact_path)
        else:
            client.log_artifact(run_id, path, artifact_path)
    except Exception as error:
        # A missing file or a refused write will not get better by retrying; a network error may.
        transient = not isinstance(error, (FileNotFoundError, PermissionError, IsADirectoryError, ValueError))
        raise DeliveryError(f"artifact {path}: {type(error).__name__}: {error}", transient=transient) from error


class ClientTransport:
    """``MlflowClient`` calls for stores without a server (``sqlite:///``, ``file:``)."""

    _PERMANENT_CODES = (
        "INVALID_PARAMETER_VALUE",
        "RESOURCE_DOES_NOT_EXIST",
        "BAD_REQUEST",
        "PERMISSION_DENIED",
        "INVALID_STATE",
    )

    def __init__(self, tracking_uri: str) -> None:
        from mlflow import MlflowClient
        from mlflow.entities import Metric, Param, RunTag

        self.tracking_uri = tracking_uri
        self._client = MlflowClient(tracking_uri)
        self._metric, self._param, self._tag = Metric, Param, RunTag

    def _guard(self, what: str, call: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        try:
            return call(*args, **kwargs)
        except Exception as error:
            code = getattr(error, "error_code", "")
            raise DeliveryError(
                f"{what} on {self.tracking_uri}: {type(error).__name__}: {error}",
                transient=code not in self._PERMANENT_CODES,
                error_code=code,
            ) from error

    def log_batch(
        self, run_id: str, metrics: Sequence[Metric], params: Mapping[str, str], tags: Mapping[str, str]
    ) -> None:
        """Send metrics ((key, value, ms, step) tuples), params and tags in one ``log_batch``."""
        self._guard(
            "log_batch",
            self._client.log_batch,
            run_id,
            metrics=[self._metric(*metric) for metric in metrics],
            params=[self._param(key, value) for key, value in params.items()],
            tags=[self._tag(key, value) for key, value in tags.items()],
        )

    def experiment_id(self, name: str) -> str:
        """Return the id of experiment ``name``, creating it if needed."""
        experiment = self._guard("get_experiment_by_name", self._client.get_experiment_by_name, name)
        if experiment is not None:
            return str(experiment.experiment_id)
        try:
            return str(self._guard("create_experiment", self._client.create_experiment, name, tags=EXPERIMENT_TAGS))
        except DeliveryError:
            experiment = self._client.get_experiment_by_name(name)
            if experiment is None:
                raise
            return str(experiment.experiment_id)

    def create_run(self, experiment_id: str, start_time: int, run_name: str | None = None) -> str:
        """Create a run in ``experiment_id`` that started at ``start_time`` (ms); return its id."""
        created = self._guard(
            "create_run", self._client.create_run, str(experiment_id), start_time=int(start_time), run_name=run_name
        )
        return str(created.info.run_id)

    def end_run(self, run_id: str, status: str, end_time: int) -> None:
        """Set the run's final ``status`` and ``end_time`` (ms)."""
        self._guard("set_terminated", self._client.set_terminated, run_id, status, end_time)

    def log_artifact(self, run_id: str, path: str, artifact_path: str | None) -> None:
        """Copy a file or directory into the run's artifact store."""
        _log_artifact_with_client(self.tracking_uri, run_id, path, artifact_path)

    def run_location(self, experiment_id: str | None, run_id: str) -> str:
        """Where a user finds the run."""
        return f"run {run_id} in {self.tracking_uri}"
