"""The lean http(s) transport: MLflow's credentials and headers without importing mlflow.

Agreement tests compare with MLflow's own ``get_default_host_creds`` and ``http_request``
on a real local HTTP server that records what arrives; an end-to-end test logs from a
subprocess into a real MLflow server and checks that the process never imported mlflow.
"""

import http.server
import json
import subprocess
import textwrap
import threading
import uuid
from typing import ClassVar

import mlflow
import pytest
from mlflow.utils.credentials import get_default_host_creds
from mlflow.utils.rest_utils import http_request

from mlpipelines.tracking.mlflow_transport import (
    DeliveryError,
    HostCredentials,
    LeanHttp,
    RestTransport,
    needs_mlflow_http,
)
from tracking_helpers import PYTHON, history, subprocess_env

CREDENTIAL_VARIABLES = (
    "MLFLOW_TRACKING_USERNAME",
    "MLFLOW_TRACKING_PASSWORD",
    "MLFLOW_TRACKING_TOKEN",
    "MLFLOW_TRACKING_INSECURE_TLS",
    "MLFLOW_TRACKING_CLIENT_CERT_PATH",
    "MLFLOW_TRACKING_SERVER_CERT_PATH",
    "MLFLOW_TRACKING_AUTH",
    "MLFLOW_TRACKING_AWS_SIGV4",
    "MLFLOW_WORKSPACE",
)


@pytest.fixture
def clean_environment(monkeypatch, tmp_path):
    for name in CREDENTIAL_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    return monkeypatch


class _Recorder(http.server.BaseHTTPRequestHandler):
    requests: ClassVar[list] = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        type(self).requests.append((self.path, dict(self.headers), json.loads(body or b"{}")))
        answer = b'{"run": {"info": {"run_id": "abc"}}}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args):
        pass


@pytest.fixture
def recorder():
    _Recorder.requests = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", _Recorder.requests
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


@pytest.mark.parametrize(
    "environment, credentials_file",
    [
        ({}, None),
        ({"MLFLOW_TRACKING_USERNAME": "ann", "MLFLOW_TRACKING_PASSWORD": "s3cret"}, None),
        ({"MLFLOW_TRACKING_TOKEN": "tok"}, None),
        ({"MLFLOW_TRACKING_USERNAME": "env-user"}, "[mlflow]\nmlflow_tracking_password = file-pass\n"),
        ({}, "[mlflow]\nmlflow_tracking_username = fu\nmlflow_tracking_password = fp\n"),
        ({"MLFLOW_TRACKING_INSECURE_TLS": "true", "MLFLOW_TRACKING_CLIENT_CERT_PATH": "/c.pem"}, None),
        ({"MLFLOW_TRACKING_SERVER_CERT_PATH": "/s.pem", "MLFLOW_TRACKING_INSECURE_TLS": "0"}, None),
    ],
)
def test_credentials_agree_with_mlflows_own(clean_environment, tmp_path, environment, credentials_file):
    for name, value in environment.items():
        clean_environment.setenv(name, value)
    if credentials_file:
        (tmp_path / ".mlflow").mkdir()
        (tmp_path / ".mlflow" / "credentials").write_text(credentials_file)
    ours = HostCredentials.from_environment("https://mlflow.example")
    theirs = get_default_host_creds("https://mlflow.example")
    for field in ("host", "username", "password", "token", "client_cert_path", "server_cert_path"):
        assert getattr(ours, field) == getattr(theirs, field), field
    assert ours.ignore_tls_verification == bool(theirs.ignore_tls_verification)


@pytest.mark.parametrize(
    "environment",
    [{}, {"MLFLOW_TRACKING_USERNAME": "ann", "MLFLOW_TRACKING_PASSWORD": "pä55"}, {"MLFLOW_TRACKING_TOKEN": "tok"}],
)
def test_the_request_carries_the_same_authorization_and_body_as_mlflows(clean_environment, recorder, environment):
    url, requests = recorder
    for name, value in environment.items():
        clean_environment.setenv(name, value)
    body = {"experiment_id": "1", "start_time": 5}
    LeanHttp()(HostCredentials.from_environment(url), "/api/2.0/mlflow/runs/create", "POST", timeout=10, json=body)
    http_request(get_default_host_creds(url), "/api/2.0/mlflow/runs/create", "POST", max_retries=0, json=body)
    (our_path, our_headers, our_body), (their_path, their_headers, their_body) = requests
    assert our_path == their_path and our_body == their_body == body
    assert our_headers.get("Authorization") == their_headers.get("Authorization")
    assert ("Authorization" in our_headers) == bool(environment)


def test_a_bad_insecure_tls_value_is_named(clean_environment):
    clean_environment.setenv("MLFLOW_TRACKING_INSECURE_TLS", "maybe")
    with pytest.raises(DeliveryError, match="MLFLOW_TRACKING_INSECURE_TLS='maybe' is not a boolean"):
        HostCredentials.from_environment("https://x")


def test_insecure_tls_with_a_server_certificate_is_refused_as_mlflow_refuses_it(clean_environment, recorder):
    url, _ = recorder
    clean_environment.setenv("MLFLOW_TRACKING_INSECURE_TLS", "true")
    clean_environment.setenv("MLFLOW_TRACKING_SERVER_CERT_PATH", "/s.pem")
    with pytest.raises(DeliveryError, match="both set; set only one of them"):
        HostCredentials.from_environment(url)
    with pytest.raises(Exception, match="only one of these environment variables may be set"):
        http_request(get_default_host_creds(url), "/api/2.0/mlflow/runs/create", "POST", max_retries=0, json={})


@pytest.mark.parametrize("variable", ["MLFLOW_TRACKING_AUTH", "MLFLOW_TRACKING_AWS_SIGV4", "MLFLOW_WORKSPACE"])
def test_what_only_mlflow_can_do_goes_through_mlflows_http_request(clean_environment, variable):
    assert not needs_mlflow_http()
    clean_environment.setenv(variable, "true" if variable == "MLFLOW_TRACKING_AWS_SIGV4" else "some-value")
    assert needs_mlflow_http()
    assert RestTransport("http://127.0.0.1:1", 5).uses_mlflow_http


LOGGING_SCRIPT = textwrap.dedent("""
    import argparse, sys
    from mlpipelines.tracking import MultiBackendTracker

    args = argparse.Namespace(tracking_backends="MLFLOW", mlflow_tracking_uri=sys.argv[1],
                              mlflow_experiment_name=sys.argv[2])
    with MultiBackendTracker(args) as tracker:
        for step in range(3000):
            tracker.log_metric("loss", step / 3000, step=step)
        tracker.log_params({"lr": 0.5})
    print("mlflow imported:", "mlflow" in sys.modules)
    """)


def test_a_script_logging_to_a_server_never_imports_mlflow(mlflow_server, tmp_path):
    experiment = f"lean-{uuid.uuid4().hex[:8]}"
    finished = subprocess.run(
        [PYTHON, "-c", LOGGING_SCRIPT, mlflow_server.url, experiment],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=subprocess_env(),
        timeout=300,
    )
    assert finished.returncode == 0, finished.stderr
    assert "mlflow imported: False" in finished.stdout
    assert "MLFLOW: sent 3001, retried 0, spooled 0, dropped 0" in finished.stderr
    client = mlflow.MlflowClient(mlflow_server.url)
    [run] = client.search_runs([client.get_experiment_by_name(experiment).experiment_id])
    assert run.info.status == "FINISHED" and run.data.params == {"lr": "0.5"}
    assert history(mlflow_server.url, run.info.run_id, "loss") == [(step, step / 3000) for step in range(3000)]
