"""Bronze -> silver: validate and quarantine, deduplicate, enrich, merge (one module per concern)."""
