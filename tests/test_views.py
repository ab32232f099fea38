"""Datasets of several camera views (ShanghaiTech's scenes): a one-class model per view, in `evaluate` (in process
and as tasks), `privad fit --view` and `privad evaluate --view`."""

import numpy as np
import pytest

from privad.data import Dataset, Video, load_dataset, of_view, one_view, views
from privad.data.synthetic import as_one_view, synthetic_scene, two_views
from privad.engine.evaluate import evaluate, view_budget
from privad.engine.executor import LocalExecutor
from privad.errors import PrivadError

from clirun import run
from media import write_frames, write_video

FAST = {"use_appearance": False}


@pytest.fixture(scope="module")
def two_views_data(tmp_path_factory) -> Dataset:
    return two_views(tmp_path_factory.mktemp("views"))


def test_a_model_per_view_finds_what_is_odd_in_its_own_view(two_views_data):
    apart = evaluate(two_views_data, config=FAST)
    together = evaluate(as_one_view(two_views_data), config=FAST)
    assert apart.extra["views"] == ["a", "b"] and "views" not in together.extra
    assert apart.extra["train_videos"] == together.extra["train_videos"] == 4
    # fitted on both views at once, the fast walker of view a looks like view b's walkers
    assert apart.micro_auc >= 0.98 and apart.micro_auc - together.micro_auc >= 0.05


def test_views_as_tasks_score_as_in_process_and_resume(two_views_data, tmp_path):
    here = evaluate(two_views_data, config=FAST)
    tasks = evaluate(two_views_data, config=FAST, executor=LocalExecutor(), workdir=tmp_path)
    (folder,) = [p for p in tmp_path.iterdir() if p.is_dir()]
    assert sorted(p.name for p in folder.glob("model*.privad")) == ["model-a.privad", "model-b.privad"]
    assert tasks.micro_auc == pytest.approx(here.micro_auc) and tasks.rbdc == pytest.approx(here.rbdc)
    again = evaluate(two_views_data, config=FAST, executor=LocalExecutor(), workdir=tmp_path)
    assert again.extra["resumed_videos"] == 2 and again.micro_auc == tasks.micro_auc


def test_a_test_view_without_training_videos_is_an_error(two_views_data):
    data = Dataset("x", two_views_data.root, [v for v in two_views_data.train if v.view == "a"], two_views_data.test)
    with pytest.raises(PrivadError, match="test video b_test is of camera view 'b', which no training video is of"):
        evaluate(data, config=FAST)


def test_views_group_and_pick():
    videos = [Video(n, 10, view=n[0]) for n in ("a1", "b1", "a2")]
    assert [(view, [v.name for v in tr], [v.name for v in te]) for view, tr, te in views(videos, videos[::-1])] == [
        ("a", ["a1", "a2"], ["a2", "a1"]), ("b", ["b1"], ["b1"])]
    assert [v.name for v in of_view(videos, "b")] == ["b1"] and of_view(videos, None) == videos
    with pytest.raises(PrivadError, match="no video of camera view 'c'; the views are a, b"):
        of_view(videos, "c")
    with pytest.raises(PrivadError, match="of 2 camera views"):
        one_view(videos, None)
    with pytest.raises(PrivadError, match="all of one camera view"):
        of_view([Video("x", 10)], "a")
    assert view_budget(20_000, 12) == 1666 and view_budget(None, 3) is None and view_budget(5, 12) == 1


def test_shanghaitech_names_its_scenes_and_fit_takes_one(tmp_path, monkeypatch, capsys):
    (tmp_path / "training" / "videos").mkdir(parents=True)
    walk = synthetic_scene(n_frames=60, abnormal=(0, 0))[0]
    for name in ("01_001", "01_002", "02_001"):
        write_video(tmp_path / "training" / "videos" / f"{name}.avi", walk)
    write_frames(tmp_path / "testing" / "frames" / "01_0014", walk[:5], ext=".jpg")
    (tmp_path / "testing" / "test_frame_mask").mkdir()
    np.save(tmp_path / "testing" / "test_frame_mask" / "01_0014.npy", np.zeros(5))
    data = load_dataset("shanghaitech", tmp_path)
    assert [v.view for v in data.train] == ["01", "01", "02"] and data.test[0].view == "01"
    assert data.describe()["views"] == 2
    fit = ("fit", "--dataset", "shanghaitech", "--root", tmp_path, "-o", tmp_path / "m.privad")
    code, _, err = run(monkeypatch, capsys, *fit)
    assert code != 0 and "of 2 camera views (01, 02): give --view" in err and "Traceback" not in err
    assert not (tmp_path / "m.privad").exists()
    code, out, err = run(monkeypatch, capsys, *fit, "--view", "01", "--set", "use_appearance=false")
    assert code == 0, err
    assert "fitted objects on 2 videos" in out
    code, _, err = run(monkeypatch, capsys, "fit", "--view", "01", "-o", tmp_path / "n.privad", tmp_path)
    assert code != 0 and "give --dataset too" in err
