"""One-class VAD on real Ped2 (a fast subset): fit/score, save/load, evaluate, CLI, bad input."""

import json

import cv2
import numpy as np
import pytest

from privad.protect.config import AnonymizeConfig
from privad.data import load_dataset
from privad.errors import PrivadError
from privad.metrics import EvaluationResult, frame_auc
from privad.vad import build_model, load_model, save_model
from privad.engine.evaluate import evaluate
from privad.engine.views import anonymized
from privad.vad.scoring import top_regions
from privad.vad.synthetic import KINDS, kinds

FAST = {"use_appearance": False, "patches": None}  # the quick cues only: motion and silhouette


@pytest.fixture(scope="module")
def ped2_data(ped2):
    return load_dataset("ucsd_ped2", ped2)


@pytest.fixture(scope="module")
def fitted(ped2_data):
    train = [v.frames() for v in ped2_data.train[:3]]
    # appearance on, so the MobileNetV2 path stays covered (it is off by default)
    return build_model("attribute", {"use_appearance": True, "crop_size": 32, "max_train_regions": 2000}).fit(train)


def test_fit_and_score_find_the_abnormal_part(fitted, ped2_data):
    video = ped2_data.test[0]  # frames 61-180 abnormal (a cyclist)
    result = fitted.score(video.frames(), video.name)
    assert result.frames.shape == (video.num_frames,) and np.isfinite(result.frames).all()
    assert result.frames[video.labels == 1].mean() > result.frames[video.labels == 0].mean()
    assert len(result.regions) > video.num_frames  # several scored boxes per frame
    f, x1, y1, x2, y2, s = result.regions[0]
    assert 0 <= x1 < x2 <= 360 and 0 <= y1 < y2 <= 240


def test_save_load_gives_identical_scores(fitted, ped2_data, tmp_path):
    frames = ped2_data.test[1].frames()[:60]
    path = tmp_path / "scene.privad"
    save_model(fitted, AnonymizeConfig(method="adaptive_blur", targets=["motion"]), path)
    loaded, anon = load_model(path)
    assert anon.method == "adaptive_blur"
    # equal up to float noise of multi-threaded CPU convolutions (the same model scored twice differs as much)
    np.testing.assert_allclose(loaded.score(frames).frames, fitted.score(frames).frames, rtol=1e-5)


def test_load_rejects_bad_files(tmp_path, fitted):
    junk = tmp_path / "junk.privad"
    junk.write_bytes(b"not a model")
    with pytest.raises(PrivadError, match="not a privad model file"):
        load_model(junk)
    with pytest.raises(PrivadError, match="model file not found"):
        load_model(tmp_path / "missing.privad")
    path = tmp_path / "old.privad"
    save_model(fitted, None, path)
    with np.load(path) as z:
        entries = {k: z[k] for k in z.files}
    header = json.loads(bytes(entries["__header__"]).decode())
    header["privad_version"] = "0.0.1"
    entries["__header__"] = np.frombuffer(json.dumps(header).encode(), np.uint8)
    np.savez(path.open("wb"), **entries)
    with pytest.raises(PrivadError, match="saved by privad 0.0.1"):
        load_model(path)


def test_a_file_from_before_a_setting_existed_loads_with_the_earlier_behaviour(fitted, tmp_path, monkeypatch):
    """A model file written before a setting existed has no such key: it loads with the value the config class names
    in FILE_DEFAULTS (the earlier behaviour), not with today's default; a key the file has is kept."""
    from privad.vad.oneclass.attribute import AttributeConfig

    path = tmp_path / "before.privad"
    save_model(fitted, None, path)
    with np.load(path) as z:
        entries = {k: z[k] for k in z.files}
    header = json.loads(bytes(entries["__header__"]).decode())
    del header["config"]["split"]
    entries["__header__"] = np.frombuffer(json.dumps(header).encode(), np.uint8)
    np.savez(path.open("wb"), **entries)
    monkeypatch.setattr(AttributeConfig, "FILE_DEFAULTS", {"split": "shape", "knn_k": 7})
    loaded, _ = load_model(path)
    assert loaded.config.split == "shape" and loaded.extractor.split == "shape"
    assert loaded.config.knn_k == fitted.config.knn_k  # in the file: kept


def test_too_short_training(ped2_data):
    with pytest.raises(PrivadError, match="training footage too short"):
        build_model("attribute", FAST).fit([ped2_data.train[0].frames()[:3]])


def test_video_without_regions_scores(fitted, ped2_data):
    still = [ped2_data.test[0].frames()[0]] * 20
    result = fitted.score(still)
    assert result.frames.shape == (20,) and np.isfinite(result.frames).all()
    _, parts = fitted.explain(still)  # every cue the model has, with no region
    assert set(parts) == {"motion", "appearance"} and all(len(v) == 0 for v in parts.values())


def test_anonymized_frames_keep_count(ped2_data):
    frames = ped2_data.test[0].frames()[:40]
    out = anonymized(frames, AnonymizeConfig(method="mask", targets=["motion"]))
    assert len(out) == 40 and any((o != f).any() for o, f in zip(out, frames))


@pytest.mark.parametrize("method", ["mask", "adaptive_blur"])
def test_a_video_anonymized_as_it_is_read_is_the_video_anonymized_whole(ped2_data, method):
    """`frames_of` / a fit's reads anonymize frame by frame as they are decoded; the frames are those of the
    anonymizer given the whole video (primed on its first frames, then frame by frame)."""
    from privad.engine.views import anonymized_stream, frames_of

    from privad.protect.pipeline import Anonymizer

    config = AnonymizeConfig(method=method, targets=["motion"])
    video = ped2_data.test[0]
    one_by_one = Anonymizer(config.model_copy(update={"on_error": "obfuscate"}), fps=30.0)
    one_by_one.prime(video.frames()[:60])  # the whole video at hand, then frame by frame
    whole = [one_by_one.process(f).image for f in video.frames()[:60]]
    streamed = anonymized_stream(iter(video.frames()[:60]), config)
    assert not isinstance(streamed, list)
    assert all((a == b).all() for a, b in zip(whole, streamed, strict=True))
    assert all((a == b).all() for a, b in zip(whole, anonymized(video.frames()[:60], config), strict=True))
    read = frames_of(video.source, config)
    assert all((a == b).all() for a, b in zip(whole, read))  # the first 60 of the whole video's
    assert any((a != f).any() for a, f in zip(whole, video.frames()))


def test_evaluate_writes_valid_results(ped2_data, tmp_path):
    result = evaluate(ped2_data, config=FAST, max_train=3, max_test=2)
    path = tmp_path / "r.json"
    result.write(path)
    again = EvaluationResult.read(path)
    assert again.test_videos == 2 and again.test_frames == 360
    assert 0 <= again.micro_auc <= 1 and again.rbdc is not None and again.tbdc is not None
    assert json.loads(path.read_text())["postprocess"]["smoothing_sigma"] == 3.0


