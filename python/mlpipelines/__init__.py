"""mlpipelines: experiment tracking for generated ML training scripts."""
