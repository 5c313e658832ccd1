"""What an engine computes for one port: the times that queueing decides."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

"""Values of ``PortOutcome.pool``: which of a station's two server pools served a job."""


@dataclass
class PortOutcome:
    """What an engine computes for one port: the times that queueing and calendars decide.

    The station arrays have a column per shipment that meets a queue (``queued``: those
    whose channel has checks, in index order), not per shipment: about three quarters
    of shipments are green, and arrays over every shipment were mostly NaN, which the
    engine filled and the indicators read past (a regional replication's engine went
    6% faster, and one replication 3%, measured). :meth:`by_shipment` gives them per
    shipment.
    """

    unloaded: np.ndarray  # (n,) end of the unloading delay
    lodged: np.ndarray  # (n,) lodgement, once the lodgement calendar is open
    release: np.ndarray  # (n,) customs release
    queued: np.ndarray  # (m,) int64: the shipments that meet a queue, in index order
    start: np.ndarray  # (n_stations, m) service start of queued[j], NaN where not visited
    end: np.ndarray  # (n_stations, m) service end
    overtime: np.ndarray  # (n_stations, m) hours of the job past its shift's end
    pool: np.ndarray  # (n_stations, m) int8: GENERAL or RESERVED, -1 where not visited

    @classmethod
    def empty(cls, n_stations: int, n: int, queued: np.ndarray) -> PortOutcome:
        """Every time NaN, every pool -1."""
        return cls.of_queued(n_stations, queued, *(np.full(n, np.nan) for _ in range(3)))

    @classmethod
    def of_queued(
        cls,
        n_stations: int,
        queued: np.ndarray,
        unloaded: np.ndarray,
        lodged: np.ndarray,
        release: np.ndarray,
    ) -> PortOutcome:
        """These per-shipment arrays (an engine that writes every shipment's passes them
        unfilled: filling them only to overwrite them cost time), and for the queued
        shipments every station time NaN and every pool -1."""
        shape = (n_stations, len(queued))
        return cls(
            unloaded=unloaded,
            lodged=lodged,
            release=release,
            queued=queued,
            start=np.full(shape, np.nan),
            end=np.full(shape, np.nan),
            overtime=np.full(shape, np.nan),
            pool=np.full(shape, -1, dtype=np.int8),
        )

    def by_shipment(self, name: str) -> np.ndarray:
        """Station array ``name`` (start, end, overtime or pool) with a column per shipment:
        NaN (a pool: -1) for a shipment that met no queue."""
        values = getattr(self, name)
        fill = -1 if name == "pool" else np.nan
        out = np.full((values.shape[0], len(self.unloaded)), fill, dtype=values.dtype)
        out[:, self.queued] = values
        return out


def queued_shipments(route_length: np.ndarray, channel: np.ndarray) -> np.ndarray:
    """The shipments whose channel has checks, in index order: those that meet a queue."""
    return np.flatnonzero(route_length[channel] > 0).astype(np.int64)
