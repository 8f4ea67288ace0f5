"""oneDNN primitives are created once per key and then reused from ember's own cache."""
import ember


def test_repeated_ops_reuse_cached_primitives():
    a, b = ember.randn(256, 256), ember.randn(256, 256)  # above the size where oneDNN takes over
    c = ember.randn(64, 256)  # c @ b: a product for the matmul primitive (256^3 and up go to sgemm)
    ops = [lambda: c @ b, lambda: a + b, lambda: a.exp(), lambda: a.amax(1), lambda: ember.softmax(a, 1),
           lambda: a.sigmoid(), lambda: a * 2.0]  # (relu runs the shared loop: it keeps NaN)
    for op in ops:
        op()  # first call: creates each primitive
    hits0, misses0 = ember._core._primitive_cache_stats()
    for _ in range(3):
        for op in ops:
            op()
    hits1, misses1 = ember._core._primitive_cache_stats()
    assert misses1 == misses0, "a repeated op created a new oneDNN primitive"
    assert hits1 - hits0 >= 3 * len(ops), "the ops did not go through the primitive cache"


def test_a_new_shape_is_a_new_key():
    _, misses0 = ember._core._primitive_cache_stats()
    ember.randn(300, 301) @ ember.randn(301, 7)
    _, misses1 = ember._core._primitive_cache_stats()
    assert misses1 == misses0 + 1
