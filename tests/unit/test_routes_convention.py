"""Route handlers carry no logic: each is a decorated shell over an undecorated function.

mutmut 3 does not mutate decorated functions, so a FastAPI route's own body is never
mutation-tested. The convention (docs/mutation.md, "Route handlers"): the body of a route
``name`` is its docstring and ``return [await] _name(<its parameters, in order>)``, and
``_name`` is an undecorated function of the same module, where mutmut reaches the logic.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROUTES = Path(__file__).resolve().parents[2] / "authsvc" / "routes"
Handler = ast.FunctionDef | ast.AsyncFunctionDef


def _is_route(node: Handler) -> bool:
    return any(
        isinstance(d, ast.Call)
        and isinstance(d.func, ast.Attribute)
        and isinstance(d.func.value, ast.Name)
        and d.func.value.id == "router"
        for d in node.decorator_list
    )


def _is_mutmut(decorator: ast.expr) -> bool:
    """mutmut's trampoline decorator: in its mutated copy the tests read the mutated source."""
    call = decorator.func if isinstance(decorator, ast.Call) else decorator
    return isinstance(call, ast.Name) and call.id == "_mutmut_mutated"


def _shell_problem(node: Handler, plain: set[str]) -> str:
    """Why ``node`` is not a thin shell, or "" when it is one."""
    body = node.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]  # the docstring: the OpenAPI description
    target = f"_{node.name}"
    if len(body) != 1 or not isinstance(body[0], ast.Return) or body[0].value is None:
        return f"its body must be one `return {target}(...)`"
    call = body[0].value.value if isinstance(body[0].value, ast.Await) else body[0].value
    if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name)):
        return f"it must return a call of {target}"
    if call.func.id != target:
        return f"it calls {call.func.id}, not {target}"
    if target not in plain:
        return f"{target} is not an undecorated function of the module"
    parameters = [a.arg for a in node.args.posonlyargs + node.args.args + node.args.kwonlyargs]
    passed = [a.id if isinstance(a, ast.Name) else "" for a in call.args]
    if call.keywords or passed != parameters:
        return f"it must pass its parameters as they are ({', '.join(parameters)})"
    return ""


def violations(source: str, path: str = "routes.py") -> list[str]:
    """``path:line: route name: problem`` for every route that carries logic."""
    tree = ast.parse(source, filename=path)
    handlers = [n for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
    plain = {n.name for n in handlers if all(_is_mutmut(d) for d in n.decorator_list)}
    found = []
    for node in handlers:
        if _is_route(node) and (problem := _shell_problem(node, plain)):
            found.append(f"{path}:{node.lineno}: route {node.name}: {problem}")
    return found


def test_every_route_of_authsvc_is_a_thin_shell() -> None:
    modules = sorted(ROUTES.glob("*.py"))
    routes = 0
    problems: list[str] = []
    for module in modules:
        source = module.read_text(encoding="utf-8")
        routes += sum(
            _is_route(n) for n in ast.parse(source).body if isinstance(n, ast.AsyncFunctionDef)
        )
        problems += violations(source, module.name)
    assert routes >= 9  # login, refresh, logout, register, me, password, healthz, readyz, metrics
    assert problems == []


SHELL = '''
@router.post("/v1/sessions")
async def login(body, sessions):
    """Log in."""
    return await _login(body, sessions)
'''


@pytest.mark.parametrize(
    ("source", "problem"),
    [
        (SHELL + "\n\nasync def _login(body, sessions):\n    return 1\n", ""),
        (SHELL, "_login is not an undecorated function of the module"),
        (
            SHELL
            + "\n\n@_mutmut_mutated(mutants)\nasync def _login(body, sessions):\n    return 1\n",
            "",
        ),
        (
            SHELL + "\n\n@cache\nasync def _login(body, sessions):\n    return 1\n",
            "_login is not an undecorated function of the module",
        ),
        (
            SHELL.replace(
                "return await _login(body, sessions)", "return await _login(sessions, body)"
            )
            + "\n\nasync def _login(body, sessions):\n    return 1\n",
            "it must pass its parameters as they are (body, sessions)",
        ),
        (
            SHELL.replace(
                "    return await", "    if body.email:\n        body = None\n    return await"
            )
            + "\n\nasync def _login(body, sessions):\n    return 1\n",
            "its body must be one `return _login(...)`",
        ),
        (
            SHELL.replace("await _login(body, sessions)", "_pair(await sessions.login(body))"),
            "it calls _pair, not _login",
        ),
    ],
)
def test_a_route_with_logic_is_reported(source: str, problem: str) -> None:
    expected = [f"routes.py:3: route login: {problem}"] if problem else []
    assert violations(source) == expected
