#!/bin/sh
# make rpm: dist/pgsvc-<version>-1.<arch>.rpm with rpmbuild (optional; skipped with a
# message where rpmbuild is missing). Reuses the Debian build's staging: the source
# tree with packaging files under debian/, and the wheels of vendor-requirements.txt.
set -eu
cd "$(dirname "$0")/../.."
if ! command -v rpmbuild >/dev/null; then
    echo "make rpm: rpmbuild is not installed (apt-get install rpm); skipping" >&2
    exit 0
fi
VERSION=$(sed -n 's/^version *= *"\(.*\)"/\1/p' pyproject.toml | head -1)
TOP=$(pwd)/build/rpm
rm -rf "$TOP"
mkdir -p "$TOP/SOURCES" "$TOP/SPECS" dist

# The same staged tree as `make deb` (without running dpkg-buildpackage).
PGSVC_STAGE_ONLY=1 sh packaging/build-deb.sh
STAGE=build/deb/host/pgsvc-$VERSION
tar -C "$STAGE/debian/wheels" -cf "$TOP/SOURCES/wheels.tar" .
tar -C build/deb/host --exclude="pgsvc-$VERSION/debian/wheels" -czf "$TOP/SOURCES/pgsvc-$VERSION.tar.gz" "pgsvc-$VERSION"
cp packaging/rpm/pgsvc.spec "$TOP/SPECS/"

NODEPS=
if ! rpm -q rpm >/dev/null 2>&1; then
    # rpmbuild on a non-RPM system (Debian): its rpm database is empty, so the
    # BuildRequires cannot be checked by rpm; they are installed through apt instead.
    echo "make rpm: no RPM database here; building with --nodeps" >&2
    NODEPS=--nodeps
fi
rpmbuild $NODEPS --define "_topdir $TOP" --define "pgsvc_version $VERSION" -bb "$TOP/SPECS/pgsvc.spec"
rm -f dist/pgsvc-*.rpm
cp "$TOP"/RPMS/*/pgsvc-"$VERSION"-*.rpm dist/
ls -l dist/pgsvc-*.rpm
