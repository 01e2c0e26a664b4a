"""reports.py: a grading run's results for people and for tools: the score of
each stage, Gradescope-style results.json and JUnit XML."""
import json
import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path


# --------------------------------------------------------------------------
# Scores
# --------------------------------------------------------------------------

def print_summary(results, stages, out=sys.stdout):
    """The score per stage, the total, and the final `N passed, M failed` line."""
    print_scores(results, stages, out)
    passed = sum(r.passed for r in results)
    print("{} passed, {} failed".format(passed, len(results) - passed), file=out)


def print_scores(results, stages, out=sys.stdout):
    """The score per stage and the total."""
    total = possible = 0
    for stage in stages:
        mine = [r for r in results if r.test.stage == stage]
        if not mine:
            continue
        score = sum(r.test.points for r in mine if r.passed)
        points = sum(r.test.points for r in mine)
        print("{}: {}/{} points".format(stage, score, points), file=out)
        total += score
        possible += points
    print("Total: {}/{}".format(total, possible), file=out)


# --------------------------------------------------------------------------
# Machine-readable results
# --------------------------------------------------------------------------

def _result_text(result):
    if result.passed:
        return "OK ({:.1f}s)".format(result.seconds)
    return "FAIL ({:.1f}s)\n{}".format(result.seconds, result.detail())


def write_json(path, results, seconds):
    """Write a Gradescope-style results.json."""
    doc = {
        "score": sum(r.test.points for r in results if r.passed),
        "execution_time": round(seconds, 1),
        "tests": [{
            "name": r.test.name,
            "score": r.test.points if r.passed else 0,
            "max_score": r.test.points,
            "output": _result_text(r),
            "status": "passed" if r.passed else "failed",
            # An instructor's hidden test (labs/*/hidden/) shows once grades are published.
            "visibility": "after_published" if r.test.func.__module__.startswith("hidden_")
            else "visible",
        } for r in results],
    }
    Path(path).write_text(json.dumps(doc, indent=2) + "\n")


# XML 1.0 cannot carry most control characters, even escaped.
_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml_text(text):
    return _XML_BAD.sub("?", text)


def write_junit(path, results, stages):
    """Write JUnit XML: one <testsuite> per stage, one <testcase> per test."""
    suites = ET.Element("testsuites", name="grade", tests=str(len(results)),
                        failures=str(sum(not r.passed for r in results)),
                        time="{:.1f}".format(sum(r.seconds for r in results)))
    for stage in stages:
        mine = [r for r in results if r.test.stage == stage]
        if not mine:
            continue
        suite = ET.SubElement(suites, "testsuite", name=stage, tests=str(len(mine)),
                              failures=str(sum(not r.passed for r in mine)),
                              time="{:.1f}".format(sum(r.seconds for r in mine)))
        for r in mine:
            case = ET.SubElement(suite, "testcase", classname=stage, name=r.test.title,
                                 time="{:.1f}".format(r.seconds))
            if not r.passed:
                failure = ET.SubElement(case, "failure",
                                        message=_xml_text(r.reason.splitlines()[0]))
                failure.text = _xml_text(r.detail())
            out = ET.SubElement(case, "system-out")
            out.text = _xml_text("\n".join(r.output))
    tree = ET.ElementTree(suites)
    ET.indent(tree)
    tree.write(path, encoding="utf-8", xml_declaration=True)


