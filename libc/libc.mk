# libc/libc.mk -- the C library of user programs: musl, built into a sysroot.
#
# The top-level GNUmakefile includes this fragment; it also works alone, run
# from the top of the tree:
#
#     make -f libc/libc.mk libc                # build $(SYSROOT)
#     make -f libc/libc.mk build/user/hello    # build one user program
#
# How the sysroot is made (each step is a file target, so make redoes only
# what is out of date; libc/README.md tells the whole story):
#
#   $(MUSL_ORIG)              Debian's musl source package, fetched once by
#                             libc/fetch-musl-source.sh (apt-get source) into
#                             $(BUILD)/download/musl/, which `make clean` keeps
#   $(MUSL_TREE)/.unpacked    a fresh tree: the orig tarball, Debian's patches,
#                             then ours (libc/patches/*.patch), then our added
#                             headers (libc/include, and the headers shared
#                             with the kernel, kernel/include/uapi/os)
#   $(MUSL_TREE)/config.mak   musl's ./configure
#   $(MUSL_TREE)/.prepared    our added sources (libc/src) copied in
#   $(LIBC_STAMP)             musl's make, then make install into $(SYSROOT)
#
# A change to a patch, a header, the list of inputs or the configure flags
# makes a fresh tree and a full musl build, about half a minute: musl's
# objects do not depend on the public headers, so nothing less is safe.  A
# change to a source in libc/src only recompiles that file: the sources are
# copied with their timestamps, and musl's make rebuilds the objects older
# than their source (a handout's stubbed libc/src/os/chan.c, say).  When
# nothing changed, `make libc` does nothing.
#
# User programs: user/NAME.c, user/cmd/NAME.c (the utilities) and
# user/NAME/*.c -> $(BUILD)/user/NAME, compiled with $(USER_CFLAGS) against
# the sysroot only (never the host's headers or libraries) and linked
# statically.
#
# Provides: SYSROOT, LIBC_STAMP, USER_CC, USER_CFLAGS, USER_LDFLAGS,
# USER_CRT_BEGIN, USER_CRT_END, USER_LIBS, user_link, and the phony targets
# libc, libc-clean, libc-distclean.  Paths are relative to the top of the tree.

# Standalone or included?  Decide before anything else adds to MAKEFILE_LIST.
libc_standalone := $(if $(filter-out $(lastword $(MAKEFILE_LIST)),$(MAKEFILE_LIST)),,yes)
libc_saved_goal := $(.DEFAULT_GOAL)

# Set by the top-level makefile; defaults for standalone use.
BUILD ?= build
V ?= 0
ifeq ($(V),1)
Q ?=
else
Q ?= @
endif

# `  MUSL    configure`-style progress lines (the top-level SAY, which make -s
# and V=1 silence, when included).
libc_say = $(if $(SAY),$(SAY),@printf '  %-7s %s\n')

# Run a noisy command with its output in a log, shown (the tail) only when the
# command fails.  V=1 shows everything as it happens.
ifeq ($(V),1)
libc_quiet = $(1)
else
libc_quiet = ( $(1) ) >$(2) 2>&1 || { tail -n 30 $(2); \
	echo "libc: failed; full log in $(2)"; exit 1; }
endif

# ---------------------------------------------------------------------------
# Where things are.

MUSL_VERSION := 1.2.3
MUSL_DOWNLOAD := $(BUILD)/download/musl
MUSL_ORIG := $(MUSL_DOWNLOAD)/musl_$(MUSL_VERSION).orig.tar.gz
LIBC_BUILD := $(BUILD)/libc
MUSL_TREE := $(LIBC_BUILD)/musl-$(MUSL_VERSION)
SYSROOT := $(BUILD)/sysroot
LIBC_STAMP := $(SYSROOT)/.stamp

# Debian patches (debian/patches/series) not to apply, by name.  Debian's
# 1.2.3-1 has no patches at all; should a later revision add some that are
# wrong for this OS (say, for dynamic linking), list them here.
MUSL_DEBIAN_SKIP :=

# musl builds itself freestanding (-nostdinc -ffreestanding), so the host gcc
# is the right compiler.  --target=x86_64 would make musl look for
# x86_64-ar and x86_64-ranlib, hence AR and RANLIB; --disable-wrapper skips the
# musl-gcc script, which would point at /lib instead of $(SYSROOT).
MUSL_CC ?= gcc
MUSL_CONFIGURE_FLAGS := --target=x86_64 --disable-shared --disable-wrapper \
	--prefix=/ --syslibdir=/lib CC=$(MUSL_CC) AR=ar RANLIB=ranlib
MUSL_JOBS ?= -j2

# musl's configure and make run with a clean environment: the top-level
# makefile's exported variables (CFLAGS for the kernel, say) and command-line
# overrides (carried in MAKEFLAGS) must not leak into the C library.
libc_env := env -i PATH="$$PATH"

