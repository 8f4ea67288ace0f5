"""DataLoader(num_workers > 0): order, seeding, shared memory without copies, and every failure
ending in a clean error (never a hang: each test runs under an alarm), joined workers and an empty
/dev/shm."""
import gc
import glob
import os
import random
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

import ember
from ember.utils.data import DataLoader, Dataset, IterableDataset, TensorDataset, get_worker_info
from ember.utils.data import _shared

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="worker tests use fork and /proc")


class _Hang(Exception):
    pass


@pytest.fixture(autouse=True)
def alarm():
    """Fails a test that runs past 20 s instead of hanging the suite (no pytest-timeout here)."""
    def on_alarm(signum, frame):
        raise _Hang("test ran past its 20 s alarm")
    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(20)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, old)
    leaked = glob.glob(os.path.join(_shared.SHM_DIR, f"ember_dl_{os.getpid()}_*"))
    assert not leaked, f"shared memory left behind: {leaked}"


class Squares(Dataset):
    def __init__(self, n=20):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return ember.full((3,), float(i)), i * i


class Draws(Dataset):
    """Random numbers of the three generators a worker seeds, and who drew them."""

    def __len__(self):
        return 8

    def __getitem__(self, i):
        info = get_worker_info()
        return (ember.rand(1), float(random.random()), float(np.random.rand()),
                info.id, info.seed, info.num_workers, os.getpid(), ember.get_num_threads())


class Failing(Dataset):
    def __init__(self, action, at=5):
        self.action, self.at = action, at

    def __len__(self):
        return 16

    def __getitem__(self, i):
        if i == self.at:
            self.action()
        return ember.full((2,), float(i))


def raise_value_error():
    raise ValueError("bad sample 5")


def _batches(loader):
    return [(x.tolist(), y.tolist()) for x, y in loader]


def _gone(pids):
    for pid in pids:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            continue
        return False
    return True


@pytest.mark.parametrize("workers", [1, 3])
def test_same_batches_in_sampler_order(workers):
    ds = Squares(23)
    want = _batches(DataLoader(ds, batch_size=4))
    assert _batches(DataLoader(ds, batch_size=4, num_workers=workers)) == want
    assert _batches(DataLoader(ds, batch_size=4, num_workers=workers, prefetch_factor=1)) == want
    assert len(_batches(DataLoader(ds, batch_size=4, num_workers=workers, drop_last=True))) == 5
    x = ember.arange(60.0).reshape(20, 3)
    tds = TensorDataset(x, ember.arange(20))
    assert _batches(DataLoader(tds, batch_size=6, num_workers=workers)) == _batches(DataLoader(tds, batch_size=6))
    singles = list(DataLoader(ds, batch_size=None, num_workers=workers))
    assert [s[1] for s in singles] == [i * i for i in range(23)]


def test_shuffle_and_augmentation_repeat_with_a_seeded_generator():
    def run():
        g = ember.Generator().manual_seed(7)
        return [[f.tolist() for f in b[:5]]
                for b in DataLoader(Draws(), batch_size=2, shuffle=True, num_workers=2, generator=g)]
    first, second = run(), run()
    assert first == second
    ember.manual_seed(3)  # without a loader generator: ember's global one
    a = [b[0].tolist() for b in DataLoader(Draws(), batch_size=2, num_workers=2)]
    ember.manual_seed(3)
    assert [b[0].tolist() for b in DataLoader(Draws(), batch_size=2, num_workers=2)] == a
    assert [b[0].tolist() for b in DataLoader(Draws(), batch_size=2, num_workers=2)] != a  # a new epoch, new seeds


def test_worker_info_seeds_and_single_thread():
    assert get_worker_info() is None
    batches = list(DataLoader(Draws(), batch_size=2, num_workers=2))
    ids = [b[3].tolist() for b in batches]
    assert ids == [[0, 0], [1, 1], [0, 0], [1, 1]]  # round-robin
    seeds = {b[3][0].item(): b[4][0].item() for b in batches}
    assert seeds[1] == seeds[0] + 1
    assert all(b[5].tolist() == [2, 2] for b in batches)
    assert all(b[7].tolist() == [1, 1] for b in batches)  # ember ops single-threaded in workers
    # what worker i draws is what ember, random and numpy give after seeding with base_seed + i
    from ember.utils.data._worker import seed_worker
    seed_worker(seeds[0])
    first = batches[0]
    assert abs(ember.rand(1).item() - first[0][0].item()) < 1e-7
    assert abs(random.random() - first[1][0].item()) < 1e-7  # collated as float32
    assert abs(np.random.rand() - first[2][0].item()) < 1e-7


