"""The command line's own words in Chinese: help headings, the help option, usage errors.

Typer (and the click it carries) print "Usage:", "Options:", "Show this message and exit." and
"Error: No such option: --job" in English, with no catalogue to translate them. Users of perfxl
read Chinese, so :class:`ChineseGroup` and :class:`ChineseCommand` (the ``cls`` of the app and of
every command) translate the help page and the usage line, and print usage errors themselves:

    错误：没有 --job 这个选项，是否想用 --jobs？
    用法：perfxl fill [选项] 自评表...
    输入 perfxl fill -h 查看帮助。

Messages click does not name here are shown as they are, after "错误："; tests/test_cli_text.py
keeps every help page free of English prose.
"""

from __future__ import annotations

import re
import sys

import typer
import typer.core

from perfxl.numbers import text_width

_click = getattr(typer.core, "_click", None) or getattr(typer.core, "click")  # vendored since typer 0.2x
_exceptions = _click.exceptions
_NO_ARGS_IS_HELP = getattr(_exceptions, "NoArgsIsHelpError", ())  # click < 8.2 prints the help itself

HELP_OPTION_TEXT = "显示本帮助并退出。"
_HEADINGS = {"Usage": "用法", "Arguments": "参数", "Options": "选项", "Commands": "命令"}
_USAGE_WORDS = {"[OPTIONS]": "[选项]", "COMMAND [ARGS]...": "命令 [参数]..."}
_CLOSING = set("，。、；：）》」』”’！？…")  # never at the start of a line


def _wide_classes() -> str:
    """East-Asian width classes the terminal draws two columns wide. A legacy Chinese console
    (the GBK or Big5 code page of cmd.exe) draws the ambiguous ones (“ ” — ≥ ；) double too."""
    encoding = (getattr(sys.stdout, "encoding", None) or "").lower().replace("-", "").replace("_", "")
    return "WFA" if encoding in {"gbk", "cp936", "gb2312", "gb18030", "big5", "cp950"} else "WF"


_WIDE = _wide_classes()


def display_width(text: str, wide: str | None = None) -> int:
    """Columns ``text`` takes in this terminal: Chinese characters take two."""
    return text_width(text, wide or _WIDE)


def wrap(text: str, width: int) -> list[str]:
    """Lines of at most ``width`` columns: Chinese breaks between any two characters, ASCII words
    and numbers stay whole, and closing punctuation never starts a line (the character before
    it moves down with it)."""
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        line: list[str] = []
        for token in re.findall(r"[\x21-\x7e]+|\s+|.", paragraph):
            if display_width("".join(line) + token) <= width or token.isspace() or not "".join(line).strip():
                line.append(token)
                continue
            carried: list[str] = []
            if token[0] in _CLOSING:  # take the character it closes along (and any punctuation between)
                while len(line) > 1 and not line[-1].isspace() and (not carried or carried[0][0] in _CLOSING):
                    carried.insert(0, line.pop())
            lines.append("".join(line).rstrip())
            line = carried + [token]
        lines.append("".join(line).rstrip())
    return lines


def _bracket(inside: str) -> str:
    """click's '[default: text; x>=1]' extras, in Chinese."""
    parts = []
    for part in inside.split("; "):
        if part == "required":
            parts.append("必填")
        elif part.startswith("default: "):
            parts.append("默认：" + part[len("default: "):])
        elif part.startswith("env var: "):
            parts.append("环境变量：" + part[len("env var: "):])
        else:
            parts.append(_range(part))
    return "；".join(parts)


def _range(text: str) -> str:
    """click's 'x>=1' / '0<=x<=10' as '≥1' / '0–10'."""
    text = text.strip()
    low = re.fullmatch(r"x>=(\S+)", text)
    if low:
        return f"≥{low.group(1)}"
    both = re.fullmatch(r"(\S+)<=x<=(\S+)", text)
    if both:
        return f"{both.group(1)}–{both.group(2)}"
    return text.replace("x", "值").replace(">=", "≥").replace("<=", "≤")


