"""
Statistical inference on a run's returns, apart from how a run is executed or shown.

- ``sample``: returns at a stated frequency from the sampled equity curve, and whether there are
  enough of them to annualise;
- ``bootstrap``: stationary block bootstrap intervals (Politis & Romano 1994) for one run and
  paired intervals for the difference between two runs;
- ``selection``: the deflated Sharpe ratio (Bailey & López de Prado 2014) and the probability of
  backtest overfitting by CSCV (Bailey, Borwein, López de Prado & Zhu 2017).

"""
