"""`redact bench`: throughput of the `redact run` path against plain Presidio, on the same data.

`commands.cmd_bench` drives it; each measurement runs in its own subprocess so that Ray,
models and memory peaks of one cannot leak into the next (`pipeline_run`, `baseline`);
`procmem` reads peak RSS and CPU time of processes from /proc; `report` turns the raw
measurements into figures and a table.
"""