def test_cli_fit_score(monkeypatch, capsys, ped2, tmp_path):
    from clirun import run

    model = tmp_path / "m.privad"
    frames = ped2 / "training" / "frames"
    code, out, err = run(monkeypatch, capsys, "fit", frames / "01", frames / "02", "-o", model)
    assert code in (0, None), err
    assert "fitted objects on 2 videos" in out
    code, out, err = run(monkeypatch, capsys, "score", ped2 / "testing" / "frames" / "02", "--model", model,
                         "-o", tmp_path / "scores")
    assert code in (0, None), err
    lines = (tmp_path / "scores" / "02" / "scores.csv").read_text().splitlines()
    assert lines[0] == "frame,score" and len(lines) == 181
    regions = (tmp_path / "scores" / "02" / "regions.csv").read_text().splitlines()
    assert regions[0] == "frame,x1,y1,x2,y2,score,motion,appearance,silhouette,patches"
    rows = np.array([line.split(",") for line in regions[1:]], float)
    assert len(rows) > 100
    np.testing.assert_allclose(rows[:, 6:].sum(1), rows[:, 5], atol=1e-5)  # the cues' parts add up to the score
    code, _, err = run(monkeypatch, capsys, "score", frames / "01", "--model", tmp_path / "none.privad", "-o",
                       tmp_path / "x")
    assert code == 2 and "model file not found" in err


def test_other_resolution_is_rescaled(fitted, ped2_data):
    import cv2

    frames = ped2_data.test[0].frames()[:40]
    big = [cv2.resize(f, (720, 480)) for f in frames]
    result = fitted.score(big)
    assert result.frames.shape == (40,)
    assert all(x2 <= 720 and y2 <= 480 for _, _, _, x2, y2, _ in result.regions)  # boxes in the input's pixels
    assert max(x2 for _, _, _, x2, _, _ in result.regions) > 360


def test_objects_analyses_large_frames_at_360_px(ped2_data):
    """Frames over 360 px are analysed shrunk to 360 (Ped2's scale, where the defaults were chosen): the same scenes
    at twice the size (nearest-neighbour, so shrinking gives the originals back) score exactly alike, with boxes in
    the input's pixels; without the cap the model works at the input's size and finds other regions."""
    import cv2

    def double(frames):
        return [cv2.resize(f, (720, 480), interpolation=cv2.INTER_NEAREST) for f in frames]

    train = [v.frames()[:80] for v in ped2_data.train[:2]]
    test = ped2_data.test[0].frames()[60:120]
    small = build_model("objects").fit(train)
    big = build_model("objects").fit([double(f) for f in train])
    assert big.fitted_.params["frame_size"] == [240, 360]
    a, b = small.score(test), big.score(double(test))
    np.testing.assert_allclose(b.frames, a.frames, rtol=1e-5)
    assert len(a.regions) == len(b.regions) > 0
    np.testing.assert_allclose(np.array(b.regions)[:, 1:5], 2 * np.array(a.regions)[:, 1:5])
    full = build_model("objects", {"max_side": None}).fit([double(f) for f in train])
    assert full.fitted_.params["frame_size"] == [480, 720]
    assert len(full.score(double(test)).regions) != len(a.regions)


def test_mixed_training_sizes_refused(ped2_data):
    import cv2

    a = ped2_data.train[0].frames()[:60]
    b = [cv2.resize(f, (180, 120)) for f in a]
    with pytest.raises(PrivadError, match="differ in frame size"):
        build_model("attribute", FAST).fit([a, b])


def test_validation_on_training_videos_only_sees_pasted_anomalies():
    """The label-free validation protocol: pasted fast and turned objects in held-out normal videos, k-fold."""
    from privad.data.synthetic import synthetic_scene
    from privad.engine.validate import validate
    from privad.vad.synthetic import Donor, paste

    videos = [synthetic_scene(n_frames=120, abnormal=(0, 0), seed=s)[0] for s in range(4)]
    rng = np.random.default_rng(0)
    donor = Donor(np.full((30, 14, 3), 20, np.uint8), np.ones((30, 14), bool))
    pasted, labels, _ = paste(videos[0], donor, "fast", rng)
    assert 0 < labels.sum() <= 60 and len(pasted) == 120
    changed = [i for i, (a, b) in enumerate(zip(pasted, videos[0])) if (a != b).any()]
    assert changed == list(np.flatnonzero(labels))  # labelled exactly where the object is visible
    turned, tl, _ = paste(videos[0], donor, "turned", rng)
    assert tl.sum() > labels.sum()  # walking pace: visible for longer
    result = validate(videos, config={"use_appearance": False}, folds=2)
    assert result["videos"] == 4 * len(kinds()) and 0.5 < result["micro_auc"] <= 1.0  # each video once per kind
    assert 0.0 < result["rbdc"] <= 1.0 and 0.0 < result["tbdc"] <= 1.0  # its regions found some pasted objects


