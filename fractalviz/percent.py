"""Percentages as the explorers write them: one rounding rule, in Python and in the
page.

The static pages redraw in JavaScript (`fractalviz/js/percent.js`, the twin of this
module) what Python wrote when the page was built, so both sides must turn the same
number into the same text. Neither uses its language's own formatting (Python's rounds
half to even, JavaScript's `toFixed` rounds the binary value: 3 of 2,000 would read 0.1%
in one and 0.2% in the other). Both round half up:

- `count_percent(part, whole)` in integer arithmetic (exact for any counts);
- `fraction_percent(fraction, decimals)` as `floor(fraction * 10**(2 + decimals) + 0.5)`
  in double precision, the same operations in both languages, so the same result.

`tests/test_percent.py` runs both sides on every count of several sizes.
"""

import math
import pathlib

JS_PATH = pathlib.Path(__file__).parent / "js" / "percent.js"


def count_percent(part, whole):
    """Returns `part / whole` as a percentage with one decimal, rounded half up.

    Args:
        part: int, 0 <= part <= whole.
        whole: int >= 1.

    Example:

    >>> count_percent(49, 400), count_percent(3, 2000), count_percent(335, 360)
    ('12.3%', '0.2%', '93.1%')
    """
    tenths = (2000 * part + whole) // (2 * whole)
    return f"{tenths // 10}.{tenths % 10}%"


def fraction_percent(fraction, decimals=0):
    """Returns a fraction in [0, 1] as a percentage with `decimals` decimals, rounded
    half up.

    Args:
        fraction: float.
        decimals: 0 or 1.

    Example:

    >>> (
    ...     fraction_percent(0.125),
    ...     fraction_percent(0.9996),
    ...     fraction_percent(0.0625, decimals=1),
    ... )
    ('13%', '100%', '6.3%')
    """
    units = math.floor(fraction * 10 ** (2 + decimals) + 0.5)
    if decimals == 0:
        return f"{units}%"
    return f"{units // 10}.{units % 10}%"
