"""Round-trip harness: decodes every wire config of a cases file with the generated bindings
(conformance/python/gen/network.py), re-encodes it and compares it with the expected JSON;
invalid configs must be rejected with gen.network.ValidationError.

Usage: python3 conformance/python/roundtrip.py <cases.json>
"""
import json
import os
import sys

sys.dont_write_bytecode = True  # gen/ is owned by the generator: leave no __pycache__ there
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "gen"))

import network  # noqa: E402  (the generated bindings)


def run(cases: dict) -> tuple:
    passed, failed = 0, 0
    for case in cases["valid"]:
        want = case["input"]
        try:
            got = network.to_dict(network.from_dict(case["input"]))
        except network.ValidationError as e:
            failed += 1
            print(f"FAIL valid {case['id']}: rejected: {e}")
            continue
        if got != want or json.dumps(got, sort_keys=True) != json.dumps(want, sort_keys=True):
            failed += 1
            print(f"FAIL valid {case['id']}: round trip differs\n  want {json.dumps(want)}\n  got  {json.dumps(got)}")
            continue
        passed += 1
    for case in cases["invalid"]:
        try:
            cfg = network.from_dict(case["input"])
        except network.ValidationError as e:
            passed += 1
            if os.environ.get("POLYGLOT_VERBOSE") == "1":
                print(f"ok invalid {case['id']}: {e}")
            continue
        failed += 1
        print(f"FAIL invalid {case['id']}: accepted as {json.dumps(network.to_dict(cfg))}")
    return passed, failed


def main() -> int:
    if len(sys.argv) != 2:
        print("usage: roundtrip.py <cases.json>", file=sys.stderr)
        return 2
    with open(sys.argv[1], encoding="utf-8") as f:
        cases = json.load(f)
    passed, failed = run(cases)
    print(f"python: {passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
