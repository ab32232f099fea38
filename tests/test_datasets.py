"""Dataset loaders: fixtures in every layout built on the fly, and the real Ped2."""

import numpy as np
import pytest

from privad.data import load_dataset
from privad.data.features import load_features
from privad.data.ucsd import parse_m_file
from privad.errors import PrivadError

from media import write_frames, write_video


def frames(n, h=24, w=32, value=90):
    return [np.full((h, w, 3), value + i % 5, np.uint8) for i in range(n)]


def masks(n, abnormal, h=24, w=32):
    out = []
    for i in range(n):
        m = np.zeros((h, w), np.uint8)
        if i in abnormal:
            m[5:10, 5:12] = 255
        out.append(m)
    return out


def test_real_ped2(ped2):
    d = load_dataset("ucsd_ped2", ped2)
    s = d.describe()
    assert (s["train_videos"], s["train_frames"], s["test_videos"], s["test_frames"]) == (16, 2550, 12, 2010)
    assert s["abnormal_frames"] == 1648 and s["test_videos_with_masks"] == 12
    for v in d.test[:3] + d.test[5:6]:  # Test006_gt uses the frame001 naming
        assert [m.any() for m in v.masks()] == list(v.labels.astype(bool))
    assert len(d.test[0].frames()) == 180


def test_ucsd_original_layout(tmp_path):
    base = tmp_path / "UCSDped2"
    for k in (1, 2):
        write_frames(base / "Train" / f"Train00{k}", frames(6), ext=".tif", pattern="{:03d}")
    write_frames(base / "Test" / "Test001", frames(5), ext=".tif")
    write_frames(base / "Test" / "Test002", frames(4), ext=".tif")
    write_frames(base / "Test" / "Test001_gt", masks(5, {2, 3}), ext=".bmp")
    (base / "Test" / "._junk.tif").write_bytes(b"")
    (base / "Test" / "UCSDped2.m").write_text(
        "TestVideoFile = {};\nTestVideoFile{end+1}.gt_frame = [3:4];\nTestVideoFile{end+1}.gt_frame = [1:2, 4];\n"
    )
    d = load_dataset("ucsd_ped2", tmp_path)
    assert d.layout == "original" and [v.num_frames for v in d.train] == [6, 6]
    assert list(d.test[0].labels) == [0, 0, 1, 1, 0] and list(d.test[1].labels) == [1, 1, 0, 1]
    assert d.test[0].has_masks and not d.test[1].has_masks
    assert [m.any() for m in d.test[0].masks()] == [False, False, True, True, False]


def test_ucsd_frames_layout_with_quirks_and_mismatch(tmp_path):
    write_frames(tmp_path / "training" / "frames" / "01", frames(4), ext=".jpg")
    write_frames(tmp_path / "testing" / "frames" / "01", frames(5), ext=".jpg")
    write_frames(tmp_path / "testing" / "frames" / "02", frames(3), ext=".jpg")
    write_frames(tmp_path / "testing" / "gt_masks" / "Test001_gt", masks(5, {4}), pattern="{:03d}")
    write_frames(tmp_path / "testing" / "gt_masks" / "Test002_gt", masks(3, {0}), pattern="frame{:03d}")
    (tmp_path / "labels").mkdir()
    np.save(tmp_path / "labels" / "frame_labels_ped2.npy", np.array([[0, 0, 0, 0, 1, 1, 0, 0]]))
    d = load_dataset("ucsd_ped2", tmp_path)
    assert list(d.test[1].labels) == [1, 0, 0]
    assert [m.any() for m in d.test[1].masks()] == [True, False, False]
    (tmp_path / "testing" / "gt_masks" / "Test002_gt" / "frame002.png").unlink()
    with pytest.raises(PrivadError, match="Test002_gt has 2 masks, 02 has 3 frames"):
        load_dataset("ucsd_ped2", tmp_path)


def test_ucsd_label_count_mismatch(tmp_path):
    write_frames(tmp_path / "training" / "frames" / "01", frames(2), ext=".jpg")
    write_frames(tmp_path / "testing" / "frames" / "01", frames(5), ext=".jpg")
    (tmp_path / "labels").mkdir()
    np.save(tmp_path / "labels" / "frame_labels_ped2.npy", np.zeros(4))
    with pytest.raises(PrivadError, match="has 4 labels, the test videos have 5 frames"):
        load_dataset("ucsd_ped2", tmp_path)


def test_parse_m_file_ped1_style(tmp_path):
    m = tmp_path / "UCSDped1.m"
    m.write_text("TestVideoFile{end+1}.gt_frame = [60:152];\nTestVideoFile{end+1}.gt_frame = [5:90, 140:200];\n")
    assert parse_m_file(m) == [[(60, 152)], [(5, 90), (140, 200)]]


def test_wrong_root_and_layout(tmp_path):
    with pytest.raises(PrivadError, match="dataset root not found"):
        load_dataset("ucsd_ped2", tmp_path / "nope")
    with pytest.raises(PrivadError, match="is not a UCSD ped2 folder"):
        load_dataset("ucsd_ped2", tmp_path)
    with pytest.raises(PrivadError, match="unknown dataset"):
        load_dataset("kitti", tmp_path)


