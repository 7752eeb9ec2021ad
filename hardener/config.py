"""A repository's configuration: ``.hardener.yaml``, or ``[tool.hardener]`` in ``pyproject.toml``.

A repository configures hardener once, and every entry point (``fix``,
``check``, ``krm``, the Helm post-renderer, pre-commit, the Action) reads the
same file, so a laptop, a hook and CI cannot silently disagree.

Discovery follows ruff's rules, so nothing about it is new to learn:

* every input uses the **closest** configuration file: the first one found
  from the input's own directory upward to the repository root (the first
  directory holding ``.git``), or to the filesystem root outside a repository;
* in one directory ``.hardener.yaml`` wins over ``pyproject.toml``, and a
  ``pyproject.toml`` without a ``[tool.hardener]`` table is not a
  configuration (the search goes on upward);
* files are not merged: the closest one applies whole (share settings with a
  profile file that ``extends:`` another);
* paths in a file (a ``profile`` file, ``exclude`` and ``per-file-ignores``
  globs, ``report-file``) are relative to the file's directory, also when it
  is named with ``--config`` (ruff takes those from the working directory; a
  file that means the same wherever it is named is easier to reason about);
* standard input uses the configuration of ``--stdin-filename``, else of the
  working directory; the settings of the run as a whole (``fail-on``,
  ``output-format``, ``report``, ``report-file``, ``chart-values``) come from
  the working directory's, as ruff takes its output settings from there;
* ``--config FILE`` uses that one file for every input, ``--no-config``
  none; options on the command line win over every file, and
  ``HARDENER_REPORT``/``HARDENER_REPORT_FILE`` over a file's report settings.

Errors name the file, the line and the key, and stop the run before any
input is read (exit 2).
"""

from __future__ import annotations

import dataclasses
import functools
import os
import re
from dataclasses import dataclass, field
from typing import Any

from hardener.errors import HardenerError, ProfileError
from hardener.profile import DEFAULT_PROFILE, Profile, build_params, load_profile, load_profile_from_mapping

CONFIG_FILE = ".hardener.yaml"
PYPROJECT = "pyproject.toml"
ALL = "all"
"""In ``select``, ``ignore`` and ``per-file-ignores``: every transform."""
FAIL_ON_LEVELS = ("findings", "changes", "may-break", "errors", "never")
OUTPUT_FORMATS = ("text", "github")
REPORT_FORMATS = ("text", "json", "markdown", "sarif")

KEYS = (
    "profile", "select", "ignore", "per-file-ignores", "exclude", "unsafe-fixes",
    "fail-on", "output-format", "report", "report-file", "chart-values",
)  # fmt: skip
RUN_KEYS = ("fail-on", "output-format", "report", "report-file", "chart-values")
"""Settings of a whole run, taken from the working directory's configuration."""


class ConfigError(HardenerError):
    """A configuration file cannot be read or says something hardener cannot do."""


# --------------------------------------------------------------------------- one file


@dataclass(frozen=True)
class ConfigFile:
    """One configuration file, read and checked: its values by key, and the line of each key."""

    path: str
    values: dict = field(default_factory=dict)
    lines: dict = field(default_factory=dict)
    """Key (or ``per-file-ignores`` pattern as ``per-file-ignores.PATTERN``) -> 1-based line."""

    @property
    def directory(self) -> str:
        return os.path.dirname(self.path) or "."

    def where(self, key: str) -> str:
        """``path:line`` of ``key``, for errors and for ``hardener config``."""
        line = self.lines.get(key)
        return f"{self.path}:{line}" if line else self.path

    def error(self, key: str, problem: str) -> ConfigError:
        return ConfigError(f"{self.where(key)}: {key.split('.', 1)[0]}: {problem}")


def read_config(path: str) -> ConfigFile:
    """Read and check one configuration file (``.hardener.yaml``, or a ``pyproject.toml``)."""
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the configuration: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: cannot read the configuration: not UTF-8") from None
    config = _read_toml(path, text) if path.endswith(".toml") else _read_yaml(path, text)
    if config is None:
        raise ConfigError(f"{path}: no [tool.hardener] table")
    return _checked(config)


