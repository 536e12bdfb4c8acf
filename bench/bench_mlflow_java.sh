#!/bin/sh
# Java MLflow backend figures: local server start-up (time, processes, memory) and the time to
# create a run and log 100 params (median of 5). Usage: bench/bench_mlflow_java.sh [STARTS] [WORKERS]
set -eu
cd "$(dirname "$0")/.."
export MLPIPELINES_PYTHON="${MLPIPELINES_PYTHON:-$(pwd)/.venv/bin/python}"
gradle --offline -q testClasses 2>/dev/null
classpath="build/classes/java/test:build/classes/java/main:build/resources/main"
for jar in snakeyaml freemarker jackson-databind jackson-core jackson-annotations; do
    classpath="$classpath:/usr/share/java/$jar.jar"
done
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
java -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -cp "$classpath" \
    de.monticore.mlpipelines.tracking.backend.mlflow.MLflowBenchmark "$@"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