def test_avenue(tmp_path):
    from scipy.io import savemat

    (tmp_path / "training_videos").mkdir()
    (tmp_path / "testing_videos").mkdir()
    write_video(tmp_path / "training_videos" / "01.avi", frames(6, 48, 64))
    write_video(tmp_path / "testing_videos" / "01.avi", frames(5, 48, 64))
    label_dir = tmp_path / "ground_truth_demo" / "testing_label_mask"
    label_dir.mkdir(parents=True)
    vol = np.empty((1, 5), dtype=object)
    for i, m in enumerate(masks(5, {1, 2}, 48, 64)):
        vol[0, i] = (m > 0).astype(np.uint8)
    savemat(label_dir / "1_label.mat", {"volLabel": vol})
    d = load_dataset("avenue", tmp_path)
    assert d.train[0].num_frames == 6 and list(d.test[0].labels) == [0, 1, 1, 0, 0]
    assert len(d.test[0].masks()) == 5
    vol = np.empty((1, 4), dtype=object)
    for i in range(4):
        vol[0, i] = np.zeros((48, 64), np.uint8)
    savemat(label_dir / "1_label.mat", {"volLabel": vol})
    with pytest.raises(PrivadError, match="1_label.mat has 4 masks, 01.avi has 5 frames"):
        load_dataset("avenue", tmp_path)


def test_shanghaitech(tmp_path):
    (tmp_path / "training" / "videos").mkdir(parents=True)
    write_video(tmp_path / "training" / "videos" / "01_001.avi", frames(4, 48, 64))
    write_frames(tmp_path / "testing" / "frames" / "01_0014", frames(3), ext=".jpg")
    (tmp_path / "testing" / "test_frame_mask").mkdir()
    (tmp_path / "testing" / "test_pixel_mask").mkdir()
    np.save(tmp_path / "testing" / "test_frame_mask" / "01_0014.npy", np.array([0, 1, 1]))
    np.save(tmp_path / "testing" / "test_pixel_mask" / "01_0014.npy", np.stack(masks(3, {1, 2})))
    d = load_dataset("shanghaitech", tmp_path)
    assert d.describe()["abnormal_frames"] == 2
    assert [m.any() for m in d.test[0].masks()] == [False, True, True]


def test_features_ucf_and_xd(tmp_path):
    for name, t in [("Normal_Videos001_x264__0", 3), ("Arrest001_x264__0", 2)]:
        np.save(tmp_path / f"{name}.npy", np.zeros((t, 8), np.float32))
    (tmp_path / "train.list").write_text("Normal_Videos001_x264__0.npy\nArrest001_x264__0.npy\n")
    (tmp_path / "test.list").write_text("Arrest001_x264__0.npy\nNormal_Videos001_x264__0.npy\n")
    gt = np.zeros(32 + 48)
    gt[16:32] = 1
    np.save(tmp_path / "gt-ucf.npy", gt)
    d = load_features("ucf_crime", tmp_path / "train.list", tmp_path / "test.list", tmp_path / "gt-ucf.npy")
    assert [v.label for v in d.train] == [0, 1] and d.test[0].name == "Arrest001_x264"
    assert d.test[0].labels.sum() == 16 and d.test[1].labels.sum() == 0
    (tmp_path / "ann.txt").write_text("Arrest001_x264.mp4  Arrest  3  10  20  25\nNormal_Videos001_x264.mp4 Normal -1 -1 -1 -1\n")
    d = load_features("ucf_crime", tmp_path / "train.list", tmp_path / "test.list", tmp_path / "ann.txt")
    assert d.test[0].labels.sum() == 8 + 6
    np.save(tmp_path / "gt-bad.npy", np.zeros(10))
    with pytest.raises(PrivadError, match="has 10 frame labels, the test features cover 80 frames"):
        load_features("ucf_crime", tmp_path / "train.list", tmp_path / "test.list", tmp_path / "gt-bad.npy")
    (tmp_path / "bad.list").write_text("missing.npy\n")
    with pytest.raises(PrivadError, match="1 feature files of bad.list are missing"):
        load_features("xd_violence", tmp_path / "bad.list", tmp_path / "test.list", tmp_path / "gt-ucf.npy")


def test_generic_folder(tmp_path):
    write_frames(tmp_path / "train" / "normal" / "cam1", frames(5), ext=".jpg")
    (tmp_path / "test" / "normal").mkdir(parents=True)
    write_video(tmp_path / "test" / "normal" / "quiet.mp4", frames(4, 48, 64))
    write_frames(tmp_path / "test" / "abnormal" / "fight", frames(6), ext=".jpg")
    (tmp_path / "test" / "abnormal" / "fight.csv").write_text("start,end\n2,3\n5,5\n")
    write_frames(tmp_path / "test" / "abnormal" / "unlabelled", frames(3), ext=".jpg")
    d = load_dataset("folder", tmp_path)
    by = {v.name: v for v in d.test}
    assert list(by["fight"].labels) == [0, 0, 1, 1, 0, 1] and by["quiet"].labels.sum() == 0
    assert by["unlabelled"].labels is None and by["unlabelled"].label == 1
    assert d.describe()["test_videos_abnormal"] == 2


def test_a_folder_of_cameras_names_each_camera_a_view(tmp_path):
    for camera in ("gate", "hall"):
        write_frames(tmp_path / camera / "train" / "normal" / "day", frames(5), ext=".jpg")
        write_frames(tmp_path / camera / "test" / "abnormal" / "fight", frames(6), ext=".jpg")
        (tmp_path / camera / "test" / "abnormal" / "fight.csv").write_text("2,3\n")
    d = load_dataset("folder", tmp_path)
    assert [(v.name, v.view) for v in d.train] == [("gate_day", "gate"), ("hall_day", "hall")]
    assert [(v.name, v.view) for v in d.test] == [("gate_fight", "gate"), ("hall_fight", "hall")]
    assert list(d.test[1].labels) == [0, 0, 1, 1, 0, 0] and d.describe()["views"] == 2
    (tmp_path / "notes").mkdir()  # a folder that is no camera is not read
    assert len(load_dataset("folder", tmp_path).train) == 2
    with pytest.raises(PrivadError, match="no training videos in"):
        load_dataset("folder", tmp_path / "notes")
