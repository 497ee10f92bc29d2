#!/usr/bin/env python3
"""Golden pages: the ranked pages of a seeded synthetic world, compared with
the ones recorded in fixtures/golden/ (the Structure issue: behaviour does not
change while the engine is reorganized).

    golden_pages.py --feedgov BIN --world BIN --work DIR --golden FILE [--update]

Builds the world (tests/golden/golden_world.cc), applies editor interventions
and users' stored controls with the real `feedgov` CLI, then asks
`feedgov rank --now 2099-06-01T00:00:00Z --format json` for pages 1-3 of
every surface of policies/cn-ecology.textproto, for anonymous, personalized,
switched-off, minors, tag-edited, not-interested, see-less, muted-author and
unknown users (README in fixtures/golden/).

Compared with the golden file: the cases and their order, item ids and
positions, titles, reasons, key-slot flags, labels, pin ids, counters,
degradations, personalization, the presence of a next page token and error
messages exactly; scores within SCORE_TOLERANCE (absolute; scores lie in
[0, 4], printed with 17 significant digits). Page tokens themselves are not
compared (their integrity tag uses the state directory's random key).
Fields the golden file does not hold (added after it was recorded) are not
compared. --update rewrites the golden file from this run.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys

# Far in the future: interventions are refused when their window already
# ended at the wall clock, so the expired pin below ends at a time that is
# still ahead of the wall clock but behind NOW (until 2099).
NOW = "2099-06-01T00:00:00Z"
START = "2026-01-01T00:00:00Z"
SCORE_TOLERANCE = 1e-9
PAGES = 3
SURFACES = ["home", "hot_list", "popup", "featured", "hot_search", "feed",
            "minors_zone"]

# Who asks, as feedgov rank flags. Users 2-8 have stored controls (CONTROLS).
VIEWERS = [
    ("anonymous", []),
    ("anonymous-minors", ["--minors"]),
    ("user-1", ["--user", "1"]),
    ("user-1-flag-off", ["--user", "1", "--no-personalization"]),
    ("user-2-switched-off", ["--user", "2"]),
    ("user-3-minors", ["--user", "3"]),
    ("user-4-deleted-tag", ["--user", "4"]),
    ("user-5-added-tag", ["--user", "5"]),
    ("user-6-not-interested", ["--user", "6"]),
    ("user-7-see-less", ["--user", "7"]),
    ("user-8-muted-author", ["--user", "8"]),
    ("user-999-unknown", ["--user", "999"]),
]

EDITOR = ["--editor", "golden", "--reason", "golden pages"]

# Editor interventions (feedgov <command> ...), applied in this order. Items
# were picked from the world (fixtures/golden/README.md says which is what).
INTERVENTIONS = [
    # Pins: a reviewed positive item in key slot 1 of home, an unlabeled
    # item outside the key slots, a positive on page 3, a reviewed positive
    # on the popup; a bad item on the key-slot-free feed (served to adults,
    # blocked for minors, whose audience drops bad items); an item that is
    # suppressed below (blocked when served).
    ["pin", "--item", "1144", "--position", "1", "--surface", "home"],
    ["pin", "--item", "1024", "--position", "8", "--surface", "home"],
    ["pin", "--item", "1240", "--position", "24", "--surface", "home"],
    ["pin", "--item", "1279", "--position", "1", "--surface", "popup"],
    ["pin", "--item", "1381", "--position", "3", "--surface", "feed"],
    ["pin", "--item", "1051", "--position", "5", "--surface", "feed"],
    # An expired pin and a boost that starts after NOW: neither applies.
    ["pin", "--item", "1570", "--position", "2", "--surface", "hot_list",
     "--end", "2099-03-01T00:00:00Z"],
    ["boost", "--item", "1060", "--factor", "3", "--start",
     "2099-09-01T00:00:00Z"],
    # Boosts and buries on one surface (hot_list, popup, featured, hot_search
    # and minors_zone have none, so their prior lists stay short and the
    # key-slot pools have work to do) and on every surface.
    ["boost", "--item", "1069", "--factor", "1.5", "--surface", "feed"],
    ["boost", "--item", "1120", "--factor", "2", "--surface", "home"],
    ["bury", "--item", "1201", "--factor", "0.5"],
    ["bury", "--item", "1225", "--factor", "0.2", "--surface", "feed"],
    # Suppressions: an item (the pinned 1051), an author, the near
    # duplicates of 1105 (cosine >= 0.9: 4966, 1321 and 5980).
    ["suppress", "--item", "1051"],
    ["suppress", "--author", "author-7"],
    ["suppress", "--near-duplicates-of", "1105", "--threshold", "0.9"],
]

# Users' stored controls (feedgov user <command> --user U ...): 3280 and
# 3148 are on the first page of users 6 and 7 before the control.
CONTROLS = [
    ["set", "--user", "2", "--personalization", "off"],
    ["set", "--user", "3", "--minors", "on"],
    ["delete-tag", "--user", "4", "--tag", "space"],
    ["add-tag", "--user", "5", "--tag", "jazz"],
    ["not-interested", "--user", "6", "--item", "3280"],
    ["set", "--user", "7", "--see-less", "3148"],
    ["set", "--user", "8", "--mute-author", "author-3"],
]


def run(cmd):
    p = subprocess.run(cmd, capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


def must(cmd):
    code, out, err = run(cmd)
    if code != 0:
        sys.exit("golden_pages: %s failed (%d): %s%s" %
                 (" ".join(cmd), code, out, err))
    return out


def apply_state(feedgov, snap, state, interventions, controls, start=START):
    """Editor interventions and users' stored controls, with the CLI."""
    for iv in interventions:
        cmd = [feedgov, iv[0], "--state-dir", state, "--snapshot", snap]
        cmd += EDITOR + iv[1:]
        if "--start" not in iv:
            cmd += ["--start", start]
        must(cmd)
    for c in controls:
        must([feedgov, "user", c[0], "--state-dir", state, "--snapshot", snap]
             + c[1:])


