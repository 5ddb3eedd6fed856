"""Opening spreadsheet files safely and turning their sheets into plain grids.

Everything that touches the file format lives here: sniffing what a file really is, refusing
zip bombs and encrypted or foreign files with a Chinese message, loading .xlsx/.xlsm with
openpyxl and .xls with xlrd, and capturing openpyxl's warnings instead of printing them. The
reader works on :class:`SheetGrid` only, so it does not care where a grid came from.
"""

from __future__ import annotations

import os
import re
import warnings
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from .model import PERFXL_AUTHOR, FormError, column_index, original_from_comment
from .systext import read_error_text

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm", ".xls")


@dataclass(frozen=True)
class Limits:
    """Sanity bounds checked before a workbook is loaded (override with PERFXL_MAX_* variables)."""

    max_file_bytes: int = 50 * 1024 * 1024
    max_uncompressed_bytes: int = 200 * 1024 * 1024  # all parts together: bounds the work whatever the ratio
    max_entries: int = 5_000
    max_ratio: float = 200.0  # of one part over 10 MB (a binary part), or over max_text_part_bytes (XML)
    max_cells: int = 2_000_000  # cells a sheet really holds (its <dimension> is only trusted when small)
    max_text_part_bytes: int = 64 * 1024 * 1024  # XML parts (long repetitive text compresses very well)

    @classmethod
    def from_env(cls) -> Limits:
        def get(name: str, default):
            value = os.environ.get(f"PERFXL_{name.upper()}")
            try:
                return type(default)(value) if value else default
            except ValueError:
                return default

        defaults = cls()
        return cls(**{name: get(name, getattr(defaults, name)) for name in cls.__dataclass_fields__})


@dataclass
class SheetGrid:
    """The values of one sheet, 1-based, merged ranges resolved to their top-left cell."""

    name: str
    values: dict[tuple[int, int], object] = field(default_factory=dict)
    formats: dict[tuple[int, int], str] = field(default_factory=dict)
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)  # min_row, min_col, max_row, max_col
    hidden: bool = False
    _anchor: dict[tuple[int, int], tuple[int, int]] = field(default_factory=dict, repr=False)
    _extent_cache: tuple[int, int, int] | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.index_merged()

    def index_merged(self) -> None:
        self._anchor = {}
        for min_row, min_col, max_row, max_col in self.merged:
            if (max_row - min_row + 1) * (max_col - min_col + 1) > 100_000:
                continue
            for r in range(min_row, max_row + 1):
                for c in range(min_col, max_col + 1):
                    self._anchor[(r, c)] = (min_row, min_col)

    @property
    def max_row(self) -> int:
        return self._extent()[0]

    @property
    def max_col(self) -> int:
        return self._extent()[1]

    def _extent(self) -> tuple[int, int]:
        # The reader asks for these in every row it reads; cells are only ever replaced, never added, once built.
        if self._extent_cache is None or self._extent_cache[2] != len(self.values):
            rows = max((r for r, _ in self.values), default=0)
            cols = max((c for _, c in self.values), default=0)
            self._extent_cache = (rows, cols, len(self.values))
        return self._extent_cache[0], self._extent_cache[1]

    def anchor(self, row: int, col: int) -> tuple[int, int]:
        return self._anchor.get((row, col), (row, col))

    def value(self, row: int, col: int) -> object:
        """The value shown at (row, col): the anchor's value inside a merged range."""
        return self.values.get(self.anchor(row, col))

    def number_format(self, row: int, col: int) -> str | None:
        return self.formats.get(self.anchor(row, col))

    def span(self, row: int, col: int) -> tuple[int, int]:
        """(last row, last column) of the merged range holding (row, col), or the cell itself."""
        anchor = self.anchor(row, col)
        for min_row, min_col, max_row, max_col in self.merged:
            if (min_row, min_col) == anchor:
                return max_row, max_col
        return row, col

    def span_end(self, row: int, col: int) -> int:
        """Last column of the merged range holding (row, col), or col itself."""
        return self.span(row, col)[1]

    def span_bottom(self, row: int, col: int) -> int:
        """Last row of the merged range holding (row, col), or row itself."""
        return self.span(row, col)[0]


