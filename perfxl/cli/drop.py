"""The drag-and-drop launcher for Windows: forms or folders dropped on ``perfxl 处理自评表.bat`` (or on
``perfxl-drop.exe``, which pip installs beside ``perfxl.exe``) are filled, the results shown, and the
window waits for Enter before it closes.

    python -m perfxl.cli.drop 表1.xlsx 收到的自评表\\     # what the launcher runs with the dropped paths
    python -m perfxl.cli.drop --launcher [文件夹]          # put the .bat launcher on the desktop (or in 文件夹)

The .bat is ASCII-only apart from its name and passes ``%*`` on outside any ``( … )`` block, so that
paths with spaces, Chinese characters and brackets arrive as Explorer quoted them
(tests/test_windows.py). Outputs go beside each input, as ``perfxl fill`` writes them.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

LAUNCHER = "perfxl 处理自评表.bat"

USAGE = ("把自评表（.xlsx/.xlsm/.xls）或装有自评表的文件夹拖到“perfxl 处理自评表”图标上：perfxl 校验、重算，"
         "并在原文件旁写出“…_自评结果.xlsx”和“…_自评报告.docx”（文件夹另有 汇总.xlsx）。")


def launcher_bytes() -> bytes:
    """The shipped .bat launcher, as it is to be written (CRLF line ends)."""
    from perfxl.templates import resource_path

    return resource_path(LAUNCHER).read_bytes()


def write_launcher(folder: Path | None = None) -> Path:
    """Write the launcher into ``folder`` (default: the desktop, else the current folder); return its path.
    An existing file of that name with other content is left alone (FileExistsError)."""
    if folder is None:
        desktop = Path.home() / "Desktop"
        folder = desktop if desktop.is_dir() else Path.cwd()
    target = Path(folder) / LAUNCHER
    data = launcher_bytes()
    if target.exists() and target.read_bytes() != data:
        raise FileExistsError(target)
    target.write_bytes(data)
    return target


def _wait() -> None:
    try:
        input("\n按回车键关闭本窗口……")
    except (EOFError, KeyboardInterrupt):
        pass


def main(argv: list[str] | None = None) -> int:
    """Fill the dropped paths (a child ``python -m perfxl fill``), say where the results are, wait for Enter."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["--launcher"]:
        try:
            print(f"已写出启动器：{write_launcher(Path(args[1]) if len(args) > 1 else None)}")
            print("把自评表或文件夹拖到它上面即可处理。")
            return 0
        except FileExistsError as exists:
            print(f"错误：{exists.args[0]} 已存在且内容不同，未覆盖。请先改名或删除它。", file=sys.stderr)
            return 2
    if not args:
        print(USAGE)
        _wait()
        return 2
    print(f"perfxl 正在处理 {len(args)} 项：{'、'.join(Path(arg).name or arg for arg in args)}\n")
    code = subprocess.call([sys.executable, "-m", "perfxl", "fill", *args])
    closing = {0: "处理完毕，未发现错误。", 1: "处理完毕：有自评表存在错误，请查看上面的说明和自评结果工作簿中标色的单元格。",
               2: "有文件无法处理，原因见上面的说明。"}
    print(f"\n{closing.get(code, '已停止。')}结果写在原文件旁（文件名后加“_自评结果”“_自评报告”）。")
    _wait()
    return code


if __name__ == "__main__":
    sys.exit(main())
