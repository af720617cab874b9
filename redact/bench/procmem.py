"""Peak memory and CPU time of processes, read from /proc (Linux; no psutil).

Ray runs the detector actors in their own worker processes. `ProcessSampler` polls /proc in a
background thread and keeps, per matching process, the last VmHWM (peak resident set; it only
grows, so the last reading before the process exits is its peak up to one poll interval) and
the last user+system CPU time, and the whole machine's busy CPU time (what everything else,
Ray's driver and services included, took from the workers).
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

PROC = Path("/proc")
_CLK_TCK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def available() -> bool:
    return (PROC / "self" / "status").exists()


def status_kib(pid: int | str, fields: tuple[str, ...] = ("VmHWM", "VmRSS")) -> dict[str, int]:
    """The named `/proc/<pid>/status` fields in KiB; {} when the process is gone."""
    out: dict[str, int] = {}
    try:
        text = (PROC / str(pid) / "status").read_text()
    except OSError:
        return out
    for line in text.splitlines():
        name, _, value = line.partition(":")
        if name in fields:
            out[name] = int(value.split()[0])
    return out


def cpu_seconds(pid: int | str) -> float | None:
    """User + system CPU seconds of a process (not its children); None when it is gone."""
    try:
        stat = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    fields = stat.rpartition(")")[2].split()  # after the command name, which may hold spaces
    return (int(fields[11]) + int(fields[12])) / _CLK_TCK


def machine_busy_seconds() -> float | None:
    """CPU seconds all CPUs of the machine have spent busy since boot (/proc/stat: everything
    but idle and iowait); None where /proc/stat is missing."""
    try:
        with open(PROC / "stat") as f:
            values = [int(v) for v in f.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    return (sum(values) - values[3] - (values[4] if len(values) > 4 else 0)) / _CLK_TCK


def cmdline(pid: int | str) -> str:
    try:
        return (
            (PROC / str(pid) / "cmdline")
            .read_bytes()
            .replace(b"\0", b" ")
            .decode("utf-8", "replace")
        )
    except OSError:
        return ""


def parent_pids() -> dict[int, int]:
    """pid -> parent pid for every process visible in /proc."""
    parents = {}
    for entry in PROC.iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rpartition(")")[2].split()[1])
    return parents


def descendants(root: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for pid, ppid in parent_pids().items():
        children.setdefault(ppid, []).append(pid)
    out: set[int] = set()
    stack = [root]
    while stack:
        for child in children.get(stack.pop(), ()):
            if child not in out:
                out.add(child)
                stack.append(child)
    return out


def find_pids(needle: str, root: int | None = None) -> list[int]:
    """Descendants of `root` (default: this process) whose command line contains `needle`
    (Ray sets a worker's command line to its actor's title). Restricting to descendants keeps
    other users' Ray workers on a shared machine out of the figures."""
    return sorted(p for p in descendants(root or os.getpid()) if needle in cmdline(p))


class ProcessSampler:
    """Poll processes whose command line contains `needle`; remember peak RSS and CPU time."""

    def __init__(
        self, needle: str, interval: float = 0.5, root: int | None = None, rescan: float = 2.0
    ):
        self.needle = needle
        self.root = root or os.getpid()
        self.interval = interval
        # Finding new worker processes walks all of /proc: done every `rescan` seconds only,
        # since the sampler shares the machine with the workers it measures.
        self.rescan = rescan
        self._last_scan = float("-inf")
        self.peak_kib: dict[int, int] = {}
        self.cpu_s: dict[int, float] = {}
        self.cpu_series: dict[int, list[tuple[float, float]]] = {}
        self.first_seen: dict[int, float] = {}
        self.titles: dict[int, str] = {}
        self.machine_series: list[tuple[float, float]] = []  # (epoch, busy CPU-s of all CPUs)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="bench-sampler", daemon=True)

    def __enter__(self) -> ProcessSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.sample(full=True)

    def watch(self, pid: int) -> None:
        self.first_seen.setdefault(pid, time.perf_counter())

    def sample(self, full: bool = False) -> None:
        now = time.perf_counter()
        busy = machine_busy_seconds()
        if busy is not None:
            self.machine_series.append((time.time(), busy))
        found: set[int] = set()
        if full or now - self._last_scan >= self.rescan:
            found = set(find_pids(self.needle, self.root))
            self._last_scan = now
        for pid in found | set(self.first_seen):
            status = status_kib(pid)
            if "VmHWM" not in status:
                continue
            self.watch(pid)
            self.titles.setdefault(pid, cmdline(pid)[:80].strip())
            self.peak_kib[pid] = max(self.peak_kib.get(pid, 0), status["VmHWM"])
            cpu = cpu_seconds(pid)
            if cpu is not None:
                self.cpu_s[pid] = max(self.cpu_s.get(pid, 0.0), cpu)
                self.cpu_series.setdefault(pid, []).append((time.time(), cpu))

    def cpu_at(self, pid: int, when: float) -> float:
        """CPU seconds of `pid` at the last sample taken at or before epoch time `when` (0 if none)."""
        before = [cpu for t, cpu in self.cpu_series.get(pid, ()) if t <= when]
        return before[-1] if before else 0.0

    def machine_busy_between(self, start: float, end: float) -> float | None:
        """Busy CPU-seconds of the whole machine between the samples nearest two epoch times."""
        if len(self.machine_series) < 2:
            return None

        def nearest(when: float) -> float:
            return min(self.machine_series, key=lambda s: abs(s[0] - when))[1]

        return max(0.0, nearest(end) - nearest(start))

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.sample()
            except Exception:  # noqa: BLE001 - a racing process exit must not end sampling
                pass
            self._stop.wait(self.interval)