def test_protocols_3_and_4_paste_at_the_rows_height_and_the_scenes_pace():
    """Protocol 3: the object is scaled to the height the scene's objects have at its row, and moves PACE x the
    scene's pace (per px of its height) per frame; protocol 4 likewise at the scene's stride; protocol 2 keeps the
    donor's size and crosses in fixed frames."""
    from privad.engine.validate import validate
    from privad.vad.synthetic import PACE, Donor, Scene, paste

    frames = [np.full((240, 360, 3), 200, np.uint8) for _ in range(120)]
    # every object of this scene is 40 px tall, centred on row 100, and moves 0.02 heights a frame
    scene = Scene([], np.full(50, 100.0, np.float32), np.full(50, 40.0, np.float32), 0.02)
    donor = Donor(np.zeros((20, 8, 3), np.uint8), np.ones((20, 8), bool))
    out, labels, boxes = paste(frames, donor, "brisk", np.random.default_rng(0), scene, protocol=3)
    shown = [np.argwhere(f[..., 0] == 0) for f in out]
    visible = [i for i, px in enumerate(shown) if len(px)]
    assert visible == list(np.flatnonzero(labels))
    assert np.isnan(boxes[labels == 0]).all()  # boxed exactly where visible, around its visible pixels only
    for i in visible:  # (x1, y1, x2, y2), x2 and y2 exclusive
        (y0, x0), (y1, x1) = shown[i].min(axis=0), shown[i].max(axis=0)
        assert tuple(boxes[i]) == (x0, y0, x1 + 1, y1 + 1)
    tall = shown[visible[0]][:, 0]
    assert tall.max() - tall.min() + 1 == 40 and abs(0.5 * (tall.max() + tall.min()) - 100) <= 1
    whole = [i for i in visible if len(shown[i]) == 40 * 16]  # fully in view (scaled 2x: 16 px wide)
    x = [shown[i][:, 1].min() for i in whole]
    step = abs(x[-1] - x[0]) / (whole[-1] - whole[0])
    assert step == pytest.approx(PACE["brisk"] * 0.02 * 40, abs=0.1)
    # protocol 4: the same at the scene's stride (its regions' displacement), not its flow pace
    scene.stride = 0.03
    out4, labels4, _ = paste(frames, donor, "brisk", np.random.default_rng(0), scene, protocol=4)
    shown4 = [np.argwhere(f[..., 0] == 0) for f in out4]
    whole4 = [i for i in np.flatnonzero(labels4) if len(shown4[i]) == 40 * 16]
    x4 = [shown4[i][:, 1].min() for i in whole4]
    assert abs(x4[-1] - x4[0]) / (whole4[-1] - whole4[0]) == pytest.approx(PACE["brisk"] * 0.03 * 40, abs=0.1)
    out2, labels2, boxes2 = paste(frames, donor, "brisk", np.random.default_rng(0), scene, protocol=2)
    first = int(np.flatnonzero(labels2)[0])
    tall2 = np.argwhere(out2[first][..., 0] == 0)[:, 0]
    assert tall2.max() - tall2.min() + 1 == 20  # protocol 2: the donor's own size
    assert 0 < boxes2[first, 2] - boxes2[first, 0] < 8  # entering at an edge: boxed as far as it is in view
    with pytest.raises(PrivadError, match="unknown validation protocol 1"):
        validate([frames, frames], protocol=1)


def test_subpixel_placement_moves_the_object_smoothly_and_whole_pixels_do_not():
    """Protocol 10's placement: a dark square pasted at 0.4 px a frame onto a bright frame moves its
    intensity centroid by 0.4 px every frame, to the uint8 rounding of the blend (bilinear shift, the mask as alpha);
    at whole pixels it moves by 0 or 1. Same labels either way; the box is where the alpha is above one half, and no
    row outside it is written."""
    from privad.vad.synthetic import Donor, Scene, paste

    frames = [np.full((120, 200, 3), 200, np.uint8) for _ in range(60)]
    scene = Scene([], np.full(10, 60.0, np.float32), np.full(10, 20.0, np.float32), 0.02, stride=0.02)
    donor = Donor(np.zeros((20, 20, 3), np.uint8), np.ones((20, 20), bool))

    def centroids(out, labels):
        dark = [200.0 - f[..., 0].astype(float) for f in out]
        return np.array([(d.sum(axis=0) * np.arange(d.shape[1])).sum() / d.sum() for d in dark])[labels == 1]

    smooth = paste(frames, donor, "walker", np.random.default_rng(3), scene, protocol=10)
    whole = paste(frames, donor, "walker", np.random.default_rng(3), scene, protocol=9)
    assert (smooth.labels == whole.labels).all() and smooth.labels.sum() > 30
    steps = np.abs(np.diff(centroids(smooth.frames, smooth.labels)))
    assert steps == pytest.approx(np.full(len(steps), 0.4), abs=0.05)  # uint8 rounding of the blend
    assert steps.mean() == pytest.approx(0.4, abs=0.005)
    jumps = np.abs(np.diff(centroids(whole.frames, whole.labels)))
    assert set(np.round(jumps, 6)) <= {0.0, 1.0} and 0 < jumps.mean() < 1
    for f, box in zip(smooth.frames, smooth.boxes[smooth.labels == 1]):
        x1, y1, x2, y2 = box.astype(int)
        assert y2 - y1 == 20 and 20 <= x2 - x1 <= 21
        assert (f[:y1] == 200).all() and (f[y2:] == 200).all()  # nothing written outside the object's rows


def test_protocol_5_crowds_every_second_held_out_video_with_normal_walkers():
    """Traffic: by default as many walkers as the scene's median frame has regions, upright, at the scene's stride,
    in view from the first frame (walkers add no label; `traffic` says where they are); a validation under protocol
    5 still finds pasted anomalies."""
    from privad.data.synthetic import synthetic_scene
    from privad.engine.validate import validate
    from privad.vad.synthetic import WALKER, Donor, Scene, paste, traffic

    frames = [np.full((240, 360, 3), 200, np.uint8) for _ in range(60)]
    boxes = [np.zeros((n, 4), np.float32) for n in (2, 3, 3, 3, 5)]  # a median frame has 3 regions
    scene = Scene(boxes, np.full(50, 100.0, np.float32), np.full(50, 40.0, np.float32), 0.02, stride=0.03)
    pool = [Donor(np.full((20, 8, 3), v, np.uint8), np.ones((20, 8), bool)) for v in (0, 60, 120)]
    crowded, where = traffic(frames, pool, np.random.default_rng(1), scene)
    assert all(np.array_equal(a, b) for a, b in
               zip(crowded, traffic(frames, pool, np.random.default_rng(1), scene, walkers=3).frames))
    assert not all(np.array_equal(a, b) for a, b in
                   zip(crowded, traffic(frames, pool, np.random.default_rng(1), scene, walkers=2).frames))
    assert where.shape == (3, 60, 4)  # each walker's box in every frame it is seen
    for box, f in ((b, f) for w in where for b, f in zip(w, crowded) if np.isfinite(b).all()):
        x1, y1, x2, y2 = box.astype(int)
        assert (f[y1:y2, x1:x2, 0] != 200).all()  # solid walkers: their box is all walker
    walked, labels, _ = paste(frames, pool[0], WALKER, np.random.default_rng(0), scene, protocol=5)
    shown = [np.argwhere(f[..., 0] == 0) for f in walked]
    assert labels[0] == 1 and len(shown[0]) == 40 * 16  # in view at once, upright, as tall as the row's objects
    whole = [i for i, px in enumerate(shown) if len(px) == 40 * 16]
    step = abs(shown[whole[-1]][:, 1].min() - shown[whole[0]][:, 1].min()) / (whole[-1] - whole[0])
    assert step == pytest.approx(0.03 * 40, abs=0.1)  # the scene's stride
    videos = [synthetic_scene(n_frames=120, abnormal=(0, 0), seed=s)[0] for s in range(4)]
    result = validate(videos, config={"use_appearance": False}, folds=2, protocol=5)
    assert result["protocol"] == 5 and result["videos"] == 16 and 0.5 < result["micro_auc"] <= 1.0


