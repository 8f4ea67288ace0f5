"""Training-loop helpers: ember.utils.progress (tqdm bar with running means), ember.utils.History and
ember.metrics.accuracy."""
import io

import numpy as np
import pytest

import ember
from ember.utils import History, progress


def bar_over(items, **kw):
    return progress(items, file=io.StringIO(), mininterval=0, **kw)


# --- progress ---

def test_running_means_are_sample_weighted():
    bar = bar_over(range(2))
    bar.log(loss=1.0, accuracy=0.5, n=10)
    bar.log(loss=4.0, accuracy=1.0, n=30)
    # weighted by the batch sizes: (1*10 + 4*30) / 40, not the plain mean of the two batches (2.5)
    assert bar.averages() == pytest.approx({"loss": 3.25, "accuracy": 0.875})
    bar.close()


def test_iterates_like_the_wrapped_iterable_and_counts():
    seen = []
    with bar_over([3, 1, 2], desc="epoch 1") as bar:
        assert len(bar) == 3
        for x in bar:
            seen.append(x)
            bar.log(loss=float(x))
    assert seen == [3, 1, 2]
    assert bar.averages() == {"loss": 2.0}
    out = bar.bar.fp.getvalue()
    assert "epoch 1" in out and "3/3" in out and "loss=2" in out


def test_tensor_metrics_use_item_and_postfix_is_compact():
    bar = bar_over(range(1))
    bar.log(loss=ember.tensor(0.123456789), acc=ember.tensor([0.5]), n=4)
    assert bar.postfix == "loss=0.1235, acc=0.5"
    bar.log(loss=ember.tensor(12345.6789), n=4)  # separate counts per metric: acc keeps its own mean
    assert bar.postfix == "loss=6173, acc=0.5"
    bar.close()
    assert "loss=6173, acc=0.5" in bar.bar.fp.getvalue()


def test_a_metric_logged_later_has_its_own_weights():
    bar = bar_over(range(2))
    bar.log(loss=2.0, n=3)
    bar.log(loss=4.0, acc=1.0, n=1)
    assert bar.averages() == pytest.approx({"loss": 2.5, "acc": 1.0})
    bar.close()


def test_disable_shows_nothing_but_still_averages():
    f = io.StringIO()
    bar = progress(range(4), disable=True, file=f)
    assert [x for x in bar] == [0, 1, 2, 3]
    bar.log(loss=1.0, n=1)
    bar.log(loss=0.0, n=3)
    bar.close()
    assert bar.averages() == {"loss": 0.25}
    assert f.getvalue() == ""


def test_total_without_len_and_progress_over_a_dataloader():
    gen = (i for i in range(5))
    with bar_over(gen, total=5) as bar:
        assert sum(bar) == 10
    x = ember.from_numpy(np.arange(20, dtype=np.float32).reshape(10, 2))
    y = ember.from_numpy(np.arange(10, dtype=np.int64))
    loader = ember.utils.data.DataLoader(ember.utils.data.TensorDataset(x, y), batch_size=4)
    with bar_over(loader) as bar:
        for xb, yb in bar:
            bar.log(n=yb.shape[0], s=yb.sum())
    assert len(bar) == 3 and bar.averages()["s"] == pytest.approx((6 * 4 + 22 * 4 + 17 * 2) / 10)


def test_log_errors():
    bar = bar_over(range(1))
    with pytest.raises(TypeError, match=r"\[progress\] metric 'loss' must be a number or a one-element tensor, got str"):
        bar.log(loss="0.5")
    with pytest.raises(ValueError, match=r"\[progress\] n is the number of samples in the batch.*got -1"):
        bar.log(loss=0.5, n=-1)
    bar.close()


# --- accuracy ---

def test_accuracy_from_logits_and_from_labels():
    logits = ember.tensor([[0.1, 2.0, 0.3], [3.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, 5.0, 0.0]])
    target = ember.tensor([1, 0, 0, 2])
    assert ember.metrics.accuracy(logits, target) == 0.5
    assert ember.metrics.accuracy(ember.tensor([1, 0, 2, 2]), target) == 0.75
    assert isinstance(ember.metrics.accuracy(logits, target), float)


