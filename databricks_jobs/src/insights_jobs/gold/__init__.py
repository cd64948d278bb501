"""Silver -> gold: one module per gold table (pure transforms), and the job that writes them incrementally."""
