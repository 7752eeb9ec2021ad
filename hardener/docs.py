"""Documentation generated from the transform registry, never written twice.

The same text serves ``hardener transforms`` (a list), ``hardener explain ID``
(one transform, like ``ruff rule``), the SARIF rules' help, and
``docs/transforms.md``, which a test keeps equal to what this module
generates. Regenerate it with::

    python -m hardener.docs            # writes docs/transforms.md
    python -m hardener.docs --check    # exit 1 when the committed file drifted

Everything comes from the transform classes: the docstring's ``## `` sections,
``title``, ``rationale``, ``safety``, ``guidance``, ``references``, ``aliases``
and the ``Params`` dataclass.
"""

from __future__ import annotations

import ast
import dataclasses
import inspect
import sys
import textwrap
import typing
from pathlib import Path

from hardener.registry import Registry, RegistryError
from hardener.transform import Transform

DOCS_FILE = Path("docs") / "transforms.md"
SAFETY_WORDS = {"safe": "safe", "may-break": "may break"}
_GENERATED_SECTIONS = ("summary", "Fix safety")  # written by explain_markdown itself, with extras
UNSAFE_FIXES_NOTE = (
    "Filling a field the manifest leaves out is applied by default. Changing or removing a value the "
    "manifest sets explicitly is an unsafe fix: it is applied only with `--unsafe-fixes` (or the profile's "
    "`unsafe-fixes`), and otherwise reported as an error finding that says what it would change."
)


def builtin_registry() -> Registry:
    """The built-in transforms only: what the shipped documentation describes."""
    from hardener.transforms import BUILTINS

    return Registry(BUILTINS)


def transforms_in(registry: Registry) -> list[type[Transform] | RegistryError]:
    """Every transform of ``registry`` in run order; a plugin that fails to load is its error."""
    found: list[type[Transform] | RegistryError] = []
    for transform_id in registry.ids():
        try:
            found.append(registry.get(transform_id))
        except RegistryError as exc:
            found.append(exc)
    return found


def list_text(registry: Registry) -> str:
    """``hardener transforms``: one aligned line per transform: id, fix safety, title."""
    rows = [("ID", "FIX SAFETY", "TITLE")]
    problems = []
    for item in transforms_in(registry):
        if isinstance(item, RegistryError):
            problems.append(f"error: {item}")
            continue
        rows.append((item.id, SAFETY_WORDS[item.safety], item.title))
    widths = [max(len(row[i]) for row in rows) for i in range(2)]
    lines = [f"{row[0]:<{widths[0]}}  {row[1]:<{widths[1]}}  {row[2]}" for row in rows]
    return "\n".join(lines + problems) + "\n"


def explain_markdown(cls: type[Transform], level: int = 1) -> str:
    """Everything about one transform, as Markdown with headings from ``level`` down."""
    h1, h2 = "#" * level, "#" * (level + 1)
    sections = cls.doc_sections()
    out = [f"{h1} `{cls.id}`", "", f"**{cls.title}**"]
    if sections.get("summary"):
        out += ["", sections["summary"]]
    out += ["", f"- Fix safety: **{SAFETY_WORDS[cls.safety]}**"]
    if cls.aliases:
        out.append("- Also known as: " + ", ".join(f"`{alias}`" for alias in cls.aliases))
    if cls.linux_only:
        out.append("- Linux only: not applied to Windows pods (`spec.os.name: windows`)")
    out += ["", f"In one line: {cls.rationale}"]
    for title, body in sections.items():
        if title in _GENERATED_SECTIONS:
            continue
        out += ["", f"{h2} {title}", "", _example_markdown(cls, body) if title == "Example" else body]
    out += ["", f"{h2} Fix safety"]
    if sections.get("Fix safety"):
        out += ["", sections["Fix safety"]]
    if not cls.reports_only:
        out += ["", UNSAFE_FIXES_NOTE]
    if cls.guidance:
        out += ["", f"What to verify: {cls.guidance}"]
    parameters = params_markdown(cls)
    if parameters:
        out += ["", f"{h2} Parameters", "", parameters]
    out += ["", f"{h2} References", ""]
    out += [f"- {reference_label(ref)}: [{ref.title}]({ref.url})" for ref in cls.references]
    return "\n".join(out) + "\n"


