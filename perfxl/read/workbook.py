"""Opening spreadsheet files safely and turning their sheets into plain grids.

Everything that decides whether and how a file is read lives here: sniffing what a file really
is, refusing zip bombs, unsafe or damaged packages and encrypted or foreign files with a Chinese
message (the integrity guard), reading .xlsx/.xlsm values with python-calamine (or openpyxl) and
.xls with xlrd, and capturing openpyxl's warnings instead of printing them. An .xlsx package is
opened once (:class:`perfxl.xlsx.package.Package`): the guard, the values' XML and the records
share its parts, each decompressed and parsed once. The reader works on :class:`SheetGrid` only,
so it does not care where a grid came from.
"""

from __future__ import annotations

import io
import math
import os
import re
import warnings
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from perfxl.model import FormError
from perfxl.systext import read_error_text
from perfxl.xlsx.cells import a1, column_index
from perfxl.xlsx.package import WORKBOOK_PART, Package, rels_part, resolve, sheet_parts
from perfxl.xlsx.sharedstrings import item_text
from perfxl.xlsx.xml import MAIN, xml_parser

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
    records: dict = field(default_factory=dict)  # sheet → cell → a 原填写 Record of a comment (see read_records)
    honoured: dict = field(default_factory=dict)  # sheet → cell → the Records the check honoured (perfxl.checks.trust)
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


_CELL_TAG = re.compile(rb"<(?:\w{1,10}:)?c[\s>/]")
_CELL_REF = re.compile(rb'<(?:\w{1,10}:)?c\s[^>]*?\br="([A-Za-z]{1,4})(\d{1,8})"')
_ROW_REF = re.compile(rb'<(?:\w{1,10}:)?row\s[^>]*?\br="(\d{1,8})"')
#: Ranges a library may expand cell by cell: merged cells (openpyxl makes a MergedCell of each),
#: hyperlinks (openpyxl gives each cell of the range its own), shared and array formulas.
_RANGE_REFS = re.compile(rb'<(?:\w{1,10}:)?(?:mergeCell|f|hyperlink)\s[^>]*?\bref="([A-Za-z]{1,4})(\d{1,8})(?::([A-Za-z]{1,4})(\d{1,8}))?"')
_STRICT_NAMESPACE = b"http://purl.oclc.org/ooxml/spreadsheetml/main"
_TEXT_PARTS = (".xml", ".rels", ".vml")
#: A non-XML part (picture, embedded object) larger than this is checked for its compression ratio.
_BINARY_BOMB_FLOOR = 10 * 1024 * 1024
#: The largest sheet Excel knows: beyond it a reference is damage, not content.
MAX_ROW, MAX_COL = 1_048_576, 16_384
#: A DTD in any encoding an XML part may use (the parsers decode UTF-16 too).
_DTD_MARKS = tuple(mark.encode(codec) for mark in ("<!DOCTYPE", "<!ENTITY", "<!doctype", "<!entity")
                   for codec in ("utf-8", "utf-16-le", "utf-16-be"))
#: What every mark begins with, in each encoding: three scans rule out most parts (no ``<!`` at all).
_DTD_OPENINGS = tuple("<!".encode(codec) for codec in ("utf-8", "utf-16-le", "utf-16-be"))
_REL_TYPE_SHEET = "/worksheet"


def check_zip(path: Path, limits: Limits) -> None:
    """Refuse, before any library reads the file, what could make two readings of it differ or
    exhaust the machine (see :func:`open_checked`, which this runs and closes)."""
    open_checked(path, limits).close()


