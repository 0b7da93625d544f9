#!/usr/bin/env python3
"""Where an acknowledged delivery's instructions go, from callgrind's per-thread profiles of
`DOORWATCH_BENCH_ONE_BY_ONE=<variant> cargo bench --bench ingest` (see scripts/profile-ack.sh).

Usage: profile-ack.py DELIVERIES callgrind.out.PID-01 callgrind.out.PID-02 ...
Prints one Markdown table: instructions per delivery by stage."""
import re
import subprocess
import sys


def inclusive(path):
    """{function name: inclusive Ir} for one thread's profile (the largest figure per name)."""
    out = subprocess.run(["callgrind_annotate", "--inclusive=yes", "--threshold=100", path],
                         capture_output=True, text=True, check=True).stdout
    costs, total = {}, 0
    for line in out.splitlines():
        m = re.match(r"\s*([\d,]+) \([^)]*\)\s+(.*)$", line)
        if not m:
            continue
        ir = int(m.group(1).replace(",", ""))
        where = m.group(2)
        if where.startswith("PROGRAM TOTALS"):
            total = ir
            continue
        name = re.sub(r" \[[^\]]*\]$", "", where).split(":", 1)[-1]
        costs[name] = max(costs.get(name, 0), ir)
    return total, costs


def pick(costs, *names):
    return sum(max((ir for n, ir in costs.items() if n == name or n.startswith(name + "::") or n.startswith(name + "<")), default=0)
               for name in names)


def main():
    n = int(sys.argv[1])
    stages = {k: 0 for k in ["HTTP and the runtime (server threads)", "signature (HMAC-SHA256)", "parse (JSON → event)",
                             "the acknowledged transaction (all of the next three)",
                             "· row + indexes (the INSERT, incl. the incident lookup)",
                             "· full-text index, in the transaction",
                             "· commit: WAL frames and checksums",
                             "writer: hand-off, replies, feed",
                             "full-text index, after the answer (follower)",
                             "checkpoint thread", "bare handler's SQLite (row, uuid key, commit)"]}
    for path in sys.argv[2:]:
        total, c = inclusive(path)
        if pick(c, "ingest::load::send") or total == 0:
            continue  # the load generator, not the server
        if pick(c, "doorwatch::store::writer::run"):
            write = pick(c, "doorwatch::store::writer::write")
            follow = pick(c, "doorwatch::store::text_index::TextIndex::follow") or pick(
                c, "doorwatch::store::text_index::index_chunk")
            stages["the acknowledged transaction (all of the next three)"] += write
            if not follow:
                # Everything SQLite does on this thread is inside the transaction: split it.
                fts = pick(c, "sqlite3Fts5FlushToDisk", "fts5UpdateMethod")
                commit = pick(c, "sqlite3PagerCommitPhaseOne.part.0")
                stages["· full-text index, in the transaction"] += fts
                stages["· commit: WAL frames and checksums"] += commit
                stages["· row + indexes (the INSERT, incl. the incident lookup)"] += max(write - fts - commit, 0)
            stages["full-text index, after the answer (follower)"] += follow
            stages["writer: hand-off, replies, feed"] += max(total - write - follow, 0)
        elif pick(c, "doorwatch::store::checkpoint::checkpoint"):
            stages["checkpoint thread"] += total
        elif pick(c, "doorwatch::receive::server::serve_limited::{{closure}}::{{closure}}"):
            sig = pick(c, "doorwatch::receive::signature::SigningKey::verify")
            parse = pick(c, "doorwatch::event::Event::from_json")
            bare = pick(c, "sqlite3_step")  # only the baselines run SQLite on the server's threads
            stages["signature (HMAC-SHA256)"] += sig
            stages["parse (JSON → event)"] += parse
            stages["bare handler's SQLite (row, uuid key, commit)"] += bare
            stages["HTTP and the runtime (server threads)"] += total - sig - parse - bare
    print("| stage | instructions per delivery |")
    print("|---|---|")
    for stage, ir in stages.items():
        if ir:
            print(f"| {stage} | {ir / n:,.0f} |")
    whole = sum(ir for stage, ir in stages.items() if not stage.startswith("·"))
    print(f"| **all server threads** | **{whole / n:,.0f}** |")


main()