def reference_label(ref) -> str:
    """The standard, with the item's code when it is a code (``CIS Kubernetes Benchmark 5.2.6``)."""
    is_code = " " not in ref.id and any(ch.isdigit() for ch in ref.id) and ref.id not in ref.title
    return f"{ref.standard} {ref.id}" if is_code else ref.standard


def _example_markdown(cls: type[Transform], body: str) -> str:
    """The Example section with its two YAML blocks labelled before and after."""
    before, after = cls.example()
    intro = body.split("```yaml", 1)[0].strip()
    parts = [intro] if intro else []
    if cls.example_params:
        settings = "".join(f"    {key}: {_yaml_scalar(value)}\n" for key, value in cls.example_params.items())
        parts.append(f"With these profile settings:\n\n```yaml\ntransforms:\n  {cls.id}:\n{settings}```")
    command = "hardener fix --unsafe-fixes" if cls.example_unsafe else "hardener fix"
    parts += [f"Before:\n\n```yaml\n{before}```", f"After (`{command}`):\n\n```yaml\n{after}```"]
    return "\n\n".join(parts)


def params_markdown(cls: type[Transform]) -> str:
    """A list of the transform's parameters with types, defaults and their docstrings."""
    fields = dataclasses.fields(cls.Params)
    if not fields:
        return ""
    hints = typing.get_type_hints(cls.Params)
    notes = _attribute_docstrings(cls.Params)
    lines = []
    for field in fields:
        default = field.default if field.default is not dataclasses.MISSING else field.default_factory()  # type: ignore[misc]
        kind = getattr(hints[field.name], "__name__", None) or str(hints[field.name]).replace("typing.", "")
        line = f"- `{field.name}` ({kind}, default `{_yaml_scalar(default)}`)"
        if field.name in notes:
            line += ": " + " ".join(notes[field.name].split()).replace("``", "`")
        lines.append(line)
    return "\n".join(lines)


def _yaml_scalar(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, (tuple, list)):
        return "[" + ", ".join(_yaml_scalar(v) for v in value) + "]"
    return str(value)


def _attribute_docstrings(cls: type) -> dict[str, str]:
    """``x: int = 1`` followed by a string literal: that string documents ``x``."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(cls)))
    except (OSError, TypeError, SyntaxError):
        return {}
    notes: dict[str, str] = {}
    body = tree.body[0].body if tree.body and isinstance(tree.body[0], ast.ClassDef) else []
    for node, after in zip(body, body[1:]):
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            if isinstance(after, ast.Expr) and isinstance(after.value, ast.Constant) and isinstance(after.value.value, str):
                notes[node.target.id] = after.value.value
    return notes


def explain_text(registry: Registry, transform_id: str) -> str:
    """``hardener explain ID``; raises RegistryError (listing the known ids) for an unknown id."""
    return explain_markdown(registry.get(transform_id))


def transforms_markdown(registry: Registry) -> str:
    """The whole of ``docs/transforms.md``."""
    classes = [item for item in transforms_in(registry) if not isinstance(item, RegistryError)]
    out = [
        "# Transforms",
        "",
        "<!-- Generated from the transform registry by `python -m hardener.docs`; do not edit by hand. -->",
        "",
        "Each transform hardens one concern in every pod template. `hardener explain ID` prints the same",
        "text; a profile turns transforms on and off and sets their parameters.",
        "",
        "| transform | what it does | fix safety |",
        "| --- | --- | --- |",
    ]
    out += [f"| [`{cls.id}`](#{cls.id}) | {cls.title} | {SAFETY_WORDS[cls.safety]} |" for cls in classes]
    text = "\n".join(out) + "\n"
    for cls in classes:
        text += "\n" + explain_markdown(cls, level=2)
    return text


def main(argv: list[str] | None = None) -> int:
    """``python -m hardener.docs [--check] [PATH]``: write or check docs/transforms.md."""
    args = list(sys.argv[1:] if argv is None else argv)
    check = "--check" in args
    paths = [a for a in args if a != "--check"]
    path = Path(paths[0]) if paths else DOCS_FILE
    text = transforms_markdown(builtin_registry())
    current = path.read_text(encoding="utf-8") if path.exists() else None
    if check:
        if current != text:
            sys.stderr.write(f"{path} is out of date; run: python -m hardener.docs\n")
            return 1
        return 0
    if current != text:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="\n")
        sys.stderr.write(f"wrote {path}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