def test_worker_init_fn_and_persistent_workers():
    seen = []

    def init(worker_id):
        os.environ["EMBER_TEST_WORKER"] = f"init{worker_id}"

    class Env(Dataset):
        def __len__(self):
            return 6

        def __getitem__(self, i):
            return os.environ.get("EMBER_TEST_WORKER", ""), os.getpid()

    loader = DataLoader(Env(), batch_size=None, num_workers=2, worker_init_fn=init, persistent_workers=True)
    for epoch in range(3):
        it = iter(loader)
        if epoch == 1:  # stop mid-epoch: the next epoch starts over, stale batches dropped
            assert next(it)[0] == "init0"
            continue
        got = list(it)
        assert [g[0] for g in got] == ["init0", "init1"] * 3
        seen.append({g[1] for g in got})
    assert seen[0] == seen[1] and len(seen[0]) == 2  # the same two processes every epoch
    pids = list(seen[0])
    del loader, it
    gc.collect()
    deadline = time.monotonic() + 5
    while not _gone(pids) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert _gone(pids)


def test_argument_errors():
    with pytest.raises(ValueError, match="prefetch_factor"):
        DataLoader(Squares(), prefetch_factor=2)
    with pytest.raises(ValueError, match="persistent_workers"):
        DataLoader(Squares(), persistent_workers=True)
    with pytest.raises(ValueError, match="num_workers"):
        DataLoader(Squares(), num_workers=-1)
    with pytest.raises(ValueError, match="shuffle"):
        DataLoader(Stream(4), shuffle=True)
    assert DataLoader(Squares(), num_workers=1, pin_memory=True).prefetch_factor == 2


class Stream(IterableDataset):
    def __init__(self, n, shard=True):
        self.n, self.shard = n, shard

    def __len__(self):
        return self.n

    def __iter__(self):
        info = get_worker_info()
        step, start = (info.num_workers, info.id) if (info and self.shard) else (1, 0)
        return iter(range(start, self.n, step))


def test_iterable_dataset_sharded_per_worker():
    assert [b.tolist() for b in DataLoader(Stream(7), batch_size=3)] == [[0, 1, 2], [3, 4, 5], [6]]
    got = [b.tolist() for b in DataLoader(Stream(10), batch_size=2, num_workers=3)]
    assert sorted(sum(got, [])) == list(range(10))
    assert got[0] == [0, 3] and got[1] == [1, 4] and got[2] == [2, 5]
    assert len(DataLoader(Stream(10), batch_size=4, drop_last=True)) == 2
    dropped = [b.tolist() for b in DataLoader(Stream(10), batch_size=3, num_workers=2, drop_last=True)]
    assert all(len(b) == 3 for b in dropped)
    unsharded = list(DataLoader(Stream(5, shard=False), batch_size=None, num_workers=2))
    assert sorted(unsharded) == sorted(list(range(5)) * 2)  # each worker iterates its own copy


def _mapping_of(address):
    with open("/proc/self/maps") as f:
        for line in f:
            span, rest = line.split(" ", 1)
            lo, hi = (int(v, 16) for v in span.split("-"))
            if lo <= address < hi:
                return rest
    return ""


def test_batches_view_shared_memory_without_copy():
    x = ember.arange(4 * 1000.0).reshape(1000, 4)
    loader = DataLoader(TensorDataset(x, ember.arange(1000)), batch_size=100, num_workers=2)
    batches = list(loader)
    for xb, yb in batches:
        for t in (xb, yb):
            where = _mapping_of(t.data_ptr())
            assert "/dev/shm/ember_dl_" in where and "(deleted)" in where, where
    assert (batches[3][0] == x[300:400]).all().item()
    assert not glob.glob(os.path.join(_shared.SHM_DIR, f"ember_dl_{os.getpid()}_*"))  # unlinked on arrival
    xb = batches[0][0]
    del batches, loader
    gc.collect()
    assert xb.sum().item() == float(sum(range(400)))  # the tensor keeps its mapping alive
    empty = list(DataLoader(TensorDataset(ember.zeros(4, 0)), batch_size=2, num_workers=1))
    assert [tuple(b[0].shape) for b in empty] == [(2, 0), (2, 0)]