@dataclass
class Book:
    """An opened workbook: its grids, and the openpyxl workbook when styles were loaded."""

    path: Path
    kind: str  # xlsx | xlsm | xls
    sheets: list[SheetGrid]
    workbook: object | None = None  # openpyxl Workbook (formulas kept), for the writer
    load_warnings: list[str] = field(default_factory=list)
    engine: str = "openpyxl"  # which library read the values: openpyxl | calamine | xlrd
    converted: object = None  # .xls only: an .xlsx LibreOffice made of it, or a batch.PendingConversion
    stamp: tuple | None = None  # the file as it was read (see file_stamp); writers check it is unchanged

    def ensure_unchanged(self) -> None:
        """FormError ``file-changed`` if the file was deleted or rewritten since it was read."""
        if self.stamp is not None and file_stamp(self.path) != self.stamp:
            raise changed_error(self.path)

    @property
    def changed(self) -> bool:
        return self.stamp is not None and file_stamp(self.path) != self.stamp


def file_stamp(path: Path) -> tuple | None:
    """What tells whether a file was replaced or rewritten: (inode, size, modification time); None if gone."""
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns)


def changed_error(path: Path) -> FormError:
    """The file changed under perfxl's feet (still being copied or saved, or deleted)."""
    gone = not Path(path).exists()
    what = "被删除" if gone else "被改动"
    return FormError("file-changed", f"读取 {Path(path).name} 时文件{what}（读取时文件被删除或改动），请在文件不再变化（复制或保存完成）后重试。", path)


def sniff(path: Path) -> str:
    """What the file really is: 'xlsx', 'xlsm' or 'xls'; a FormError for anything else."""
    name = path.name
    if not path.exists():
        raise FormError("file-not-found", f"找不到文件：{name}。请检查路径是否正确。", path)
    if path.is_dir():
        raise FormError("not-a-file", f"{name} 是文件夹，不是自评表文件。", path)
    suffix = path.suffix.lower()
    if suffix == ".et":
        raise FormError("unsupported-format", f"{name} 是 WPS 表格专用格式（.et），无法读取。请在 WPS 中“另存为” Excel 工作簿（.xlsx）后再处理。", path)
    if suffix in (".ods", ".fods"):
        raise FormError("unsupported-format", f"{name} 是 OpenDocument 表格（.ods），无法读取。请在 WPS/Excel/LibreOffice 中“另存为” Excel 工作簿（.xlsx）后再处理。", path)
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            head = handle.read(8)
    except PermissionError:
        raise FormError("unreadable", f"无法打开 {name}：没有读取权限，或文件正被其他程序独占。请关闭 Excel/WPS 后重试。", path) from None
    except OSError as exc:
        raise FormError("unreadable", f"无法读取 {name}：{read_error_text(exc)}。请确认文件完整后重试。", path) from None
    if size == 0:
        raise FormError("empty-file", f"{name} 是空文件（0 字节），可能复制未完成。请重新保存或复制该文件。", path)
    if head.startswith(ZIP_MAGIC):
        return "xlsm" if suffix == ".xlsm" else "xlsx"
    if head.startswith(OLE_MAGIC):
        if _is_encrypted_ooxml(path):
            raise FormError("encrypted", f"{name} 设置了打开密码，perfxl 无法读取。请在 Excel/WPS 中取消密码（文件 → 信息 → 保护工作簿）后另存再处理。", path)
        return "xls"
    raise FormError("not-a-spreadsheet", f"{name} 不是 Excel 工作簿（文件内容不是 .xlsx/.xls 格式）。请用 Excel/WPS 打开确认，并另存为 .xlsx。", path)


def _is_encrypted_ooxml(path: Path) -> bool:
    marker = "EncryptedPackage".encode("utf-16-le")
    with path.open("rb") as handle:
        return marker in handle.read(1024 * 1024)