def _read_yaml(path: str, text: str) -> ConfigFile:
    from ruamel.yaml.nodes import MappingNode

    from hardener.errors import InputError
    from hardener.yamlnodes import compose, to_data

    try:
        root = compose(text, file=path)
        data = to_data(root, file=path, text=text).data if root is not None else {}
    except InputError as exc:
        raise ConfigError(str(exc)) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}:1: a configuration is a mapping of settings ({', '.join(KEYS)})")
    lines: dict[str, int] = {}
    if isinstance(root, MappingNode):
        for key, value in root.value:
            lines[str(key.value)] = key.start_mark.line + 1
            if key.value == "per-file-ignores" and isinstance(value, MappingNode):
                for pattern, _ in value.value:
                    lines[f"per-file-ignores.{pattern.value}"] = pattern.start_mark.line + 1
    return ConfigFile(path, data, lines)


def _read_toml(path: str, text: str) -> ConfigFile | None:
    """``[tool.hardener]`` of a ``pyproject.toml``, or None when it has none."""
    try:
        import tomllib
    except ImportError:  # Python 3.10
        import tomli as tomllib  # type: ignore[no-redef]

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    tool = data.get("tool")
    table = tool.get("hardener") if isinstance(tool, dict) else None
    if table is None:
        return None
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: tool.hardener must be a table")
    return ConfigFile(path, table, _toml_lines(text, table))


_TOML_HEADER = re.compile(r"^\s*\[\s*tool\s*\.\s*hardener\s*(?:\.\s*(\"[^\"]*\"|'[^']*'|[A-Za-z0-9_-]+))?\s*\]")


def _toml_lines(text: str, table: dict) -> dict[str, int]:
    """Where each key of ``[tool.hardener]`` is written (TOML parsers keep no positions).

    A key is found on its own ``key =`` line inside the table, or as a
    ``[tool.hardener.key]`` sub-table header; ``per-file-ignores`` patterns
    inside theirs.
    """
    lines: dict[str, int] = {}
    section: str | None = None  # None: outside tool.hardener; "": the table itself; else a sub-table
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if stripped.startswith("["):
            header = _TOML_HEADER.match(line)
            section = None
            if header:
                section = (header.group(1) or "").strip("\"'")
                if section:
                    lines.setdefault(section, number)
            continue
        if section is None or "=" not in stripped or stripped.startswith("#"):
            continue
        key = stripped.split("=", 1)[0].strip().strip("\"'")
        if section == "":
            lines.setdefault(key, number)
        elif section == "per-file-ignores":
            lines.setdefault(f"per-file-ignores.{key}", number)
    return lines


def _checked(config: ConfigFile) -> ConfigFile:
    """Every key known and of the right type; transform ids known. Values are normalised (lists, canonical ids)."""
    values = dict(config.values)
    unknown = sorted(set(map(str, values)) - set(KEYS))
    if {"apiVersion", "kind"} <= set(unknown):
        raise config.error("apiVersion", "this is a kustomize transformer configuration (a Kubernetes object), not hardener's; "
                           "a legacy exec plugin runs `hardener krm --plugin-config FILE`")  # fmt: skip
    if unknown:
        raise config.error(unknown[0], f"unknown setting; allowed: {', '.join(KEYS)}")
    if "profile" in values:
        profile = values["profile"]
        if not (isinstance(profile, str) and profile) and not isinstance(profile, dict):
            raise config.error("profile", "a shipped profile name, a profile file path, or a profile written inline (a mapping)")
    for key in ("select", "ignore"):
        if key in values:
            values[key] = _transform_ids(config, key, values[key])
    if "per-file-ignores" in values:
        table = values["per-file-ignores"]
        if not isinstance(table, dict):
            raise config.error("per-file-ignores", "a mapping of file patterns to lists of transform ids")
        values["per-file-ignores"] = {
            str(pattern): _transform_ids(config, f"per-file-ignores.{pattern}", ids) for pattern, ids in table.items()
        }
    if "exclude" in values:
        values["exclude"] = _strings(config, "exclude", values["exclude"], "a list of file patterns")
    if "unsafe-fixes" in values and not isinstance(values["unsafe-fixes"], bool):
        values["unsafe-fixes"] = _transform_ids(config, "unsafe-fixes", values["unsafe-fixes"], "true, false or a list of transform ids")
    for key, choices in (("fail-on", FAIL_ON_LEVELS), ("output-format", OUTPUT_FORMATS), ("report", REPORT_FORMATS)):
        if key in values and values[key] not in choices:
            raise config.error(key, f"expected one of {', '.join(choices)}, got {values[key]!r}")
    if "report-file" in values and not (isinstance(values["report-file"], str) and values["report-file"]):
        raise config.error("report-file", "a file path")
    if "chart-values" in values and not isinstance(values["chart-values"], bool):
        raise config.error("chart-values", f"expected true or false, got {values['chart-values']!r}")
    return dataclasses.replace(config, values=values)


