"""What an engine computes for one port: the times that queueing decides."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class PortOutcome:
    """What an engine computes for one port: the times that queueing decides."""

    unloaded: np.ndarray  # (n,) end of the unloading delay
    start: np.ndarray  # (n_stations, n) service start, NaN where not visited
    end: np.ndarray  # (n_stations, n) service end
    overtime: np.ndarray  # (n_stations, n) hours of the job past its shift's end
    release: np.ndarray  # (n,) customs release

    @classmethod
    def empty(cls, n_stations: int, n: int) -> PortOutcome:
        def nan(*shape: int) -> np.ndarray:
            return np.full(shape, np.nan)

        return cls(nan(n), nan(n_stations, n), nan(n_stations, n), nan(n_stations, n), nan(n))
