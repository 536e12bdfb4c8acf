"""Bad tracking.yaml files and the message each must get: one table for both two-language checks.

``test_bad_input.py`` runs them through ``run``, ``generate`` and ``check-config`` of both front doors
(nothing written); ``test_java_python_contract.py`` adds them to ``BAD_CONFIGS`` (the Python
``ConfigError`` names the same key path as Java).
"""

URI_FORMS = "expected http(s)://HOST[:PORT][/PATH], sqlite:///FILE, file:///DIR or a directory path"
CREDENTIALS = (
    "holds credentials (USER:PASSWORD@); remove them and set MLFLOW_TRACKING_USERNAME and "
    "MLFLOW_TRACKING_PASSWORD, or MLFLOW_TRACKING_TOKEN, in the environment"
)
BAD_REFERENCE = "is not a valid environment variable reference; expected ${NAME}, NAME being a letter or _ followed by letters, digits or _"


def quote_it(value: str, kind: str = "a number") -> str:
    return f"expected a string, got {kind} ({value}); quote it ('{value}') if the text is meant"


# (id, tracking.yaml text, key path, what is wrong); the message is "FILE: KEY_PATH: PROBLEM".
TRACKING_CASES = [
    # backends.mlflow.tracking_uri
    (
        "uri-user-password",
        "backends:\n  mlflow:\n    tracking_uri: http://ana:hunter2@mlflow.example.org\n",
        "backends.mlflow.tracking_uri",
        CREDENTIALS,
    ),
    (
        "uri-user-password-port",
        "backends:\n  mlflow:\n    tracking_uri: https://ana:hunter2@h.example:5000/x\n",
        "backends.mlflow.tracking_uri",
        CREDENTIALS,
    ),
    (
        "uri-user-only",
        "backends:\n  mlflow:\n    tracking_uri: http://ana@mlflow.example.org\n",
        "backends.mlflow.tracking_uri",
        CREDENTIALS,
    ),
    (
        "uri-credentials-other-scheme",
        "backends:\n  mlflow:\n    tracking_uri: postgresql://ana:hunter2@db/mlflow\n",
        "backends.mlflow.tracking_uri",
        CREDENTIALS,
    ),
    (
        "uri-ftp",
        "backends:\n  mlflow:\n    tracking_uri: ftp://example.org/mlruns\n",
        "backends.mlflow.tracking_uri",
        f"the scheme 'ftp' is not supported; {URI_FORMS}",
    ),
    (
        "uri-postgresql",
        "backends:\n  mlflow:\n    tracking_uri: postgresql://db/mlflow\n",
        "backends.mlflow.tracking_uri",
        f"the scheme 'postgresql' is not supported; {URI_FORMS}",
    ),
    (
        "uri-sqlite-two-slashes",
        "backends:\n  mlflow:\n    tracking_uri: sqlite://mlflow.db\n",
        "backends.mlflow.tracking_uri",
        f"is not a valid sqlite store URI; {URI_FORMS}",
    ),
    (
        "uri-file-with-host",
        "backends:\n  mlflow:\n    tracking_uri: file://host/mlruns\n",
        "backends.mlflow.tracking_uri",
        f"is not a valid file store URI; {URI_FORMS}",
    ),
    (
        "uri-port-too-large",
        "backends:\n  mlflow:\n    tracking_uri: http://localhost:70000\n",
        "backends.mlflow.tracking_uri",
        "port '70000' is out of range; expected a port from 1 to 65535",
    ),
    (
        "uri-port-zero",
        "backends:\n  mlflow:\n    tracking_uri: http://localhost:0\n",
        "backends.mlflow.tracking_uri",
        "port '0' is out of range; expected a port from 1 to 65535",
    ),
    (
        "uri-port-huge",
        "backends:\n  mlflow:\n    tracking_uri: http://localhost:99999999999\n",
        "backends.mlflow.tracking_uri",
        "port '99999999999' is out of range; expected a port from 1 to 65535",
    ),
    (
        "uri-port-not-a-number",
        "backends:\n  mlflow:\n    tracking_uri: http://localhost:http\n",
        "backends.mlflow.tracking_uri",
        "port 'http' is not a number; expected a port from 1 to 65535",
    ),
    (
        "uri-no-host",
        "backends:\n  mlflow:\n    tracking_uri: 'http://:5000'\n",
        "backends.mlflow.tracking_uri",
        f"names no host; {URI_FORMS}",
    ),
    (
        "uri-no-authority",
        "backends:\n  mlflow:\n    tracking_uri: 'http://'\n",
        "backends.mlflow.tracking_uri",
        f"is not a valid URL (Expected authority at index 7); {URI_FORMS}",
    ),
    (
        "uri-space-in-host",
        "backends:\n  mlflow:\n    tracking_uri: 'http://my host:5000'\n",
        "backends.mlflow.tracking_uri",
        f"is not a valid URL (Illegal character in authority at index 7); {URI_FORMS}",
    ),
    ("uri-number", "backends:\n  mlflow:\n    tracking_uri: 123\n", "backends.mlflow.tracking_uri", quote_it("123")),
    (
        "uri-boolean",
        "backends:\n  mlflow:\n    tracking_uri: true\n",
        "backends.mlflow.tracking_uri",
        quote_it("true", "a boolean"),
    ),
    (
        "uri-list",
        "backends:\n  mlflow:\n    tracking_uri: [http://a]\n",
        "backends.mlflow.tracking_uri",
        "expected a string, got a list",
    ),
    (
        "uri-empty",
        "backends:\n  mlflow:\n    tracking_uri: ''\n",
        "backends.mlflow.tracking_uri",
        f"is empty; {URI_FORMS}",
    ),
    (
        "uri-unclosed-reference",
        "backends:\n  mlflow:\n    tracking_uri: http://${HOST\n",
        "backends.mlflow.tracking_uri",
        f"'${{HOST' {BAD_REFERENCE}",
    ),
    # no lenient coercion: a number or a boolean where a name or a path belongs
    (
        "mlflow-experiment-name-number",
        "backends:\n  mlflow:\n    experiment_name: 5\n",
        "backends.mlflow.experiment_name",
        quote_it("5"),
    ),
    (
        "mlflow-experiment-name-empty",
        "backends:\n  mlflow:\n    experiment_name: ''\n",
        "backends.mlflow.experiment_name",
        "is empty; expected an experiment name",
    ),
    (
        "stdout-experiment-name-boolean",
        "backends:\n  stdout:\n    experiment_name: yes\n",
        "backends.stdout.experiment_name",
        quote_it("true", "a boolean"),
    ),
    (
        "tensorboard-log-dir-number",
        "backends:\n  tensorboard:\n    log_dir: 7\n",
        "backends.tensorboard.log_dir",
        quote_it("7"),
    ),
    ("csv-dir-float", "backends:\n  csv:\n    dir: 3.5\n", "backends.csv.dir", quote_it("3.5")),
    ("spool-dir-number", "backends:\n  mlflow:\n    spool_dir: 0\n", "backends.mlflow.spool_dir", quote_it("0")),
    ("blacklist-item-number", "backends:\n  stdout:\nparam_blacklist: [5]\n", "param_blacklist[0]", quote_it("5")),
    ("clean-up-item-number", "backends:\n  mlflow:\n    clean_up: [1]\n", "backends.mlflow.clean_up[0]", quote_it("1")),
    (
        "tag-value-mapping",
        "backends:\n  stdout:\ntags: {team: {a: 1}}\n",
        "tags.team",
        "expected a string, got a mapping",
    ),
    ("backends-a-list", "backends: [stdout]\n", "backends", "expected a mapping, got a list"),
    # tags and references
    (
        "tag-key-empty",
        "backends:\n  stdout:\ntags: {'': vision}\n",
        "tags",
        "has an empty key; expected a name for every entry",
    ),
    (
        "tag-key-blank",
        "backends:\n  stdout:\ntags: {'  ': vision}\n",
        "tags",
        "has an empty key; expected a name for every entry",
    ),
    ("empty-reference", "backends:\n  stdout:\ntags: {team: '${}'}\n", "tags.team", f"'${{}}' {BAD_REFERENCE}"),
    (
        "reference-starting-with-a-digit",
        "backends:\n  csv:\n    dir: runs/${1DIR}\n",
        "backends.csv.dir",
        f"'${{1DIR}}' {BAD_REFERENCE}",
    ),
    # the closest valid name is suggested
    (
        "backend-misspelt",
        "backends:\n  mlfow: {}\n",
        "backends.mlfow",
        "'mlfow' is not a tracking backend; expected one of STDOUT, MLFLOW, CSV, TENSORBOARD, WANDB, COMET, DVCLIVE; did you mean 'MLFLOW'?",
    ),
    (
        "key-misspelt",
        "backends:\n  tensorboard:\n    log_dri: runs\n",
        "backends.tensorboard.log_dri",
        "unknown key; expected one of log_dir; did you mean 'log_dir'?",
    ),
    (
        "top-level-key-misspelt",
        "backends:\n  stdout:\ntag: {team: vision}\n",
        "tag",
        "unknown key; expected one of backends, param_blacklist, tags; did you mean 'tags'?",
    ),
]
