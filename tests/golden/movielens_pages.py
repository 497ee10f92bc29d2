#!/usr/bin/env python3
"""The golden-page comparison on MovieLens, for every user, between two
feedgov binaries (Structure issue: the binary from before a change against
the one after it). Derived rankings are written outside the repository.

    movielens_pages.py --feedgov BIN --snapshot SNAP --work DIR --out PAGES
    movielens_pages.py --compare OLD_PAGES NEW_PAGES

The first form applies the same editor interventions and stored user
controls to a fresh state directory next to SNAP (a MovieLens snapshot
written by `feedgov ingest`), then records, for every user of the
snapshot: pages 1-3 (10 items) of every cn-ecology surface with the user's
stored settings, and pages 1-3 of home with --no-personalization and with
--minors; plus the anonymous chains. Two processes at a time. The second
form compares two recordings exactly as golden_pages.py compares the golden
file (scores within 1e-9, everything else exactly) and prints a summary.
"""

import argparse
import concurrent.futures
import json
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import golden_pages as golden  # noqa: E402

# MovieLens items: 318 Shawshank, 356 Forrest Gump, 296 Pulp Fiction,
# 2571 The Matrix, 593 Silence of the Lambs (Horror/Thriller: bad.gore_horror
# 0.6, kept out of key slots), 1 Toy Story, 260 Star Wars.
INTERVENTIONS = [
    ["pin", "--item", "318", "--position", "8", "--surface", "home"],
    ["pin", "--item", "1", "--position", "2", "--surface", "home"],
    ["pin", "--item", "593", "--position", "15", "--surface", "feed"],
    ["pin", "--item", "260", "--position", "12", "--surface", "hot_list"],
    ["boost", "--item", "2571", "--factor", "1.3"],
    ["bury", "--item", "356", "--factor", "0.7"],
    ["suppress", "--item", "296"],
    ["suppress", "--near-duplicates-of", "1", "--threshold", "0.9"],
]
CONTROLS = [
    ["set", "--user", "2", "--personalization", "off"],
    ["set", "--user", "3", "--minors", "on"],
    ["delete-tag", "--user", "4", "--tag", "drama"],
    ["add-tag", "--user", "5", "--tag", "comedy"],
    ["not-interested", "--user", "6", "--item", "318"],
    ["set", "--user", "7", "--see-less", "2571"],
]


def users_of(feedgov, snap):
    """User ids 1..610 of movielens_latest_small (every one rates)."""
    return list(range(1, 611))


def setup(args):
    if os.path.exists(args.work):
        shutil.rmtree(args.work)
    os.makedirs(args.work)
    state = os.path.join(args.work, "state")
    golden.apply_state(args.feedgov, args.snapshot, state, INTERVENTIONS,
                       CONTROLS)
    return state


def chains_of(user):
    flags = ["--user", str(user)]
    out = [(s, "user-%d" % user, flags) for s in golden.SURFACES]
    out.append(("home", "user-%d-flag-off" % user, flags + ["--no-personalization"]))
    out.append(("home", "user-%d-minors" % user, flags + ["--minors"]))
    return out


def record(args, state):
    jobs = [(s, "anonymous", []) for s in golden.SURFACES]
    for user in users_of(args.feedgov, args.snapshot):
        jobs += chains_of(user)
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        results = pool.map(
            lambda j: golden.record_chain(args.feedgov, args.snapshot, state,
                                          j[0], j[1], j[2]), jobs)
        out = []
        for r in results:
            out += r
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--feedgov")
    parser.add_argument("--snapshot")
    parser.add_argument("--work")
    parser.add_argument("--out")
    parser.add_argument("--compare", nargs=2, metavar=("OLD", "NEW"))
    args = parser.parse_args()
    if args.compare:
        with open(args.compare[0]) as f:
            want = json.load(f)
        with open(args.compare[1]) as f:
            got = json.load(f)
        problems = []
        golden.compare(want, got, "pages", problems)
        items = sum(len(c.get("response", {}).get("items", [])) for c in want)
        if problems:
            print("movielens_pages: differences (first ones):")
            for p in problems[:40]:
                print("  " + p)
            return 1
        print("movielens_pages: %d pages (%d items) equal" % (len(want), items))
        return 0
    state = setup(args)
    pages = record(args, state)
    with open(args.out, "w") as f:
        f.write("[\n" + ",\n".join(
            json.dumps(c, ensure_ascii=False, separators=(",", ":"))
            for c in pages) + "\n]\n")
    print("movielens_pages: wrote %d pages to %s" % (len(pages), args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