_DIMENSION = re.compile(rb'<(?:\w+:)?dimension[^>]*ref="([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?"')
_CELL_TAG = re.compile(rb"<(?:\w{1,10}:)?c[\s>/]")
_STRICT_NAMESPACE = b"http://purl.oclc.org/ooxml/spreadsheetml/main"
_TEXT_PARTS = (".xml", ".rels", ".vml")
#: A non-XML part (picture, embedded object) larger than this is checked for its compression ratio.
_BINARY_BOMB_FLOOR = 10 * 1024 * 1024
#: A sheet part larger than this has its cells counted even when its <dimension> looks small.
_COUNT_CELLS_OVER = 16 * 1024 * 1024


def check_zip(path: Path, limits: Limits) -> None:
    """Refuse corrupt zips, zip bombs and absurdly large sheets before openpyxl sees them."""
    name = path.name
    if path.stat().st_size > limits.max_file_bytes:
        raise FormError("too-large", f"{name} 超过 {limits.max_file_bytes // (1024 * 1024)} MB，不像一份自评表。若确需处理，请设置环境变量 PERFXL_MAX_FILE_BYTES。", path)
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            if len(infos) > limits.max_entries:
                raise FormError("too-large", f"{name} 内部文件数过多（{len(infos)} 个），已拒绝处理以防资源耗尽。", path)
            total = sum(info.file_size for info in infos)
            bomb = next((info for info in infos if _looks_like_bomb(info, limits)), None)
            if total > limits.max_uncompressed_bytes or bomb is not None:
                raise FormError("too-large", f"{name} 解压后体积异常（约 {total // (1024 * 1024)} MB），疑似压缩炸弹，已拒绝处理。", path)
            names = {info.filename for info in infos}
            if "xl/workbook.xml" not in names:
                if "word/document.xml" in names:
                    raise FormError("not-a-spreadsheet", f"{name} 实际是 Word 文档（.docx），不是 Excel 工作簿。请选择自评表的 Excel 文件。", path)
                raise FormError("not-a-spreadsheet", f"{name} 不是 Excel 工作簿（压缩包中没有工作簿内容）。请用 Excel/WPS 另存为 .xlsx。", path)
            with archive.open("xl/workbook.xml") as handle:
                if _STRICT_NAMESPACE in handle.read(8192):
                    raise FormError("unsupported-format", f"{name} 是“Strict Open XML 电子表格”格式（严格 OOXML），perfxl 无法读取。请在 Excel 中打开，"
                                    f"“另存为”时保存类型选“Excel 工作簿(*.xlsx)”（不要选“Strict Open XML 电子表格”），或在 WPS 中另存为 .xlsx，再处理。", path)
            for info in infos:
                if info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml"):
                    _check_sheet_size(archive, info, limits, path)
    except zipfile.BadZipFile:
        raise FormError("corrupt", f"{name} 已损坏（压缩结构不完整），无法打开。请从原始来源重新获取或在 Excel/WPS 中修复后另存。", path) from None
    except FormError:
        raise
    except (OSError, EOFError, RuntimeError, NotImplementedError, ValueError, zlib.error) as exc:  # broken entries
        raise FormError("corrupt", f"{name} 已损坏，无法打开（{exc.__class__.__name__}）。请在 Excel/WPS 中修复后另存。", path) from None


def _looks_like_bomb(info: zipfile.ZipInfo, limits: Limits) -> bool:
    """A part that expands far more than real content does.

    XML compresses very well when its text repeats (a long 说明 copied down a column): it is held
    to the ratio only beyond ``max_text_part_bytes``; its real work is bounded by the total size
    and, for sheets, by the cells counted in :func:`_check_sheet_size`. Pictures and other binary
    parts barely compress, so a big one that does is a bomb.
    """
    ratio = info.file_size / max(info.compress_size, 1)
    if ratio <= limits.max_ratio:
        return False
    textual = info.filename.lower().endswith(_TEXT_PARTS)
    return info.file_size > (limits.max_text_part_bytes if textual else _BINARY_BOMB_FLOOR)