def test_protocol_7_crowds_every_held_out_video(monkeypatch):
    """Protocol 7 pastes normal traffic into every held-out video (protocols 5-6: every second one), and still finds
    the pasted anomalies."""
    import privad.engine.validate as validation
    from privad.data.synthetic import synthetic_scene

    crowded = []
    real = validation.traffic
    monkeypatch.setattr(validation, "traffic",
                        lambda frames, *a, **k: crowded.append(len(frames)) or real(frames, *a, **k))
    videos = [synthetic_scene(n_frames=120, abnormal=(0, 0), seed=s)[0] for s in range(4)]
    result = validation.validate(videos, config={"use_appearance": False}, folds=2, protocol=7, copies=True)
    assert crowded == [120] * 4  # each held-out video once, its copies of every kind sharing its traffic
    assert result["protocol"] == 7 and result["videos"] == 16 and 0.5 < result["micro_auc"] <= 1.0
    copies = result["copies"]  # (video, kind, frame scores, labels): the figures above are theirs
    assert sorted((v, k) for v, k, _, _ in copies) == sorted((v, k) for v in range(4) for k in KINDS)
    for kind in KINDS:  # each copy carries its own kind: the per-kind figures come back from the copies
        of_kind = [c for c in copies if c[1] == kind]
        assert frame_auc([c[2] for c in of_kind], [c[3] for c in of_kind]) == result[f"{kind}_micro_auc"]
    other = validation.validate(videos, config={"use_appearance": False, "track_window": 0}, folds=2, protocol=7,
                                copies=True)  # another setting, the same draws: its copies pair with these
    diff = validation.paired_difference(copies, other["copies"], resamples=50)
    assert diff.shape == (50,) and np.isfinite(diff).all()
    assert abs(diff.mean() - (result["micro_auc"] - other["micro_auc"])) < 0.05


def test_a_folds_copies_do_not_depend_on_which_folds_are_taken():
    """`held_out_copies` draws every fold's copies in one order: fold 1's are the same whether fold 0's were taken
    or left (so one process per fold reproduces `validate`'s copies)."""
    from privad.data.synthetic import synthetic_scene
    from privad.engine.validate import held_out_copies

    videos = [synthetic_scene(n_frames=60, abnormal=(0, 0), seed=s)[0] for s in range(4)]

    def fold_one(take_first: bool) -> list:
        out = []
        for f, held, drawn in held_out_copies(videos, folds=2):
            if f == 1 or take_first:
                copies = list(drawn)
                if f == 1:
                    out = copies
        return out

    a, b = fold_one(True), fold_one(False)
    assert [(i, k) for i, k, _ in a] == [(i, k) for i, k, _ in b] and len(a) == 2 * len(kinds())
    for (_, _, x), (_, _, y) in zip(a, b):
        np.testing.assert_array_equal(x.labels, y.labels)
        np.testing.assert_array_equal(np.stack(x.frames), np.stack(y.frames))


def test_fitted_folds_fit_only_the_folds_wanted_on_the_other_videos():
    """`fitted_folds`: the wanted fold alone, its model fitted, its copies those `held_out_copies` draws for it."""
    from privad.data.synthetic import synthetic_scene
    from privad.engine.validate import fitted_folds, held_out_copies

    videos = [synthetic_scene(n_frames=60, abnormal=(0, 0), seed=s)[0] for s in range(4)]
    got = [(f, model, seconds, list(drawn)) for f, model, seconds, drawn in
           fitted_folds(videos, "attribute", {"use_appearance": False}, {1})]
    assert [g[0] for g in got] == [1] and got[0][2] > 0
    got[0][1].check_fitted()
    expected = [list(drawn) for f, _, drawn in held_out_copies(videos) if f == 1][0]
    assert [(i, k) for i, k, _ in got[0][3]] == [(i, k) for i, k, _ in expected]
    for (_, _, x), (_, _, y) in zip(got[0][3], expected):
        np.testing.assert_array_equal(np.stack(x.frames), np.stack(y.frames))


def test_walker_under_names_the_pasted_walker_a_region_lies_on():
    """A region on a walker's box (IoU >= 0.1) names it, the best of two; one that barely touches it, or a frame
    where no walker is seen (NaN boxes), gives -1."""
    from privad.engine.validate import walker_under

    walkers = np.full((2, 3, 4), np.nan)
    walkers[0, :2] = [10, 10, 20, 30]
    walkers[1, :2] = [15, 10, 25, 30]
    boxes = np.array([[16, 10, 26, 30], [10, 10, 20, 30], [19, 29, 40, 60], [10, 10, 20, 30]], float)
    assert walker_under(np.array([0, 1, 0, 2]), boxes, walkers).tolist() == [1, 0, -1, -1]
    assert walker_under(np.array([0]), boxes[:1], np.zeros((0, 3, 4))).tolist() == [-1]


def test_held_out_copies_say_where_the_normal_traffic_walks():
    """`walkers`: every crowded held-out video's traffic boxes (protocol 7 on: all of them), one row a walker; the
    copies are drawn as without it; each box holds pixels the walkers changed."""
    from privad.data.synthetic import synthetic_scene
    from privad.engine.validate import held_out_copies

    videos = [synthetic_scene(n_frames=60, abnormal=(0, 0), seed=s)[0] for s in range(4)]
    walkers: dict = {}
    plain = [c for _, _, drawn in held_out_copies(videos, folds=2) for c in drawn]
    told = [c for _, _, drawn in held_out_copies(videos, folds=2, walkers=walkers) for c in drawn]
    assert sorted(walkers) == [0, 1, 2, 3]
    for (i, k, x), (_, _, y) in zip(plain, told):
        np.testing.assert_array_equal(np.stack(x.frames), np.stack(y.frames))
    for i, where in walkers.items():
        assert where.ndim == 3 and where.shape[1:] == (60, 4) and len(where) >= 1
        crowded = next(c for j, k, c in told if j == i)
        changed = [np.abs(f.astype(int) - g).sum(axis=2) > 0 for f, g in zip(crowded.frames, videos[i])]
        seen = [(t, b.astype(int)) for w in where for t, b in enumerate(w) if np.isfinite(b).all()]
        assert seen and all(changed[t][y1:y2, x1:x2].any() for t, (x1, y1, x2, y2) in seen)


