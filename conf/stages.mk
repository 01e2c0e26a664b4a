# The stages of the course, in the order students build them, from labs/:
# each folder labs/NN-STAGE/ with a lab.toml is a stage, NN its place (the
# graders read the same list: grade/labs.py).  Each stage has a handout
# (handouts/NN-STAGE.md), solution blocks marked in the source with BEGIN
# STAGE / END STAGE, and a grader (grade/stage_STAGE.py).  A lab.toml saying
# `draft = true` is a stage being built: graded, with no handout yet, and left
# out of this list.
LAB_FOLDERS := $(patsubst labs/%/lab.toml,%,$(sort $(wildcard labs/[0-9][0-9]-*/lab.toml)))
LAB_DRAFTS := $(patsubst labs/%/lab.toml,%,$(shell grep -l '^draft *= *true' /dev/null \
	$(wildcard labs/[0-9][0-9]-*/lab.toml)))
STAGES := $(foreach lab,$(filter-out $(LAB_DRAFTS),$(LAB_FOLDERS)),$(word 2,$(subst -, ,$(lab))))

# The stages up to and including forkexec: before init (fork and exec) works.
STAGES_BEFORE_INIT := $(shell printf '%s\n' $(STAGES) | sed '/^forkexec$$/q')
