"""Where the tests find the checkout, the shared data and what they leave for people to look at."""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
SHARED = REPO_ROOT.parent / "shared"
SHARED_DATA = SHARED / "data" / "adventureworkslt"
# Screenshots and traces of the browser tests, kept by CI.
ARTIFACTS = REPO_ROOT / "test-artifacts"
POWERBI = REPO_ROOT / "powerbi"
MODEL = POWERBI / "CustomerInsights.SemanticModel"
REPORT = POWERBI / "CustomerInsights.Report"
