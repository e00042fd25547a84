"""Pay-band parity across tracks: is an IC paid like a manager at the same grade."""

from pathaudit.parity._analysis import ParityResult, pay_parity

__all__ = ["ParityResult", "pay_parity"]
