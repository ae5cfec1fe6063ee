#!/bin/sh
# Runs inside a suite's tree (packaging/build-deb.sh, through suite_tree.py run), in the
# staged source directory: wheels for this suite's Python, dpkg-buildpackage, lintian.
set -eu
PY=/usr/bin/python3            # the suite's interpreter: the wheels must match its ABI
expected=$1
actual=$($PY -c 'import sys; print("%d.%d" % sys.version_info[:2])')
if [ "$actual" != "$expected" ]; then
    echo "build-deb: this tree's python3 is $actual, suite_tree.SUITES says $expected" >&2
    exit 1
fi

echo "== downloading vendored wheels for $($PY -V) ($(dpkg --print-architecture))"
# pip wheel: published wheels are taken as they are (pglast's manylinux wheel);
# a project that publishes only an sdist (sdnotify) is built into a wheel here.
$PY -m pip wheel --disable-pip-version-check --no-cache-dir --isolated -q \
    --prefer-binary --no-deps -w debian/wheels -r debian/vendor-requirements.txt
ls debian/wheels

echo "== dpkg-buildpackage"
dpkg-buildpackage -us -uc -b

echo "== lintian ($(lintian --version))"
# --fail-on error: warnings are printed, errors fail `make deb`.
lintian --fail-on error --display-info ../pgsvc_*.deb
dpkg-deb --info ../pgsvc_*.deb | sed -n '/Package:/,$p'
