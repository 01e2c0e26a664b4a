#!/bin/sh
# Check that the host has the tools the build, the emulators and the graders
# need.  As root on Debian/Ubuntu, install what is missing with apt-get;
# otherwise print the apt-get line to run.
#
# Each line: a command to look for (or "-" to ask dpkg whether the package
# itself is installed), and the Debian package that provides it.
set -u

need='
gcc                       gcc
ld                        binutils
make                      make
grub-mkrescue             grub-common
-                         grub-pc-bin
xorriso                   xorriso
mformat                   mtools
mkfs.fat                  dosfstools
qemu-system-x86_64        qemu-system-x86
bochs                     bochs
-                         bochsbios
-                         vgabios
-                         bochs-term
gdb                       gdb
python3                   python3
clang-format-14           clang-format-14
clang                     clang
-                         libclang-rt-14-dev
cppcheck                  cppcheck
-                         python3-pyflakes
-                         python3-pyte
-                         python3-matplotlib
dpkg-source               dpkg-dev
musl-gcc                  musl-tools
-                         console-setup-linux
'

missing=$(echo "$need" | while read -r what pkg; do
	[ -n "$what" ] || continue
	case $what in
	-) dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'ok installed' ||
		echo "$pkg" ;;
	*) command -v "$what" >/dev/null 2>&1 || echo "$pkg" ;;
	esac
done | sort -u | tr '\n' ' ')

[ -z "$missing" ] && exit 0

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
	echo "deps: installing $missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq && apt-get install -y -qq --no-install-recommends $missing || exit 1
	exit 0
fi
echo "deps: missing tools; install them with:"
echo "  sudo apt-get install -y $missing"
exit 1
