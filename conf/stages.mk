# The stages of the course, in the order students build them.  Each stage has
# a handout (handouts/NN-STAGE.md), solution blocks marked in the source with
# BEGIN STAGE / END STAGE, and a grader (grade/stage_STAGE.py).
STAGES := boot paging heap tss interrupts scheduler syscalls ramdisk fuse forkexec threads ipc drivers

# Stages being built: graded by `make grade` and `make test`, but with no
# handout or stage markers yet, so `make check-handouts` leaves them out.
STAGES_NEXT :=

# The stages up to and including forkexec: before init (fork and exec) works.
STAGES_BEFORE_INIT := $(shell printf '%s\n' $(STAGES) | sed '/^forkexec$$/q')
