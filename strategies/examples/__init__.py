"""
Small example strategies: ``FundingTilt`` (the example of ``docs/writing-a-strategy.md``),
``ImbalanceMomentum`` (the runtime's first demo) and ``Idle`` (the benchmarks' baseline).
"""
