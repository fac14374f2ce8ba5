"""What a synthetic-market run wrote and how fast: rows per family, CPU and wall time."""

import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from dataclasses import field

from etl.synth.writers import WrittenFile


@dataclass
class SynthReport:
    """
    What a run wrote and how fast.

    ``stage_seconds`` holds the CPU time of the main thread's stages (latent model, perp and spot
    simulation, kline and metrics aggregation, ground truth); the writer thread formats,
    compresses and writes files meanwhile (its CPU time is in ``files``). CPU times measure the
    generator's work whatever else the machine runs; ``wall_seconds`` is the elapsed time and
    ``cpu_seconds`` the process's CPU time, all threads.
    """

    files: list[WrittenFile] = field(default_factory=list)
    stage_seconds: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    wall_seconds: float = 0.0
    cpu_seconds: float = 0.0

    def _per_key(self, attribute: str) -> dict[str, float]:
        out: dict[str, float] = defaultdict(float)
        for f in self.files:
            out[f.key] += getattr(f, attribute)
        return dict(out)

    @property
    def rows(self) -> dict[str, int]:
        """Return data rows written per family key."""
        return {k: int(v) for k, v in self._per_key("rows").items()}

    @property
    def format_seconds(self) -> dict[str, float]:
        """Return CPU seconds spent formatting CSV text per family key."""
        return self._per_key("format_seconds")

    @property
    def total_rows(self) -> int:
        """Return the data rows written, all families."""
        return sum(f.rows for f in self.files)

    @property
    def rows_per_second(self) -> float:
        """Return rows written per wall-clock second."""
        return self.total_rows / self.wall_seconds if self.wall_seconds else 0.0

    @property
    def rows_per_cpu_second(self) -> float:
        """Return rows written per CPU second (all threads)."""
        return self.total_rows / self.cpu_seconds if self.cpu_seconds else 0.0

    def summary(self) -> str:
        """Return a short table of rows and speeds."""
        fmt = self.format_seconds
        lines = [f"{'family':<16}{'rows':>12}{'format rows/cpu-s':>20}"]
        for key, rows in self.rows.items():
            speed = f"{rows / fmt[key]:,.0f}" if fmt[key] else "-"
            lines.append(f"{key:<16}{rows:>12,}{speed:>20}")
        stages = ", ".join(f"{k} {v:.2f}s" for k, v in self.stage_seconds.items())
        write = sum(f.write_seconds for f in self.files)
        lines.append(f"cpu: {stages}; writer thread: format {sum(fmt.values()):.2f}s, write {write:.2f}s")
        lines.append(
            f"total: {self.total_rows:,} rows, {len(self.files)} files in {self.wall_seconds:.2f} s "
            f"= {self.rows_per_second:,.0f} rows/s ({self.rows_per_cpu_second:,.0f} rows per CPU-second)"
        )
        return "\n".join(lines)


@contextmanager
def timed(seconds: dict[str, float], key: str) -> Iterator[None]:
    """Add the CPU time of the enclosed block, on the calling thread, to ``seconds[key]``."""
    t0 = time.thread_time()
    try:
        yield
    finally:
        seconds[key] += time.thread_time() - t0
