"""The pure-Python scheduler that runs the link model without an HDL simulator."""

import pytest

from netsim.events import EventLoop, Scheduler


def test_event_loop_satisfies_the_scheduler_protocol():
    assert isinstance(EventLoop(), Scheduler)


def test_callbacks_run_in_time_order_and_fifo_at_equal_times():
    loop = EventLoop()
    seen = []
    loop.call_at(30, seen.append, "c")
    loop.call_at(10, seen.append, "a1")
    loop.call_at(10, seen.append, "a2")  # same time: after a1, in scheduling order
    loop.call_later(20, seen.append, "b")
    assert loop.run() == 30
    assert seen == ["a1", "a2", "b", "c"]


def test_callback_scheduled_for_now_runs_after_the_current_one():
    loop = EventLoop()
    seen = []

    def first():
        loop.call_at(loop.now(), seen.append, "second")
        seen.append("first")

    loop.call_at(5, first)
    loop.run()
    assert seen == ["first", "second"]


def test_cancel_and_past_times():
    loop = EventLoop()
    seen = []
    t = loop.call_at(10, seen.append, "x")
    t.cancel()
    t.cancel()  # idempotent
    assert t.cancelled
    loop.call_at(20, seen.append, "y")
    loop.run()
    assert seen == ["y"]
    with pytest.raises(ValueError):
        loop.call_at(loop.now() - 1, seen.append, "z")
    with pytest.raises(ValueError):
        loop.call_later(-1, seen.append, "z")


def test_run_until_stops_and_advances_clock():
    loop = EventLoop()
    seen = []
    for t in (5, 15, 25):
        loop.call_at(t, seen.append, t)
    assert loop.run(until=15) == 15
    assert seen == [5, 15]
    assert loop.run(until=100) == 100
    assert seen == [5, 15, 25]


def test_exceptions_propagate_out_of_run():
    loop = EventLoop()

    def boom():
        raise RuntimeError("boom")

    loop.call_at(1, boom)
    with pytest.raises(RuntimeError, match="boom"):
        loop.run()
