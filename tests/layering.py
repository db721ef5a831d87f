#!/usr/bin/python3
"""Checks that modules keep to their own rooms (docs/architecture.md, "Modules").

Every #include "..." of the project's own headers is checked against the rules
below; a violation prints FILE:LINE, the include and the rule it breaks, and the
check exits 1. Run by ctest (Layering); `python3 tests/layering.py SOURCE_DIR` by hand.
"""
import pathlib
import re
import sys

# (module, forbidden include prefix, why). A module is a top-level folder; its
# tests count too, so they reach other modules through the same doors.
RULES = [
    ("gc", "store/internal/", "gc/ reaches the store through its public classes"),
    ("api", "store/internal/", "api/ reaches the store through its public classes"),
    ("client", "store/internal/", "client/ reaches the store through its public classes"),
    ("tools", "store/internal/", "tools/ reaches the store through client/"),
    ("gc", "store/database.h", "only features/ owns column families (store/database.h)"),
    ("api", "store/database.h", "only features/ owns column families (store/database.h)"),
    ("client", "store/database.h", "only features/ owns column families (store/database.h)"),
    ("tools", "store/database.h", "only features/ owns column families (store/database.h)"),
    ("client", "api/", "client/ speaks the HTTP protocol, not api/'s internals"),
    ("store", "features/", "dependencies point down: store/ knows nothing of features/"),
    ("store", "gc/", "dependencies point down"),
    ("store", "api/", "dependencies point down"),
    ("store", "client/", "dependencies point down"),
    ("store", "tools/", "dependencies point down"),
    ("features", "api/", "dependencies point down"),
    ("features", "client/", "dependencies point down"),
    ("features", "tools/", "dependencies point down"),
    ("gc", "api/", "dependencies point down"),
    ("gc", "client/", "dependencies point down"),
    ("gc", "tools/", "dependencies point down"),
    ("api", "client/", "dependencies point down"),
    ("api", "tools/", "dependencies point down"),
]
# Generated protobuf messages are the HTTP protocol, which client/ speaks.
ALLOWED = [re.compile(r"^api/[a-z_]+\.pb\.h$")]
# A header that another module includes is public: it states contracts only, so it
# includes no module's internals.
PUBLIC_HEADER_FORBIDDEN = ["store/internal/", "api/internal/", "features/codec.h",
                           "features/tables.h", "features/view_catalog.h",
                           "features/online_serving.h"]
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')
# Wire formats (JSON, DOT) are declared in renderer headers only, never beside the
# domain's operations: a function named ...Json, ...JsonView or ...Dot at top level.
WIRE_FORMAT = re.compile(r"^[A-Za-z].*\b\w+(Json|JsonView|Dot)\(")
RENDER_HEADERS = {"store/render.h", "features/render.h", "features/feast_json.h",
                  "gc/render.h"}


def main():
    root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ".").resolve()
    problems = []
    sources = {}
    for path in sorted(root.glob("*/**/*.[ch]*")):
        rel = path.relative_to(root)
        if rel.suffix not in (".h", ".cc") or rel.parts[0] in ("bench", "fuzz"):
            continue
        if rel.parts[0].startswith("build") or "node_modules" in rel.parts:
            continue
        includes = []
        for n, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
            m = INCLUDE.match(line)
            if m:
                includes.append((n, m.group(1)))
        sources[rel] = includes
    public = set()
    for rel, includes in sources.items():
        for _, inc in includes:
            if not inc.startswith(rel.parts[0] + "/") and not inc.endswith(".pb.h"):
                public.add(inc)
    for rel, includes in sources.items():
        module = rel.parts[0]
        public_header = (rel.as_posix() in public and not rel.name.endswith("_testing.h")
                         and "internal" not in rel.parts
                         # the one door to the database, for features/ (its rules above)
                         and rel.as_posix() != "store/database.h")
        for n, inc in includes:
            if any(a.match(inc) for a in ALLOWED):
                continue
            for mod, prefix, why in RULES:
                if module == mod and inc.startswith(prefix):
                    problems.append(f"{rel}:{n}: includes {inc}: {why}")
            if public_header and any(inc.startswith(p) for p in PUBLIC_HEADER_FORBIDDEN):
                problems.append(f"{rel}:{n}: public header includes {inc}: "
                                "public headers state contracts only")
    for rel in sources:
        if (rel.parts[0] in ("store", "features", "gc") and rel.suffix == ".h"
                and rel.as_posix() not in RENDER_HEADERS and "internal" not in rel.parts):
            text = (root / rel).read_text(errors="replace")
            for n, line in enumerate(text.splitlines(), 1):
                if WIRE_FORMAT.match(line):
                    problems.append(f"{rel}:{n}: declares a wire format: renderers "
                                    "live in render headers (features/render.h, "
                                    "features/feast_json.h, gc/render.h, store/render.h)")
    for rel in sources:
        if rel.parts[0] in ("gc", "api", "client", "tools"):
            text = (root / rel).read_text(errors="replace")
            for n, line in enumerate(text.splitlines(), 1):
                if "DatabaseOf(" in line:
                    problems.append(f"{rel}:{n}: uses DatabaseOf(): "
                                    f"{rel.parts[0]}/ reaches the store through its public classes")
    for p in problems:
        print(p)
    if problems:
        print(f"{len(problems)} layering violation(s)")
        return 1
    print("layering: every include keeps to its module's rules")
    return 0


if __name__ == "__main__":
    sys.exit(main())