def test_protocol_8_cuts_a_walker_along_its_path_not_its_jittering_box():
    """A block moving 2 px a frame whose boxes jitter 4 px either side (as a walker's box does with its limbs): cut on
    the box (protocols 6-7) the block jumps about its steps; cut along the track's fitted path (protocol 8) it stays
    put within a pixel, and every step has the first box's size."""
    from privad.vad.synthetic import Scene, _steps

    frames, boxes = [], []
    for t in range(30):
        f = np.full((120, 200, 3), 200, np.uint8)
        f[50:70, 20 + 2 * t:30 + 2 * t] = 40
        frames.append(f)
        jitter = 4 if t % 2 else -4
        boxes.append(np.array([[20 + 2 * t + jitter, 50, 30 + 2 * t + jitter, 70]], np.float32))
    sc = Scene(boxes, np.full(30, 60.0), np.full(30, 20.0), 0.1, 0.1, [np.zeros(1, int)] * 30)
    background = np.full((120, 200), 200.0)

    def spread(protocol: int) -> float:
        steps, heading = _steps(frames, sc, 0, 0, background, protocol)
        assert len(steps) == 24 and heading == 1
        centres = [np.flatnonzero(mask.any(axis=0)).mean() for _, mask in steps]
        return max(centres) - min(centres)

    assert spread(7) >= 3
    assert spread(8) <= 1
    steps, _ = _steps(frames, sc, 0, 0, background, 8)
    assert {patch.shape[:2] for patch, _ in steps} == {(20, 10)}


def test_protocol_9_takes_donors_only_from_tracks_followed_long_enough():
    """Each frame has a tracked block (area 200, the same track all along) and two blocks of the typical area whose
    track ids change every frame. Protocol 8 cuts the typical-area blocks (one sighting each); protocol 9 cuts the
    tracked block, with at least MIN_STEPS sightings, and passes over frames too late in the video for that."""
    from privad.vad.synthetic import MIN_STEPS, Scene, donors

    frames, boxes, tracks = [], [], []
    for t in range(30):
        f = np.full((120, 200, 3), 200, np.uint8)
        f[50:70, 20 + 2 * t:30 + 2 * t] = 40
        f[10:26, 150:158] = 90
        f[90:106, 150:158] = 90
        frames.append(f)
        boxes.append(np.array([[20 + 2 * t, 50, 30 + 2 * t, 70], [150, 10, 158, 26], [150, 90, 158, 106]], np.float32))
        tracks.append(np.array([0, 100 + 2 * t, 101 + 2 * t]))
    sc = Scene(boxes, np.full(90, 60.0), np.full(90, 20.0), 0.1, 0.1, tracks)
    old = donors([frames], [sc], per_video=5, protocol=8)
    assert len(old) == 5 and all(len(d.steps) == 1 and d.patch.shape[:2] == (16, 8) for d in old)
    new = donors([frames], [sc], per_video=5, protocol=9)
    assert len(new) == 5 and all(len(d.steps) >= MIN_STEPS and d.patch.shape[:2] == (20, 10) for d in new)


def test_paired_difference_pairs_copies_and_refuses_others():
    """Two validations' copies: the same scores differ by 0; scores that order every copy's frames rightly against
    scores that invert them differ by 1 in every resample; copies of other kinds or labels are refused."""
    from privad.engine.validate import paired_difference

    labels = np.array([0, 0, 1, 1, 0])
    right, wrong = labels + 0.1 * np.arange(5), -(labels + 0.1 * np.arange(5))
    a = [(v, k, right, labels) for v in range(4) for k in KINDS[:2]]
    b = [(v, k, wrong, labels) for v in range(4) for k in KINDS[:2]]
    assert (paired_difference(a, a, resamples=20) == 0).all()
    assert (paired_difference(a, b, resamples=20) == 1).all()
    with pytest.raises(PrivadError, match="same copies"):
        paired_difference(a, [(v, KINDS[2], s, y) for v, _, s, y in b])
    with pytest.raises(PrivadError, match="same copies"):
        paired_difference(a, [(v, k, s, 1 - y) for v, k, s, y in b])


def test_pick_change_takes_the_best_firm_gain_that_keeps_regions():
    """The selection rule on constructed results: the highest micro that gains is taken, unless it costs RBDC/TBDC
    (region rule) or its gain rests on one held-out video (paired rule: its interval reaches 0); none that gain: None."""
    from privad.engine.validate import pick_change

    rng = np.random.default_rng(0)
    labels = [np.r_[np.zeros(10), np.ones(5), np.zeros(10)] for _ in range(8)]
    noise = [rng.normal(size=25) for _ in range(8)]

    def result(micro: float, rbdc: float, strength: list[float]) -> dict:
        copies = [[v, KINDS[0], list(noise[v] + strength[v] * labels[v]), list(labels[v])] for v in range(8)]
        return {"micro_auc": micro, "rbdc": rbdc, "tbdc": 50.0, "copies": copies}

    best = result(70.0, 50.0, [0.5] * 8)
    one_video = result(80.0, 50.0, [20.0] + [0.5] * 7)  # better on video 0 only
    every_video = result(75.0, 50.0, [2.0] * 8)
    costs_regions = result(85.0, 40.0, [2.0] * 8)
    candidates = [costs_regions, one_video, every_video]
    i, intervals = pick_change(candidates, best, 0.5)
    assert i == 2 and intervals[1][0] <= 0 < intervals[2][0] and set(intervals) == {1, 2}
    assert pick_change(candidates, best, 0.5, paired=False) == (1, {})
    assert pick_change(candidates, best, 0.5, regions=False, paired=False) == (0, {})
    assert pick_change(candidates, best, 20.0)[0] is None


def test_scene_stride_is_the_displacement_of_its_objects():
    """A block 20 px tall moving 1 px a frame: stride 1 / 20 = 0.05 box heights a frame, whatever its flow says."""
    from privad.vad.synthetic import scene

    frames = []
    for t in range(40):
        f = np.full((120, 160, 3), 200, np.uint8)
        f[50:70, 20 + t:30 + t] = 40
        frames.append(f)
    sc = scene(frames)
    assert sc.stride == pytest.approx(0.05, rel=0.2)  # boxes grow a little where the flow spills over


def test_scores_along_tracks_dilute_a_one_frame_spike():
    """Two objects moving steadily; one has a score spike on one frame. Along tracks (2 frames either side) the
    spike is spread over its own track only, and every region, the first sighting too, is on its object's track."""
    from privad.vad.tracks import along_tracks, track_ids

    index, boxes, scores = [], [], []
    for t in range(20):
        index += [t, t]
        boxes += [[10 + 2 * t, 10, 40 + 2 * t, 60], [200, 10 + t, 230, 60 + t]]
        scores += [5.0 if t == 7 else 0.0, 1.0]
    index, boxes, scores = np.array(index), np.array(boxes, float), np.array(scores)
    ids = track_ids(index, boxes, 20)
    assert len(set(ids[0::2])) == 1 and len(set(ids[1::2])) == 1 and ids[0] != ids[1]
    smoothed = along_tracks(index, ids, scores, 2)
    assert np.allclose(smoothed[1::2], 1.0)  # the steady object is untouched
    first = smoothed[0::2]
    assert np.allclose(first[5:10], 1.0) and np.allclose(first[np.r_[0:5, 10:20]], 0.0)  # 5 / 5 frames
    assert np.array_equal(along_tracks(index, ids, scores, 0), scores)


