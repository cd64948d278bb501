"""Reference data shipped with the package (data files, not code)."""

from __future__ import annotations

import csv
from functools import cache
from importlib.resources import files


def normalise_title(title: str) -> str:
    """How titles are compared: surrounding spaces ignored, case-insensitive (as Spark `lower(trim(...))`)."""
    return title.strip(" ").lower()


@cache
def title_gender() -> dict[str, str]:
    """Title -> gender from `title_gender.csv`, keyed by the normalised title."""
    text = files(__package__).joinpath("title_gender.csv").read_text(encoding="utf-8")
    return {normalise_title(row["title"]): row["gender"].strip() for row in csv.DictReader(text.splitlines())}
