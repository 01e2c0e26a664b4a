"""labs.py: the course's stages, read from labs/.

Each folder labs/NN-STAGE/ that holds a lab.toml is a stage of the course;
NN gives its place (and is its handout's number: handouts/NN-STAGE.md).
The GNUmakefile reads the same list (conf/stages.mk).  lab.toml says what
the stage adds to the course:

    title = "Paging"                  the stage's name in reports
    draft = true                      (optional) graded, but with no handout
                                      or stage markers yet
    [points]                          (optional) tests worth other than 1:
    "direct map" = 2                  every test of the stage whose title
                                      contains the text is worth 2 points

Beside it in the folder: README.md (what the student hands in), fixtures
(NAME.toml: the data a grader compares against, read with fixture()),
mutants/ (planted bugs, check_graders.py) and hidden/ (an instructor's
hidden tests, never handed out).
"""
import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FOLDER_RE = re.compile(r"^(\d\d)-([a-z]+)$")
KEYS = {"title", "draft", "points"}

_configs = {}   # (root, stage) -> lab.toml's contents


def labs(root=ROOT):
    """{stage: its folder}, in the course's order (drafts included)."""
    found = {}
    for folder in sorted(Path(root, "labs").glob("[0-9][0-9]-*")):
        match = FOLDER_RE.match(folder.name)
        if not folder.is_dir() or not match:
            continue
        if not (folder / "lab.toml").exists():
            raise SystemExit("{}: a lab folder with no lab.toml".format(_shown(folder, root)))
        if match.group(2) in found:
            raise SystemExit("labs/: two folders of stage {}".format(match.group(2)))
        found[match.group(2)] = folder
    if not found:
        raise SystemExit("{}: no labs/NN-STAGE/lab.toml: no stages".format(Path(root, "labs")))
    return found


def config(stage, root=ROOT):
    """The contents of the stage's lab.toml, checked."""
    key = (str(root), stage)
    if key not in _configs:
        path = lab_dir(stage, root) / "lab.toml"
        try:
            conf = tomllib.loads(path.read_text())
        except (OSError, tomllib.TOMLDecodeError) as e:
            raise SystemExit("{}: {}".format(_shown(path, root), e))
        unknown = sorted(set(conf) - KEYS)
        points = conf.get("points", {})
        if unknown:
            raise SystemExit("{}: unknown key {} (known: {})".format(
                _shown(path, root), ", ".join(unknown), ", ".join(sorted(KEYS))))
        if not isinstance(conf.get("title"), str):
            raise SystemExit("{}: no title = \"...\"".format(_shown(path, root)))
        if not all(type(v) is int and v >= 0 for v in points.values()):
            raise SystemExit("{}: [points] values must be whole numbers >= 0".format(
                _shown(path, root)))
        _configs[key] = conf
    return _configs[key]


def stages(root=ROOT, drafts=False):
    """The stage names in order: the course's, or with drafts=True those
    being built (lab.toml says draft = true) after them."""
    names = list(labs(root))
    course = [s for s in names if not config(s, root).get("draft")]
    return course + [s for s in names if s not in course] if drafts else course


def lab_dir(stage, root=ROOT):
    """labs/NN-STAGE/ of the stage."""
    found = labs(root)
    if stage not in found:
        raise SystemExit("no lab folder labs/NN-{}/ (stages: {})".format(stage, " ".join(found)))
    return found[stage]


def fixture(stage, name, root=ROOT):
    """The data of labs/NN-STAGE/NAME.toml, for a grader to compare against."""
    path = lab_dir(stage, root) / (name + ".toml")
    try:
        return tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise SystemExit("{}: {}".format(_shown(path, root), e))


def weigh(tests, root=ROOT, strict=True):
    """Set each test's points from its stage's [points] table.  A key that
    matches no test of the stage is an error when `strict` (a typo would
    otherwise leave its tests at 1 point without a word)."""
    for stage in sorted({t.stage for t in tests}):
        mine = [t for t in tests if t.stage == stage]
        for part, points in config(stage, root).get("points", {}).items():
            matched = [t for t in mine if part in t.title]
            if not matched and strict:
                raise SystemExit("{}: [points] \"{}\" is part of no test's title".format(
                    _shown(lab_dir(stage, root) / "lab.toml", root), part))
            for t in matched:
                t.points = points


def _shown(path, root):
    try:
        return str(Path(path).relative_to(root))
    except ValueError:
        return str(path)
