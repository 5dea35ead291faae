"""Lists the import cycles between the server's modules; exits 1 when there is any.

A cycle is a group of modules each of which reaches all the others through imports (a strongly
connected component of grimp's import graph, found with Tarjan's algorithm). Imports inside
functions count: they only hide a cycle until the function runs. Imports made only for type
checking (under ``if TYPE_CHECKING:``) count too and are listed apart: they never run, but a cycle
through them still ties two layers together for whoever reads or changes either.

    python tools/import_cycles.py [package ...]   (default: server)
"""

from __future__ import annotations

import sys
from collections.abc import Iterable

import grimp


def cycles(graph: grimp.ImportGraph, modules: set[str]) -> list[list[str]]:
    """The groups of two or more modules that import one another, each sorted, in a stable order."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(start: str) -> None:
        # Iterative Tarjan: the server's import chains are deeper than Python's recursion limit likes.
        work = [(start, iter(sorted(graph.find_modules_directly_imported_by(start) & modules)))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            module, imported = work[-1]
            for other in imported:
                if other not in index:
                    index[other] = low[other] = len(index)
                    stack.append(other)
                    on_stack.add(other)
                    work.append((other, iter(sorted(graph.find_modules_directly_imported_by(other) & modules))))
                    break
                if other in on_stack:
                    low[module] = min(low[module], index[other])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[module])
                if low[module] == index[module]:
                    group = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        group.append(member)
                        if member == module:
                            break
                    if len(group) > 1:
                        found.append(sorted(group))

    for module in sorted(modules):
        if module not in index:
            visit(module)
    return sorted(found)


def module_cycles(packages: Iterable[str], *, type_checking: bool) -> list[list[str]]:
    packages = list(packages)
    graph = grimp.build_graph(*packages, exclude_type_checking_imports=not type_checking, cache_dir=None)
    modules = {m for m in graph.modules if m.split(".")[0] in packages}
    return cycles(graph, modules)


def main(argv: list[str]) -> int:
    packages = argv or ["server"]
    at_run_time = module_cycles(packages, type_checking=False)
    typing_only = [c for c in module_cycles(packages, type_checking=True) if c not in at_run_time]
    for group in at_run_time:
        print("import cycle:", " <-> ".join(group))
    for group in typing_only:
        print("import cycle for type checking only:", " <-> ".join(group))
    print(f"{len(at_run_time)} import cycles at run time, {len(typing_only)} for type checking only")
    return 1 if at_run_time or typing_only else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