def _strings(config: ConfigFile, key: str, value: Any, what: str) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(item, str) and item for item in value):
        raise config.error(key, f"expected {what}, got {value!r}")
    return value


def _transform_ids(config: ConfigFile, key: str, value: Any, what: str = "a list of transform ids") -> list[str]:
    return [_canonical(config.error, key, item) for item in _strings(config, key, value, what)]


def _canonical(error, key: str, transform_id: str) -> str:
    """A known transform id (an alias becomes its id), or ``all``; ``error(key, problem)`` makes the error."""
    from hardener.registry import default_registry

    if transform_id == ALL:
        return ALL
    registry = default_registry()
    if transform_id not in registry:
        return _raise(error(key, f"unknown transform {transform_id!r}; known: {', '.join(registry.ids())} (or {ALL})"))
    return registry.canonical(transform_id)


def _raise(exc: Exception) -> Any:
    raise exc


# --------------------------------------------------------------------------- discovery


def _is_repository_root(directory: str) -> bool:
    return os.path.exists(os.path.join(directory, ".git"))


def config_in(directory: str) -> ConfigFile | None:
    """The configuration written in ``directory`` itself (``.hardener.yaml`` first), if any."""
    candidate = display_path(os.path.join(directory, CONFIG_FILE))
    if os.path.isfile(candidate):
        return read_config(candidate)
    candidate = display_path(os.path.join(directory, PYPROJECT))
    if os.path.isfile(candidate):
        try:
            with open(candidate, encoding="utf-8") as handle:
                text = handle.read()
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{candidate}: cannot read: {getattr(exc, 'strerror', None) or exc}") from None
        if "hardener" not in text:  # most pyproject.toml files say nothing about us: skip parsing them
            return None
        config = _read_toml(candidate, text)
        return _checked(config) if config is not None else None
    return None


def find_config(directory: str, cache: dict | None = None) -> ConfigFile | None:
    """The closest configuration from ``directory`` upward (to the repository root).

    ``cache`` (directory -> what it holds) lets one run read each directory once.
    """
    cache = {} if cache is None else cache
    directory = os.path.abspath(directory)
    passed = []
    found = None
    while True:
        if directory in cache:
            found = cache[directory]
            break
        passed.append(directory)
        found = config_in(directory)
        parent = os.path.dirname(directory)
        if found is not None or parent == directory or _is_repository_root(directory):
            break
        directory = parent
    for visited in passed:
        cache[visited] = found
    return found


def display_path(path: str) -> str:
    """``path`` relative to the working directory when it is below it: what messages show."""
    relative = os.path.relpath(path)
    return path if relative.startswith("..") else relative


# --------------------------------------------------------------------------- globs


@functools.lru_cache(maxsize=512)
def _glob_regex(pattern: str) -> re.Pattern:
    """A glob as a regular expression over ``/``-separated relative paths (``**`` crosses directories)."""
    out = ""
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if pattern.startswith("**/", i):
            out += "(?:.*/)?"
            i += 3
            continue
        if pattern.startswith("**", i):
            out += ".*"
            i += 2
            continue
        if char == "*":
            out += "[^/]*"
        elif char == "?":
            out += "[^/]"
        elif char == "[":
            end = pattern.find("]", i + 1)
            if end == -1:
                out += re.escape(char)
            else:
                body = pattern[i + 1 : end]
                out += "[" + ("^" + body[1:] if body.startswith("!") else body) + "]"
                i = end
        else:
            out += re.escape(char)
        i += 1
    return re.compile(out + "(?:/.*)?")


