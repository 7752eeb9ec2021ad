"""Files: one bad file never stops the others, and a failed file keeps every byte."""

from __future__ import annotations

import io
import os
import stat

from hardener.profile import load_profile
from hardener.runner import EXIT_INPUT_ERROR, EXIT_OK, WriteBack, run

GOOD = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: good\nspec:\n  containers:\n  - name: c\n"
BROKEN = "apiVersion: v1\nkind: Pod\nspec:\n  containers: [\n"


def _run(paths, mode=WriteBack.WRITE):
    out, err = io.BytesIO(), io.StringIO()
    code = run([str(p) for p in paths], load_profile("restricted"), mode, stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_one_bad_file_never_stops_the_others(tmp_path):
    first, broken, readonly, last = (tmp_path / n for n in ("a.yaml", "broken.yaml", "readonly.yaml", "z.yaml"))
    missing = tmp_path / "missing.yaml"
    for path, text in ((first, GOOD), (broken, BROKEN), (readonly, GOOD), (last, GOOD)):
        path.write_text(text)
    readonly.chmod(0o444)
    code, out, err = _run([first, broken, missing, readonly, last])
    assert code == EXIT_INPUT_ERROR and out == b""
    assert "runAsNonRoot: true" in first.read_text() and "runAsNonRoot: true" in last.read_text()
    assert broken.read_text() == BROKEN and readonly.read_text() == GOOD and not missing.exists()
    assert f"error: {broken}:5" in err and "(document 0): invalid YAML" in err
    assert f"error: {missing}: no such file" in err
    assert f"error: {readonly}: permission denied (file is read-only); not written" in err
    assert f"hardened {first}" in err and f"hardened {last}" in err
    assert "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.yaml", "broken.yaml", "readonly.yaml", "z.yaml"]  # no temp files


def test_a_filter_emits_nothing_when_any_input_fails(tmp_path):
    good, broken = tmp_path / "good.yaml", tmp_path / "broken.yaml"
    good.write_text(GOOD)
    broken.write_text(BROKEN)
    code, out, err = _run([good, broken], WriteBack.STDOUT)
    assert (code, out) == (EXIT_INPUT_ERROR, b"") and str(broken) in err


def test_in_place_write_keeps_the_mode(tmp_path):
    path = tmp_path / "web.yaml"
    path.write_text(GOOD)
    path.chmod(0o640)
    assert _run([path])[0] == EXIT_OK
    assert stat.S_IMODE(path.stat().st_mode) == 0o640 and "runAsNonRoot: true" in path.read_text()


def test_in_place_write_through_a_symlink_keeps_the_link(tmp_path):
    target = tmp_path / "real.yaml"
    target.write_text(GOOD)
    link = tmp_path / "link.yaml"
    link.symlink_to(target.name)
    assert _run([link])[0] == EXIT_OK
    assert link.is_symlink() and os.readlink(link) == "real.yaml"
    assert "runAsNonRoot: true" in target.read_text()


def test_an_unchanged_file_is_not_rewritten(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text("apiVersion: v1\nkind: ConfigMap\n")
    path.chmod(0o444)  # a rewrite would be refused: the run must not even try
    code, _, err = _run([path])
    assert code == EXIT_OK and err == ""
