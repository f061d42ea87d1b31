"""Valid Iranian national codes for tests, computed here independently of the code under test
(bot.identifiers): the tenth digit checks the first nine by the rule of PLATFORMS.md,
s = Σ d[i]·(10−i) mod 11, check digit = s if s < 2 else 11 − s."""

from __future__ import annotations

import random


def national_code(first9: str) -> str:
    """Nine digits and their check digit."""
    if len(first9) != 9 or not first9.isascii() or not first9.isdigit():
        raise ValueError(f"a national code has nine digits before its check digit, not {first9!r}")
    s = sum(int(d) * (10 - i) for i, d in enumerate(first9)) % 11
    return first9 + str(s if s < 2 else 11 - s)


def national_codes(count: int, seed: int = 1403) -> list[str]:
    """`count` distinct valid national codes (never ten identical digits), the same ones for the same seed."""
    rng = random.Random(seed)
    codes: dict[str, None] = {}
    while len(codes) < count:
        code = national_code(f"{rng.randrange(10**9):09d}")
        if len(set(code)) > 1:
            codes[code] = None
    return list(codes)


def random_national_code(rng: random.Random) -> str:
    """A random valid national code, not all digits equal, drawn digit by digit from `rng`."""
    while True:
        code = national_code("".join(str(rng.randrange(10)) for _ in range(9)))
        if len(set(code)) > 1:
            return code
