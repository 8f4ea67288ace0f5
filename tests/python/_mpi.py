"""Launching real mpirun jobs from the tests (test_ddp.py, test_distributed.py, test_ddp_examples.py): the
environment OpenMPI needs in CI (root allowed, more ranks than cores), this ember on PYTHONPATH, and a timeout
after which the whole process group is killed and the test fails instead of hanging the suite."""
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

import ember
import ember.distributed as dist

MPIRUN = shutil.which("mpirun")
needs_mpi = pytest.mark.skipif(MPIRUN is None or not dist.is_available(),
                               reason="mpirun or ember._distributed (built where MPI is found) is missing")


def mpi_env(**env):
    """os.environ for a launch: the ember settings that change behaviour (debug checks, thread counts, MPI
    thread level) removed, then env applied."""
    e = dict(os.environ)
    e.update(OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1", OMPI_MCA_rmaps_base_oversubscribe="1",
             PYTHONPATH=os.pathsep.join([str(Path(ember.__file__).parent.parent), e.get("PYTHONPATH", "")]))
    for k in ("EMBER_DISTRIBUTED_DEBUG", "EMBER_NUM_THREADS", "OMP_NUM_THREADS", "EMBER_MPI_THREAD_LEVEL"):
        e.pop(k, None)
    e.update(env)
    return e


def launch(argv, n=1, timeout=60, **env):
    """Runs argv as one plain process (n=1) or under `mpirun -n n`; returns (exit code, stdout and stderr)."""
    argv = [str(a) for a in argv]
    if n > 1:
        argv = [MPIRUN, "-n", str(n), "--oversubscribe", *argv]
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=mpi_env(**env),
                         start_new_session=True)
    try:
        out, _ = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        out, _ = p.communicate()
        pytest.fail(f"{' '.join(argv)} hung for {timeout} s:\n{out}")
    return p.returncode, out


def mpirun(n, script, *args, timeout=60, **env):
    """`mpirun -n n python script args...` (always under mpirun, even for n=1)."""
    argv = [MPIRUN, "-n", str(n), "--oversubscribe", sys.executable, script, *args]
    return launch(argv, 1, timeout, **env)