# Everything in libc/ (and the kernel's uapi headers) that goes into the tree.
# musl builds src/*/*.c (and src/*/x86_64/*.[csS]) and installs include/*.h
# and include/*/*.h, so additions follow the same layout.
libc_patches := $(sort $(wildcard libc/patches/*.patch))
libc_sources := $(wildcard libc/src/*/*.[csS] libc/src/*/x86_64/*.[csS])
libc_headers := $(wildcard libc/include/*.h libc/include/*/*.h)
libc_added := $(wildcard libc/src/*/*.[csS] libc/src/*/x86_64/*.[csS] \
	libc/include/*.h libc/include/*/*.h)
libc_uapi := $(wildcard kernel/include/uapi/os/*.h)

# The manifest names every input and the configure flags.  It is rewritten
# (here, while make reads this file, without running a shell) only when that
# list changes, so that adding or removing a patch also rebuilds the library:
# a deleted file cannot make a target out of date by its timestamp.
LIBC_MANIFEST := $(LIBC_BUILD)/inputs
libc_manifest_text := $(MUSL_VERSION) $(MUSL_CONFIGURE_FLAGS) $(MUSL_DEBIAN_SKIP) \
	$(libc_patches) $(libc_added) $(libc_uapi)
ifneq ($(file < $(LIBC_MANIFEST)),$(strip $(libc_manifest_text)))
$(shell mkdir -p $(LIBC_BUILD))
$(file > $(LIBC_MANIFEST),$(strip $(libc_manifest_text)))
endif

# ---------------------------------------------------------------------------
# The sysroot.

.PHONY: libc libc-clean libc-distclean
libc: $(LIBC_STAMP)

# The download is done once and then kept.  It waits for conf/deps.sh
# (order-only: the stamp's date does not matter), as both run apt-get and
# apt allows one at a time.  apt's output goes to fetch.log; the script's
# own messages (what it changed, or what to run when it cannot) reach the
# terminal.
$(MUSL_ORIG): | $(DEPS_STAMP)
	$(libc_say) FETCH "musl $(MUSL_VERSION) (apt-get source)"
	$(Q)mkdir -p $(MUSL_DOWNLOAD)
	$(Q)sh libc/fetch-musl-source.sh $(MUSL_DOWNLOAD) $(MUSL_VERSION) \
		$(if $(filter 1,$(V)),,>$(MUSL_DOWNLOAD)/fetch.log)

# A fresh tree every time: patching a tree that was patched before is how
# stale builds happen.  Debian's patch tarball unpacks into debian/ inside the
# tree, as dpkg-source would; quilt's series file lists the patches in order,
# each optionally followed by its -pN.
$(MUSL_TREE)/.unpacked: $(MUSL_ORIG) $(LIBC_MANIFEST) $(libc_patches) \
		$(libc_headers) $(libc_uapi)
	$(libc_say) MUSL "unpack $(notdir $(MUSL_ORIG))"
	$(Q)rm -rf $(MUSL_TREE)
	$(Q)tar -xzf $(MUSL_ORIG) -C $(LIBC_BUILD)
	$(Q)deb=$$(ls $(MUSL_DOWNLOAD)/musl_$(MUSL_VERSION)-*.debian.tar.* | \
		sort -V | tail -n 1) && tar -xf "$$deb" -C $(MUSL_TREE)
	$(Q)series=$(MUSL_TREE)/debian/patches/series; \
	[ ! -f $$series ] || sed 's/#.*//' $$series | while read p opt; do \
		[ -n "$$p" ] || continue; \
		case " $(MUSL_DEBIAN_SKIP) " in *" $$p "*) continue;; esac; \
		printf '  %-7s %s\n' PATCH "debian/patches/$$p"; \
		patch -s -d $(MUSL_TREE) $${opt:--p1} --no-backup-if-mismatch \
			<$(MUSL_TREE)/debian/patches/$$p || exit 1; \
	done
	$(Q)for p in $(libc_patches); do \
		printf '  %-7s %s\n' PATCH "$$p"; \
		patch -s -d $(MUSL_TREE) -p1 --no-backup-if-mismatch <$$p || exit 1; \
	done
	$(libc_say) MUSL "add libc/include kernel/include/uapi/os"
	$(Q)[ ! -d libc/include ] || cp -R libc/include/. $(MUSL_TREE)/include/
	$(Q)mkdir -p $(MUSL_TREE)/include/os
	$(Q)[ -z "$(libc_uapi)" ] || cp $(libc_uapi) $(MUSL_TREE)/include/os/
	$(Q)touch $@

$(MUSL_TREE)/config.mak: $(MUSL_TREE)/.unpacked
	$(libc_say) MUSL configure
	$(Q)$(call libc_quiet,cd $(MUSL_TREE) && $(libc_env) ./configure $(MUSL_CONFIGURE_FLAGS),$(MUSL_TREE)/configure.log)

# cp -p keeps each source's time: musl's make then recompiles just the
# sources newer than their objects.
$(MUSL_TREE)/.prepared: $(MUSL_TREE)/config.mak $(libc_sources)
	$(libc_say) MUSL "add libc/src"
	$(Q)[ ! -d libc/src ] || cp -R -p libc/src/. $(MUSL_TREE)/src/
	$(Q)touch $@

# The sysroot is emptied first so that nothing stale survives an install.
$(LIBC_STAMP): $(MUSL_TREE)/.prepared
	$(libc_say) MUSL "build (log in $(MUSL_TREE)/build.log)"
	$(Q)$(call libc_quiet,$(libc_env) make -C $(MUSL_TREE) $(MUSL_JOBS),$(MUSL_TREE)/build.log)
	$(libc_say) MUSL "install $(SYSROOT)"
	$(Q)rm -rf $(SYSROOT)
	$(Q)$(call libc_quiet,$(libc_env) make -C $(MUSL_TREE) install DESTDIR=$(abspath $(SYSROOT)),$(MUSL_TREE)/install.log)
	$(Q)touch $@

# libc-clean forces a rebuild from the kept download; libc-distclean also
# forgets the download.
libc-clean:
	rm -rf $(LIBC_BUILD) $(SYSROOT)

libc-distclean: libc-clean
	rm -rf $(MUSL_DOWNLOAD)

# ---------------------------------------------------------------------------
# User programs.
#
# -nostdinc keeps the host's /usr/include out: headers come from the sysroot,
# and from gcc's own include directory only for what musl lacks (cpuid.h,
# x86 intrinsics); the sysroot comes first, so musl's stddef.h and stdarg.h
# win.  -nostdlib keeps the host's crt files and libc out: we name every
# object and library the link needs, in the order crt1.o crti.o <program>
# libc.a libgcc.a crtn.o.  The stack protector stays on: musl provides
# __stack_chk_fail and sets up the canary from AT_RANDOM.

USER_CC ?= $(CC)
USER_CC_INCLUDE := $(shell $(USER_CC) -print-file-name=include)
USER_LIBGCC := $(shell $(USER_CC) -print-libgcc-file-name)

USER_CFLAGS := -nostdinc -isystem $(SYSROOT)/include -isystem $(USER_CC_INCLUDE) \
	-Wall -Wextra -Werror -O2 -g -fno-pie -fstack-protector-strong
USER_LDFLAGS := -static -nostdlib -no-pie
USER_CRT_BEGIN := $(SYSROOT)/lib/crt1.o $(SYSROOT)/lib/crti.o
USER_CRT_END := $(SYSROOT)/lib/crtn.o
USER_LIBS := $(SYSROOT)/lib/libc.a $(USER_LIBGCC)

# $(call user_link,OUTPUT,INPUTS): link (or compile and link) a user program.
user_link = $(USER_CC) $(USER_LDFLAGS) -o $(1) $(USER_CRT_BEGIN) $(2) \
	$(USER_LIBS) $(USER_CRT_END)

USER_BUILD := $(BUILD)/user
USER_OBJ := $(BUILD)/obj/user

# A one-file program: compile and link in one step.  The dependency file
# (headers the program includes from user/) goes beside the objects, outside
# $(USER_BUILD), so the rules below can never mistake it for a program.
$(USER_BUILD)/%: user/%.c $(LIBC_STAMP)
	$(libc_say) CC "$@"
	$(Q)mkdir -p $(@D) $(dir $(USER_OBJ)/$*)
	$(Q)$(call user_link,$@,$(USER_CFLAGS) -MMD -MP -MF $(USER_OBJ)/$*.d -MT $@ $<)

# The utilities (ls, cat, grep...; user/cmd/cmd.h says what they share):
# user/cmd/NAME.c -> $(USER_BUILD)/NAME, like a one-file program.  Before
# the rule below, which would take any name and then find no sources.
$(USER_BUILD)/%: user/cmd/%.c $(LIBC_STAMP)
	$(libc_say) CC "$@"
	$(Q)mkdir -p $(@D) $(USER_OBJ)/cmd
	$(Q)$(call user_link,$@,$(USER_CFLAGS) -MMD -MP -MF $(USER_OBJ)/cmd/$*.d -MT $@ $<)

# A program made of several files, user/NAME/*.c: one object per file, then a
# link.  The object list is computed per program, after the stem is known,
# hence secondary expansion.
user_objs = $(patsubst user/%.c,$(USER_OBJ)/%.o,$(wildcard user/$(1)/*.c))

$(USER_OBJ)/%.o: user/%.c $(LIBC_STAMP)
	$(libc_say) CC "$@"
	$(Q)mkdir -p $(@D)
	$(Q)$(USER_CC) $(USER_CFLAGS) -MMD -MP -c -o $@ $<

.PRECIOUS: $(USER_OBJ)/%.o
.SECONDEXPANSION:
$(USER_BUILD)/%: $$(call user_objs,$$*) $(LIBC_STAMP)
	$(if $(filter %.o,$^),,$(error no user/$*.c nor user/$*/*.c to build $@ from))
	$(libc_say) LD "$@"
	$(Q)$(call user_link,$@,$(filter %.o,$^))

-include $(wildcard $(USER_OBJ)/*.d $(USER_OBJ)/*/*.d)

# ---------------------------------------------------------------------------
# Alone, `make -f libc/libc.mk` builds the library; included, this fragment
# leaves the top-level makefile's default goal alone.
ifeq ($(libc_standalone),yes)
.DEFAULT_GOAL := libc
else
.DEFAULT_GOAL := $(libc_saved_goal)
endif
