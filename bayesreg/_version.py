"""The version of bayesreg, in a leaf that any module may import (``io`` records it in files)."""

__version__ = "0.1.0"
