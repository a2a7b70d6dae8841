"""One load run's table, as ``loadtest/run.sh`` prints it: per kind of request the count, errors,
requests/s and p50/p95/p99, whether its p95 meets the target, the errors by kind, and how
nginx spread the requests over the gunicorn instances (from its access log).

    python loadtest/report.py STATS_CSV FAILURES_CSV ACCESS_LOG FIRST_LINE TARGET_MS WAITS_JSON

Locust's percentiles are rounded to two significant figures above 100 ms (e.g. 290, 310).
Two kinds have no page target: the PDF issue's whole wait ("asked → downloaded": the task
worker's time plus the 2 s polls; its finished waits come from WAITS_JSON, its failures are in
the table), and the login post, which hashes the password on purpose (Django's PBKDF2,
1,000,000 iterations: about half a second of CPU on the 2-core test machine).
"""

import csv
import json
import re
import sys
from collections import Counter

NO_TARGET = ("PDF issue: asked → downloaded", "/login/ [POST]")
UPSTREAM = re.compile(r" upstream=(\S+) ")


def table(stats_csv: str, target_ms: int) -> list[str]:
    lines = [
        f"{'request':34} {'count':>6} {'fail':>5} {'req/s':>6} {'p50':>6} {'p95':>6} {'p99':>6}"
        f"  p95 < {target_ms} ms"
    ]
    misses = []
    with open(stats_csv, encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            name = "ALL" if row["Name"] == "Aggregated" else row["Name"]
            if name == "ALL" or name in NO_TARGET:
                verdict = "-"
            elif int(row["95%"]) < target_ms:
                verdict = "yes"
            else:
                verdict = "NO"
                misses.append(name)
            lines.append(
                f"{name[:34]:34} {row['Request Count']:>6} {row['Failure Count']:>5} "
                f"{float(row['Requests/s']):6.1f} {row['50%']:>6} {row['95%']:>6} "
                f"{row['99%']:>6}  {verdict}"
            )
    lines.append("(times in ms)")
    lines.append(
        f"pages over the target: {', '.join(misses)}" if misses else "every page meets the target"
    )
    return lines


def failures(failures_csv: str) -> list[str]:
    """Failed requests, and exceptions raised inside the simulated users (locust counts those
    apart: a task that crashed before its request would otherwise just be missing)."""
    with open(failures_csv, encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    exceptions_csv = failures_csv.replace("_failures.csv", "_exceptions.csv")
    with open(exceptions_csv, encoding="utf-8") as handle:
        crashes = list(csv.DictReader(handle))
    if not rows and not crashes:
        return ["errors: none"]
    return (
        ["errors:"]
        + [f"  {r['Occurrences']} × {r['Method']} {r['Name']}: {r['Error']}" for r in rows]
        + [f"  {r['Count']} × exception in a user: {r['Message']}" for r in crashes]
    )


def upstreams(access_log: str, first_line: int) -> list[str]:
    """Requests per gunicorn instance during this run (lines from ``first_line`` on)."""
    served: Counter[str] = Counter()
    with open(access_log, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if number >= first_line and (match := UPSTREAM.search(line)):
                served[match.group(1)] += 1
    total = sum(served.values())
    if not total:
        return ["nginx: no request reached an instance"]
    spread = ", ".join(f"{addr} {n} ({100 * n / total:.0f}%)" for addr, n in sorted(served.items()))
    return [f"nginx sent {total} requests to: {spread}"]


def issue_waits(waits_json: str) -> list[str]:
    """The PT's wait from the issue post to the downloaded PDF, for the issues that finished."""
    try:
        with open(waits_json, encoding="utf-8") as handle:
            waits = sorted(json.load(handle))
    except FileNotFoundError:
        waits = []
    if not waits:
        return ["PDF issue, asked → downloaded: none finished during the run"]
    p95 = waits[min(len(waits) - 1, int(len(waits) * 0.95))]
    return [
        f"PDF issue, asked → downloaded (the PT's wait): {len(waits)} finished, "
        f"median {waits[len(waits) // 2]:.1f} s, p95 {p95:.1f} s, max {waits[-1]:.1f} s"
    ]


def main(argv: list[str]) -> None:
    stats_csv, failures_csv, access_log, first_line, target_ms, waits_json = argv
    lines = table(stats_csv, int(target_ms))
    lines += issue_waits(waits_json)
    lines += failures(failures_csv)
    lines += upstreams(access_log, int(first_line))
    print("\n".join(lines))


if __name__ == "__main__":
    main(sys.argv[1:])
