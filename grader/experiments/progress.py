"""Progress of a sweep on stderr: one line per event, safe to call from several threads.

    [3/9] batch 64, lr 0.05, reg 0.001, hidden 128, 10 epochs: epoch 4/10, 6.1 s
"""

import sys
import threading

from .runs import RunResult
from .sweeps import config_label


class Progress:
    def __init__(self, stream=None):
        self.stream = stream if stream is not None else sys.stderr
        self.lock = threading.Lock()

    def _say(self, i, total, config, text):
        with self.lock:
            print(f"[{i}/{total}] {config_label(config)}: {text}", file=self.stream, flush=True)

    def cached(self, i, total, config):
        self._say(i, total, config, "cached")

    def started(self, i, total, config):
        self._say(i, total, config, "started")

    def epoch(self, i, total, config, record, elapsed):
        done = record.get("epoch", "?")
        self._say(i, total, config, f"epoch {done}/{config.epochs}, {elapsed:.1f} s")

    def finished(self, i, total, config, outcome, elapsed):
        if isinstance(outcome, RunResult):
            text = (f"done in {elapsed:.1f} s: train {outcome.train_accuracy:.4f}, "
                    f"val {outcome.val_accuracy:.4f}, test {outcome.test_accuracy:.4f}")
        else:
            text = f"FAILED after {elapsed:.1f} s: {outcome.message}"
        self._say(i, total, config, text)

    def note(self, text):
        with self.lock:
            print(text, file=self.stream, flush=True)