def _check_sheet_size(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limits: Limits, path: Path) -> None:
    """Refuse a sheet with more real cells than ``max_cells``.

    The declared ``<dimension>`` is trusted only when it is small: WPS and other writers declare
    ``A1:I1048576`` on a sheet of 25 rows. Otherwise (or for a big part) the cells are counted.
    """
    with archive.open(info) as handle:
        head = handle.read(4096)
    found = _DIMENSION.search(head)
    declared = 0
    if found and found.group(3):
        rows = int(found.group(4)) - int(found.group(2)) + 1
        cols = column_index(found.group(3).decode()) - column_index(found.group(1).decode()) + 1
        declared = rows * cols
    if declared <= limits.max_cells and info.file_size <= _COUNT_CELLS_OVER:
        return
    cells = _count_cells(archive, info, limits.max_cells)
    if cells > limits.max_cells:
        raise FormError("too-large", f"{path.name} 的工作表范围过大（超过 {limits.max_cells:,} 个单元格），不像一份自评表，已拒绝处理。"
                        f"若确需处理，请设置环境变量 PERFXL_MAX_CELLS。", path)


def _count_cells(archive: zipfile.ZipFile, info: zipfile.ZipInfo, stop_after: int) -> int:
    """The number of <c> elements in a sheet part, streamed (stops once past ``stop_after``)."""
    count = 0
    carry = b""
    with archive.open(info) as handle:
        while True:
            chunk = handle.read(1024 * 1024)
            if not chunk:
                break
            buffer = carry + chunk
            cut = buffer.rfind(b"<", max(0, len(buffer) - 16))  # a tag cut in two waits for the next chunk
            if cut < 0:
                cut = len(buffer)
            count += len(_CELL_TAG.findall(buffer, 0, cut))
            carry = buffer[cut:]
            if count > stop_after:
                return count
    return count + len(_CELL_TAG.findall(carry))


def open_book(path: Path | str, *, styles: bool = True, limits: Limits | None = None, engine: str = "auto") -> Book:
    """Open a workbook for reading (and, with ``styles``, for writing back).

    Without ``styles`` the values are read with python-calamine (about 50 times faster than
    openpyxl), falling back to openpyxl where calamine would see less: formulas without cached
    results and perfxl's own outputs. ``engine="openpyxl"`` forces the full path.
    """
    path = Path(path)
    kind = sniff(path)
    stamp = file_stamp(path)
    limits = limits or Limits.from_env()
    try:
        book = _open(path, kind, styles, limits, engine)
    except FormError as error:
        if error.code != "file-changed" and file_stamp(path) != stamp:  # a read of a file in motion
            raise changed_error(path) from None
        raise
    except OSError as exc:
        if file_stamp(path) != stamp:
            raise changed_error(path) from None
        raise FormError("unreadable", f"无法读取 {path.name}：{read_error_text(exc)}。请确认文件完整后重试。", path) from None
    if stamp is None or file_stamp(path) != stamp:
        raise changed_error(path)
    book.stamp = stamp
    return book


def _open(path: Path, kind: str, styles: bool, limits: Limits, engine: str) -> Book:
    if kind == "xls":
        return _open_xls(path, limits)
    check_zip(path, limits)
    if not styles and engine != "openpyxl":
        fast = _open_xlsx_values(path, kind)
        if fast is not None:
            return fast
    return _open_xlsx(path, kind, styles)


#: The SpreadsheetML main namespace in ElementTree's ``{uri}`` form, to prefix tag names with.
NS_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_NS_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_CELL_STYLE = re.compile(rb'<c r="([A-Z]{1,3})(\d{1,7})"[^>]*?\ss="(\d+)"')
_CELL_WITH_FORMULA = re.compile(rb"<c\b[^>]*>((?:(?!</c>).)*?<f[\s>/](?:(?!</c>).)*)</c>", re.S)
_CACHED_VALUE = re.compile(rb"<v(?:\s[^>]*)?>[^<]")  # openpyxl writes an empty <v></v>
_BUILTIN_PERCENT = {9: "0%", 10: "0.00%"}


