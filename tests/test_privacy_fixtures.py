"""ReID and attribute privacy metrics on small constructed cases with known answers."""

import json

import cv2
import numpy as np
import pytest

from privad.protect.methods.filters import flatten
from privad.errors import PrivadError
from privad.metrics.privacy.attributes import attribute_privacy, load_vispr_split
from privad.metrics.privacy.reid import load_market_split, reid_leakage, rank1_map


def test_rank1_map_hand_made():
    # query 0 (id 1, cam 1): gallery order by distance = [id 2, id 1 (cam 2), id 1 (cam 1: left out), id 1 (cam 3)]
    q = np.array([[1.0, 0.0]])
    g = np.array([[1.0, 0.05], [1.0, 0.2], [1.0, 0.0], [0.5, 1.0]])
    out = rank1_map(q, np.array([1]), np.array([1]), g, np.array([2, 1, 1, 1]), np.array([1, 2, 1, 3]))
    assert out["rank1"] == 0.0 and out["queries"] == 1
    assert out["map"] == pytest.approx((1 / 2 + 2 / 3) / 2)  # hits at ranks 2 and 3 of the kept gallery
    # junk (-1) is ignored, a query with no true match is not counted
    out = rank1_map(np.array([[1.0, 0.0], [0.0, 1.0]]), np.array([1, 7]), np.array([1, 1]),
                    np.array([[1.0, 0.01], [1.0, 0.1]]), np.array([-1, 1]), np.array([2, 2]))
    assert out == {"rank1": 1.0, "map": 1.0, "queries": 1}


def _person(rng, colour, cam):
    img = np.full((128, 64, 3), 200, np.uint8)
    img += rng.integers(0, 20, img.shape, dtype=np.uint8)
    cv2.rectangle(img, (16, 30), (48, 80), colour[0], -1)   # shirt
    cv2.rectangle(img, (18, 80), (46, 124), colour[1], -1)  # trousers
    cv2.circle(img, (32, 18), 10, (60 + 30 * cam, 90, 120), -1)
    return img


@pytest.fixture
def market(tmp_path):
    tmp_path = tmp_path / "market"
    rng = np.random.default_rng(0)
    colours = [((0, 0, 220), (40, 40, 40)), ((220, 0, 0), (0, 160, 0)), ((0, 200, 200), (120, 0, 120)),
               ((30, 30, 30), (0, 0, 200)), ((200, 200, 0), (100, 60, 20)), ((255, 255, 255), (0, 0, 0))]
    for split in ("query", "bounding_box_test"):
        (tmp_path / split).mkdir(parents=True)
    for pid, colour in enumerate(colours, start=1):
        cv2.imwrite(str(tmp_path / "query" / f"{pid:04d}_c1s1_000001_00.jpg"), _person(rng, colour, 1))
        for cam in (2, 3):
            cv2.imwrite(str(tmp_path / "bounding_box_test" / f"{pid:04d}_c{cam}s1_000002_00.jpg"),
                        _person(rng, colour, cam))
    return tmp_path


def test_reid_raw_finds_everyone_and_flattening_hides_them(market):
    query, gallery = load_market_split(market / "query"), load_market_split(market / "bounding_box_test")
    assert len(query.paths) == 6 and len(gallery.paths) == 12
    raw = reid_leakage(query, gallery)
    assert raw["rank1"] == 1.0 and raw["map"] > 0.9
    hidden = reid_leakage(query, gallery, anonymize=flatten)
    assert hidden["map"] < raw["map"] - 0.3
    with pytest.raises(PrivadError, match="no Market-1501 style images"):
        load_market_split(market)  # the root itself holds no images


def _scene(rng, red: bool, bar: bool):
    img = rng.integers(80, 170, (96, 96, 3), dtype=np.uint8)
    if red:
        cv2.circle(img, tuple(int(v) for v in rng.integers(20, 76, 2)), 14, (0, 0, 255), -1)
    if bar:
        x, y = (int(v) for v in rng.integers(5, 50, 2))
        cv2.rectangle(img, (x, y), (x + 40, y + 10), (255, 60, 0), -1)
    return img


