"""The package is the chapters' code: `fractalnet/` must match what the chapters
export."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_fractalnet_modules_match_the_chapter_cells_that_define_them():
    result = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "export_chapters.py"), "--check"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_exporter_notices_a_hand_edited_module(tmp_path, monkeypatch, capsys):
    monkeypatch.syspath_prepend(str(ROOT / "tools"))
    import export_chapters

    modules = export_chapters.generated_modules()
    assert modules, "no chapter exports any module"
    monkeypatch.setattr(export_chapters, "ROOT", tmp_path)
    (tmp_path / "fractalnet").mkdir()
    for target, text in modules.items():
        (tmp_path / target).write_text(text, encoding="utf-8")
    assert export_chapters.main(["--check"]) == 0
    target, text = next(iter(modules.items()))
    (tmp_path / target).write_text(text.replace("def ", "def  ", 1), encoding="utf-8")
    assert export_chapters.main(["--check"]) == 1
    assert target in capsys.readouterr().out