class MatmulSample(Dataset):
    def __len__(self):
        return 4

    def __getitem__(self, i):
        a = ember.rand(64, 64)
        return (a @ a).sum().reshape(1), ember.get_num_threads()


def test_fork_after_the_parent_used_openmp():
    a = ember.rand(1024, 1024)
    (a @ a).sum().item()  # the parent's OpenMP pool is up when the workers fork
    got = list(DataLoader(MatmulSample(), batch_size=2, num_workers=2))
    assert len(got) == 2 and all(b[1].tolist() == [1, 1] for b in got)
    assert ember.get_num_threads() >= 1


def test_worker_exception_is_raised_with_its_traceback():
    loader = DataLoader(Failing(raise_value_error), batch_size=2, num_workers=2)
    it = iter(loader)
    with pytest.raises(ValueError, match=r"Caught ValueError in DataLoader worker process 0") as info:
        list(it)
    assert "raise_value_error" in str(info.value) and "bad sample 5" in str(info.value)
    assert all(not w.is_alive() and w.exitcode is not None for w in it._workers)

    class TwoArgs(Exception):
        def __init__(self, a, b):
            super().__init__(a, b)

    def raise_two_args():
        raise TwoArgs(1, 2)
    with pytest.raises(RuntimeError, match="Caught"):  # neither picklable nor built from a message
        list(DataLoader(Failing(raise_two_args), batch_size=2, num_workers=1))

    def raise_key_error():
        raise KeyError("missing")
    with pytest.raises(KeyError, match="worker process"):
        list(DataLoader(Failing(raise_key_error), batch_size=2, num_workers=1))

    def raise_stop_iteration():  # not a quiet end of the epoch, as with num_workers=0
        raise StopIteration
    with pytest.raises(RuntimeError, match="Caught StopIteration"):
        list(DataLoader(Failing(raise_stop_iteration), batch_size=2, num_workers=1))


def test_worker_init_fn_error():
    def init(worker_id):
        raise OSError(f"cannot open shard {worker_id}")
    with pytest.raises(OSError, match="cannot open shard 0"):
        list(DataLoader(Squares(), num_workers=1, worker_init_fn=init))


@pytest.mark.parametrize("action,code", [
    (lambda: os.kill(os.getpid(), signal.SIGKILL), r"-9 \(killed by signal SIGKILL\)"),
    (lambda: os._exit(3), "exit code 3")])
def test_dead_worker_is_an_error_not_a_hang(action, code):
    it = iter(DataLoader(Failing(action), batch_size=2, num_workers=2))
    start = time.monotonic()
    with pytest.raises(RuntimeError, match=rf"worker \d \(pid \d+\) exited unexpectedly with (exit code )?{code}"):
        list(it)
    assert time.monotonic() - start < 5
    assert all(not w.is_alive() for w in it._workers)


class Slow(Dataset):
    def __len__(self):
        return 100

    def __getitem__(self, i):
        time.sleep(0.05 if i < 4 else 30)
        return ember.ones(2)


def test_timeout():
    start = time.monotonic()
    with pytest.raises(RuntimeError, match="timed out after 0.5 seconds"):
        list(DataLoader(Slow(), batch_size=2, num_workers=2, timeout=0.5))
    assert time.monotonic() - start < 8


def test_keyboard_interrupt_stops_and_joins_the_workers():
    it = iter(DataLoader(Slow(), batch_size=2, num_workers=2))
    pids = [w.pid for w in it._workers]
    old = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, lambda *a: os.kill(os.getpid(), signal.SIGINT))
        signal.setitimer(signal.ITIMER_REAL, 0.5)
        with pytest.raises(KeyboardInterrupt):
            for _ in it:
                pass
    finally:
        signal.signal(signal.SIGINT, old)
        signal.signal(signal.SIGALRM, lambda *a: (_ for _ in ()).throw(_Hang("alarm")))
        signal.alarm(15)
    assert all(w.exitcode is not None for w in it._workers)  # joined: no zombie left
    assert _gone(pids)