def setup(args):
    if os.path.exists(args.work):
        shutil.rmtree(args.work)
    os.makedirs(args.work)
    snap = os.path.join(args.work, "snap")
    state = os.path.join(args.work, "state")
    must([args.world, "--out", snap])
    apply_state(args.feedgov, snap, state, INTERVENTIONS, CONTROLS)
    return snap, state


def record_chain(feedgov, snap, state, surface, viewer, flags, page_size=10,
                 pages=PAGES):
    """Pages 1..pages of one chain: a list of {case, page, response | error}."""
    out = []
    token = ""
    for page in range(1, pages + 1):
        cmd = [feedgov, "rank", "--snapshot", snap, "--state-dir", state,
               "--now", NOW, "--format", "json", "--surface", surface,
               "--page-size", str(page_size)] + flags
        if token:
            cmd += ["--page-token", token]
        code, stdout, stderr = run(cmd)
        case = {"case": "%s/%s" % (surface, viewer), "page": page}
        if code != 0:
            case["error"] = stderr.strip()
            out.append(case)
            break
        response = json.loads(stdout)
        token = response.get("next_page_token", "")
        response["next_page_token"] = bool(token)
        case["response"] = response
        out.append(case)
        if not token:
            break
    return out


def record(args, snap, state):
    """Every case of the golden world, in file order."""
    out = []
    for surface in SURFACES:
        for viewer, flags in VIEWERS:
            out += record_chain(args.feedgov, snap, state, surface, viewer, flags)
    return out


def compare(want, got, path, problems):
    """Appends to `problems` every difference of `got` from `want`."""
    if len(problems) > 40:
        return
    if isinstance(want, dict):
        if not isinstance(got, dict):
            problems.append("%s: want an object, got %r" % (path, got))
            return
        for key, value in want.items():
            if key not in got:
                problems.append("%s.%s: missing" % (path, key))
            else:
                compare(value, got[key], "%s.%s" % (path, key), problems)
    elif isinstance(want, list):
        if not isinstance(got, list) or len(got) != len(want):
            problems.append("%s: want %d entries, got %s" %
                            (path, len(want),
                             len(got) if isinstance(got, list) else repr(got)))
            return
        for i, (w, g) in enumerate(zip(want, got)):
            compare(w, g, "%s[%d]" % (path, i), problems)
    elif isinstance(want, (int, float)) and path.endswith(".score"):
        if not isinstance(got, (int, float)) or abs(want - got) > SCORE_TOLERANCE:
            problems.append("%s: want %r, got %r" % (path, want, got))
    elif want != got or type(want) != type(got):
        problems.append("%s: want %r, got %r" % (path, want, got))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--feedgov", required=True)
    parser.add_argument("--world", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("--golden", required=True)
    parser.add_argument("--update", action="store_true")
    parser.add_argument("--out", help="also write this run's pages here")
    args = parser.parse_args()
    snap, state = setup(args)
    got = record(args, snap, state)
    # One case a line: diffs of the golden file read case by case.
    text = "[\n" + ",\n".join(
        json.dumps(c, ensure_ascii=False, separators=(",", ":"))
        for c in got) + "\n]\n"
    if args.out:
        with open(args.out, "w") as f:
            f.write(text)
    if args.update:
        with open(args.golden, "w") as f:
            f.write(text)
        print("golden_pages: wrote %d cases to %s" % (len(got), args.golden))
        return 0
    with open(args.golden) as f:
        want = json.load(f)
    problems = []
    compare(want, got, "pages", problems)
    if problems:
        print("golden_pages: %d difference(s) from %s (first ones):" %
              (len(problems), args.golden))
        for p in problems[:40]:
            print("  " + p)
        return 1
    print("golden_pages: %d cases equal to %s" % (len(got), args.golden))
    return 0


if __name__ == "__main__":
    sys.exit(main())
