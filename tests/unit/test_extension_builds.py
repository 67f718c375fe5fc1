"""flash-attn's prebuilt wheels against the torch they were built for (metadata is silent)."""

from __future__ import annotations

from chipdoctor.model import Severity
from chipdoctor.rules.extension_builds import findings


def test_a_wheel_built_against_a_nightly_fails_on_the_final_release() -> None:
    (finding,) = findings({"torch": "2.3.0+cu121", "flash-attn": "2.5.7"})
    assert finding.id == "host.extension-torch" and finding.severity is Severity.ERROR
    assert "2.3.0.dev20240207" in finding.message
    assert finding.fix == "pip install flash-attn==2.5.8 --no-build-isolation"


def test_a_wheel_built_against_a_final_release_is_not_judged() -> None:
    assert findings({"torch": "2.3.0", "flash-attn": "2.5.8"}) == []
    assert findings({"torch": "2.1.2", "flash-attn": "2.5.8"}) == []
    # 2.3.1 was built against a 2.1.0 nightly; its post release against 2.1.0 itself.
    assert findings({"torch": "2.1.0", "flash-attn": "2.3.1.post1"}) == []
    assert findings({"torch": "2.1.0", "flash-attn": "2.3.1"}) != []


def test_unknown_releases_and_lines_say_nothing() -> None:
    assert findings({"torch": "2.3.0", "flash-attn": "9.9.9"}) == []
    assert findings({"torch": "2.9.0", "flash-attn": "2.5.7"}) == []  # no wheel: built locally
    assert findings({"flash-attn": "2.5.7"}) == []