def matches(pattern: str, relative: str) -> bool:
    """Whether a file at ``relative`` (to the configuration's directory) matches ``pattern``.

    As ruff's and .gitignore's: a pattern without ``/`` matches a file or
    directory of that name anywhere (``vendor``, ``*.json``); one with ``/``
    is anchored at the configuration's directory (``deploy/legacy/*.yaml``).
    A pattern that matches a directory matches everything below it.
    """
    relative = relative.replace(os.sep, "/")
    pattern = pattern.strip()
    if pattern.startswith("./"):
        pattern = pattern[2:]
    pattern = pattern.strip("/") if pattern != "/" else pattern
    if "/" not in pattern:
        regex = _glob_regex(pattern)
        parts = relative.split("/")
        return any(regex.fullmatch(part) for part in parts)
    return _glob_regex(pattern).fullmatch(relative) is not None


# --------------------------------------------------------------------------- what a run uses


@dataclass(frozen=True)
class Setting:
    """A value in force and where it came from (``.hardener.yaml:3``, ``--profile``, ``default``)."""

    value: Any
    source: str


@dataclass
class Overrides:
    """What the command line says for this run (None: not given), and what it turns off."""

    config: str | None = None
    isolated: bool = False
    profile: str | None = None
    select: list[str] | None = None
    ignore: list[str] = field(default_factory=list)
    unsafe_fixes: bool | None = None
    stdin_filename: str | None = None


@dataclass(frozen=True)
class PathSettings:
    """What is in force for one input: its configuration, profile choice, transform selection and exclusion."""

    path: str
    config: ConfigFile | None
    profile: Setting
    select: Setting
    ignore: Setting
    per_file_ignores: tuple[Setting, ...]
    """Each matching ``per-file-ignores`` entry: (pattern, ids) with its source."""
    unsafe_fixes: Setting
    excluded: Setting | None
    """The ``exclude`` pattern that matches this input, with its source; None when it is not excluded."""

    @property
    def ignored(self) -> frozenset[str]:
        ids = set(self.ignore.value)
        for entry in self.per_file_ignores:
            ids.update(entry.value[1])
        return frozenset(ids)


