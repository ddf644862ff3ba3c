"""Dispatch of a stage's inputs to its replicas, and failover when a replica dies.

Every sender of a stage's inputs (the host for the first stage, each board of the stage
before for the others) has a :class:`Dispatcher`. Image k goes to replica k mod n of the
stage, or, once that replica is known dead, to survivor k mod (survivors).

In failover mode (``TopologyConfig.failover``) a board answers every input it has processed
with a DONE message to whoever sent it, and the dispatcher keeps each input until then. A
replica that holds inputs and makes no progress (no DONE) for the stage's timeout is declared
dead — a timeout, not an oracle: the dispatcher knows nothing of the failure itself. The
replica's connection is aborted, every dispatcher of that stage stops sending to it
(:class:`StageMembers`, the stage's shared view of who is alive) and re-sends the inputs it
still holds for it to the survivors. With no survivor left, the images are reported lost
at that stage.
"""

from __future__ import annotations

from collections import Counter
from typing import Callable, Optional

from .events import Scheduler
from .messages import Message
from .transport import Endpoint


class StageMembers:
    """Which replicas of one stage are alive, shared by the stage's dispatchers."""

    def __init__(self, stage: int, replicas: int):
        self.stage = stage
        self.alive = [True] * replicas
        self.dispatchers: list["Dispatcher"] = []
        self.failovers: list[dict] = []     # (replica, time, by whom, re-sent images)
        self.on_dead: Optional[Callable[[int], None]] = None   # everyone else stops talking to it

    def survivors(self) -> list[int]:
        return [r for r, ok in enumerate(self.alive) if ok]

    def declare_dead(self, replica: int, now: int, by: str) -> None:
        if not self.alive[replica]:
            return
        self.alive[replica] = False
        event = {"stage": self.stage, "replica": replica, "detected_ps": now, "by": by, "resent": []}
        self.failovers.append(event)
        if self.on_dead is not None:
            self.on_dead(replica)
        for d in self.dispatchers:
            d.replica_died(replica, event)


class Dispatcher:
    def __init__(self, sched: Scheduler, name: str, members: StageMembers, endpoints: list[Endpoint],
                 message: Callable[[int, bytes], Message], failover: bool, timeout_ps: int,
                 on_route: Callable[[int, int], None], on_lost: Callable[[int, int, str], None]):
        self.sched = sched
        self.name = name
        self.members = members
        self.endpoints = endpoints
        self.message = message
        self.failover = failover
        self.timeout_ps = timeout_ps
        self.on_route = on_route          # (replica, image id): the replica gets one more input
        self.on_lost = on_lost            # (stage, image id, why)
        self.outstanding: list[dict[int, bytes]] = [dict() for _ in endpoints]
        self.last_progress: list[int] = [0] * len(endpoints)
        self.counters: Counter[str] = Counter()
        self._timer = None
        self.stopped = False
        members.dispatchers.append(self)

    def route(self, image_id: int) -> Optional[int]:
        n = len(self.endpoints)
        if self.members.alive[image_id % n]:
            return image_id % n
        alive = self.members.survivors()
        return alive[image_id % len(alive)] if alive else None

    def send(self, image_id: int, payload: bytes) -> None:
        r = self.route(image_id)
        if r is None:
            self.on_lost(self.members.stage, image_id, f"no replica of stage {self.members.stage} left")
            return
        if r != image_id % len(self.endpoints):
            self.on_route(r, image_id)
        if self.failover:
            if not self.outstanding[r]:
                self.last_progress[r] = self.sched.now()
            self.outstanding[r][image_id] = payload
            self._arm()
        self.endpoints[r].send(self.message(image_id, payload))

    def done(self, replica: int, image_id: int) -> None:
        """Replica `replica` has processed `image_id`."""
        if self.outstanding[replica].pop(image_id, None) is not None:
            self.last_progress[replica] = self.sched.now()

    def stop(self) -> None:
        """The sender itself died: it sends, watches and declares nothing any more."""
        self.stopped = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    # ---- failure detection -------------------------------------------------------------
    def _arm(self) -> None:
        if self._timer is None and not self.stopped:
            self._timer = self.sched.call_later(self.timeout_ps, self._check)

    def _check(self) -> None:
        self._timer = None
        now = self.sched.now()
        for r, held in enumerate(self.outstanding):
            if held and self.members.alive[r] and now - self.last_progress[r] >= self.timeout_ps:
                self.members.declare_dead(r, now, self.name)
        if any(self.outstanding[r] for r in range(len(self.endpoints)) if self.members.alive[r]):
            nxt = min(self.last_progress[r] + self.timeout_ps for r, held in enumerate(self.outstanding)
                      if held and self.members.alive[r])
            self._timer = self.sched.call_at(max(nxt, now + 1), self._check)

    def replica_died(self, replica: int, event: dict) -> None:
        self.endpoints[replica].abort()
        if self.stopped:
            return
        held = self.outstanding[replica]
        self.outstanding[replica] = {}
        for image_id, payload in sorted(held.items()):
            self.counters["resent"] += 1
            event["resent"].append(image_id)
            self.send(image_id, payload)
