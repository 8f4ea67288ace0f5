"""NumPy without importing it: ``import ember`` stays fast for code that never touches NumPy (a NumPy array
cannot exist before NumPy is imported, so checking ``sys.modules`` is exact)."""
import sys


def is_ndarray(x) -> bool:
    np = sys.modules.get("numpy")
    return np is not None and isinstance(x, np.ndarray)
