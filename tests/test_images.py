"""Image facts: references read as a kubelet reads them, the shipped table, and a profile's own entries."""

from __future__ import annotations

import pytest

from hardener.errors import ProfileError
from hardener.images import ImageFacts, ImageTable, parse_reference, shipped_table
from hardener.profile import load_profile


@pytest.mark.parametrize(
    ("image", "expected"),
    [
        ("nginx", "docker.io/library/nginx:latest"),
        ("nginx:1.25", "docker.io/library/nginx:1.25"),
        ("bitnami/redis:7.2", "docker.io/bitnami/redis:7.2"),
        ("index.docker.io/library/nginx:1", "docker.io/library/nginx:1"),
        ("registry.k8s.io/ingress-nginx/controller:v1.9.4@sha256:" + "a" * 64, "registry.k8s.io/ingress-nginx/controller:v1.9.4@sha256:" + "a" * 64),
        ("localhost:5000/app", "localhost:5000/app:latest"),
        ("localhost/app:2", "localhost/app:2"),
        ("ghcr.io/org/app@sha256:" + "b" * 64, "ghcr.io/org/app@sha256:" + "b" * 64),
    ],
)
def test_references_are_normalized_as_docker_does(image, expected):
    assert str(parse_reference(image)) == expected


@pytest.mark.parametrize("image", ["", "{{ .Values.image }}", "nginx latest", "Nginx:1", "$(IMAGE)"])
def test_what_cannot_be_an_image_reference_is_not_one(image):
    assert parse_reference(image) is None


def test_the_shipped_table_knows_the_official_nginx_image_with_its_source():
    nginx = shipped_table().lookup("nginx:1.25")
    assert (nginx.user_kind, nginx.run_as_user, nginx.writable) == ("root", 101, ("/var/cache/nginx", "/var/run"))
    assert nginx.source.startswith("https://github.com/nginxinc/docker-nginx/")
    assert shipped_table().lookup("docker.io/nginxinc/nginx-unprivileged:1.25").user_kind == "numeric"
    assert shipped_table().lookup("registry.example.com/nginx:1.25") is None
    assert all(entry.source for entry in shipped_table().entries)


def test_tag_globs_and_exact_references():
    table = ImageTable((
        ImageFacts("gcr.io/distroless/static-debian12:*nonroot", "65532", "s"),
        ImageFacts("registry.example.com/app", "", "whole repository"),
        ImageFacts("registry.example.com/app:2", "10001", "resolved"),
    ))  # fmt: skip
    assert table.lookup("gcr.io/distroless/static-debian12:debug-nonroot").uid == 65532
    assert table.lookup("gcr.io/distroless/static-debian12:latest") is None
    assert table.lookup("registry.example.com/app:1").source == "whole repository"
    assert table.lookup("registry.example.com/app:2").source == "whole repository; resolved"  # both said something


@pytest.mark.parametrize(
    ("user", "kind"),
    [("", "root"), ("0", "root"), ("0:0", "root"), ("root", "named"), ("redis", "named"), ("65532", "numeric"), ("1000:1000", "numeric")],
)
def test_users_are_read_as_the_kubelet_reads_them(user, kind):
    assert ImageFacts("x", user, "s").user_kind == kind


def test_a_profile_extends_the_table(tmp_path):
    profile = tmp_path / "team.yaml"
    profile.write_text(
        "extends: restricted\n"
        "images:\n"
        "  - image: registry.example.com/platform/redis\n"
        "    user: redis\n"
        "    runAsUser: 999\n"
        "    writable: [/data]\n"
        "    source: our Containerfile, USER redis (useradd --uid 999)\n"
    )
    images = load_profile(str(profile)).images
    assert images.lookup("registry.example.com/platform/redis:7.0").run_as_user == 999
    assert images.lookup("nginx").run_as_user == 101  # the shipped table is still there


@pytest.mark.parametrize(
    ("entry", "error"),
    [
        ("  - {image: app, user: ''}", "images: entry 1: source: required, a string"),
        ("  - {image: app, source: s}", "images: entry 1: user: required, a string (the image config's User; \"\" for root)"),
        ("  - {image: app, user: '', source: s, runAsUser: 0}", "images: entry 1: runAsUser: a non-zero UID, got 0"),
        ("  - {image: app, user: '', source: s, writable: [tmp]}", "images: entry 1: writable: a list of absolute paths"),
        ("  - {image: app, user: '', source: s, uid: 1}", "images: entry 1: unknown key uid; allowed: image, note, runAsUser, source, user, writable"),
        ("  - {image: 'Not An Image', user: '', source: s}", "images: entry 1: image: 'Not An Image' is not an image reference"),
    ],
)
def test_bad_entries_name_the_profile_and_the_entry(tmp_path, entry, error):
    profile = tmp_path / "p.yaml"
    profile.write_text(f"extends: restricted\nimages:\n{entry}\n")
    with pytest.raises(ProfileError) as exc:
        load_profile(str(profile))
    assert str(exc.value) == f"{profile}: {error}"


def test_entries_add_up_field_by_field_the_more_specific_winning():
    table = shipped_table().extended((ImageFacts("docker.io/library/nginx:1.25", "", "docker.io: manifest sha256:abc"),))
    nginx = table.lookup("nginx:1.25")
    assert (nginx.user, nginx.run_as_user, nginx.writable) == ("", 101, ("/var/cache/nginx", "/var/run"))
    assert nginx.source.endswith("; docker.io: manifest sha256:abc")
    retagged = table.extended((ImageFacts("docker.io/library/nginx:1.25", "101", "our mirror"),)).lookup("nginx:1.25")
    assert (retagged.user_kind, retagged.run_as_user) == ("numeric", 101)


def test_profiles_show_lists_the_images_a_profile_adds(tmp_path):
    import subprocess
    import sys

    profile = tmp_path / "team.yaml"
    profile.write_text("extends: restricted\nimages:\n  - {image: registry.example.com/app, user: '10001', source: our Containerfile}\n")
    shown = subprocess.run([sys.executable, "-m", "hardener", "profiles", "show", str(profile)], capture_output=True, text=True).stdout
    assert shown.endswith("images:\n- image: registry.example.com/app\n  user: '10001'\n  source: our Containerfile\n")
    restricted = subprocess.run([sys.executable, "-m", "hardener", "profiles", "show", "restricted"], capture_output=True, text=True).stdout
    assert "images:" not in restricted  # the shipped table is hardener's, not the profile's
