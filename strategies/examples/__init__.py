"""Small example strategies: a demo strategy for the runtime, and an idle baseline for benchmarks."""
