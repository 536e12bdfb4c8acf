"""The fixed training code that generated PyTorch scripts import.

A generated ``train.py`` holds what is particular to one experiment (its layers as an
``nn.Sequential``, its data source, its option defaults) and calls into this package for
what every experiment shares: loading data (:mod:`.data`), the training loop with optimiser,
schedule, clipping, early stopping and checkpoints (:mod:`.loop`), several processes
(:mod:`.distributed`) and keeping the model (:mod:`.models`). The generator vendors a copy
next to each script, as it does the tracking runtime, so a generated directory runs on its own.

Importing this package does not import torch: :mod:`.data` needs only NumPy.
"""