class Resolver:
    """Which configuration, profile and settings each input of a run gets.

    Files are read once per directory and profiles built once per distinct
    combination, so a run over thousands of files pays for a handful.
    """

    def __init__(self, overrides: Overrides | None = None) -> None:
        self.overrides = overrides or Overrides()
        if self.overrides.config is not None and not self.overrides.isolated:
            self._explicit: ConfigFile | None = read_config(self.overrides.config)
        else:
            self._explicit = None
        self.notes = None
        """With ``-v``: called with a line per input saying which configuration and profile it uses."""
        self._directories: dict[str, ConfigFile | None] = {}
        self._profiles: dict[tuple, Profile] = {}
        self._bases: dict[tuple, Profile] = {}

    # ------------------------------------------------------------------ files

    def config_for(self, path: str | None) -> ConfigFile | None:
        """The configuration an input at ``path`` uses (None: standard input without a name, the working directory's)."""
        if self.overrides.isolated:
            return None
        if self._explicit is not None:
            return self._explicit
        if path is None:
            return find_config(os.getcwd(), self._directories)
        directory = path if os.path.isdir(path) else os.path.dirname(os.path.abspath(path))
        return find_config(directory, self._directories)

    @property
    def run_config(self) -> ConfigFile | None:
        """The configuration of the run as a whole: the working directory's (or ``--config``)."""
        return self.config_for(None)

    # ------------------------------------------------------------------ settings

    def settings_for(self, path: str | None) -> PathSettings:
        """Everything in force for the input at ``path`` (None: unnamed standard input)."""
        config = self.config_for(path)
        values = config.values if config else {}
        cli = self.overrides
        if cli.profile is not None:
            profile = Setting(cli.profile, "--profile")
        elif "profile" in values:
            profile = Setting(values["profile"], config.where("profile"))  # type: ignore[union-attr]
        else:
            profile = Setting(DEFAULT_PROFILE, "default")
        if cli.select is not None:
            select = Setting(list(cli.select), "--select")
        elif "select" in values:
            select = Setting(values["select"], config.where("select"))  # type: ignore[union-attr]
        else:
            select = Setting(None, "default (every transform the profile enables)")
        ignore_ids = list(values.get("ignore", []))
        sources = [config.where("ignore")] if config and "ignore" in values else []
        if cli.ignore:
            ignore_ids += [i for i in cli.ignore if i not in ignore_ids]
            sources.append("--ignore")
        ignore = Setting(ignore_ids, " and ".join(sources) or "default")
        if cli.unsafe_fixes is not None:
            unsafe = Setting(cli.unsafe_fixes, "--unsafe-fixes" if cli.unsafe_fixes else "--no-unsafe-fixes")
        elif "unsafe-fixes" in values:
            unsafe = Setting(values["unsafe-fixes"], config.where("unsafe-fixes"))  # type: ignore[union-attr]
        else:
            unsafe = Setting(None, "default (the profile's)")
        relative = self._relative(path, config)
        per_file: list[Setting] = []
        excluded = None
        if relative is not None and config is not None:
            for pattern, ids in values.get("per-file-ignores", {}).items():
                if matches(pattern, relative):
                    per_file.append(Setting((pattern, tuple(ids)), config.where(f"per-file-ignores.{pattern}")))
            for pattern in values.get("exclude", []):
                if matches(pattern, relative):
                    excluded = Setting(pattern, config.where("exclude"))
                    break
        return PathSettings(path or "<stdin>", config, profile, select, ignore, tuple(per_file), unsafe, excluded)

    def _relative(self, path: str | None, config: ConfigFile | None) -> str | None:
        if path is None or config is None:
            return None
        relative = os.path.relpath(os.path.abspath(path), os.path.abspath(config.directory))
        return relative.replace(os.sep, "/")

    def run_setting(self, key: str, default: Any) -> Setting:
        """A setting of the whole run from the working directory's configuration, else ``default``."""
        config = self.run_config
        if config is not None and key in config.values:
            value = config.values[key]
            if key == "report-file":
                value = os.path.normpath(os.path.join(config.directory, value))
            return Setting(value, config.where(key))
        return Setting(default, "default")

    # ------------------------------------------------------------------ profiles

    def profile_for(self, path: str | None) -> Profile:
        return self.profile_of(self.settings_for(path))

    def profile_of(self, settings: PathSettings, base: Profile | None = None) -> Profile:
        """The profile an input runs with: the chosen one (or ``base``), narrowed by select, ignore and per-file ignores."""
        base = base or self._base(settings)
        select = tuple(settings.select.value) if settings.select.value is not None else None
        key = (id(base), select, settings.ignored, _freeze(settings.unsafe_fixes.value))
        if key not in self._profiles:
            profile = narrowed(base, select, settings.ignored)
            self._profiles[key] = apply_unsafe_fixes(profile, settings.unsafe_fixes.value)
        return self._profiles[key]

    def assign(self, items: list, default: Profile) -> list:
        """Each input (``hardener.walk.Input``) with its configuration: its profile when not ``default``, its name, its exclusion.

        A file an ``exclude`` pattern matches is skipped with the reason, also
        when it was named on the command line (pre-commit and CI name files):
        ruff's ``force-exclude``, always on.
        """
        from hardener.files import STDIN
        from hardener.walk import Skip

        out = []
        for item in items:
            stdin = item.name == STDIN
            path = self.overrides.stdin_filename if stdin else item.name
            settings = self.settings_for(path)
            profile = self.profile_of(settings)
            changes: dict[str, Any] = {}
            if stdin and self.overrides.stdin_filename:
                changes["label"] = self.overrides.stdin_filename
            if profile is not default:
                changes["profile"] = profile
            if settings.excluded is not None and item.skip is None:
                pattern, where = settings.excluded.value, settings.excluded.source
                changes["skip"] = Skip("excluded by the configuration", f"excluded by the configuration ({pattern!r} at {where})")
            out.append(dataclasses.replace(item, **changes) if changes else item)
            if self.notes is not None:
                self.notes(describe(changes.get("label") or ("<stdin>" if stdin else item.name), settings, profile))
        return out

    def _base(self, settings: PathSettings) -> Profile:
        value, config = settings.profile.value, settings.config
        from_cli = settings.profile.source == "--profile"
        key = (value if isinstance(value, str) else id(config), None if from_cli or config is None else config.path)
        if key not in self._bases:
            self._bases[key] = _load_base(value, None if from_cli else config)
        return self._bases[key]


