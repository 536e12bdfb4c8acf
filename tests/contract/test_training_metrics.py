"""The epoch metrics early stopping may monitor: Java's data.Task and Python's loop.EPOCH_METRICS agree."""

import jpype

from mlpipelines.training.loop import EPOCH_METRICS


def test_every_task_has_the_same_epoch_metrics_in_both_languages(java):
    del java  # the session's JVM is running
    task = jpype.JClass("de.monticore.mlpipelines.generator.data.Task")
    java_metrics = {str(value.yamlName()): [str(name) for name in value.epochMetrics()] for value in task.values()}
    assert java_metrics == {name: list(metrics) for name, metrics in EPOCH_METRICS.items()}
