#!/usr/bin/env python3
"""Each proxy/ module's static library may call only into the modules it declares in
proxy/CMakeLists.txt (USES, and what those use in turn). Static libraries are never linked on
their own, so an undeclared call would otherwise go unnoticed until it made a cycle.

usage: check_module_links.py [--self-test] MODULE_USES_FILE LIBRARY_DIR
MODULE_USES_FILE has one line per module, "name: dep dep ...", as CMake writes it.
Prints "module calls into other (symbol)" for every undeclared use and exits 1 if any.
--self-test forgets every declared use and exits 0 only if the check then fails, so the
check itself cannot silently pass."""
import os
import subprocess
import sys


def symbols(archive, *flags):
    out = subprocess.run(["nm", "--no-sort", *flags, archive], check=True, capture_output=True,
                         text=True).stdout
    names = set()
    for line in out.splitlines():
        parts = line.split()
        # "ADDRESS TYPE NAME" for definitions, "U NAME" for undefined references.
        if len(parts) == 3 and parts[1] in "TDBR":
            names.add(parts[2])
        elif len(parts) == 2 and parts[0] == "U":
            names.add(parts[1])
    return names


def main():
    args = sys.argv[1:]
    self_test = args[:1] == ["--self-test"]
    uses_file, library_dir = args[-2], args[-1]
    declared = {}
    with open(uses_file) as f:
        for line in f:
            name, _, deps = line.partition(":")
            declared[name.strip()] = set() if self_test else {d for d in deps.split() if d}
    defined, undefined = {}, {}
    for name in declared:
        archive = os.path.join(library_dir, f"liboutrigger_{name}.a")
        defined[name] = symbols(archive, "-g", "--defined-only")
        undefined[name] = symbols(archive, "-u")

    def closure(name, seen):
        for dep in declared.get(name, ()):
            if dep not in seen:
                seen.add(dep)
                closure(dep, seen)
        return seen

    problems = 0
    for name in sorted(declared):
        allowed = closure(name, set())
        for other in sorted(declared):
            if other == name or other in allowed:
                continue
            calls = sorted(undefined[name] & defined[other])
            if calls:
                problems += 1
                print(f"outrigger_{name} calls into outrigger_{other}, which it does not declare "
                      f"in proxy/CMakeLists.txt ({len(calls)} symbol(s), e.g. {calls[0]})")
    if self_test:
        print(f"check_module_links --self-test: {'ok' if problems else 'FAILED, found nothing'}")
        return 0 if problems else 1
    if problems:
        return 1
    print(f"check_module_links: ok ({len(declared)} modules)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
