"""Strategies and their frozen StrategyConfigs."""