def test_track_speeds_are_box_heights_per_frame_along_each_track():
    """Box centres moving 2 px/frame with boxes 20 px tall: 10 * 2 / 20 = 1.0 (the unit of the descriptor's p90 /
    height column); a still track 0; a region its track sees only once NaN; the window bounds the span."""
    from privad.vad.tracks import track_speeds

    index = np.r_[np.arange(10), np.arange(10), 4]
    boxes = np.array([[2 * t, 0, 2 * t + 10, 20] for t in range(10)]
                     + [[100, 50, 110, 90] for _ in range(10)] + [[200, 200, 210, 210]], float)
    ids = np.r_[np.zeros(10), np.ones(10), 2].astype(int)
    speeds = track_speeds(index, boxes, ids, 3)
    np.testing.assert_allclose(speeds[:10], 1.0)
    np.testing.assert_allclose(speeds[10:20], 0.0)
    assert np.isnan(speeds[20])
    # a track that stops half-way: within 2 frames either side, the speed falls from 1 to 0 at the stop
    stop = np.array([[2 * min(t, 5), 0, 2 * min(t, 5) + 10, 20] for t in range(12)], float)
    s = track_speeds(np.arange(12), stop, np.zeros(12, int), 2)
    np.testing.assert_allclose(s[[0, 1, 2, 3]], 1.0)
    np.testing.assert_allclose(s[[7, 8, 9, 10, 11]], 0.0)


def test_track_window_fits_scores_and_finds_the_planted_object():
    from sklearn.metrics import roc_auc_score

    from privad.data.synthetic import synthetic_scene

    train = [synthetic_scene(n_frames=150, abnormal=(0, 0), seed=s)[0] for s in range(3)]
    frames, labels = synthetic_scene(n_frames=150, abnormal=(90, 130), seed=7)
    plain = build_model("objects", {"track_window": 0}).fit(train).score(frames)
    tracked = build_model("objects", {"track_window": 5}).fit(train).score(frames)
    assert roc_auc_score(labels, tracked.frames) > 0.95
    assert [r[:5] for r in tracked.regions] == [r[:5] for r in plain.regions]  # same regions, other scores
    assert not np.allclose([r[5] for r in tracked.regions], [r[5] for r in plain.regions])


def test_speed_cue_is_one_sided_where_the_density_is_not(tmp_path):
    """The plain density (`slow: density`) flags a still object as much as a fast one (both are rare); the speed cue
    only the fast one, and alone it still finds the planted fast walker, and scores the same after a save and load."""
    from sklearn.metrics import roc_auc_score

    from privad.data.synthetic import synthetic_scene
    from privad.vad.regions import ORIENTATION_BINS

    train = [synthetic_scene(n_frames=150, abnormal=(0, 0), seed=s)[0] for s in range(3)]
    frames, labels = synthetic_scene(n_frames=150, abnormal=(90, 130), seed=7)
    alone = {"silhouette": False, "use_appearance": False, "patches": None}
    speed = build_model("objects", {**alone, "speed_cue": "pixels", "use_velocity": False}).fit(train)
    density = build_model("objects", {**alone, "slow": "density"}).fit(train)
    assert roc_auc_score(labels, speed.score(frames).frames) > 0.95
    # one walker-like region at three speeds: still, the training median, 5x the median
    typical = np.median(_train_descriptors(speed, train), axis=0)
    regions = np.repeat(typical[None], 3, 0).astype(np.float32)
    for row, factor in zip(regions, (0.0, 1.0, 5.0)):
        row[ORIENTATION_BINS:ORIENTATION_BINS + 3] *= factor
        row[:ORIENTATION_BINS] *= factor
    none = np.zeros((3, 0), np.float32)
    inner = np.tile(np.float32([[100, 100, 120, 140]]), (3, 1))  # off the frame's edge (the default calibrates apart)
    still, usual, fast = speed.region_scores(regions, none, boxes=inner)
    assert still < usual < fast
    still, usual, fast = density.region_scores(regions, none, boxes=inner)
    assert still > usual and fast > usual
    save_model(speed, AnonymizeConfig(), tmp_path / "speed.privad")
    loaded, _ = load_model(tmp_path / "speed.privad")
    np.testing.assert_array_equal(loaded.region_scores(regions, none, boxes=inner),
                                  speed.region_scores(regions, none, boxes=inner))
    with pytest.raises(PrivadError, match="needs a cue"):
        build_model("objects", {**alone, "use_velocity": False}).fit(train)


def _train_descriptors(model, videos) -> np.ndarray:
    """The motion descriptors of every region of `videos` (as the model's extractor sees them)."""
    return np.concatenate([fr.velocity for v in videos for fr in model.extractor(v)])


@pytest.mark.parametrize("anomaly", ["fast", "object"])
def test_objects_model_finds_planted_motion_and_appearance_anomalies(anomaly):
    """A fast walker, and an object that moves and is shaped like a walker but looks like none, with the default
    settings (which have AI-VAD's appearance cue and the part memory); without them, that object is found far less
    well. `explain` names the cue that found each."""
    from sklearn.metrics import roc_auc_score

    from privad.data.synthetic import synthetic_scene
    from privad.vad.registry import DEFAULT

    train = [synthetic_scene(n_frames=200, abnormal=(0, 0), seed=s)[0] for s in range(3)]
    frames, labels = synthetic_scene(n_frames=200, abnormal=(120, 170), seed=7, anomaly=anomaly)
    model = build_model(DEFAULT).fit(train)
    scores, cues = model.explain(frames)
    again = model.score(frames)
    np.testing.assert_array_equal(scores.frames, again.frames)
    assert scores.regions == again.regions
    auc = roc_auc_score(labels, scores.frames)
    assert auc > 0.95
    # the regions that score highest are on the planted object
    top = int(np.argmax([r[-1] for r in scores.regions]))
    assert 120 <= scores.regions[top][0] < 170 + 6
    # explain: the cues add up to each region's score, and at the top regions of the frames showing the object the
    # largest part is the cue that sets it apart (its speed, or its look)
    assert set(cues) == {"motion", "appearance", "silhouette", "patches"}
    index, total = np.array([r[0] for r in scores.regions]), np.array([r[-1] for r in scores.regions])
    np.testing.assert_allclose(sum(cues.values()), total, atol=1e-9)
    first = top_regions(index, total)
    shown = np.asarray(labels, bool)[index[first]]
    part = {name: np.median(value[first][shown]) for name, value in cues.items()}
    # its look: the crop's appearance or the part memory's cells (both see the look, not the motion)
    assert max(part, key=part.get) in ({"motion"} if anomaly == "fast" else {"appearance", "patches"})
    if anomaly == "object":
        blind = build_model(DEFAULT, {"use_appearance": False, "patches": None}).fit(train).score(frames)
        assert roc_auc_score(labels, blind.frames) < auc - 0.05


