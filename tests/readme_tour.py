#!/usr/bin/python3
"""Runs the README's five-minute tour as a reader would type it, and checks it.

Every line of the tour's code blocks that starts with "$ " is a command; the lines
after it, up to the next command or the end of the block, are what it prints. The
commands run in order in one bash session, starting in the checkout (the tour's
first commands put strata on PATH and move to an empty folder). Each must succeed,
or fail when what it prints starts with "error:", and print what the README shows,
except for what differs on every run: times of the run, run ids, the temporary
folder. In the README, "..." stands for any text (a line of its own: any lines).

  tests/readme_tour.py --strata build/tools/strata --readme README.md [--print]

--print shows what each command printed instead of checking it, to update the
README after a change of output.
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

TOUR_START = "## A five-minute tour"


def tour_commands(readme):
    """[(line number, command, [expected lines])] of the tour's code blocks."""
    lines = open(readme, encoding="utf-8").read().split("\n")
    start = lines.index(TOUR_START)
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")),
               len(lines))
    commands, in_block, current = [], False, None
    for number in range(start, end):
        line = lines[number]
        if line.startswith("```"):
            # Blocks with a language (mermaid, yaml) are shown, not typed.
            in_block = not in_block and line == "```"
            current = None
            continue
        if not in_block:
            continue
        if line.startswith("$ "):
            current = (number + 1, line[2:], [])
            commands.append(current)
        elif current is not None:
            current[2].append(line)
    return commands


def normalize(text, tour_dir):
    text = text.replace(tour_dir, "<tour>") if tour_dir else text
    text = re.sub(r"/tmp/tmp\.[A-Za-z0-9]+", "<tour>", text)
    # The run's own times; the tour's data is from 2024.
    text = re.sub(r"20(2[5-9]|[3-9][0-9])-[0-9]{2}-[0-9]{2}T[0-9:.]+Z", "<now>", text)
    text = re.sub(r"\b[0-9a-f]{16}\b", "<run>", text)
    return [line.rstrip() for line in text.rstrip("\n").split("\n")] if text.strip() else []


def matches(expected, actual):
    parts = []
    for line in expected:
        if line.strip() == "...":
            parts.append(r"(?:[^\n]*\n)*?[^\n]*")
        else:
            parts.append(".*".join(re.escape(p) for p in line.split("...")))
    return re.fullmatch("\n".join(parts), "\n".join(actual)) is not None


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--strata", required=True)
    parser.add_argument("--readme", required=True)
    parser.add_argument("--print", action="store_true", dest="show")
    args = parser.parse_args()
    checkout = os.path.dirname(os.path.abspath(args.readme))
    bindir = os.path.dirname(os.path.abspath(args.strata))
    commands = tour_commands(args.readme)
    if len(commands) < 10:
        sys.exit(f"{args.readme}: found only {len(commands)} commands in the tour")

    with tempfile.TemporaryDirectory() as results:
        script = ["set +e"]
        for i, (_, command, _) in enumerate(commands):
            # The reader's build folder is build/; the test's is the one given.
            command = command.replace("$PWD/build/tools", bindir)
            script.append(f"{{ {command}\n}} >{results}/{i}.out 2>&1 </dev/null; "
                          f"echo $? >{results}/{i}.rc; pwd >{results}/{i}.pwd")
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("STRATA_")}
        env.update({"STRATA_USER": "alice", "STRATA_NO_PROGRESS": "1", "LC_ALL": "C"})
        subprocess.run(["bash", "-c", "\n".join(script)], cwd=checkout, env=env,
                       check=False, timeout=600)
        failures = 0
        for i, (number, command, expected) in enumerate(commands):
            def read(suffix):
                path = f"{results}/{i}.{suffix}"
                return open(path, encoding="utf-8", errors="replace").read() \
                    if os.path.exists(path) else ""
            out, rc, cwd = read("out"), read("rc").strip(), read("pwd").strip()
            if args.show:
                print(f"$ {command}\n{out}", end="" if out.endswith("\n") or not out
                      else "\n")
                continue
            tour_dir = cwd if cwd != checkout else ""
            actual = normalize(out, tour_dir)
            want = normalize("\n".join(expected), "")
            should_fail = any(line.startswith("error:") for line in want)
            problems = []
            if rc != ("0" if not should_fail else rc) or (should_fail and rc == "0"):
                problems.append(f"exit status {rc or 'missing'}, expected "
                                f"{'non-zero' if should_fail else '0'}")
            if not matches(want, actual):
                problems.append("printed:\n  " + "\n  ".join(actual) +
                                "\nREADME shows:\n  " + "\n  ".join(want))
            if problems:
                failures += 1
                print(f"README.md:{number}: $ {command}\n" + "\n".join(problems) + "\n")
        if not args.show:
            print(f"{len(commands)} commands of the tour run, {failures} not as shown")
        return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