def test_accuracy_shape_and_dtype_errors():
    acc = ember.metrics.accuracy
    with pytest.raises(ValueError, match=r"\[accuracy\] output has 3 samples \(shape \(3, 2\)\) but target has 2 "
                                         r"\(shape \(2,\)\)"):
        acc(ember.zeros(3, 2), ember.tensor([0, 1]))
    with pytest.raises(ValueError, match=r"expected output of shape \(N, C\) \(logits\) or \(N,\) \(labels\), "
                                         r"got shape \(2, 3, 4\)"):
        acc(ember.zeros(2, 3, 4), ember.tensor([0, 1]))
    with pytest.raises(ValueError, match=r"expected target of shape \(N,\) holding class indices, got shape \(2, 1\)"):
        acc(ember.zeros(2, 3), ember.tensor([[0], [1]]))
    with pytest.raises(TypeError, match=r"target to hold integer class indices, got dtype ember.float32"):
        acc(ember.zeros(2, 3), ember.zeros(2))
    with pytest.raises(TypeError, match=r"a 1-d output must hold predicted class labels"):
        acc(ember.zeros(2), ember.tensor([0, 1]))
    with pytest.raises(ValueError, match=r"the batch is empty"):
        acc(ember.zeros(0, 3), ember.tensor(np.zeros(0, dtype=np.int64)))


# --- History ---

def make_history():
    h = History()
    for e, (tl, vl, ta) in enumerate([(1.5, 1.6, 0.4), (0.7, 0.9, 0.8), (0.3, 0.5, 0.93)]):
        h.append(epoch=e, train_loss=tl, test_loss=ember.tensor(vl), test_acc=ta)
    return h


def test_history_rows_columns_and_last():
    h = make_history()
    assert len(h) == 3 and h.epochs == [0, 1, 2]
    assert h.keys() == ["train_loss", "test_loss", "test_acc"]
    assert h["train_loss"] == [1.5, 0.7, 0.3]
    assert h["test_loss"] == pytest.approx([1.6, 0.9, 0.5])
    assert h.last() == {"epoch": 2, "train_loss": 0.3, "test_loss": pytest.approx(0.5), "test_acc": 0.93}
    h.append(lr=0.1)  # epoch defaults to the previous + 1; a metric may start late
    assert h.epochs[-1] == 3 and h["lr"] == [0.1] and "lr" in h and len(h["train_loss"]) == 3
    with pytest.raises(KeyError, match=r"no metric 'val_loss'; logged metrics: \['train_loss'"):
        h["val_loss"]
    assert History().last() == {} and History().keys() == []
    h2 = History()
    h2.append(loss=1.0)
    assert h2.epochs == [1]
    with pytest.raises(ValueError, match=r"\[History.append\] no metrics given"):
        h2.append(epoch=5)


def test_history_state_dict_round_trip_through_a_checkpoint(tmp_path):
    h = make_history()
    path = tmp_path / "ckpt.safetensors"
    ember.save({"model": {"w": ember.ones(2, 2)}, "history": h.state_dict(), "epoch": 3}, path)
    loaded = ember.load(path)
    h2 = History()
    h2.load_state_dict(loaded["history"])
    assert h2.state_dict() == h.state_dict()
    assert h2["test_acc"] == [0.4, 0.8, 0.93] and h2.epochs == [0, 1, 2]
    before = h2.state_dict()
    with pytest.raises(ValueError, match=r"\[History.load_state_dict\] expected \{'rows'"):
        h2.load_state_dict({"rows": [{"loss": 1.0}]})
    assert h2.state_dict() == before  # nothing changed


def check_png(path):
    data = path.read_bytes()
    assert len(data) > 1000
    assert data[:8] == b"\x89PNG\r\n\x1a\n"


def test_history_plot_writes_a_png(tmp_path):
    pytest.importorskip("matplotlib")
    h = make_history()
    path = tmp_path / "curves.png"
    fig = h.plot(path, title="digits")
    check_png(path)
    assert len(fig.axes) == 2
    assert fig.axes[0].get_ylabel() == "loss" and fig.axes[1].get_ylabel() == "accuracy"
    assert [ln.get_label() for ln in fig.axes[0].get_lines()] == ["train_loss", "test_loss"]
    assert list(fig.axes[1].get_lines()[0].get_ydata()) == [0.4, 0.8, 0.93]
    import matplotlib.pyplot as plt
    plt.close(fig)


def test_history_plot_into_given_axes_and_errors(tmp_path):
    plt = pytest.importorskip("matplotlib.pyplot")
    fig, ax = plt.subplots()
    h = History()
    h.append(loss=1.0)
    h.append(loss=0.5)
    assert h.plot(ax=ax) is fig
    assert list(ax.get_lines()[0].get_ydata()) == [1.0, 0.5]
    plt.close(fig)
    with pytest.raises(ValueError, match=r"\[History.plot\] the history is empty"):
        History().plot()


def test_history_plot_without_matplotlib_says_how_to_install(monkeypatch):
    import builtins
    real_import = builtins.__import__

    def no_matplotlib(name, *args, **kwargs):
        if name == "matplotlib" or name.startswith("matplotlib."):
            raise ImportError("No module named 'matplotlib'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_matplotlib)
    with pytest.raises(ImportError, match="pip install matplotlib"):
        make_history().plot()