def test_evaluate_writes_a_report_per_test_video_with_its_labelled_spans(ped2_data, tmp_path):
    evaluate(ped2_data, config=FAST, max_train=2, max_test=2, report_dir=tmp_path, fps=10)
    for v in ped2_data.test[:2]:
        page = (tmp_path / v.name / "report.html").read_text()
        assert "How to read this" in page and "raw, as scored" in page
        assert ("ground-truth abnormal frames" in page) == bool(np.any(v.labels))
    with pytest.raises(PrivadError, match="in-process"):
        evaluate(ped2_data, config=FAST, max_train=2, max_test=1, report_dir=tmp_path, workdir=tmp_path / "w")


def test_fit_score_gives_what_fit_then_score_give(ped2_data, monkeypatch):
    """The default fitted on two Ped2 training clips and scoring them as it fits gives the frame scores and regions
    that fitting and then scoring each clip gives, and the same fitted model, with each clip's regions found once and
    its frames embedded once for the part memory."""
    from privad.vad.oneclass import attribute

    clips = [v.frames()[:60] for v in ped2_data.train[:2]]
    model = build_model("objects")
    found, embedded = attribute._features, attribute.embed
    calls: list[int] = []
    embeds: list[int] = []
    monkeypatch.setattr(attribute, "_features", lambda *a, **k: calls.append(1) or found(*a, **k))
    monkeypatch.setattr(attribute, "embed", lambda *a, **k: embeds.append(1) or embedded(*a, **k))
    together = model.fit_score(clips, ["a", "b"])
    assert len(calls) == 2 and len(embeds) == 2  # once per clip, not once to fit and once to score
    monkeypatch.setattr(attribute, "_features", found)
    monkeypatch.setattr(attribute, "embed", embedded)
    apart = build_model("objects").fit(clips)
    assert model.fitted_.threshold == apart.fitted_.threshold
    for got, clip, name in zip(together, clips, ["a", "b"]):
        want = apart.score(clip, name)
        assert got.name == name and len(got.frames) == len(clip) and got.regions
        np.testing.assert_array_equal(got.frames, want.frames)
        assert got.regions == want.regions


@pytest.mark.parametrize("combine", ["max", "excess"])
def test_cues_combined_by_their_largest_or_their_excess(combine):
    """`combine: max`: a region's score is its largest calibrated cue; `excess`: the sum of its cues above 0 (without
    the track average, cue by cue), fit and score alike; neither is the plain sum, and the planted object is still
    found."""
    from sklearn.metrics import roc_auc_score

    from privad.data.synthetic import synthetic_scene
    from privad.vad.registry import DEFAULT

    train = [synthetic_scene(n_frames=150, abnormal=(0, 0), seed=s)[0] for s in range(3)]
    frames, labels = synthetic_scene(n_frames=150, abnormal=(90, 130), seed=7, anomaly="object")
    model = build_model(DEFAULT, {"combine": combine, "track_window": 0}).fit(train)
    scores, cues = model.explain(frames)
    total = np.array([r[-1] for r in scores.regions])
    parts = np.array(list(cues.values()))
    want = parts.max(axis=0) if combine == "max" else np.maximum(parts, 0).sum(axis=0)
    np.testing.assert_allclose(want, total, atol=1e-9)
    assert (np.abs(parts.sum(axis=0) - total) > 1e-6).any()  # not the sum
    assert roc_auc_score(labels, scores.frames) > 0.9


def test_crowd_fits_a_crowded_copy_of_each_training_video():
    """`crowded`: the video's own walkers pasted again, as many more as a median frame has regions, every frame kept;
    nothing to cut from a still video. `crowd` fits the copies beside the videos, and still reports and scores the
    videos it was given."""
    from privad.data.synthetic import synthetic_scene
    from privad.vad.regions import ORIENTATION_BINS, RegionExtractor
    from privad.vad.synthetic import crowded, scene_of

    frames = synthetic_scene(n_frames=60, abnormal=(0, 0), walkers=4, seed=3)[0]

    def regions(video):
        found = list(RegionExtractor(source="median")(video))
        index = np.concatenate([np.full(len(f.boxes), f.index) for f in found])
        return (index, np.concatenate([f.boxes for f in found]),
                np.concatenate([f.velocity[:, ORIENTATION_BINS] for f in found]))

    def median_count(video):
        index, boxes, speeds = regions(video)
        return np.median([len(b) for b in scene_of(index, boxes, speeds, len(video)).boxes])

    copy = crowded(frames, *regions(frames), 1.0, np.random.default_rng(0))
    assert len(copy) == len(frames) and not np.array_equal(copy[0], frames[0])
    assert median_count(frames) == 4 and median_count(copy) >= 6  # walkers that cross others merge with them
    assert crowded(frames, *regions(frames), 0.0, np.random.default_rng(0)) is None
    still = [frames[0]] * 20
    assert crowded(still, *regions(still), 1.0, np.random.default_rng(0)) is None

    videos = [synthetic_scene(n_frames=60, abnormal=(0, 0), seed=s)[0] for s in range(2)]
    plain = build_model("objects", {**FAST, "crowd": 0.0}).fit(videos)
    model = build_model("objects", {**FAST, "crowd": 1.0})
    scores = model.fit_score(videos)
    assert model.fitted_.info["train_videos"] == 2 and len(scores) == 2
    assert all(len(s.frames) == 60 and np.isfinite(s.frames).all() for s in scores)
    assert model.fitted_.info["train_regions"] > 1.5 * plain.fitted_.info["train_regions"]


