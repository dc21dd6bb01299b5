"""The architecture in DEVELOPERS.md: imports between gomem's packages point one way, and the
model does no I/O."""

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "gomem"
BASE = {"timeline", "units", "errors", "toolchains", "__init__"}
ALLOWED = {
    "model": set(),
    "workloads": {"model"},
    "traces": set(),
    "analysis": {"traces"},
    "monitor": {"traces"},
    "tuning": {"analysis", "model", "workloads", "traces"},
    "validation": {"model", "workloads", "traces", "monitor", "analysis"},
    "report": {"analysis", "tuning"},
    "web": {"report", "monitor", "analysis", "traces"},
}


def gomem_imports(path: Path, package: str):
    tree = ast.parse(path.read_text(), filename=str(path))
    depth = len(path.relative_to(SRC).parts) - 1  # package depth of the module
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                parts = list(path.relative_to(SRC).parts[:-1])
                up = node.level - 1
                base = parts[: len(parts) - up] if up else parts
                target = base + (node.module.split(".") if node.module else [])
                if not target:  # "from .. import x" at the top
                    target = [a.name for a in node.names][:1]
                yield node.lineno, target[0]
            elif node.module and node.module.split(".")[0] == "gomem":
                rest = node.module.split(".")[1:]
                yield node.lineno, (rest[0] if rest else node.names[0].name)
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name.startswith("gomem."):
                    yield node.lineno, a.name.split(".")[1]


def test_imports_point_one_way():
    bad = []
    for pkg, allowed in ALLOWED.items():
        for f in (SRC / pkg).rglob("*.py"):
            for lineno, target in gomem_imports(f, pkg):
                target = target.removesuffix(".py")
                if target == pkg or target in BASE or target in allowed:
                    continue
                if target == "toolchains" and pkg in ("model", "analysis"):
                    bad.append(f"{f.relative_to(SRC)}:{lineno} imports {target}")
                    continue
                bad.append(f"{f.relative_to(SRC)}:{lineno}: {pkg} may not import gomem.{target}")
    assert not bad, "\n".join(bad)


def test_model_and_analysis_do_no_io():
    forbidden_calls = {"open", "print", "input"}
    forbidden_modules = {"subprocess", "socket", "os", "sys", "time", "psutil", "shutil", "urllib", "http"}
    bad = []
    for pkg in ("model", "analysis"):
        for f in (SRC / pkg).rglob("*.py"):
            tree = ast.parse(f.read_text())
            for node in ast.walk(tree):
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in forbidden_calls:
                    bad.append(f"{f.relative_to(SRC)}:{node.lineno} calls {node.func.id}()")
                if isinstance(node, (ast.Import, ast.ImportFrom)):
                    names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
                    for n in names:
                        if n.split(".")[0] in forbidden_modules:
                            bad.append(f"{f.relative_to(SRC)}:{node.lineno} imports {n}")
    assert not bad, "\n".join(bad)
