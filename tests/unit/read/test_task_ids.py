"""The repeated-id check's hash table against Python's own ``set`` (an independent oracle): same
answers for every insert, whatever the values (0, negatives, the 64-bit extremes, values sharing
their low bits so probes collide and wrap past the table's end) and across every growth."""
from __future__ import annotations

import random
from typing import Any

import pytest

from shared.errors import ApiError
from shared.read.task_ids import HashSet, TaskIds

LO, HI = -(2**63), 2**63 - 1


def agree(values: list[int]) -> HashSet:
    table, oracle = HashSet(), set()
    for value in values:
        stored = value or 1  # the table keeps 0 as 1 (documented)
        assert table.add(value) == (stored not in oracle), value
        oracle.add(stored)
        assert len(table) == len(oracle)
    return table


def test_random_values_with_repeats_agree_with_set() -> None:
    rng = random.Random(19)
    pool = [rng.randint(LO, HI) for _ in range(30_000)]
    agree(pool + [rng.choice(pool) for _ in range(5_000)] + pool[::7])


def test_colliding_low_bits_probe_and_wrap() -> None:
    # Every value lands in the same first slot of any table up to 2**40 slots: long probe chains,
    # wrapping from the last slot to the first, and re-probing after each growth.
    same_slot = [(k << 40) | 1023 for k in range(3_000)]
    table = agree(same_slot + same_slot[::-3] + [-v for v in same_slot[:500]])
    assert all(not table.add(v) for v in same_slot)


def test_extremes_zero_and_one() -> None:
    table = agree([0, 1, LO, HI, -1, -2, 2, LO + 1, HI - 1])
    assert not table.add(0) and not table.add(1) and not table.add(LO) and not table.add(HI)


class Task:  # a stand-in with attribute access, as typed tasks read
    __struct_fields__ = ("id",)

    def __init__(self, task_id: Any) -> None:
        self.id = task_id


def test_task_ids_every_repeat_raises_409_at_its_offset() -> None:
    rng = random.Random(5)
    ids = [f"{rng.getrandbits(128):032x}" for _ in range(3_000)]
    for repeat_at in (1, 199, 200, 1_234, 2_999):
        checker = TaskIds()
        tasks = [*ids[:repeat_at], ids[rng.randrange(repeat_at)], *ids[repeat_at:]]
        with pytest.raises(ApiError) as info:
            for offset in range(0, len(tasks), 200):
                page = tasks[offset:offset + 200]
                checker.check([{"id": t} for t in page] if offset % 400 else [Task(t) for t in page], offset)
        assert info.value.error_code == "SMSFN.0409"
        assert info.value.extra["offset"] == repeat_at and info.value.extra["duplicate_id"] == tasks[repeat_at]


def test_task_ids_distinct_pass_and_non_strings_are_left_to_validation() -> None:
    checker = TaskIds()
    for offset in range(0, 20_000, 200):
        checker.check([{"id": f"task-{offset + i}"} for i in range(200)], offset)
    checker.check([{"id": None}, {"id": 7}, {}, {"id": None}, "junk"], 20_000)
    with pytest.raises(ApiError):
        checker.check([{"id": "task-0"}], 20_005)