def test_protocol_6_pastes_objects_as_they_walked():
    """A walker whose width swings 9 / 12 px as it walks right, with a bright front: its donor keeps its sightings
    along its track (until its box grows by over half) and the way it went; pasted under protocol 6 its size swings again and its front leads the way
    it goes, whichever way that is; protocol 5 pastes its first sighting only, as one rigid patch."""
    from privad.vad.synthetic import WALKER, Scene, donors, paste

    rng = np.random.default_rng(0)
    ground = cv2.cvtColor(cv2.GaussianBlur(rng.integers(90, 170, (120, 200), dtype=np.uint8), (0, 0), 3),
                          cv2.COLOR_GRAY2BGR)
    frames, boxes = [], []
    for t in range(60):
        f = ground.copy()
        x, wd = 20 + t, 9 if t % 8 < 4 else 12
        f[40:70, x:x + wd] = 40
        f[40:70, x + wd - 3:x + wd] = 250  # its front: it walks right
        frames.append(f)
        boxes.append(np.array([[x, 40, x + wd, 70]], np.float32))
    sc = Scene(boxes, np.full(60, 55.0), np.full(60, 30.0), 0.02, stride=0.033, tracks=[np.zeros(1, int)] * 60)
    donor = donors([frames], [sc], per_video=1, seed=0, protocol=6)[0]
    assert donor.heading == 1 and len(donor.steps) == 24  # STEPS: the track is never lost
    assert {p.shape[1] for p, _ in donor.steps} == {9, 12}
    for t in range(5, 60, 10):  # a merged blob, twice as wide, every 10th frame: no track runs 24 frames past one
        sc.boxes[t] = np.array([[20 + t, 40, 44 + t, 70]], np.float32)
    assert len(donors([frames], [sc], per_video=1, seed=0, protocol=6)[0].steps) < 24
    blank = [np.full((120, 200, 3), 180, np.uint8) for _ in range(40)]

    def inside(out):  # (dark, bright) columns of the frames where the object is wholly in view
        cols = [((f[:, :, 0] < 80).any(axis=0), (f[:, :, 0] > 220).any(axis=0)) for f in out]
        return [(np.flatnonzero(d), np.flatnonzero(b), int((f[:, :, 0] < 80).sum())) for (d, b), f in zip(cols, out)
                if d.any() and b.any() and not (d | b)[[0, -1]].any()]

    ways = set()
    for seed in range(8):
        seen = inside(paste(blank, donor, WALKER, np.random.default_rng(seed), sc, protocol=6)[0])
        assert len(seen) > 5 and len({n for _, _, n in seen}) > 1  # its size swings as it walks
        way = np.sign(seen[-1][0].mean() - seen[0][0].mean())
        assert all(np.sign(b.mean() - d.mean()) == way for d, b, _ in seen)  # the front leads
        ways.add(way)
        rigid = inside(paste(blank, donor, WALKER, np.random.default_rng(seed), sc, protocol=5)[0])
        assert len({n for _, _, n in rigid}) == 1  # one patch, moved
    assert ways == {-1.0, 1.0}


def test_a_view_whose_objects_all_touch_its_edge_says_border_skip_left_them_out():
    """`border: skip` leaves out regions at the frame's edge: where that leaves too few to fit (near views, objects
    cut by the frame), the error says how many were left out and how to fit them; the default (`apart`) fits the
    same video, and a fitted model reports the count."""
    rng = np.random.default_rng(0)
    frames = []
    for t in range(150):  # a textured box cut by the top edge of the frame, sliding right and back
        f = np.full((240, 360, 3), 120, np.uint8)
        x = 20 + (3 * t) % 280
        f[0:50, x:x + 40] = rng.integers(0, 60, (50, 40, 3), dtype=np.uint8)
        frames.append(f)
    config = {"use_appearance": False, "split": "none", "track_window": 0}
    with pytest.raises(PrivadError, match=r"0 object regions found .*; \d+ more touch the frame's edge .*border=apart"):
        build_model("objects", {**config, "border": "skip"}).fit([frames])
    kept = build_model("objects", config).fit([frames])  # the default, apart
    assert kept.fitted_.info["train_regions"] >= 50 and kept.fitted_.info["edge_regions_left_out"] == 0


def test_calibration_apart_at_the_edge_puts_each_group_on_its_own_scale():
    """`border: apart`: a cue's [offset, scale] is taken over the inner regions and, apart, over those at the edge; too
    few at the edge take the inner ones'; each region is put on its own group's scale."""
    from privad.vad.oneclass.attribute import MIN_EDGE_REGIONS, _calibrated, _calibration

    inner, outer = np.tile([1.0, 3.0], 60), np.tile([10.0, 30.0], 30)
    raw, edge = np.r_[inner, outer], np.r_[np.zeros(120, bool), np.ones(60, bool)]
    calib = _calibration(raw, "zscore", edge)
    assert calib == pytest.approx([2.0, 1.0, 20.0, 10.0])
    assert _calibrated(np.array([3.0, 30.0]), calib, np.array([False, True])) == pytest.approx([1.0, 1.0])
    few = np.r_[np.zeros(120, bool), np.ones(MIN_EDGE_REGIONS - 1, bool)]
    assert _calibration(raw[:len(few)], "zscore", few) == pytest.approx([2.0, 1.0, 2.0, 1.0])
    assert _calibration(raw, "zscore") == pytest.approx([raw.mean(), raw.std()], rel=1e-6)  # one group, as before


def test_border_apart_scores_the_regions_at_the_edge_on_their_own_scale(tmp_path):
    """A video with one object inside the frame and one cut by its top edge: `apart` fits and scores both, and the
    regions at the edge have their motion cue on the scale of the training regions at the edge (mean 0, sd 1 on the
    training video itself; calibrated with the inner ones, as `keep` does, they are at -0.11 and 1.06); a saved model
    scores the same, and scoring without the regions' boxes is refused."""
    rng = np.random.default_rng(0)
    frames = []
    for t in range(150):
        f = np.full((240, 360, 3), 120, np.uint8)
        x = 20 + (3 * t) % 280
        f[0:30, x:x + 40] = rng.integers(0, 60, (30, 40, 3), dtype=np.uint8)  # cut by the top edge, fast
        f[150:200, 320 - (t % 280):340 - (t % 280)] = rng.integers(150, 255, (50, 20, 3), dtype=np.uint8)  # inside
        frames.append(f)
    config = {"use_appearance": False, "silhouette": False, "split": "none", "track_window": 0,
              "frame_score": "max", "border": "apart"}
    model = build_model("objects", config).fit([frames])
    assert len(model.fitted_.params["vel_calib"]) == 4
    score, cues = model.explain(frames)
    boxes = np.array([r[1:5] for r in score.regions])
    edge = (boxes[:, :2] <= 0).any(axis=1) | (boxes[:, 2] >= 360) | (boxes[:, 3] >= 240)
    assert (boxes[:, 1] <= 0).sum() >= 50 and (~edge).sum() >= 50  # both objects are found and scored
    assert cues["motion"][edge].mean() == pytest.approx(0.0, abs=1e-6)
    assert cues["motion"][edge].std() == pytest.approx(1.0, rel=1e-4)
    path = tmp_path / "apart.privad"
    save_model(model, None, path)
    np.testing.assert_allclose(load_model(path)[0].score(frames).frames, score.frames, rtol=1e-5)
    with pytest.raises(PrivadError, match="needs their boxes"):
        model.cue_scores(np.zeros((1, 15), np.float32))
