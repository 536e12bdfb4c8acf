#!/bin/sh
# "Run N" claim and clean-up figures of the Java MLflow backend against a local MLflow server (SQLite):
# NumberedRuns.create with 10, 1,000 and 10,000 runs present (median of 7), cleanUpRepository of 1,000
# FAILED runs. Usage: bench/bench_run_names_java.sh [LARGEST] [CLEAN_UP]   (default 10000 1000)
# CLASSES=DIR measures other compiled main classes (e.g. an older build) with the same benchmark.
set -eu
cd "$(dirname "$0")/.."
# The benchmark's server is stopped when it ends, not kept warm.
export MLPIPELINES_MLFLOW_SERVER_IDLE_TIMEOUT="${MLPIPELINES_MLFLOW_SERVER_IDLE_TIMEOUT:-0}"
export MLPIPELINES_PYTHON="${MLPIPELINES_PYTHON:-$(pwd)/.venv/bin/python}"
gradle --offline -q testClasses 2>/dev/null
classpath="build/classes/java/test:${CLASSES:-build/classes/java/main}:build/resources/main"
for jar in snakeyaml freemarker jackson-databind jackson-core jackson-annotations; do
    classpath="$classpath:/usr/share/java/$jar.jar"
done
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
java -XX:+UseSerialGC -cp "$classpath" de.monticore.mlpipelines.tracking.backend.mlflow.RunNamesBenchmark "$@"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