def open_checked(path: Path, limits: Limits, on_sheet=None) -> Package:
    """The package of ``path``, opened once and checked; the caller reads from it and closes it.

    Refused, before any library reads the file, is what could make two readings of it differ or
    exhaust the machine: corrupt zips, zip bombs, duplicate or path-like entry names, a DTD in any
    part, damaged XML in a part perfxl or its engines read, and sheets whose cells, merged ranges
    or formula ranges span more than ``limits.max_cells``. ``on_sheet(package, part, root)`` is called
    with each worksheet the guard parses (so the values' reading need not parse it again).
    """
    name = path.name
    if path.stat().st_size > limits.max_file_bytes:
        raise FormError("too-large", f"{name} 超过 {limits.max_file_bytes // (1024 * 1024)} MB，不像一份自评表。若确需处理，请设置环境变量 PERFXL_MAX_FILE_BYTES。", path)
    try:
        package = Package(path)
        try:
            _check_package(package, limits, path, on_sheet)
        except BaseException:
            package.close()
            raise
    except zipfile.BadZipFile:
        raise FormError("corrupt", f"{name} 已损坏（压缩结构不完整），无法打开。请从原始来源重新获取或在 Excel/WPS 中修复后另存。", path) from None
    except FormError:
        raise
    except MemoryError:
        raise too_large_in_memory(path) from None
    except (OSError, EOFError, RuntimeError, NotImplementedError, ValueError, zlib.error) as exc:  # broken entries
        raise FormError("corrupt", f"{name} 已损坏，无法打开（{exc.__class__.__name__}）。请在 Excel/WPS 中修复后另存。", path) from None
    return package


