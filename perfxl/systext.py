"""What users read about the system: operating-system errors in Chinese, and names made printable.

Python's ``strerror`` is English ("No such file or directory") and, on a Chinese Windows, sometimes
in the console's code page; users get one Chinese phrase per errno instead, from this one table.
Reading has a few phrases of its own (:func:`read_error_text`). A file name may hold a newline or another control character: printed as it is, it would split a
message line (or move the cursor), so names are shown with such characters escaped.
"""

from __future__ import annotations

import errno

#: errno → (what happened, what to do). Names missing on a platform are simply absent.
_OS_ERRORS: dict[str, tuple[str, str]] = {
    "ENOENT": ("文件夹不存在（可能已被移走或删除）", "请检查路径是否正确，或换一个输出文件夹（-o）"),
    "EACCES": ("文件正被其他程序打开，或没有写入权限", "请先在 Excel/WPS 中关闭该文件，或换一个输出文件夹（-o）"),
    "EPERM": ("没有权限（文件或文件夹被设为只读或受保护）", "请检查文件夹权限，或换一个输出文件夹（-o）"),
    "ENOSPC": ("磁盘空间不足", "请清理磁盘（输出文件夹所在的磁盘，或临时文件夹），或用 -o 换一个输出文件夹后重试"),
    "EDQUOT": ("超出磁盘配额", "请清理磁盘，或用 -o 换一个输出文件夹后重试"),
    "EROFS": ("所在磁盘或文件夹是只读的", "请用 -o 换一个可写的输出文件夹"),
    "ENAMETOOLONG": ("文件名或路径太长", "请缩短文件名，或用 -o 换一个路径较短的输出文件夹"),
    "EISDIR": ("同名的文件夹已存在", "请移走或改名该文件夹后重试"),
    "ENOTDIR": ("路径中的某一级是文件，不是文件夹", "请检查路径，或换一个输出文件夹（-o）"),
    "EEXIST": ("同名文件已存在", "请移走或改名该文件后重试"),
    "EBUSY": ("文件正被其他程序占用", "请关闭占用它的程序（Excel/WPS、杀毒软件、同步盘）后重试"),
    "ETXTBSY": ("文件正被其他程序占用", "请关闭占用它的程序后重试"),
    "EMFILE": ("同时打开的文件太多", "请关闭一些程序，或减少 --jobs 后重试"),
    "ENFILE": ("系统中同时打开的文件太多", "请关闭一些程序，或减少 --jobs 后重试"),
    "EIO": ("磁盘读写出错", "请检查磁盘或网络共享是否正常"),
    "EINVAL": ("文件名含有不允许的字符", "请给文件改名（去掉 \\ / : * ? \" < > | 等字符）后重试"),
    "EXDEV": ("不能跨磁盘移动文件", "请把输出文件夹放在同一磁盘上"),
    "ENODEV": ("设备不存在（磁盘或网络共享已断开）", "请重新连接后重试"),
    "ENXIO": ("设备不存在（磁盘或网络共享已断开）", "请重新连接后重试"),
    "ETIMEDOUT": ("网络共享响应超时", "请检查网络连接后重试"),
    "ESTALE": ("网络共享上的文件已失效", "请重新连接网络共享后重试"),
    "ELOOP": ("路径中的快捷方式（符号链接）循环", "请检查路径"),
}
_BY_NUMBER = {getattr(errno, name): texts for name, texts in reversed(_OS_ERRORS.items()) if hasattr(errno, name)}


def os_error_text(exc: OSError) -> tuple[str, str]:
    """(what happened, what to do) for an OSError, in Chinese; never the English strerror."""
    texts = _BY_NUMBER.get(exc.errno)
    if texts is not None:
        return texts
    if isinstance(exc, PermissionError):
        return _OS_ERRORS["EACCES"]
    name = errno.errorcode.get(exc.errno) if exc.errno is not None else None
    return (f"系统错误（{name or exc.__class__.__name__}）", "请检查输出文件夹是否存在、磁盘空间和写入权限")


#: Where reading says it otherwise than writing.
_READ_ERRORS: dict[str, str] = {
    "ENOENT": "文件不存在（可能已被移走或删除）",
    "EACCES": "没有读取权限，或文件正被其他程序独占",
    "EPERM": "没有读取权限",
    "EISDIR": "这是一个文件夹，不是文件",
}
_READ_BY_NUMBER = {getattr(errno, name): text for name, text in _READ_ERRORS.items() if hasattr(errno, name)}


def read_error_text(exc: OSError) -> str:
    """What happened, in Chinese, when reading a file failed (the caller says what to do)."""
    return _READ_BY_NUMBER.get(exc.errno) or os_error_text(exc)[0]


_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
_BREAKING = ("Cc", "Zl", "Zp")  # control characters, line and paragraph separators


def printable(text: object) -> str:
    """``text`` with control characters (newline, tab, ESC …) and line/paragraph separators escaped,
    so that a file name can never split or garble the line it is printed on."""
    import unicodedata

    text = str(text)
    if text.isprintable():
        return text
    return "".join(_escape(ch) if unicodedata.category(ch) in _BREAKING else ch for ch in text)


def _escape(ch: str) -> str:
    return _ESCAPES.get(ch) or (f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}")
