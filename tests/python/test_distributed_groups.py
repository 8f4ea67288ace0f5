"""ember.distributed.new_group and recv from any source, under real mpirun processes, as torch.distributed:
collectives take group= and default-group ranks; the ranks outside a group get GroupMember.NON_GROUP_MEMBER
(collectives on it do nothing); recv(src=None) receives from whichever rank sends and returns its rank.

This file is also the worker: `mpirun -n N python test_distributed_groups.py MODE`."""
import re
import sys

import ember
import ember.distributed as dist


def groups():
    n, r = dist.get_world_size(), dist.get_rank()
    last = n - 1
    g = dist.new_group([last, 0])  # sorted: group rank 0 is rank 0, group rank 1 is rank n-1
    odd = dist.new_group(range(1, n, 2))
    if r in (0, last):
        assert isinstance(g, dist.ProcessGroup)
        assert (dist.get_rank(g), dist.get_world_size(g)) == (0 if r == 0 else 1, 2)
        assert dist.get_process_group_ranks(g) == [0, last]
        assert dist.get_global_rank(g, 1) == last and dist.get_group_rank(g, last) == 1
        t = ember.full((3,), float(r + 1), dtype=ember.float64)
        dist.all_reduce(t, op=dist.ReduceOp.SUM, group=g)
        assert t.tolist() == [1.0 + n] * 3, t.tolist()
        b = ember.full((2,), float(r))
        dist.broadcast(b, src=last, group=g)
        assert b.tolist() == [float(last)] * 2
        parts = [ember.zeros((1,)) for _ in range(2)]
        dist.all_gather(parts, ember.full((1,), float(r)), group=g)
        assert [p.item() for p in parts] == [0.0, float(last)]
        objs = [None, None]
        dist.all_gather_object(objs, {"rank": r}, group=g)
        assert objs == [{"rank": 0}, {"rank": last}]
        w = dist.all_reduce(ember.ones((4,)), group=g, async_op=True)
        w.wait()
        if n > 2:
            try:
                dist.broadcast(b, src=1, group=g)
            except IndexError as e:
                assert f"source rank 1 is not in the group (its ranks: 0, {last})" in str(e), str(e)
            else:
                raise AssertionError("rank 1 is not a member")
    else:
        assert g is dist.GroupMember.NON_GROUP_MEMBER
        assert dist.get_rank(g) == -1 and dist.get_world_size(g) == -1
        assert dist.all_reduce(ember.ones((2,)), group=g) is None  # nothing to do outside the group
    if r % 2 == 1:
        s = ember.full((1,), float(r))
        dist.all_reduce(s, group=odd)
        assert s.item() == float(sum(range(1, n, 2)))
        if r == 1 and n > 3:  # point to point inside a group, default-group ranks
            dist.send(ember.full((2,), 7.0), dst=3, group=odd)
        if r == 3:
            got = ember.zeros((2,))
            assert dist.recv(got, src=1, group=odd) == 1 and got.tolist() == [7.0, 7.0]
    everyone = ember.ones((1,))
    dist.all_reduce(everyone)  # the default group goes on beside the subgroups
    assert everyone.item() == n
    try:
        dist.new_group([0, 0])
    except ValueError as e:
        assert "rank 0 is listed twice" in str(e), str(e)
    else:
        raise AssertionError("a duplicate rank was accepted")


def any_source():
    n, r = dist.get_world_size(), dist.get_rank()
    for blocking in (True, False):
        if r == 0:
            senders = set()
            for _ in range(n - 1):
                t = ember.zeros((2,), dtype=ember.int64)
                if blocking:
                    src = dist.recv(t)  # src=None: any rank
                else:
                    w = dist.irecv(t)
                    w.wait()
                    src = w._source_rank()
                assert t.tolist() == [src, 10 * src], (t.tolist(), src)
                senders.add(src)
            assert senders == set(range(1, n)), senders
        else:
            dist.send(ember.tensor([r, 10 * r], dtype=ember.int64), dst=0)
        dist.barrier()
    if n > 2:  # in a group without rank 0: the sender's default-group rank comes back
        g = dist.new_group(range(1, n))
        if r == 1:
            got = {dist.recv(ember.zeros((1,)), group=g) for _ in range(n - 2)}
            assert got == set(range(2, n)), got
        elif r > 1:
            dist.send(ember.ones((1,)), dst=1, group=g)


def main():
    dist.init_process_group("mpi")
    {"groups": groups, "any_source": any_source}[sys.argv[1]]()
    print(f"OK {dist.get_rank()}", flush=True)
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
else:
    import pytest
    from _mpi import mpirun, needs_mpi

    @needs_mpi
    @pytest.mark.parametrize("n", [2, 3, 4])
    @pytest.mark.parametrize("mode", ["groups", "any_source"])
    def test_mpirun(mode, n):
        rc, out = mpirun(n, __file__, mode)
        assert rc == 0, out
        assert sorted(re.findall(r"OK (\d+)", out)) == [str(r) for r in range(n)], out

    @needs_mpi
    def test_debug_mode():
        rc, out = mpirun(3, __file__, "groups", EMBER_DISTRIBUTED_DEBUG="1")
        assert rc == 0, out

    def test_group_member_outside():
        g = dist.GroupMember.NON_GROUP_MEMBER
        assert dist.get_rank(g) == -1 and dist.get_world_size(g) == -1
        assert dist.all_reduce(ember.ones((1,)), group=g) is None
        with pytest.raises(TypeError, match="group must be a group made by new_group"):
            dist.get_process_group_ranks("world")
