"""The image cache the contract passes says what the images built here are: their users, as podman reads them.

A repository commits its `hardener-images.yaml` after `hardener --resolve-images` read its images'
users from their registries; the images here are in no registry, so this file is written from
`podman image inspect`, and must not drift from the Containerfiles.
"""

from __future__ import annotations

from hardener.images import parse_reference
from hardener.resolve import read_cache
from tests.runtime import images
from tests.runtime.contract import IMAGE_CACHE


def test_the_image_cache_holds_the_user_of_every_application_image(runtime):
    cached = {entry.image: entry.user for entry in read_cache(str(IMAGE_CACHE))}
    built = {
        str(parse_reference(tag)): images.image_user(tag)
        for recipe in images.recipes()
        if "apps" in recipe.containerfile.parts
        for tag in recipe.tags
    }
    assert cached == built