@pytest.fixture
def vispr(tmp_path):
    tmp_path = tmp_path / "vispr"
    rng = np.random.default_rng(1)
    for split, n in (("train", 60), ("test", 40)):
        folder = tmp_path / split
        folder.mkdir(parents=True)
        for i in range(n):
            red, bar = bool(rng.random() < 0.5), bool(rng.random() < 0.5)
            cv2.imwrite(str(folder / f"{i:04d}.png"), _scene(rng, red, bar))
            labels = [name for name, on in (("a1_red_disc", red), ("a2_blue_bar", bar)) if on] + ["a0_safe"]
            (folder / f"{i:04d}.json").write_text(json.dumps({"labels": labels}))
    return tmp_path


def test_attribute_probe_reads_raw_but_not_blank_images(vispr):
    train, test = load_vispr_split(vispr, "train"), load_vispr_split(vispr, "test")
    raw = attribute_privacy(train, test)
    assert set(raw["attributes"]) == {"a1_red_disc", "a2_blue_bar"} and raw["untrainable"] == ["a0_safe"]
    assert raw["cmap"] > 0.9 and raw["macro_f1"] > 0.8
    # a blank image gives every test image the same score: AP = the attribute's prevalence (chance level)
    blank = attribute_privacy(train, test, anonymize=lambda img: np.full_like(img, 128))
    prevalence = np.mean([[a in s for a in ("a1_red_disc", "a2_blue_bar")] for s in test.labels], axis=0)
    assert blank["cmap"] == pytest.approx(prevalence.mean())
    # one flat colour per image (adaptive_max_pixelization on a whole image) still leaks colour attributes
    assert attribute_privacy(train, test, anonymize=flatten)["cmap"] > 0.9


def test_vispr_errors(tmp_path):
    with pytest.raises(PrivadError, match="no 'train' split"):
        load_vispr_split(tmp_path, "train")
    (tmp_path / "train").mkdir()
    cv2.imwrite(str(tmp_path / "train" / "a.png"), np.zeros((8, 8, 3), np.uint8))
    with pytest.raises(PrivadError, match="no label file"):
        load_vispr_split(tmp_path, "train")


def test_cli_reid_and_attributes(monkeypatch, capsys, market, vispr):
    from clirun import run

    code, out, err = run(monkeypatch, capsys, "privacy", "reid", market, "--method", "mask")
    assert code in (0, None), err
    raw_line, mask_line = out.strip().splitlines()
    assert raw_line.startswith("raw: rank-1 100.0") and mask_line.startswith("mask: rank-1")
    code, out, err = run(monkeypatch, capsys, "privacy", "attributes", vispr, "--json", vispr / "a.json")
    assert code in (0, None), err
    assert json.loads((vispr / "a.json").read_text())["raw"]["cmap"] > 0.9
    code, _, err = run(monkeypatch, capsys, "privacy", "reid", vispr)
    assert code == 2 and "ReID folder not found" in err


def test_cli_faces_needs_matching_clips(monkeypatch, capsys, face_clip, faces_dir, tmp_path):
    pytest.importorskip("dlib")
    from clirun import run

    short = tmp_path / "short.mp4"
    code, _, err = run(monkeypatch, capsys, "anonymize", face_clip, "-o", short, "--max-frames", "5", "-q")
    assert code in (0, None), err
    code, _, err = run(monkeypatch, capsys, "privacy", "faces", short, "--raw", face_clip, "--reference",
                       faces_dir / "alex-lacamoire.png")
    assert code == 2 and "has 5 frames, the raw one 275" in err


def test_reid_on_our_own_tracks(monkeypatch, capsys, ped2):
    from clirun import run

    code, out, err = run(monkeypatch, capsys, "privacy", "reid-tracks", ped2 / "testing" / "frames" / "04",
                         "--method", "mask")
    assert code in (0, None), err
    (raw, mask) = [float(line.split("rank-1 ")[1].split(",")[0]) for line in out.strip().splitlines()]
    # ~19 tracks: chance is ~5 %; raw crops re-identify far above it, masked ones near it
    assert raw > 40 and mask < raw / 2