def _open_xlsx_values(path: Path, kind: str) -> Book | None:
    """Values, merges and percent formats via calamine + a light scan of the XML; None to fall back."""
    from defusedxml import ElementTree
    from python_calamine import CalamineWorkbook

    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            for name in names:
                if name.startswith("xl/comments") and "原填写".encode() in archive.read(name):
                    return None  # a perfxl output: the originals live in comments
            parts = sheet_parts(archive, lambda name: ElementTree.fromstring(archive.read(name)))
            percent_styles = _percent_styles(archive, ElementTree) if "xl/styles.xml" in names else {}
            sheet_xml = {name: archive.read(part) for name, part in parts.items() if part in names}
        for xml in sheet_xml.values():
            if b"<f" in xml and any(not _CACHED_VALUE.search(cell) for cell in _CELL_WITH_FORMULA.findall(xml)):
                return None  # formulas without cached results: openpyxl + our evaluator
        workbook = CalamineWorkbook.from_path(str(path))
        grids = []
        try:
            for meta in workbook.sheets_metadata:
                if "WorkSheet" not in str(meta.typ):
                    continue
                sheet = workbook.get_sheet_by_name(meta.name)
                values = {}
                for r, row in enumerate(sheet.to_python(skip_empty_area=False), start=1):
                    for c, value in enumerate(row, start=1):
                        if value != "" and value is not None:
                            values[(r, c)] = int(value) if isinstance(value, float) and value.is_integer() and abs(value) < 1e15 else value
                merged = [(r0 + 1, c0 + 1, r1 + 1, c1 + 1) for (r0, c0), (r1, c1) in (sheet.merged_cell_ranges or [])]
                formats = {}
                xml = sheet_xml.get(meta.name, b"")
                if percent_styles and xml:
                    for letters, row_text, style in _CELL_STYLE.findall(xml):
                        code = percent_styles.get(int(style))
                        if code:
                            formats[(int(row_text), column_index(letters.decode()))] = code
                grids.append(SheetGrid(meta.name, values, formats, merged, hidden="Visible" not in str(meta.visible)))
        finally:
            workbook.close()
        return Book(path, kind, grids, None, [], engine="calamine")
    except FormError:
        raise
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException:  # anything calamine (incl. its Rust panics) or the scan dislikes: openpyxl decides
        return None


def sheet_parts(archive: zipfile.ZipFile, parse) -> dict[str, str]:
    """Sheet name → its worksheet part inside the zip, from xl/workbook.xml and its relationships
    (targets resolved as paths, ``..`` and absolute ones included; a missing part is left out).

    ``parse``: part name → its XML root, or None where it cannot be read.
    """
    workbook, rels = parse("xl/workbook.xml"), parse("xl/_rels/workbook.xml.rels")
    if workbook is None or rels is None:
        return {}
    targets = {rel.get("Id"): rel.get("Target") for rel in rels}
    names = set(archive.namelist())
    parts = {}
    for sheet in workbook.iter(f"{NS_MAIN}sheet"):
        target = targets.get(sheet.get(f"{_NS_REL}id"))
        if target and (part := resolve("xl/workbook.xml", target)) in names:
            parts[sheet.get("name")] = part
    return parts


def resolve(source: str, target: str) -> str:
    """A relationship target, relative to part ``source``, as a path inside the zip."""
    if target.startswith("/"):
        return target.lstrip("/")
    parts: list[str] = []
    for piece in (str(PurePosixPath(source).parent) + "/" + target).split("/"):
        if piece == "..":
            if parts:
                parts.pop()
        elif piece and piece != ".":
            parts.append(piece)
    return "/".join(parts)


def _percent_styles(archive: zipfile.ZipFile, ElementTree) -> dict[int, str]:
    """Style index → number format, for the styles that show a percent."""
    styles = ElementTree.fromstring(archive.read("xl/styles.xml"))
    codes = dict(_BUILTIN_PERCENT)
    for fmt in styles.iter(f"{NS_MAIN}numFmt"):
        code = fmt.get("formatCode", "")
        if "%" in re.sub(r'"[^"]*"', "", code):
            codes[int(fmt.get("numFmtId"))] = code
    xfs = styles.find(f"{NS_MAIN}cellXfs")
    found = {}
    for index, xf in enumerate(xfs if xfs is not None else []):
        code = codes.get(int(xf.get("numFmtId", "0")))
        if code:
            found[index] = code
    return found


