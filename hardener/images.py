"""What hardener knows about container images: their user, a UID they work as, the paths they write.

A transform that adds ``runAsNonRoot: true`` to an image whose user is root
(or a name) makes the kubelet refuse the container; one that adds
``readOnlyRootFilesystem: true`` crashes an image that writes its cache. When
the image is known, hardener acts on what it knows instead: it sets a UID the
image works as, mounts what it writes, or says why it will not apply a
setting. Facts come from three places, later ones winning:

* the table shipped with hardener (``images.yaml``: official images, each
  entry with its source);
* a profile's ``images:`` list (a team's own images);
* the image cache (``--image-cache``, default ``hardener-images.yaml``):
  what ``--resolve-images`` read from the registries, committed with the
  manifests so CI runs offline and gets the same answer every time.

Every entry has the same shape in all three::

    - image: docker.io/library/nginx   # a repository (any tag), or repository:tag, tags as globs
      user: ""                         # the image config's User ("" is root)
      runAsUser: 101                   # optional: a numeric UID the image works as
      writable: [/var/cache/nginx]     # optional: paths it writes outside volumes
      note: listens on port 80         # optional: what else to know
      source: https://...              # required: where these facts come from

Unknown images keep hardener's generic behaviour and guidance.
"""

from __future__ import annotations

import fnmatch
import functools
import re
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, Iterable

from hardener.errors import InputError, ProfileError
from hardener.model import unknown_keys
from hardener.yamlnodes import compose, to_data

_KEYS = {"image", "user", "runAsUser", "writable", "note", "source"}
_ROOT, _NUMERIC, _NAMED = "root", "numeric", "named"
_NOT_A_REFERENCE = re.compile(r"[\s{}$\"']")  # a template, a quoted value, two words
_LOOKUPS_KEPT = 4096  # a stream names few images, but a generated one may name a new one per document


@dataclass(frozen=True)
class Reference:
    """An image reference as a kubelet reads it: ``nginx`` is ``docker.io/library/nginx:latest``."""

    registry: str
    repository: str
    """The path inside the registry (``library/nginx``)."""
    tag: str | None
    digest: str | None

    @property
    def name(self) -> str:
        """``docker.io/library/nginx``: the registry and repository, no tag."""
        return f"{self.registry}/{self.repository}"

    def __str__(self) -> str:
        return self.name + (f":{self.tag}" if self.tag else "") + (f"@{self.digest}" if self.digest else "")


def parse_reference(image: str) -> Reference | None:
    """Docker's normalization of an image name; None for what cannot be one (a template, spaces)."""
    image = image.strip()
    if not image or _NOT_A_REFERENCE.search(image):
        return None
    name, _, digest = image.partition("@")
    first, _, rest = name.partition("/")
    if rest and ("." in first or ":" in first or first == "localhost"):
        registry, path = first, rest
    else:
        registry, path = "docker.io", name
    if registry in ("index.docker.io", "registry-1.docker.io"):
        registry = "docker.io"
    tag = None
    if ":" in path.rsplit("/", 1)[-1]:
        path, _, tag = path.rpartition(":")
    if registry == "docker.io" and "/" not in path:
        path = f"library/{path}"
    if not path or path != path.lower():
        return None
    if tag is None and not digest:
        tag = "latest"
    return Reference(registry, path, tag, digest or None)


@dataclass(frozen=True)
class ImageFacts:
    """One entry of the table: an image (or all tags of a repository) and what is known about it."""

    image: str
    user: str
    source: str
    run_as_user: int | None = None
    writable: tuple[str, ...] = ()
    note: str = ""

    @property
    def user_kind(self) -> str:
        """How the kubelet reads the user for ``runAsNonRoot``: ``root``, ``numeric`` (non-zero) or ``named``."""
        uid = self.user.split(":", 1)[0]
        if uid in ("", "0"):
            return _ROOT
        if uid.isdigit():
            return _NUMERIC if int(uid) != 0 else _ROOT
        return _NAMED

    @property
    def uid(self) -> int | None:
        """The image's numeric UID, when its user is numeric."""
        uid = self.user.split(":", 1)[0]
        return int(uid) if uid.isdigit() else None

    def describe_user(self) -> str:
        """``runs as root (no USER)``, ``runs as UID 65532``, ``runs as the user name redis``."""
        if self.user_kind == _NUMERIC:
            return f"runs as UID {self.uid}"
        if self.user_kind == _NAMED:
            return f"runs as the user name {self.user.split(':', 1)[0]!r}, which the kubelet cannot check is not root"
        return "runs as root" + (" (no USER)" if not self.user else f" (USER {self.user})")

    def matches(self, reference: Reference) -> bool:
        name, tag = self._pattern
        if name != reference.name:
            return False
        return not tag or (reference.tag is not None and fnmatch.fnmatchcase(reference.tag, tag))

    @functools.cached_property
    def _pattern(self) -> tuple[str | None, str]:
        """The repository this entry is about and its tag glob ("" for every tag), parsed once."""
        name, _, tag = self.image.partition(":") if ":" in self.image.rsplit("/", 1)[-1] else (self.image, "", "")
        wanted = parse_reference(name)
        return (wanted.name if wanted is not None else None), tag

    def to_entry(self) -> dict:
        """The entry as the YAML table writes it."""
        entry: dict[str, Any] = {"image": self.image, "user": self.user}
        if self.run_as_user is not None:
            entry["runAsUser"] = self.run_as_user
        if self.writable:
            entry["writable"] = list(self.writable)
        if self.note:
            entry["note"] = self.note
        entry["source"] = self.source
        return entry