def _check_package(package: Package, limits: Limits, path: Path, on_sheet) -> None:
    name = path.name
    infos = package.infos
    if len(infos) > limits.max_entries:
        raise FormError("too-large", f"{name} 内部文件数过多（{len(infos)} 个），已拒绝处理以防资源耗尽。", path)
    _check_entry_names(infos, path)
    total = sum(info.file_size for info in infos)
    bomb = next((info for info in infos if _looks_like_bomb(info, limits)), None)
    if total > limits.max_uncompressed_bytes or bomb is not None:
        raise FormError("too-large", f"{name} 解压后体积异常（约 {total // (1024 * 1024)} MB），疑似压缩炸弹，已拒绝处理。", path)
    names = set(package.names)
    if WORKBOOK_PART not in names:
        if "word/document.xml" in names:
            raise FormError("not-a-spreadsheet", f"{name} 实际是 Word 文档（.docx），不是 Excel 工作簿。请选择自评表的 Excel 文件。", path)
        raise FormError("not-a-spreadsheet", f"{name} 不是 Excel 工作簿（压缩包中没有工作簿内容）。请用 Excel/WPS 另存为 .xlsx。", path)
    if _STRICT_NAMESPACE in package.stored(WORKBOOK_PART)[:8192]:
        raise FormError("unsupported-format", f"{name} 是“Strict Open XML 电子表格”格式（严格 OOXML），perfxl 无法读取。请在 Excel 中打开，"
                        f"“另存为”时保存类型选“Excel 工作簿(*.xlsx)”（不要选“Strict Open XML 电子表格”），或在 WPS 中另存为 .xlsx，再处理。", path)
    for info in infos:
        _refuse_dtd(package, info, path)
    sheets = _check_structure(package, names, path, on_sheet)
    for info in infos:
        if info.filename in sheets or (info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml")):
            _check_sheet_size(package, info, limits, path)


def too_large_in_memory(path: Path) -> FormError:
    """A file that ran the machine out of memory although it passed the limits."""
    return FormError("too-large", f"{Path(path).name} 读取时内存不足，不像一份自评表，已拒绝处理。请确认文件内容，或在 Excel/WPS 中删去多余的行列后另存。", path)


def _check_entry_names(infos: list[zipfile.ZipInfo], path: Path) -> None:
    """Two entries of one name (ZipFile.read gives the last, copying gives both), or names that
    leave the package (``/x``, ``../x``, ``C:x``, ``x\\y``): whatever reads and whatever copies
    could see different files. OPC part names are case-insensitive, so are the duplicates."""
    seen: dict[str, str] = {}
    for info in infos:
        entry = info.filename
        pieces = entry.replace("\\", "/").split("/")
        if entry.startswith(("/", "\\")) or "\\" in entry or ".." in pieces or "." in pieces or re.match(r"[A-Za-z]:", entry) or "\0" in entry:
            raise FormError("unsafe-package", f"{path.name} 的压缩包中有路径形式的部件名（{_shown(entry)}），不是 Excel/WPS 保存的工作簿，已出于安全原因拒绝处理。"
                            f"请在 Excel/WPS 中打开后另存为 .xlsx 再提交。", path)
        key = entry.lower()
        if key in seen:
            raise FormError("unsafe-package", f"{path.name} 的压缩包中同一个部件出现了两次（{_shown(entry)}），不同的程序会读到不同的内容，已出于安全原因拒绝处理。"
                            f"请在 Excel/WPS 中打开后另存为 .xlsx 再提交。", path)
        seen[key] = entry


def _shown(entry: str) -> str:
    return "".join(ch if ch.isprintable() else f"\\x{ord(ch):02x}" for ch in entry[:120])


#: Parts read whole (and kept for the reading that follows); any other part is scanned in chunks.
_WHOLE_PARTS = (".xml", ".rels")


def _refuse_dtd(package: Package, info: zipfile.ZipInfo, path: Path) -> None:
    """A DTD (``<!DOCTYPE``, ``<!ENTITY``) in any part, read or not, in UTF-8 or UTF-16: refused.

    No OOXML part has one; the fast engine would not refuse it and a copy would carry it out."""
    if info.is_dir() or info.file_size == 0:
        return
    if info.filename.lower().endswith(_WHOLE_PARTS):
        data = package.stored(info.filename)
        if any(opening in data for opening in _DTD_OPENINGS) and any(mark in data for mark in _DTD_MARKS):
            raise _dtd_error(info, path)
        return
    longest = max(len(mark) for mark in _DTD_MARKS)
    carry = b""
    with package.stream(info) as handle:
        while chunk := handle.read(1 << 20):
            buffer = carry + chunk
            if any(mark in buffer for mark in _DTD_MARKS):
                raise _dtd_error(info, path)
            carry = buffer[-longest:]


def _dtd_error(info: zipfile.ZipInfo, path: Path) -> FormError:
    return FormError("unsafe-xml", f"{path.name} 含有 XML 文档类型（DTD）或实体声明（在 {_shown(info.filename)} 中），"
                     f"Excel/WPS 保存的工作簿不会有，已出于安全原因拒绝处理。", path)


def _check_structure(package: Package, names: set[str], path: Path, on_sheet=None) -> set[str]:
    """Parse (strictly, with the package's parser) every part the reading engines or the writer
    read; return the worksheet parts. A part one of them would refuse is refused here for all of
    them, so check and fill read or refuse a file alike. Worksheets are parsed without being kept
    (they can be large), and handed to ``on_sheet(package, part, root)``."""
    from lxml import etree

    def parse(part: str, keep: bool = True):
        try:
            return package.xml(part) if keep else package.parse(package.stored(part))
        except etree.XMLSyntaxError as exc:
            raise FormError("corrupt", f"{path.name} 的内部部件 {_shown(part)} 不是完好的 XML（{_xml_problem(exc)}），无法读取。"
                            f"请在 Excel/WPS 中打开后另存为 .xlsx 再试。", path) from None

    parsed = {part: parse(part) for part in ("[Content_Types].xml", "_rels/.rels", "docProps/app.xml", "docProps/core.xml", "docProps/custom.xml", "xl/styles.xml", "xl/sharedStrings.xml", "xl/calcChain.xml")
              if part in names}
    strings = parsed.get("xl/sharedStrings.xml")
    if strings is not None:
        _check_phonetics(strings, "xl/sharedStrings.xml", path)
    string_count = sum(1 for item in strings if item.tag == f"{NS_MAIN}si") if strings is not None else 0
    styles = parsed.get("xl/styles.xml")
    xfs = styles.find(f"{NS_MAIN}cellXfs") if styles is not None else None
    style_count = sum(1 for xf in xfs if xf.tag == f"{NS_MAIN}xf") if xfs is not None else 0
    for required in ("[Content_Types].xml", rels_part(WORKBOOK_PART)):
        if required not in names:
            raise FormError("corrupt", f"{path.name} 缺少内部部件 {required}，内部结构有损坏，无法读取。请在 Excel/WPS 中打开后另存为 .xlsx 再试。", path)
    workbook = parse(WORKBOOK_PART)
    if workbook.find(f"{NS_MAIN}sheets") is None or workbook.find(f"{NS_MAIN}sheets/{NS_MAIN}sheet") is None:
        raise FormError("corrupt", f"{path.name} 的工作簿部件中没有工作表列表（<sheets>），内部结构有损坏，无法读取。请在 Excel/WPS 中打开后另存为 .xlsx 再试。", path)
    sheets: set[str] = set()
    rels = parse(rels_part(WORKBOOK_PART))
    for rel in rels:
        target = rel.get("Target")
        if not target or rel.get("TargetMode") == "External":
            continue
        part = resolve(WORKBOOK_PART, target)
        if part not in names or not part.endswith(".xml"):
            continue
        is_sheet = (rel.get("Type") or "").endswith(_REL_TYPE_SHEET)
        root = parse(part, keep=not is_sheet)
        if is_sheet:
            _check_cells(root, part, string_count, max(style_count, 1), path)
            if on_sheet is not None:
                on_sheet(package, part, root)
            sheets.add(part)
            sheet_rels = rels_part(part)
            if sheet_rels in names:
                for sheet_rel in parse(sheet_rels):
                    linked = resolve(part, sheet_rel.get("Target") or "")
                    if (sheet_rel.get("Type") or "").endswith(("/comments", "/threadedComment")) and linked in names and sheet_rel.get("TargetMode") != "External":
                        parse(linked)
    return sheets


_EXCEL_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
_ISO_DATE = re.compile(r"(?:\d{4}-\d{2}-\d{2})?(?:T?\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?(?:Z|[+-]\d{2}:\d{2})?")
_CELL_TYPES = {"n", "s", "str", "inlineStr", "b", "e", "d"}


def _check_cells(root, part: str, string_count: int, style_count: int, path: Path) -> None:
    """Every cell holds what its type says (a number in a number cell, an index into the shared
    strings, 0/1 for a truth value), and its style exists: a cell Excel would call damaged is
    damaged for every reading (calamine and openpyxl guess differently at such cells)."""
    data = root.find(f"{NS_MAIN}sheetData")
    value_tag = f"{NS_MAIN}v"
    for cell in data.iter(f"{NS_MAIN}c") if data is not None else []:
        kind, ref, style = cell.get("t", "n"), cell.get("r"), cell.get("s")
        value = cell.find(value_tag)
        text = value.text if value is not None else None
        problem = None
        if kind not in _CELL_TYPES:
            problem = f"未知的类型 {kind[:20]}"
        elif ref is not None and not _A1_STRICT.fullmatch(ref):
            problem = "单元格地址无效"
        elif style is not None and (not style.isdigit() or _int(style, 0) >= style_count):  # no style: format 0, which always exists
            problem = "单元格格式不存在"
        elif text:
            if kind == "n" and not (_EXCEL_NUMBER.fullmatch(text) and math.isfinite(float(text))):
                problem = "数字单元格中不是数字"
            elif kind == "s" and not (text.isdigit() and int(text) < string_count):
                problem = "共享字符串序号无效"
            elif kind == "b" and text not in ("0", "1"):
                problem = "逻辑值不是 0 或 1"
            elif kind == "d" and not _ISO_DATE.fullmatch(text):
                problem = "日期格式无效"
        if problem is None and kind == "inlineStr":
            _check_phonetics(cell, part, path)
        if problem:
            where = cell.get("r") or "（无地址）"
            raise FormError("corrupt", f"{path.name} 的工作表部件 {_shown(part)} 中单元格 {_shown(where)} 的内容与其类型不符（{problem}），"
                            f"内部结构有损坏，无法读取。请在 Excel/WPS 中打开后另存为 .xlsx 再试。", path)


def _check_phonetics(root, part: str, path: Path) -> None:
    """Phonetic guides (<rPh>) say which characters they cover; without that openpyxl cannot read them."""
    for guide in root.iter(f"{NS_MAIN}rPh"):
        if not (str(guide.get("sb", "")).isdigit() and str(guide.get("eb", "")).isdigit()):
            raise FormError("corrupt", f"{path.name} 的内部部件 {_shown(part)} 中有不完整的注音（rPh），内部结构有损坏，无法读取。"
                            f"请在 Excel/WPS 中打开后另存为 .xlsx 再试。", path)


_A1_STRICT = re.compile(r"\$?[A-Z]{1,3}\$?\d{1,7}")


def _xml_problem(exc) -> str:
    line = getattr(exc, "lineno", None)
    return f"第 {line} 行" if line else "格式错误"


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


def _check_sheet_size(package: Package, info: zipfile.ZipInfo, limits: Limits, path: Path) -> None:
    """Refuse a sheet that would make a library allocate more than ``max_cells`` cells.

    What counts is what the engines expand, measured on the XML before they see it: the cells the
    sheet really holds; the rectangle from A1 to its farthest cell (calamine allocates it whole,
    and aborts the process when it cannot); merged ranges (openpyxl makes a cell of each merged
    cell); shared and array formula ranges. The declared ``<dimension>`` is not used by either
    engine and is not counted: WPS declares ``A1:I1048576`` on a sheet of 25 rows.
    """
    stats = sheet_extent(io.BytesIO(package.stored(info.filename)), limits.max_cells)
    if stats.beyond_excel:
        raise FormError("corrupt", f"{path.name} 的工作表中有超出 Excel 范围（{MAX_ROW:,} 行 × {MAX_COL:,} 列）的单元格引用，内部结构有损坏，无法读取。"
                        f"请在 Excel/WPS 中打开后另存为 .xlsx 再试。", path)
    worst = max(stats.cells, stats.rows * stats.cols, stats.ranges)
    if worst > limits.max_cells:
        raise FormError("too-large", f"{path.name} 的工作表范围过大（超过 {limits.max_cells:,} 个单元格），不像一份自评表，已拒绝处理。"
                        f"若确需处理，请设置环境变量 PERFXL_MAX_CELLS。", path)


@dataclass
class SheetExtent:
    """What a sheet part holds, measured on its XML: cell elements, the farthest row and column
    (of cells and rows), the cells its merged and formula ranges cover."""

    cells: int = 0
    rows: int = 0
    cols: int = 0
    ranges: int = 0
    beyond_excel: bool = False


def sheet_extent(handle, stop_after: int) -> SheetExtent:
    """Measure a sheet part read from the binary file ``handle`` in chunks (stops counting once
    past ``stop_after`` cells)."""
    stats = SheetExtent()
    carry = b""

    def area(first_letters, first_row, last_letters, last_row) -> int:
        top, left = int(first_row), column_index(first_letters.decode())
        bottom, right = (int(last_row), column_index(last_letters.decode())) if last_letters else (top, left)
        if max(top, bottom) > MAX_ROW or max(left, right) > MAX_COL:
            stats.beyond_excel = True
        return (abs(bottom - top) + 1) * (abs(right - left) + 1)

    def scan(buffer: bytes, end: int) -> None:
        stats.cells += len(_CELL_TAG.findall(buffer, 0, end))
        for letters, row in _CELL_REF.findall(buffer, 0, end):
            row_number, col_number = int(row), column_index(letters.decode())
            stats.rows, stats.cols = max(stats.rows, row_number), max(stats.cols, col_number)
            if row_number > MAX_ROW or col_number > MAX_COL:
                stats.beyond_excel = True
        for row in _ROW_REF.findall(buffer, 0, end):
            stats.rows = max(stats.rows, int(row))
            if int(row) > MAX_ROW:
                stats.beyond_excel = True
        for found in _RANGE_REFS.findall(buffer, 0, end):
            stats.ranges += area(*found)

    while True:
        chunk = handle.read(1024 * 1024)
        if not chunk:
            break
        buffer = carry + chunk
        cut = buffer.rfind(b"<", max(0, len(buffer) - 4096))  # a tag cut in two waits for the next chunk
        if cut < 0:
            cut = len(buffer)
        scan(buffer, cut)
        carry = buffer[cut:]
        if stats.cells > stop_after or stats.ranges > stop_after or stats.beyond_excel:
            return stats
    scan(carry, len(carry))
    stats.cols = max(stats.cols, 1) if stats.rows else stats.cols
    return stats


def open_book(path: Path | str, *, styles: bool = True, limits: Limits | None = None, engine: str = "auto") -> Book:
    """Open a workbook for reading (and, with ``styles``, for writing back).

    Without ``styles`` an .xlsx/.xlsm is read one way only, whoever asks (check, fill, report, an
    output read again): values with python-calamine, and from the same XML that the writer parses
    the percent formats, the formulas Excel left no result for (evaluated by perfxl) and the 原填写
    records of perfxl's comments (``Book.records``, which decide nothing by themselves: see
    :mod:`perfxl.checks.trust`). ``engine="openpyxl"`` (or ``styles``) reads with openpyxl instead: the
    differential tests compare the two.
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
    except MemoryError:
        raise too_large_in_memory(path) from None
    except (zipfile.BadZipFile, EOFError, zlib.error, KeyError, NotImplementedError) as exc:  # checked whole a moment ago
        if file_stamp(path) != stamp:
            raise changed_error(path) from None
        raise _unreadable(path, exc) from None
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
    values = not (styles or engine == "openpyxl")
    scans = _SheetScans() if values else None
    package = open_checked(path, limits, on_sheet=scans)
    try:
        book = _open_xlsx_values(package, kind, scans) if values else _open_xlsx(path, kind, styles)
        book.records = read_records(package)
    finally:
        package.close()
    return book


#: The SpreadsheetML main namespace in ElementTree's ``{uri}`` form, to prefix tag names with.
NS_MAIN = f"{{{MAIN}}}"
_BUILTIN_PERCENT = {9: "0%", 10: "0.00%"}
_A1 = re.compile(r"\$?([A-Za-z]{1,3})\$?(\d{1,7})$")


class _SheetScans:
    """The percent formats and uncached formulas of each worksheet (:func:`_scan_root`), taken from
    the tree the guard parsed (``on_sheet`` of :func:`open_checked`)."""

    def __init__(self):
        self.by_part: dict[str, tuple[dict, dict]] = {}
        self._percent: dict[int, str] | None = None

    def percent_styles(self, package: Package) -> dict[int, str]:
        if self._percent is None:
            self._percent = _percent_styles(package.xml("xl/styles.xml")) if package.exists("xl/styles.xml") else {}
        return self._percent

    def __call__(self, package: Package, part: str, root) -> None:
        try:
            self.by_part[part] = _scan_root(root, self.percent_styles(package))
        except Exception:  # left to the reading, which scans the part again and fails as it always did
            self.by_part.pop(part, None)

    def get(self, package: Package, part: str) -> tuple[dict, dict]:
        if part not in self.by_part:
            self.by_part[part] = _scan_root(package.parse(package.stored(part)), self.percent_styles(package))
        return self.by_part[part]


def _open_xlsx_values(package: Package, kind: str, scans: _SheetScans) -> Book:
    """Values via calamine, formats and formulas from the sheets' XML (see :func:`open_book`)."""
    from python_calamine import CalamineWorkbook

    path = package.path
    parts = sheet_parts(package)
    scans.percent_styles(package)
    scanned = {name: scans.get(package, part) for name, part in parts.items()}
    try:
        workbook = CalamineWorkbook.from_path(str(path))
    except (KeyboardInterrupt, SystemExit, MemoryError):
        raise
    except BaseException as exc:  # calamine's errors and Rust panics: the file is damaged for every path
        raise _unreadable(path, exc) from None
    grids = []
    try:
        for meta in workbook.sheets_metadata:
            if "WorkSheet" not in str(meta.typ):
                continue
            try:
                sheet = workbook.get_sheet_by_name(meta.name)
                rows = sheet.to_python(skip_empty_area=False)
                merged_ranges = sheet.merged_cell_ranges or []
            except (KeyboardInterrupt, SystemExit, MemoryError):
                raise
            except BaseException as exc:
                raise _unreadable(path, exc) from None
            values = {}
            for r, row in enumerate(rows, start=1):
                for c, value in enumerate(row, start=1):
                    if value != "" and value is not None:
                        values[(r, c)] = int(value) if isinstance(value, float) and value.is_integer() and abs(value) < 1e15 else value
            merged = [(r0 + 1, c0 + 1, r1 + 1, c1 + 1) for (r0, c0), (r1, c1) in merged_ranges]
            formats, formulas = scanned.get(meta.name, ({}, {}))
            grid = SheetGrid(meta.name, values, dict(formats), merged, hidden="Visible" not in str(meta.visible))
            _evaluate_formulas(grid, formulas)
            grids.append(grid)
    finally:
        workbook.close()
    return Book(path, kind, grids, None, [], engine="calamine")


def _unreadable(path: Path, exc: BaseException) -> FormError:
    return FormError("corrupt", f"{path.name} 内容损坏或不是标准的 Excel 工作簿，无法读取（{exc.__class__.__name__}）。请在 Excel/WPS 中打开后另存为 .xlsx 再试。", path)


def _scan_sheet(xml: bytes, percent_styles: dict[int, str]) -> tuple[dict, dict]:
    """(cell → percent format, cell → formula) of a sheet's XML (see :func:`_scan_root`)."""
    from lxml import etree

    return _scan_root(etree.fromstring(xml, xml_parser()), percent_styles)


def _scan_root(root, percent_styles: dict[int, str]) -> tuple[dict, dict]:
    """(cell → percent format, cell → formula) of a parsed sheet: the formulas are those Excel left
    no result for (``=…``, shared formulas translated to their cell), which perfxl evaluates."""
    formats: dict[tuple[int, int], str] = {}
    formulas: dict[tuple[int, int], str] = {}
    shared: dict[str, tuple[str, str]] = {}  # si → (formula, its cell)
    data = root.find(f"{NS_MAIN}sheetData")
    row_tag, cell_tag, formula_tag = f"{NS_MAIN}row", f"{NS_MAIN}c", f"{NS_MAIN}f"
    row_number = 0
    for row in data if data is not None else []:
        if row.tag != row_tag:
            continue
        row_number = _int(row.get("r"), row_number + 1)
        col_number = 0
        for cell in row:
            if cell.tag != cell_tag:
                continue
            ref = _A1.match(cell.get("r") or "")
            col_number = column_index(ref.group(1)) if ref else col_number + 1
            key = (_int(ref.group(2), row_number) if ref else row_number, col_number)
            if percent_styles:
                style = _int(cell.get("s"), 0)
                if style in percent_styles:
                    formats[key] = percent_styles[style]
            formula = cell.find(formula_tag)
            if formula is None:
                continue
            text = formula.text or ""
            if formula.get("t") == "shared" and formula.get("si") is not None:
                if text:
                    shared[formula.get("si")] = (text, a1(*key))
                elif formula.get("si") in shared:
                    text = _translate(*shared[formula.get("si")], a1(*key))
            cached = cell.find(f"{NS_MAIN}v")
            if text and (cached is None or not cached.text):
                formulas[key] = "=" + text.lstrip("=")
    return formats, formulas


def _int(text, default: int) -> int:
    try:
        return int(text) if text is not None else default
    except ValueError:
        return default


def _translate(formula: str, origin: str, target: str) -> str:
    """A shared formula as it reads in another cell of its range."""
    from openpyxl.formula.translate import Translator

    try:
        return Translator("=" + formula.lstrip("="), origin=origin).translate_formula(target).lstrip("=")
    except Exception:  # a formula the translator cannot parse: left unevaluated
        return ""


def _evaluate_formulas(grid: SheetGrid, formulas: dict[tuple[int, int], str]) -> None:
    """Give cells whose formula has no cached result the value perfxl computes (the formula's text
    when it cannot: never 0)."""
    from perfxl.read.formulas import evaluate

    if not formulas:
        return
    for key, formula in formulas.items():
        if grid.values.get(key) not in (None, ""):
            continue  # calamine found a value after all
        result = evaluate(formula, lambda r, c: formulas.get((r, c), grid.values.get((r, c))))
        grid.values[key] = result if result is not None else formula


def _percent_styles(styles) -> dict[int, str]:
    """Style index → number format, for the styles that show a percent (``styles``: the parsed styles part)."""
    codes = dict(_BUILTIN_PERCENT)
    for fmt in styles.iter(f"{NS_MAIN}numFmt"):
        code = fmt.get("formatCode", "")
        if "%" in re.sub(r'"[^"]*"', "", code):
            codes[_int(fmt.get("numFmtId"), -1)] = code
    xfs = styles.find(f"{NS_MAIN}cellXfs")
    found = {}
    for index, xf in enumerate(xf for xf in (xfs if xfs is not None else []) if xf.tag == f"{NS_MAIN}xf"):
        code = codes.get(_int(xf.get("numFmtId"), 0))
        if code:
            found[index] = code
    return found


def read_records(package: Package) -> dict[str, dict[tuple[int, int], object]]:
    """Sheet name → cell → the 原填写 :class:`~perfxl.mark.format.Record` of its comment, whoever the
    comment's author says it is (LibreOffice re-saves authors as " "; anyone can type "perfxl")."""
    from perfxl.mark.format import parse_record

    found: dict[str, dict[tuple[int, int], object]] = {}
    if not any(name.lower().startswith("xl/comments") or "/comments" in name.lower() for name in package.names):
        return found
    parse = lambda name: package.xml(name) if package.exists(name) else None  # noqa: E731
    for sheet, part in sheet_parts(package).items():
        rels = parse(rels_part(part))
        for rel in rels if rels is not None else []:
            target = resolve(part, rel.get("Target") or "")
            if not (rel.get("Type") or "").endswith("/comments") or rel.get("TargetMode") == "External" or not package.exists(target):
                continue
            for comment in parse(target).iter(f"{NS_MAIN}comment"):
                ref = _A1.match(comment.get("ref") or "")
                text = comment.find(f"{NS_MAIN}text")
                record = parse_record(item_text(text) if text is not None else "")
                if ref and record is not None:
                    found.setdefault(sheet, {})[(int(ref.group(2)), column_index(ref.group(1)))] = record
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
    """The values and number formats of an openpyxl worksheet as a :class:`SheetGrid`: what the
    cells show (comments, perfxl's included, decide nothing here)."""
    values: dict[tuple[int, int], object] = {}
    formats: dict[tuple[int, int], str] = {}
    for (row, col), cell in ws._cells.items():  # only cells that exist; avoids WPS's bogus <dimension>
        value = cell.value
        if cell.data_type == "s" and isinstance(value, str) and value.startswith("="):
            value = Text(value)  # text, not a formula
        if value is None:
            continue
        if not isinstance(value, (str, int, float, bool)) and value.__class__.__name__ in ("ArrayFormula", "DataTableFormula"):
            value = "=" + str(getattr(value, "text", "") or "").lstrip("=")
        values[(row, col)] = value
        fmt = _number_format(cell)
        if fmt and fmt != "General":
            formats[(row, col)] = fmt
    merged = [(r.min_row, r.min_col, r.max_row, r.max_col) for r in ws.merged_cells.ranges]
    return SheetGrid(ws.title, values, formats, merged, hidden=ws.sheet_state != "visible")


def _number_format(cell) -> str:
    """The cell's number format; General where its style names a format the workbook does not
    define (openpyxl raises IndexError there), as Excel shows it."""
    try:
        return cell.number_format
    except (IndexError, KeyError):
        return "General"


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
    if not _PLAIN_NUMBER.fullmatch(text):
        return text  # NaN, inf, -Infinity, 1e999, 1e308, 0x10, 1_000: text, as the cell showed it (perfxl reads no exponents)
    number = float(text)
    if not math.isfinite(number):
        return text
    return int(number) if number.is_integer() and "." not in text else number


_PLAIN_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")  # as perfxl writes numbers (never with an exponent)


def _is_formula(value) -> bool:
    return isinstance(value, str) and not isinstance(value, Text) and value.startswith("=")


def _has_formula(grid: SheetGrid) -> bool:
    return any(_is_formula(v) for v in grid.values.values())


def _fill_formula_values(path: Path, grids: list[SheetGrid]) -> None:
    """Replace formulas in the grids by their values: Excel's cache where present, else our own evaluation."""
    import openpyxl

    from perfxl.read.formulas import evaluate

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