def _open_xlsx(path: Path, kind: str, styles: bool) -> Book:
    import openpyxl

    name = path.name
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            wb = openpyxl.load_workbook(path, data_only=False, keep_vba=(kind == "xlsm"), keep_links=True, rich_text=False)
        except FormError:
            raise
        except Exception as exc:  # openpyxl raises many types on malformed XML
            if _is_unsafe_xml(exc):
                raise FormError("unsafe-xml", f"{name} 含有可疑的 XML 实体声明，已出于安全原因拒绝处理。", path) from None
            raise FormError("corrupt", f"{name} 内容损坏或不是标准的 Excel 工作簿，无法读取（{exc.__class__.__name__}）。请在 Excel/WPS 中打开后另存为 .xlsx 再试。", path) from None
    load_warnings = [str(w.message) for w in caught]
    grids = [grid_from_openpyxl(ws) for ws in wb.worksheets]
    if any(_has_formula(grid) for grid in grids):
        _fill_formula_values(path, grids)
    return Book(path, kind, grids, wb if styles else None, load_warnings)


def _is_unsafe_xml(exc: BaseException) -> bool:
    """defusedxml refused an entity/DTD somewhere in the chain (openpyxl wraps it in a ValueError)."""
    from defusedxml import DefusedXmlException

    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, DefusedXmlException):
            return True
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False


def grid_from_openpyxl(ws) -> SheetGrid:
    """The values and number formats of an openpyxl worksheet as a :class:`SheetGrid`.

    A cell perfxl rewrote (its comment records the original) gives the value the form stated.
    """
    values: dict[tuple[int, int], object] = {}
    formats: dict[tuple[int, int], str] = {}
    for (row, col), cell in ws._cells.items():  # only cells that exist; avoids WPS's bogus <dimension>
        value = cell.value
        comment = cell.comment
        if comment is not None and comment.author == PERFXL_AUTHOR:
            # A perfxl output: read the value the form originally stated, so that checking an
            # output gives the same findings as checking the original.
            original = original_from_comment(comment.text, value, cell.number_format)
            if original is not None:
                value = typed_value(original)
        if value is cell.value and cell.data_type == "s" and isinstance(value, str) and value.startswith("="):
            value = Text(value)  # text, not a formula
        if value is None:
            continue
        if not isinstance(value, (str, int, float, bool)) and value.__class__.__name__ in ("ArrayFormula", "DataTableFormula"):
            value = "=" + str(getattr(value, "text", "") or "").lstrip("=")
        values[(row, col)] = value
        fmt = cell.number_format
        if fmt and fmt != "General":
            formats[(row, col)] = fmt
    merged = [(r.min_row, r.min_col, r.max_row, r.max_col) for r in ws.merged_cells.ranges]
    return SheetGrid(ws.title, values, formats, merged, hidden=ws.sheet_state != "visible")


class Text(str):
    """Text of a cell that looks like a formula (``=HYPERLINK(…)`` typed as text): never evaluated."""


def typed_value(text: str) -> object:
    """A number where the text is a plain number (as openpyxl would have loaded it), else the text.

    ``'…`` (how a perfxl record marks text that must stay text) is that text, as :class:`Text`.
    """
    if not text:
        return None
    if text.startswith("'"):
        return Text(text[1:])
    try:
        number = float(text)
    except ValueError:
        return text
    return int(number) if number.is_integer() and "." not in text else number


def _is_formula(value) -> bool:
    return isinstance(value, str) and not isinstance(value, Text) and value.startswith("=")


def _has_formula(grid: SheetGrid) -> bool:
    return any(_is_formula(v) for v in grid.values.values())


def _fill_formula_values(path: Path, grids: list[SheetGrid]) -> None:
    """Replace formulas in the grids by their values: Excel's cache where present, else our own evaluation."""
    import openpyxl

    from .formulas import evaluate

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            cached_wb = openpyxl.load_workbook(path, data_only=True, read_only=True)
    except Exception:  # the first load succeeded; without caches we evaluate ourselves
        cached_wb = None
    try:
        for grid in grids:
            formula_cells = [key for key, v in grid.values.items() if _is_formula(v)]
            if not formula_cells:
                continue
            cached = _cached_values(cached_wb, grid.name, formula_cells)
            formulas = {key: grid.values[key] for key in formula_cells}
            for key in formula_cells:
                if key in cached:
                    grid.values[key] = cached[key]
                else:
                    result = evaluate(formulas[key], lambda r, c: formulas.get((r, c), grid.values.get((r, c))))
                    grid.values[key] = result if result is not None else formulas[key]
    finally:
        if cached_wb is not None:
            cached_wb.close()


