"""Input checks shared by every indicator."""

import math


def require_finite(indicator: str, **values: float) -> None:
    """
    Refuse NaN or infinite input to an indicator.

    Parameters
    ----------
    indicator : str
        The indicator's name, for the error message.
    **values : float
        The named inputs to check.

    Raises
    ------
    ValueError
        If any value is NaN or infinite; the message names the indicator, input and value.

    """
    for name, value in values.items():
        if not math.isfinite(value):
            raise ValueError(f"{indicator}: input {name}={value!r} is not finite")
