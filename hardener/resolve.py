"""``--resolve-images`` and the image cache: registry facts, read once, committed, reused offline.

The cache (``hardener-images.yaml`` unless ``--image-cache`` names another
file) is an image table like the shipped one: one entry per image reference
that ``--resolve-images`` read, with the manifest digest it read. Runs
without ``--resolve-images`` only read it, so a CI job that has the file
gets the same facts every time and never touches the network. With
``--resolve-images``, every image the inputs' workloads name that neither the
cache nor the profile's table knows is read from its registry and added; a
registry that cannot answer is reported and the image stays unknown.
"""

from __future__ import annotations

import datetime
import io
import json
import sys
from typing import IO, Iterable

from hardener.errors import InputError
from hardener.images import ImageFacts, ImageTable, parse_reference, read_table
from hardener.stream import split
from hardener.textio import decode
from hardener.workloads import BUILTIN_KINDS, CONTAINER_LISTS, locate, lookup, mentions_kind
from hardener.yamlnodes import compose, to_data

DEFAULT_CACHE = "hardener-images.yaml"
_HEADER = (
    "# Image facts read from the registries by `hardener --resolve-images`; commit this file so\n"
    "# that runs without network access (CI) know the same images. Entries are kept as written.\n"
)
_KINDS = frozenset(kind.kind for kind in BUILTIN_KINDS)


def read_cache(path: str) -> tuple[ImageFacts, ...]:
    """The entries of the cache file, none when it does not exist."""
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except FileNotFoundError:
        return ()
    except OSError as exc:
        raise InputError(f"cannot read the image cache: {exc.strerror or exc}", file=path) from None
    return read_table(text, path)


def write_cache(path: str, entries: Iterable[ImageFacts]) -> None:
    """Write the cache, sorted by image, in a form diffs read well (one key per line)."""
    lines = [_HEADER, "images:\n"]
    for entry in sorted(entries, key=lambda e: e.image):
        for number, (key, value) in enumerate(entry.to_entry().items()):
            lines.append(f"{'- ' if number == 0 else '  '}{key}: {json.dumps(value)}\n")
    with open(path, "w", encoding="utf-8", newline="\n") as handle:
        handle.write("".join(lines))


def images_in(data: bytes, name: str) -> list[str]:
    """The images the workloads of one input name (documents that do not parse are left to the run)."""
    try:
        text, _ = decode(data, name)
    except InputError:
        return []
    found: list[str] = []
    for chunk in split(text):
        if not chunk.is_document or not mentions_kind(chunk.text, _KINDS):
            continue
        try:
            document = to_data(compose(chunk.text, file=name)).data
        except InputError:
            continue
        for location in locate(document):
            spec = lookup(document, location.pod_spec_path)
            for list_name in CONTAINER_LISTS:
                containers = lookup(spec, (list_name,))
                for container in containers if isinstance(containers, list) else ():
                    image = lookup(container, ("image",))
                    if isinstance(image, str) and image not in found:
                        found.append(image)
    return found


def resolve(images: Iterable[str], known: ImageTable, err: IO[str], resolver=None) -> list[ImageFacts]:
    """Facts for every image ``known`` does not cover, read from its registry; failures are reported."""
    from hardener.oci import RegistryError, resolve_user

    resolver = resolver or resolve_user
    today = datetime.date.today().isoformat()
    resolved: list[ImageFacts] = []
    seen: set[str] = set()
    for image in images:
        reference = parse_reference(image)
        if reference is None or str(reference) in seen or known.lookup(image) is not None:
            continue
        seen.add(str(reference))
        try:
            answer = resolver(reference)
        except RegistryError as exc:
            err.write(f"warning: --resolve-images: {exc}; the image stays unknown\n")
            continue
        source = f"{reference.registry}: manifest {answer.digest}, read {today}"
        resolved.append(ImageFacts(str(reference), answer.user, source))
        err.write(f"resolved {reference}: user {answer.user or '(none: root)'}\n")
    return resolved


def stdin_images(err: IO[str]) -> list[str]:
    """The images named on standard input, which is read whole and put back for the run to read."""
    data = sys.stdin.buffer.read()
    sys.stdin = io.TextIOWrapper(io.BytesIO(data))
    return images_in(data, "<stdin>")


def file_images(names: Iterable[str]) -> list[str]:
    found: list[str] = []
    for name in names:
        try:
            with open(name, "rb") as handle:
                data = handle.read()
        except OSError:
            continue  # the run reports it
        found.extend(image for image in images_in(data, name) if image not in found)
    return found




def image_facts_for_run(known: ImageTable, paths: list[str], *, resolve_images: bool, cache: str | None, err: IO[str], chart_values: bool = False) -> tuple[ImageFacts, ...]:
    """The cache's entries and, with ``resolve_images``, those read now for the images ``known`` and the cache do not cover."""
    from hardener.files import STDIN
    from hardener.walk import collect

    path = cache or DEFAULT_CACHE
    cached = read_cache(path)
    if not resolve_images:
        return cached
    items = [item for item in collect(paths, chart_values) if item.skip is None and item.chart is None]
    images = stdin_images(err) if any(item.name == STDIN for item in items) else []
    images += [image for image in file_images(item.name for item in items if item.name != STDIN) if image not in images]
    new = resolve(images, known.extended(cached), err)
    if new:
        write_cache(path, cached + tuple(new))
        err.write(f"wrote {len(new)} image(s) to {path}\n")
    return cached + tuple(new)
