#!/bin/sh
# fetch-musl-source.sh [DIR [VERSION]] -- download Debian's musl source
# package (default version 1.2.3) into DIR (default build/download/musl).
#
# libc/libc.mk builds the OS's C library from Debian 12's musl source package
# (musl 1.2.3).  `apt-get source --download-only musl` fetches it, but only
# when apt knows a `deb-src` entry for the Debian archive, and a stock Debian
# 12 image has only `deb` entries.  Changing the system's apt configuration is
# not something a makefile should do quietly, so it lives here:
#
#   1. If DIR already holds musl_VERSION.orig.tar.gz, there is nothing to do.
#   2. If apt can already download the source, download it.
#   3. Else, as root: write /etc/apt/sources.list.d/debian-src.sources (a copy
#      of debian.sources with `Types: deb-src`), run `apt-get update`, and
#      download.
#   4. Else (not root): print the exact commands to run, and fail.
#
# The download folder lives under build/ but survives `make clean`, so this
# runs once per build tree.  apt's chatter goes to standard output; this
# script's own messages, and only those, go to standard error.
set -eu

dir=${1:-build/download/musl}
version=${2:-1.2.3}
pkg=musl
sources=/etc/apt/sources.list.d/debian.sources
src_sources=/etc/apt/sources.list.d/debian-src.sources

have_orig() {
	[ -f "$dir/${pkg}_$version.orig.tar.gz" ]
}

# apt-get source downloads into the current directory.
download() {
	(cd "$dir" && apt-get source --download-only -q "$pkg" 2>&1)
}

# Is some deb-src entry (one-line or deb822 format) configured?
have_deb_src() {
	grep -Eqs '^[[:space:]]*(deb-src[[:space:]]|Types:.*deb-src)' \
		/etc/apt/sources.list /etc/apt/sources.list.d/*.list \
		/etc/apt/sources.list.d/*.sources
}

mkdir -p "$dir"
have_orig && exit 0

# Quietly try first: works when deb-src is set up and the lists are current.
if have_deb_src && download >/dev/null 2>&1 && have_orig; then
	exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
	if ! have_deb_src; then
		if [ ! -f "$sources" ]; then
			echo "fetch-musl-source: $sources not found; add a deb-src" \
			     "entry for Debian 12 (bookworm) by hand" >&2
			exit 1
		fi
		echo "fetch-musl-source: adding $src_sources (deb-src copy of $sources)" >&2
		sed 's/^Types:.*/Types: deb-src/' "$sources" >"$src_sources"
	fi
	apt-get update -q 2>&1
	download
	have_orig && exit 0
	echo "fetch-musl-source: apt-get source did not give" \
	     "${pkg}_$version.orig.tar.gz (got: $(ls "$dir"))." >&2
	echo "Is this Debian 12 (bookworm)?  Check 'apt-cache showsrc $pkg'." >&2
	exit 1
fi

# Not root: say exactly what to do.
if have_deb_src; then
	add_src=""
else
	add_src="  sed 's/^Types:.*/Types: deb-src/' $sources > $src_sources
"
fi
cat >&2 <<MSG
fetch-musl-source: cannot download Debian's musl $version source package.
apt needs a deb-src entry and fresh package lists; as root, run:

$add_src  apt-get update

then run make again (or, as any user:
  mkdir -p $dir && cd $dir && apt-get source --download-only $pkg).
MSG
exit 1
