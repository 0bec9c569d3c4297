"""The matrix-multiply bound of a training epoch: the yardstick of the kit's performance check and of
tools/bench_epoch.py."""

from .contract import INPUT_SIZE, NUM_CLASSES

TARGET_CONFIG = (64, 128)  # (batch size, hidden units) the target applies to
TARGET_RATIO = 2.5  # the reference's epoch time / FLOP bound at TARGET_CONFIG


def epoch_flops(n, hidden, input_size=INPUT_SIZE, num_classes=NUM_CLASSES):
    """Matmul FLOPs of one training epoch over n samples: 2*n*(2*D*H + 3*C*H)."""
    return 2 * n * (2 * input_size * hidden + 3 * num_classes * hidden)


def flop_bound(n, hidden, rate, input_size=INPUT_SIZE, num_classes=NUM_CLASSES):
    """Seconds one epoch would take if it did only its matmuls at `rate` FLOP/s."""
    if rate <= 0:
        raise ValueError(f"the matmul rate must be positive, got {rate!r}")
    return epoch_flops(n, hidden, input_size, num_classes) / rate
