"""`insights run` for the kill suite (test code, run as a script): the real command, plus what a killer needs.

- It prints `@@phase <name>` when each phase starts (extract, silver, commit, gold), so the suite picks its
  kill moments by observable progress, whatever the command's own output looks like.
- It paces the watermark commit (`INSIGHTS_FAULT_COMMIT_PACE` seconds before each file): the commit of a
  small run takes milliseconds, too short for a kill to land inside it by chance.
- `INSIGHTS_FAULT_PLANT=commit-before-silver` plants the bug the suite must catch: the master pipeline
  commits the watermarks right after extraction, before silver.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from insights.local import pipeline
from insights.local.adf import activities
from insights.local.adf.activities import LocalActivities

MARK = "@@phase"
EXTRACT_PIPELINE_ACTIVITIES = {"Get Watermark File", "Lookup Old Watermark", "Lookup New Watermark"}
PHASE_OF = {
    "Copy Changed Rows": "extract",
    "Build Silver": "silver",
    "Commit Watermarks": "commit",
    "Build Gold": "gold",
}
PLANT = "commit-before-silver"


def _announce(phase: str, seen: set[str]) -> None:
    if phase not in seen:
        seen.add(phase)
        print(f"{MARK} {phase}", flush=True)


def _marked_handlers(original):
    seen: set[str] = set()

    def handlers(self):
        def wrap(handler):
            def run(activity, scope):
                name = activity["name"]
                phase = "extract" if name in EXTRACT_PIPELINE_ACTIVITIES else PHASE_OF.get(name)
                if phase:
                    _announce(phase, seen)
                return handler(activity, scope)

            return run

        return {kind: wrap(handler) for kind, handler in original(self).items()}

    return handlers


def _paced(write_atomically, pace: float):
    def write(target: Path, write_file):
        if target.parent.name == "watermarks":  # a committed watermark (staged ones live under _pending/)
            time.sleep(pace)
        return write_atomically(target, write_file)

    return write


def _commit_before_silver(load_factory):
    def load(*args, **kwargs):
        factory = load_factory(*args, **kwargs)
        activities = {a["name"]: a for a in factory.pipeline("pl_daily_master")["activities"]}
        after = {
            "Commit Watermarks": "Extract Tables",
            "Build Silver": "Commit Watermarks",
            "Build Gold": "Build Silver",
        }
        for name, upstream in after.items():
            activities[name]["dependsOn"] = [{"activity": upstream, "dependencyConditions": ["Succeeded"]}]
        return factory

    return load


def main() -> None:
    LocalActivities.handlers = _marked_handlers(LocalActivities.handlers)
    activities.write_atomically = _paced(
        activities.write_atomically, float(os.environ.get("INSIGHTS_FAULT_COMMIT_PACE", "0"))
    )
    if os.environ.get("INSIGHTS_FAULT_PLANT") == PLANT:
        pipeline.load_factory = _commit_before_silver(pipeline.load_factory)
    from insights.cli import main as insights

    sys.argv = ["insights", *sys.argv[1:]]
    insights()


if __name__ == "__main__":
    main()
