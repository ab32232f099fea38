"""Property-based checks (Hypothesis): any frame into the Anonymizer comes out the same size with no raw pixel left
inside a region; any input to the REST API gets an answer below 500."""

from __future__ import annotations

from urllib.parse import quote

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from privad.protect.config import AnonymizeConfig
from privad.protect.detect.base import CLASS_IDS, box_masks, make
from privad.protect.methods import METHODS
from privad.protect.pipeline import Anonymizer


class _Box:
    """A detector that finds one box covering the middle of any frame (its size follows the frame)."""

    name, warmup = "stub", 0

    def prime(self, frames):
        pass

    def __call__(self, frame):
        h, w = frame.shape[:2]
        boxes, masks = box_masks(np.array([[w // 4, h // 4, max(w // 4 + 1, 3 * w // 4), max(h // 4 + 1, 3 * h // 4)]]),
                                 (h, w))
        return make(boxes, masks, np.ones(1), CLASS_IDS["faces"])


frames = st.one_of(
    arrays(np.uint8, st.tuples(st.integers(1, 48), st.integers(1, 48), st.sampled_from([3, 4]))),
    arrays(np.uint8, st.tuples(st.integers(1, 48), st.integers(1, 48))),  # gray
)


@settings(max_examples=60, deadline=None)
@given(frame=frames, method=st.sampled_from(["mask", "fill", "adaptive_max_pixelization"]))
def test_flat_methods_leave_no_raw_pixel_in_the_region(frame, method):
    anon = Anonymizer(AnonymizeConfig(method=method, targets=["faces"], hold=0), detectors=[_Box()])
    result = anon.process(frame)
    assert result.incident is None and result.image.shape[:2] == frame.shape[:2] and result.image.dtype == np.uint8
    region = result.detections.mask.any(axis=0)
    inside = result.image[region].reshape(-1, 3)
    assert region.any() and (inside == inside[0]).all()  # one flat colour: none of the input's texture survives


@settings(max_examples=80, deadline=None)
@given(frame=frames, method=st.sampled_from([m for m in METHODS if m not in ("no-an", "selective", "learned")]))
def test_every_method_keeps_the_frame_size_and_never_raises(frame, method):
    anon = Anonymizer(AnonymizeConfig(method=method, targets=["faces"], hold=0), detectors=[_Box()])
    result = anon.process(frame)  # fails closed (a flat frame) rather than raising
    assert result.image is not None and result.image.shape[:2] == frame.shape[:2]
    assert result.image.ndim == 3 and result.image.shape[2] == 3


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    pytest.importorskip("fastapi")
    from privad.serve import BackgroundServer, ServeSettings

    allowed = tmp_path_factory.mktemp("allowed")
    with BackgroundServer(ServeSettings(data_dir=tmp_path_factory.mktemp("fuzz"), token="t0k",
                                        allow_dirs=[allowed]), []) as url:
        yield url


text = st.text(st.characters(codec="utf-8"), max_size=300)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(uri=text, name=st.one_of(st.none(), text), event=text, query=st.dictionaries(
    st.sampled_from(["since", "until", "limit", "offset", "source"]), text, max_size=3))
def test_the_api_answers_every_input_below_500(server, uri, name, event, query):
    import httpx

    auth = {"Authorization": "Bearer t0k"}
    with httpx.Client(base_url=server, headers=auth, timeout=10) as client:
        body = {"uri": uri} if name is None else {"uri": uri, "name": name}
        made = client.post("/api/sources", json=body)
        assert made.status_code < 500, (body, made.text)
        if made.status_code == 201:
            client.delete(f"/api/sources/{made.json()['name']}")
        segment = quote(event, safe="")
        for path in (f"/api/events/{segment}", f"/api/events/{segment}/thumbnail.jpg", f"/api/sources/{segment}",
                     f"/api/sources/{segment}/scores"):
            if segment and segment not in (".", ".."):
                assert client.get(path).status_code < 500, path
        assert client.get("/api/events", params=query).status_code < 500, query
