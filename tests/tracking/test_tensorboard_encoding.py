"""TENSORBOARD's own encoding: scalar events are what protobuf serializes, byte for byte; the checksum is TFRecord's."""

import math
import struct

import pytest
from tensorboard.compat.proto.event_pb2 import Event
from tensorboard.compat.proto.summary_pb2 import Summary
from tensorboardX.crc32c import crc32c as tensorboardx_crc32c
from tensorboardX.record_writer import masked_crc32c as tensorboardx_masked_crc32c

from mlpipelines.tracking.tensorboard import masked_crc32c, scalar_event

FLOAT32_MAX = struct.unpack("<f", b"\xff\xff\x7f\x7f")[0]
VALUES = [
    0.0,
    -0.0,
    0.001,
    -1.5,
    1e-50,  # below float32's smallest subnormal: 0
    1.5e-45,  # float32's smallest subnormal
    FLOAT32_MAX,
    3.4028235677973366e38,  # rounds to infinity as a float32
    1e300,
    -1e300,
    math.inf,
    -math.inf,
    math.nan,
    2.0**64,
]
KEYS = ["loss", "train/loss", "ä/Ω", "k" * 200, "x" * 20_000]  # 200 and 20,000 bytes: multi-byte lengths
STEPS = [0, 1, 127, 128, 300, 2**31, 2**63 - 1]
WALL_TIMES = [0.0, -0.0, 1_733_500_000.123, 1e-3, 1.5]


def protobuf_event(scalars, wall_time, step):
    summary = Summary(value=[Summary.Value(tag=key, simple_value=value) for key, value, _, _ in scalars])
    return Event(wall_time=wall_time, step=step, summary=summary).SerializeToString()


@pytest.mark.parametrize("value", VALUES, ids=repr)
@pytest.mark.parametrize("key", KEYS, ids=lambda key: f"{key[:8]}({len(key)})")
def test_one_scalar_encodes_as_protobuf_does(key, value):
    scalars = [(key, value, 0, 7)]
    assert scalar_event(scalars, 1_733_500_000.5, 7) == protobuf_event(scalars, 1_733_500_000.5, 7)


@pytest.mark.parametrize("step", STEPS)
@pytest.mark.parametrize("wall_time", WALL_TIMES, ids=repr)
def test_steps_and_wall_times_encode_as_protobuf_does(step, wall_time):
    scalars = [(f"metric_{i}", i * 0.25, 0, step) for i in range(12)]
    assert scalar_event(scalars, wall_time, step) == protobuf_event(scalars, wall_time, step)


def test_a_key_that_is_not_utf8_is_refused_like_protobuf_refuses_it():
    scalars = [("bad\udcff", 1.0, 0, 1)]
    with pytest.raises(UnicodeEncodeError):
        protobuf_event(scalars, 1.0, 1)
    with pytest.raises(UnicodeEncodeError):
        scalar_event(scalars, 1.0, 1)


def test_the_event_reads_back_through_protobuf():
    scalars = [("a", 0.5, 0, 3), ("b", -2.0, 0, 3)]
    event = Event.FromString(scalar_event(scalars, 12.5, 3))
    assert (event.wall_time, event.step) == (12.5, 3)
    assert [(value.tag, value.simple_value) for value in event.summary.value] == [("a", 0.5), ("b", -2.0)]


@pytest.mark.parametrize("data", [b"", b"a", b"123456789", bytes(range(256)) * 5, b"\x00" * 8])
def test_the_record_checksum_is_tensorboardx_masked_crc32c(data):
    assert masked_crc32c(data) == tensorboardx_masked_crc32c(data)
    assert tensorboardx_crc32c(b"123456789") == 0xE3069283  # CRC-32C's check value: the reference is CRC-32C