@dataclass(frozen=True)
class ImageTable:
    """Facts by image, from entries that add up.

    Every entry that matches a reference contributes, the more specific
    (an exact reference over a tag glob over a whole repository) and, among
    equals, the later (a profile's over the shipped table, the cache's over
    both) winning field by field; a field an entry leaves out does not erase
    what another said. So a resolved ``user`` for ``nginx:1.25`` keeps the
    table's UID and writable paths for every nginx image.
    """

    entries: tuple[ImageFacts, ...] = ()
    _looked_up: dict = field(default_factory=dict, compare=False, repr=False)
    """Answers by image text: two transforms ask about every container's image."""

    def lookup(self, image: Any) -> ImageFacts | None:
        if not isinstance(image, str):
            return None
        if image not in self._looked_up:
            if len(self._looked_up) >= _LOOKUPS_KEPT:
                self._looked_up.clear()
            self._looked_up[image] = self._lookup(image)
        return self._looked_up[image]

    def _lookup(self, image: str) -> ImageFacts | None:
        reference = parse_reference(image)
        if reference is None:
            return None
        exact = str(reference)
        matches = [entry for entry in self.entries if entry.image == exact or entry.matches(reference)]
        matches.sort(key=lambda entry: 2 if entry.image == exact else 1 if ":" in entry.image.rsplit("/", 1)[-1] else 0)
        if not matches:
            return None
        facts = matches[0]
        for entry in matches[1:]:
            facts = ImageFacts(
                image=entry.image,
                user=entry.user,
                source=facts.source if entry.source == facts.source else f"{facts.source}; {entry.source}",
                run_as_user=entry.run_as_user if entry.run_as_user is not None else facts.run_as_user,
                writable=entry.writable or facts.writable,
                note=entry.note or facts.note,
            )
        return facts

    def extended(self, entries: Iterable[ImageFacts]) -> "ImageTable":
        return ImageTable(self.entries + tuple(entries))


def parse_entries(raw: Any, source: str) -> tuple[ImageFacts, ...]:
    """A list of entries (shipped table, a profile's ``images:``, the cache), checked; errors name ``source``."""
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise ProfileError(f"{source}: images: expected a list of entries (image, user, source, ...)")
    entries = []
    for number, item in enumerate(raw, 1):
        where = f"{source}: images: entry {number}"
        if not isinstance(item, dict):
            raise ProfileError(f"{where}: expected a mapping with image, user and source")
        unknown = set(item) - _KEYS
        if unknown:
            raise ProfileError(f"{where}: {unknown_keys(unknown, sorted(_KEYS))}")
        for key in ("image", "source"):
            if not isinstance(item.get(key), str) or not item[key]:
                raise ProfileError(f"{where}: {key}: required, a string")
        if not isinstance(item.get("user"), str):
            raise ProfileError(f"{where}: user: required, a string (the image config's User; \"\" for root)")
        if parse_reference(item["image"].replace("*", "x").replace("?", "x")) is None:
            raise ProfileError(f"{where}: image: {item['image']!r} is not an image reference")
        uid = item.get("runAsUser")
        if uid is not None and (isinstance(uid, bool) or not isinstance(uid, int) or not 1 <= uid <= 2147483647):
            raise ProfileError(f"{where}: runAsUser: a non-zero UID, got {uid!r}")
        writable = item.get("writable") or []
        if not isinstance(writable, list) or not all(isinstance(p, str) and p.startswith("/") for p in writable):
            raise ProfileError(f"{where}: writable: a list of absolute paths")
        note = item.get("note") or ""
        if not isinstance(note, str):
            raise ProfileError(f"{where}: note: a string")
        entries.append(ImageFacts(item["image"], item["user"], item["source"], uid, tuple(writable), note))
    return tuple(entries)


def read_table(text: str, source: str) -> tuple[ImageFacts, ...]:
    """The entries of a table file: a mapping with ``images:`` (the shipped table, the cache)."""
    try:
        data = to_data(compose(text, file=source), file=source, text=text).data if text.strip() else {}
    except InputError as exc:
        raise ProfileError(str(exc)) from None
    if data is None:
        return ()
    if not isinstance(data, dict) or set(data) - {"images"}:
        raise ProfileError(f"{source}: expected a mapping with one key, images")
    return parse_entries(data.get("images"), source)


@functools.lru_cache(maxsize=1)
def shipped_table() -> ImageTable:
    """The table that ships with hardener."""
    text = (resources.files("hardener") / "images.yaml").read_text(encoding="utf-8")
    return ImageTable(read_table(text, "images.yaml (shipped)"))
