#!/bin/sh
# make deb: build dist/pgsvc_<version>_<arch>.deb from the work tree.
#
#  1. stage the project's files (tracked and untracked-but-not-ignored) in
#     build/deb/pgsvc-<version>/, with packaging/debian as debian/ and the
#     systemd/ files as debian/units/;
#  2. fetch (or, for sdist-only projects, build) the pinned wheels of packaging/vendor-requirements.txt for this
#     machine's Python (/usr/bin/python3) into debian/wheels — the only network
#     access, and it happens here, never at install time;
#  3. dpkg-buildpackage -b (debian/rules installs from those wheels, offline);
#  4. lintian on the result: errors fail the build.
# Before all that, the units' exposure rating is checked (> 2.0 fails the build).
set -eu

cd "$(dirname "$0")/.."
TOP=$(pwd)
PY=/usr/bin/python3            # Debian's interpreter: the wheels must match its ABI
VERSION=$(sed -n 's/^version *= *"\(.*\)"/\1/p' pyproject.toml | head -1)
STAGE=build/deb/pgsvc-$VERSION
OUT=dist

for tool in dpkg-parsechangelog dpkg-buildpackage dh dh_python3 lintian; do
    command -v "$tool" >/dev/null || {
        echo "make deb: $tool is missing: apt-get install debhelper dh-python python3-pip python3-setuptools python3-wheel lintian" >&2
        exit 1
    }
done

echo "== systemd-analyze security (exposure must stay <= 2.0)"
systemd-analyze security --offline=true --threshold=20 --no-pager \
    systemd/pgsvc.service systemd/pgsvc@.service | grep 'Overall exposure'

echo "== staging pgsvc $VERSION in $STAGE"
rm -rf build/deb
mkdir -p "$STAGE" "$OUT"
git ls-files -z --cached --others --exclude-standard -- . ':!packaging' ':!tests' ':!bench' ':!.ci' |
    xargs -0 -I{} sh -c '[ -f "{}" ] && cp --parents "{}" "'"$STAGE"'/" || true'
cp -r packaging/debian "$STAGE/debian"
cp packaging/vendor-requirements.txt packaging/pgsvc-launcher "$STAGE/debian/"
mkdir -p "$STAGE/debian/units"
cp -r systemd/. "$STAGE/debian/units/"

changelog_version=$(dpkg-parsechangelog -l "$STAGE/debian/changelog" -S Version)
if [ "$changelog_version" != "$VERSION" ]; then
    # A development build: pyproject.toml moved on before packaging/debian/changelog.
    echo "== pyproject.toml says $VERSION, debian/changelog $changelog_version: adding a changelog entry in the staged copy"
    {
        printf 'pgsvc (%s) unstable; urgency=medium\n\n  * Development build.\n\n -- %s  %s\n\n' \
            "$VERSION" "$(dpkg-parsechangelog -l "$STAGE/debian/changelog" -S Maintainer)" "$(date -R)"
        cat "$STAGE/debian/changelog"
    } > "$STAGE/debian/changelog.new"
    mv "$STAGE/debian/changelog.new" "$STAGE/debian/changelog"
fi

echo "== downloading vendored wheels for $($PY -V) ($(dpkg --print-architecture))"
# pip wheel: published wheels are taken as they are (pglast's manylinux wheel);
# a project that publishes only an sdist (sdnotify) is built into a wheel here.
$PY -m pip wheel --disable-pip-version-check --no-cache-dir --isolated -q \
    --prefer-binary --no-deps -w "$STAGE/debian/wheels" \
    -r packaging/vendor-requirements.txt
ls "$STAGE/debian/wheels"

if [ "${PGSVC_STAGE_ONLY:-}" = 1 ]; then
    exit 0  # packaging/rpm/build-rpm.sh wants only the staged tree and the wheels
fi

echo "== dpkg-buildpackage"
(cd "$STAGE" && dpkg-buildpackage -us -uc -b)

DEB=$(ls build/deb/pgsvc_"$VERSION"_*.deb)
rm -f "$OUT"/pgsvc_*.deb
cp "$DEB" "$OUT/"
DEB=$OUT/$(basename "$DEB")

echo "== lintian $DEB"
# --fail-on error: warnings are printed, errors fail `make deb`.
lintian --fail-on error --display-info "$DEB"
echo "== built $DEB"
dpkg-deb --info "$DEB" | sed -n '/Package:/,$p'