def _extras(text: str) -> str:
    return re.sub(r"\[(required|(?:env var|default): [^\]]*|x>=[^\]]*|\S+<=x<=[^\]]*)\]", lambda m: f"[{_bracket(m.group(1))}]", text)


def _join(lines) -> str:
    """Source lines of one paragraph as one line: a space between words, none inside Chinese."""
    text = ""
    for line in lines:
        wide = text and line and (display_width(text[-1]) == 2 or display_width(line[0]) == 2)
        text += line if not text or wide else " " + line
    return text


class HelpFormatter(_click.formatting.HelpFormatter):
    """click's help layout with Chinese headings, measured in terminal columns (not characters)."""

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        for english, chinese in _USAGE_WORDS.items():
            args = args.replace(english, chinese)
        start = f"{'':>{self.current_indent}}{prefix or '用法：'}{prog} "
        lines = wrap(args, max(self.width - display_width(start), 20))
        self.write(start + lines[0] + "\n")
        for line in lines[1:]:
            self.write(" " * display_width(start) + line + "\n")

    def write_heading(self, heading: str) -> None:
        self.write(f"{'':>{self.current_indent}}{_HEADINGS.get(heading, heading)}：\n")

    def write_text(self, text: str) -> None:
        """Paragraphs rewrapped; an indented one, or one after click's \\b marker, is kept as written."""
        indent = " " * self.current_indent
        blocks = re.split(r"\n\s*\n", text.strip("\n"))
        for number, block in enumerate(blocks):
            if number:
                self.write("\n")
            if block.startswith(("\b", " ")):  # click's marker, or an indented block (examples)
                rows = block.lstrip("\b").strip("\n").splitlines()
            else:
                rows = wrap(_join(row.strip() for row in block.splitlines()), max(self.width - len(indent), 20))
            self.write("".join(f"{indent}{row}\n" for row in rows))

    def write_dl(self, rows, col_max: int = 30, col_spacing: int = 2) -> None:
        rows = [(first, _extras(second)) for first, second in rows]
        first_col = min(max((display_width(first) for first, _ in rows), default=0), col_max) + col_spacing
        indent = " " * self.current_indent
        for first, second in rows:
            self.write(indent + first)
            if not second:
                self.write("\n")
                continue
            if display_width(first) <= first_col - col_spacing:
                self.write(" " * (first_col - display_width(first)))
            else:
                self.write("\n" + " " * (first_col + self.current_indent))
            lines = wrap(second, max(self.width - first_col - 2, 10))
            self.write(lines[0] + "\n")
            for line in lines[1:]:
                self.write(" " * (first_col + self.current_indent) + line + "\n")


class Context(_click.Context):
    formatter_class = HelpFormatter


# ---------------------------------------------------------------- usage errors


def error_text(error: Exception) -> str:
    """One Chinese sentence for a click usage error."""
    if isinstance(error, _exceptions.NoSuchOption):
        text = f"没有 {error.option_name} 这个选项"
        if error.possibilities:
            text += f"，是否想用 {'、'.join(sorted(error.possibilities))}？"
        return text + ("" if text.endswith("？") else "。")
    if isinstance(error, _exceptions.MissingParameter):
        return f"缺少{_param_name(error)}。"
    if isinstance(error, _exceptions.BadParameter):
        return f"{_param_name(error)} 的值无效：{_value_problem(error.message)}"
    return _message(error.format_message())


def _param_name(error) -> str:
    param = getattr(error, "param", None)
    if param is None:
        return "参数"
    if getattr(param, "param_type_name", "") == "argument":
        help_text = getattr(param, "help", None)
        what = help_text.split("（")[0].split("，")[0].rstrip("。") if help_text else (param.name or "").upper()
        return f"参数“{what}”"
    return f"选项 {'/'.join(param.opts)}"