def _cached_values(cached_wb, sheet: str, formula_cells: list[tuple[int, int]]) -> dict[tuple[int, int], object]:
    """Excel's cached results of the given cells ({} when there are none or they cannot be read)."""
    cached: dict[tuple[int, int], object] = {}
    if cached_wb is None or sheet not in cached_wb.sheetnames:
        return cached
    wanted = set(formula_cells)
    try:
        for row in cached_wb[sheet].iter_rows(max_row=max(r for r, _ in formula_cells)):
            for cell in row:
                if hasattr(cell, "row") and (cell.row, cell.column) in wanted and cell.value is not None:
                    cached[(cell.row, cell.column)] = cell.value
    except Exception:  # lazily parsed XML may fail late; fall back to our own evaluation
        return {}
    return cached


def _open_xls(path: Path, limits: Limits) -> Book:
    import xlrd

    name = path.name
    if path.stat().st_size > limits.max_file_bytes:
        raise FormError("too-large", f"{name} 超过 {limits.max_file_bytes // (1024 * 1024)} MB，不像一份自评表，已拒绝处理。", path)
    try:
        book = xlrd.open_workbook(str(path), formatting_info=True, on_demand=True)
    except xlrd.biffh.XLRDError as exc:
        text = str(exc)
        if "encrypt" in text.lower():
            raise FormError("encrypted", f"{name} 设置了打开密码，perfxl 无法读取。请在 Excel/WPS 中取消密码后另存再处理。", path) from None
        raise FormError("corrupt", f"{name} 不是可读取的 .xls 工作簿（{text}）。请在 Excel/WPS 中另存为 .xlsx 再试。", path) from None
    except Exception as exc:
        raise FormError("corrupt", f"{name} 已损坏，无法读取（{exc.__class__.__name__}）。请在 Excel/WPS 中另存为 .xlsx 再试。", path) from None
    grids = []
    try:
        for index in range(book.nsheets):
            sheet = book.sheet_by_index(index)
            if sheet.nrows * max(sheet.ncols, 1) > limits.max_cells:
                raise FormError("too-large", f"{name} 的工作表范围过大，不像一份自评表，已拒绝处理。", path)
            grids.append(_grid_from_xlrd(book, sheet))
    finally:
        book.release_resources()
    return Book(path, "xls", grids, None, [], engine="xlrd")


def _grid_from_xlrd(book, sheet) -> SheetGrid:
    import xlrd

    values: dict[tuple[int, int], object] = {}
    formats: dict[tuple[int, int], str] = {}
    for r in range(sheet.nrows):
        for c in range(sheet.ncols):
            cell = sheet.cell(r, c)
            if cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
                continue
            value = cell.value
            if cell.ctype == xlrd.XL_CELL_DATE:
                try:
                    value = xlrd.xldate.xldate_as_datetime(value, book.datemode)
                except (ValueError, OverflowError):
                    pass
            elif cell.ctype == xlrd.XL_CELL_BOOLEAN:
                value = bool(value)
            elif cell.ctype == xlrd.XL_CELL_ERROR:
                value = None
            if value is None:
                continue
            values[(r + 1, c + 1)] = value
            try:
                fmt = book.format_map[book.xf_list[cell.xf_index].format_key].format_str
            except (IndexError, KeyError, AttributeError):
                fmt = None
            if fmt and fmt != "General":
                formats[(r + 1, c + 1)] = fmt
    merged = [(rlo + 1, clo + 1, rhi, chi) for rlo, rhi, clo, chi in sheet.merged_cells]
    return SheetGrid(sheet.name, values, formats, merged, hidden=getattr(sheet, "visibility", 0) != 0)