def test_dropping_the_iterator_mid_epoch_shuts_down():
    loader = DataLoader(Squares(200), batch_size=2, num_workers=2)
    it = iter(loader)
    next(it)
    pids = [w.pid for w in it._workers]
    del it
    gc.collect()
    assert _gone(pids)


class Picklable(Dataset):
    def __init__(self):
        self.data = ember.arange(12.0).reshape(6, 2)

    def __len__(self):
        return 6

    def __getitem__(self, i):
        return self.data[i] * 10


@pytest.mark.parametrize("method", ["spawn", "forkserver"])
def test_spawn_context(method):
    got = [b.tolist() for b in DataLoader(Picklable(), batch_size=3, num_workers=1, multiprocessing_context=method)]
    assert got == [[[0.0, 10.0], [20.0, 30.0], [40.0, 50.0]], [[60.0, 70.0], [80.0, 90.0], [100.0, 110.0]]]


_ORPHAN = """
import os, signal, sys
sys.path.insert(0, {here!r})
from ember.utils.data import DataLoader
from test_dataloader_workers import Squares
it = iter(DataLoader(Squares(100), batch_size=1, num_workers=2, prefetch_factor=4))
next(it)
print(os.getpid(), " ".join(str(w.pid) for w in it._workers), flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_workers_of_a_killed_main_process_exit_and_clean_up():
    script = _ORPHAN.format(here=os.path.dirname(__file__))
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=15)
    main, *pids = [int(p) for p in run.stdout.split()]
    assert len(pids) == 2, run.stderr
    deadline = time.monotonic() + 5
    while not _gone(pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _gone(pids)
    # the batches they had written for the dead process are unlinked by the workers themselves
    assert not glob.glob(os.path.join(_shared.SHM_DIR, f"ember_dl_{main}_*"))


def test_ember_num_threads_environment_variable():
    code = "import ember; print(ember.get_num_threads())"
    for value, want in (("1", "1"), ("3", "3")):
        env = dict(os.environ, EMBER_NUM_THREADS=value, OMP_NUM_THREADS="2")
        assert subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                              timeout=15).stdout.strip() == want
    env = dict(os.environ, EMBER_NUM_THREADS="zero")
    run = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=15)
    assert "EMBER_NUM_THREADS should be a positive integer" in run.stderr


_CTRL_C = """
import os, sys, time
sys.path.insert(0, {here!r})
import ember
from ember.utils.data import DataLoader
from test_dataloader_workers import Squares
loader = DataLoader(Squares(10**6), batch_size=8, num_workers=2)
for i, batch in enumerate(loader):
    if i == 0:
        print(os.getpid(), flush=True)
    (ember.rand(64, 64) @ ember.rand(64, 64)).sum().item()  # the training step
"""


def test_ctrl_c_in_a_terminal_stops_the_script_cleanly():
    """SIGINT to the whole process group, as a terminal sends it: a KeyboardInterrupt traceback from the
    main process only, then no worker and no shared memory left."""
    script = _CTRL_C.format(here=os.path.dirname(__file__))
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)
    main = int(proc.stdout.readline())
    time.sleep(0.3)
    workers = [int(p) for p in open(f"/proc/{main}/task/{main}/children").read().split()]
    assert len(workers) == 2
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=10)
    assert proc.returncode != 0 and err.count("KeyboardInterrupt") == 1, err
    assert _gone(workers)
    assert not glob.glob(os.path.join(_shared.SHM_DIR, f"ember_dl_{main}_*"))


def test_a_seeded_generator_shuffles_the_same_with_and_without_workers():
    ds = TensorDataset(ember.arange(40))

    def epochs(workers):
        loader = DataLoader(ds, batch_size=8, shuffle=True, num_workers=workers,
                            generator=ember.Generator().manual_seed(3))
        return [[b[0].tolist() for b in loader] for _ in range(3)]

    assert epochs(0) == epochs(2)