_VALUE_PATTERNS = [
    (r"'(.*)' is not a valid int(?:eger)?(?: range)?\.", "“{0}”不是整数。"),
    (r"'(.*)' is not a valid float(?: range)?\.", "“{0}”不是数字。"),
    (r"(.+) is not in the range (.+)\.", lambda m: f"{m.group(1)} 超出允许的范围（{_range(m.group(2))}）。"),
    (r"'(.*)' is not one of (.+)\.", "“{0}”不是可选的值（可选：{1}）。"),
    (r"'(.*)' is not a valid boolean.*", "“{0}”不是“是/否”的值。"),
]

_MESSAGE_PATTERNS = [
    (r"No such command '(.+)'\. Did you mean '(.+)'\?", "没有 {0} 这个命令，是否想用 {1}？"),
    (r"No such command '(.+)'\.", "没有 {0} 这个命令（可用的命令：check、fill、report、watch、template）。"),
    (r"Missing command\.", "缺少命令（check、fill、report、watch 或 template）。"),
    (r"Got unexpected extra arguments?(?:\(s\))? \((.+)\)", "多余的参数：{0}。"),
    (r"Option '(.+)' requires an argument\.", "选项 {0} 后面要写一个值。"),
    (r"Option '(.+)' requires (\d+) arguments\.", "选项 {0} 后面要写 {1} 个值。"),
    (r"Option '(.+)' does not take a value\.", "选项 {0} 后面不能写值。"),
    (r"Argument '(.+)' takes (\d+) values\.", "参数 {0} 要写 {1} 个值。"),
]


def _value_problem(message: str) -> str:
    return _translate(message, _VALUE_PATTERNS) or message


def _message(message: str) -> str:
    return _translate(message, _MESSAGE_PATTERNS) or message


def _translate(message: str, patterns) -> str | None:
    for pattern, template in patterns:
        match = re.fullmatch(pattern, message.strip(), flags=re.S)
        if match:
            return template(match) if callable(template) else template.format(*match.groups())
    return None


def show_usage_error(error) -> None:
    """What click's UsageError.show prints, in Chinese: the error first, then usage and a hint."""
    lines = [f"错误：{error_text(error)}"]
    ctx = getattr(error, "ctx", None)
    if ctx is not None:
        lines.append(ctx.get_usage())
        if ctx.command.get_help_option(ctx) is not None:
            lines.append(f"输入 {ctx.command_path} {ctx.help_option_names[0]} 查看帮助。")
    typer.echo("\n".join(lines), err=True)


# ---------------------------------------------------------------- the classes


class _Chinese:
    """Mixed into typer's group and command classes."""

    context_class = Context

    def get_help_option(self, ctx):
        option = super().get_help_option(ctx)
        if option is not None:
            option.help = HELP_OPTION_TEXT
        return option


class ChineseCommand(_Chinese, typer.core.TyperCommand):
    pass


class ChineseGroup(_Chinese, typer.core.TyperGroup):
    def main(self, *args, standalone_mode: bool = True, **kwargs):
        """Run the command line; usage errors are printed in Chinese (exit code 2, as click's)."""
        if not standalone_mode:
            return super().main(*args, standalone_mode=False, **kwargs)
        try:
            code = super().main(*args, standalone_mode=False, **kwargs)
        except _NO_ARGS_IS_HELP as error:  # `perfxl` alone: the help page (on stderr, exit 2, as click does)
            typer.echo(error.ctx.get_help(), err=True)
            sys.exit(error.exit_code)
        except _exceptions.UsageError as error:
            show_usage_error(error)
            sys.exit(error.exit_code)
        except _exceptions.ClickException as error:
            typer.echo(f"错误：{_message(error.format_message())}", err=True)
            sys.exit(error.exit_code)
        except typer.Abort:
            typer.echo("已中断。", err=True)
            sys.exit(1)
        code = code if isinstance(code, int) else 0
        if code == 130:  # typer's answer to Ctrl-C (and to SIGTERM: perfxl/batch/lifecycle.py), which it leaves unsaid
            from perfxl.batch.lifecycle import exit_code, message

            typer.echo(message(), err=True)
            code = exit_code()
        sys.exit(code)