def _freeze(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def _load_base(value: Any, config: ConfigFile | None) -> Profile:
    """The profile a ``profile`` setting names: shipped name, path (relative to its file), or inline mapping."""
    try:
        if isinstance(value, dict):
            assert config is not None
            return load_profile_from_mapping(value, config.path)
        if config is not None and _looks_like_path(value) and not os.path.isabs(value):
            value = os.path.normpath(os.path.join(config.directory, value))
        return load_profile(value)
    except ProfileError as exc:
        if config is None:
            raise
        message = str(exc)
        if message.startswith(config.path + ": "):
            message = message[len(config.path) + 2 :]
        raise config.error("profile", message) from None


def _looks_like_path(name: str) -> bool:
    return "/" in name or "\\" in name or name.endswith((".yaml", ".yml"))


def apply_unsafe_fixes(profile: Profile, unsafe: Any) -> Profile:
    """``unsafe-fixes`` from a configuration or the command line, over the profile's own choice.

    None leaves the profile's choice alone; true allows every transform of
    the profile its unsafe fixes, false none, a list those transforms.
    """
    if unsafe is None:
        return profile
    if isinstance(unsafe, bool):
        return profile.with_unsafe_fixes(unsafe)
    return dataclasses.replace(profile, unsafe_fixes=frozenset(unsafe))


def narrowed(profile: Profile, select: tuple[str, ...] | None, ignore: frozenset[str]) -> Profile:
    """``profile`` running only ``select`` (when given) minus ``ignore``.

    A selected transform the profile does not enable runs with its default
    parameters; one it enables keeps the profile's.
    """
    if select is None and not ignore:
        return profile
    from hardener.registry import default_registry

    transforms = list(profile.transforms)
    if select is not None:
        registry = default_registry()
        wanted = registry.ids() if ALL in select else [registry.canonical(i) for i in select]
        have = {t.id: t for t in transforms}
        transforms = []
        for transform_id in sorted(set(wanted), key=registry.order):
            if transform_id in have:
                transforms.append(have[transform_id])
            else:
                cls = registry.get(transform_id)
                transforms.append(cls(build_params(cls, {}, "--select")))
    if ALL in ignore:
        transforms = []
    transforms = [t for t in transforms if t.id not in ignore]
    return dataclasses.replace(profile, transforms=tuple(transforms))


def check_ids(ids: list[str], option: str) -> list[str]:
    """Transform ids given on the command line (``--select``/``--ignore``), comma-separated or repeated."""
    out: list[str] = []
    for item in ids:
        for transform_id in (part.strip() for part in item.split(",")):
            if transform_id:
                out.append(_canonical(lambda key, problem: ConfigError(f"{option}: {problem}"), option, transform_id))
    return out


def describe(label: str, settings: PathSettings, profile: Profile) -> str:
    """One line for ``-v``: which configuration and profile an input uses."""
    config = settings.config.path if settings.config else "no configuration file"
    text = f"{label}: {config}; profile {profile.name} ({len(profile.transforms)} transforms)"
    if settings.ignored:
        text += f"; ignoring {', '.join(sorted(settings.ignored))}"
    if settings.excluded is not None:
        text += f"; excluded by {settings.excluded.value!r}"
    return text
