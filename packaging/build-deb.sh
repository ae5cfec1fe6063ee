#!/bin/sh
# make deb: one package per supported Debian suite, each built inside that suite's own
# tree (packaging/suite_tree.py), as dist/pgsvc_<version>-1~deb<N>_<arch>.deb:
#   dist/pgsvc_0.1.0-1~deb12_amd64.deb   bookworm, Python 3.11
#   dist/pgsvc_0.1.0-1~deb13_amd64.deb   trixie,   Python 3.13
#
# For each suite (PGSVC_SUITES="bookworm trixie" by default):
#  1. stage the project's files (tracked and untracked-but-not-ignored) in
#     build/deb/<suite>/pgsvc-<version>/, with packaging/debian as debian/ and the
#     systemd/ files as debian/units/, and a changelog entry for the suite on top;
#  2. inside the suite's tree (systemd-nspawn; packaging/build-deb-in-tree.sh): fetch
#     (or, for sdist-only projects, build) the pinned wheels of
#     packaging/vendor-requirements.txt for that suite's Python into debian/wheels —
#     the only network access, never at install time — then dpkg-buildpackage -b
#     (debian/rules installs from those wheels, offline) and that suite's lintian
#     (errors fail the build);
#  3. copy the .deb to dist/.
# Before all that, the units' exposure rating is checked (> 2.0 fails the build).
#
# Needs root, debootstrap and systemd-container (the trees are cached under
# /var/cache/pgsvc-build). PGSVC_STAGE_ONLY=1 (packaging/rpm/build-rpm.sh) only stages
# build/deb/host/pgsvc-<version> with wheels for this machine's /usr/bin/python3.
set -eu

cd "$(dirname "$0")/.."
VERSION=$(sed -n 's/^version *= *"\(.*\)"/\1/p' pyproject.toml | head -1)
OUT=dist
SUITES=${PGSVC_SUITES:-$(python3 -c 'import sys; sys.path.insert(0, "packaging"); import suite_tree; print(" ".join(suite_tree.SUITES))')}

# stage DIR: the source tree as dpkg-buildpackage wants it, in DIR/pgsvc-$VERSION.
stage() {
    stage_dir=$1/pgsvc-$VERSION
    rm -rf "$1"
    mkdir -p "$stage_dir"
    git ls-files -z --cached --others --exclude-standard -- . ':!packaging' ':!tests' ':!bench' ':!.ci' |
        xargs -0 -I{} sh -c '[ -f "{}" ] && cp --parents "{}" "'"$stage_dir"'/" || true'
    cp -r packaging/debian "$stage_dir/debian"
    cp packaging/vendor-requirements.txt packaging/pgsvc-launcher "$stage_dir/debian/"
    mkdir -p "$stage_dir/debian/units"
    cp -r systemd/. "$stage_dir/debian/units/"
}

# add_changelog_entry CHANGELOG VERSION DISTRIBUTION TEXT: a new top entry.
add_changelog_entry() {
    {
        printf 'pgsvc (%s) %s; urgency=medium\n\n  * %s\n\n -- %s  %s\n\n' "$2" "$3" "$4" \
            "$(dpkg-parsechangelog -l "$1" -S Maintainer)" "$(date -R)"
        cat "$1"
    } > "$1.new"
    mv "$1.new" "$1"
}

if [ "${PGSVC_STAGE_ONLY:-}" = 1 ]; then
    PY=/usr/bin/python3
    stage build/deb/host
    echo "== downloading vendored wheels for $($PY -V) ($(dpkg --print-architecture))"
    $PY -m pip wheel --disable-pip-version-check --no-cache-dir --isolated -q \
        --prefer-binary --no-deps -w "build/deb/host/pgsvc-$VERSION/debian/wheels" \
        -r packaging/vendor-requirements.txt
    exit 0
fi

for tool in dpkg-parsechangelog debootstrap systemd-nspawn; do
    command -v "$tool" >/dev/null || {
        echo "make deb: $tool is missing: apt-get install dpkg-dev debootstrap systemd-container" >&2
        exit 1
    }
done
if [ "$(id -u)" != 0 ]; then
    echo "make deb: needs root (each suite's package is built in a debootstrapped tree under systemd-nspawn)" >&2
    exit 1
fi

echo "== systemd-analyze security (exposure must stay <= 2.0)"
systemd-analyze security --offline=true --threshold=20 --no-pager \
    systemd/pgsvc.service systemd/pgsvc@.service | grep 'Overall exposure'

mkdir -p "$OUT"
rm -f "$OUT/pgsvc_${VERSION}_"*.deb   # the single package of earlier builds (no suite in its version)
for suite in $SUITES; do
    set -- $(python3 packaging/suite_tree.py info "$suite")
    debver=$1 pyver=$2
    echo "== $suite (Debian $debver, Python $pyver): staging pgsvc $VERSION in build/deb/$suite"
    stage "build/deb/$suite"
    changelog=build/deb/$suite/pgsvc-$VERSION/debian/changelog
    upstream=$(dpkg-parsechangelog -l "$changelog" -S Version | sed 's/-[^-]*$//')
    revision=$(dpkg-parsechangelog -l "$changelog" -S Version | sed -n 's/.*-\([^-]*\)$/\1/p')
    if [ "$upstream" != "$VERSION" ]; then
        # A development build: pyproject.toml moved on before packaging/debian/changelog.
        echo "== pyproject.toml says $VERSION, debian/changelog $upstream: adding a development entry"
        revision=0
        add_changelog_entry "$changelog" "$VERSION-$revision" unstable "Development build."
    fi
    # As backports name theirs: 0.1.0-1~deb12 sorts before 0.1.0-1 and before ~deb13,
    # so an upgrade from bookworm to trixie upgrades the package too.
    add_changelog_entry "$changelog" "$VERSION-${revision:-1}~deb$debver" "$suite" \
        "Build for Debian $debver ($suite), Python $pyver."
    cp packaging/build-deb-in-tree.sh "build/deb/$suite/"
    python3 packaging/suite_tree.py run "$suite" --timeout 1800 \
        --bind "$(pwd)/build/deb/$suite:/build" --chdir "/build/pgsvc-$VERSION" \
        -- sh /build/build-deb-in-tree.sh "$pyver"
    deb=$(ls build/deb/"$suite"/pgsvc_"$VERSION"-*~deb"$debver"_*.deb)
    rm -f "$OUT"/pgsvc_*~deb"$debver"_*.deb
    cp "$deb" "$OUT/"
    echo "== built $OUT/$(basename "$deb")"
done
ls -l "$OUT"/pgsvc_*.deb
