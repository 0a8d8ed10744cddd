"""The shape of the code, as figures anyone can re-run: imports that run back up a layer, file circles, long modules
and long functions.

    python -m benchmarks.code_shape            # table + the offending items
    python -m benchmarks.code_shape --json     # the same as JSON (for before/after in a note)

The layers are read from the first `layers` contract of `[tool.importlinter]` in pyproject.toml, so the figures
follow the contract as it is changed. Every import counts here, function-local and waived ones included (grimp sees
them all; only `if TYPE_CHECKING:` imports are left out, as the contract does): a waiver in the contract is marked,
not hidden.
"""
from __future__ import annotations

import argparse
import ast
import fnmatch
import json
import re
import sys
import tomllib
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("tortodelova", "jobs")
LONG_MODULE = 400
LONG_FUNCTION = 60


def load_contract() -> tuple[list[list[str]], list[str]]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    contract = next(c for c in config["contracts"] if c["type"] == "layers")
    layers = [[name.strip(" ()") for name in re.split(r"[:|]", layer)] for layer in contract["layers"]]
    return layers, contract.get("ignore_imports", [])


def layer_of(module: str, layers: list[list[str]]) -> int | None:
    best: tuple[int, int] | None = None  # (prefix length, layer index)
    for index, names in enumerate(layers):
        for name in names:
            if module == name or module.startswith(name + "."):
                if best is None or len(name) > best[0]:
                    best = (len(name), index)
    return None if best is None else best[1]


def waived(importer: str, imported: str, ignore: list[str]) -> bool:
    for rule in ignore:
        left, right = (part.strip() for part in rule.split("->"))
        if _match(importer, left) and _match(imported, right):
            return True
    return False


def _match(module: str, pattern: str) -> bool:
    if pattern.endswith(".**"):
        base = pattern[:-3]
        return fnmatch.fnmatchcase(module, base) or fnmatch.fnmatchcase(module, base + ".*") or any(
            fnmatch.fnmatchcase(".".join(module.split(".")[:n]), base) for n in range(1, len(module.split(".")))
        )
    return fnmatch.fnmatchcase(module, pattern)


def up_imports(graph: grimp.ImportGraph, layers, ignore) -> list[dict]:
    found = []
    for importer in sorted(graph.modules):
        if not importer.startswith(PACKAGES):
            continue
        low = layer_of(importer, layers)
        for imported in sorted(graph.find_modules_directly_imported_by(importer)):
            high = layer_of(imported, layers)
            if low is None or high is None or high >= low:
                continue
            details = graph.get_import_details(importer=importer, imported=imported)
            line = details[0]["line_number"] if details else None
            found.append({"importer": importer, "imported": imported, "line": line,
                          "waived": waived(importer, imported, ignore)})
    unlayered = sorted({m.split(".")[1] for m in graph.modules if m.startswith("tortodelova.")
                        and m.count(".") >= 1 and layer_of(m, layers) is None})
    return found, unlayered


def file_circles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Strongly connected groups of modules (Tarjan), packages' __init__ included, TYPE_CHECKING excluded."""
    modules = sorted(m for m in graph.modules if m.startswith(PACKAGES))
    edges = {m: sorted(n for n in graph.find_modules_directly_imported_by(m) if n.startswith(PACKAGES))
             for m in modules}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []
    counter = [0]
    sys.setrecursionlimit(10_000)

    def visit(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in edges.get(node, []):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for module in modules:
        if module not in index:
            visit(module)
    return groups


def sizes() -> tuple[list[tuple[str, int]], list[tuple[str, str, int]]]:
    long_modules, long_functions = [], []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations/versions" in path.as_posix():
                continue
            text = path.read_text()
            rel = path.relative_to(ROOT).as_posix()
            lines = text.count("\n") + 1
            if lines > LONG_MODULE:
                long_modules.append((rel, lines))
            for node in ast.walk(ast.parse(text)):
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    length = node.end_lineno - node.lineno + 1
                    if length > LONG_FUNCTION:
                        long_functions.append((rel, node.name, length))
    return long_modules, sorted(long_functions, key=lambda item: -item[2])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    graph = grimp.build_graph(*PACKAGES, exclude_type_checking_imports=True, cache_dir=None)
    layers, ignore = load_contract()
    ups, unlayered = up_imports(graph, layers, ignore)
    circles = file_circles(graph)
    long_modules, long_functions = sizes()
    report = {
        "imports_up_a_layer": len(ups), "imports_up_a_layer_waived": sum(u["waived"] for u in ups),
        "packages_in_no_layer": unlayered, "file_circles": len(circles),
        f"modules_over_{LONG_MODULE}_lines": len(long_modules),
        f"functions_over_{LONG_FUNCTION}_lines": len(long_functions),
        "details": {"up": ups, "circles": circles, "long_modules": long_modules, "long_functions": long_functions},
    }
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
        return 0
    print(f"{'figure':<40} {'count':>6}")
    for key in ("imports_up_a_layer", "imports_up_a_layer_waived", "file_circles",
                f"modules_over_{LONG_MODULE}_lines", f"functions_over_{LONG_FUNCTION}_lines"):
        print(f"{key:<40} {report[key]:>6}")
    print(f"{'packages_in_no_layer':<40} {', '.join(unlayered) or '-':>6}")
    print("\nimports up a layer (importer:line -> imported):")
    for up in ups:
        print(f"  {up['importer']}:{up['line']} -> {up['imported']}{'  [waived in pyproject]' if up['waived'] else ''}")
    print("\nfile circles:")
    for circle in circles:
        print("  " + " <-> ".join(circle))
    print(f"\nmodules over {LONG_MODULE} lines:")
    for rel, lines in long_modules:
        print(f"  {rel}: {lines}")
    print(f"\nfunctions over {LONG_FUNCTION} lines:")
    for rel, name, length in long_functions:
        print(f"  {rel}:{name}: {length}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
