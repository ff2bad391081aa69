"""The single-file agent's entry in the applications menu."""

from __future__ import annotations

from pathlib import Path

from coupdemain.agent import launcher


def test_the_entry_starts_the_file_and_hides_when_it_is_gone(tmp_path: Path) -> None:
    program = tmp_path / "Téléchargements" / "coupdemain-help"
    program.parent.mkdir()
    program.write_bytes(b"\x7fELF")
    written = launcher.install(program, {"HOME": str(tmp_path)})
    assert written == tmp_path / ".local/share/applications/coupdemain-help.desktop"
    assert written.read_text(encoding="utf-8") == (
        "[Desktop Entry]\n"
        "Type=Application\n"
        "Version=1.0\n"
        "Name=Get help (coupdemain)\n"
        "Comment=Let your technician see your screen, after you type their code\n"
        "Name[fr]=Obtenir de l'aide (coupdemain)\n"
        "Comment[fr]=Laisser votre technicien voir votre écran, après avoir saisi son code\n"
        f'Exec="{program}"\n'
        f"TryExec={program}\n"
        "Icon=help-browser\n"
        "Terminal=false\n"
        "Categories=Utility;RemoteAccess;\n"
        "StartupNotify=true\n"
    )


def test_xdg_data_home_wins_and_a_moved_file_rewrites_the_entry(tmp_path: Path) -> None:
    environ = {"HOME": str(tmp_path / "home"), "XDG_DATA_HOME": str(tmp_path / "data")}
    first = tmp_path / "a" / "coupdemain-help"
    moved = tmp_path / "b" / "coupdemain-help"
    written = launcher.install(first, environ)
    assert written == tmp_path / "data/applications/coupdemain-help.desktop"
    launcher.install(moved, environ)
    assert f"TryExec={moved}\n" in written.read_text(encoding="utf-8")


def test_no_entry_for_a_path_the_exec_key_cannot_carry_or_a_home_not_writable(
    tmp_path: Path,
) -> None:
    assert launcher.install(tmp_path / "my $HOME" / "coupdemain-help",
                            {"HOME": str(tmp_path)}) is None
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the folder should be")
    assert launcher.install(tmp_path / "coupdemain-help", {"XDG_DATA_HOME": str(blocked)}) is None
