"""The zoo's adversary, proven without the suite: each defect switch, probed over HTTP.

For every switch a direct probe shows the defect when the switch is on and its absence on the
clean target, so a zoo verdict (``test_defect_zoo.py``) measures the suite, not a target that
was never broken. Racy switches are probed with barrier-started tries: the race must win in a
good share of them, and never on the clean target.
"""

from __future__ import annotations

import ast
import secrets
import statistics
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import jwt
import pytest

from tests.conformance._zoo import Zoo, start_zoo
from tests.conformance.defect_target.__main__ import EXIT_USAGE
from tests.conformance.defect_target.__main__ import main as target_main
from tests.conformance.defect_target.defects import DEFECTS

TRIES = 12  # barrier-started tries per racy probe, at most (a loaded machine misses some)
WINS = 2  # a race won in this many tries shows the switch works (the clean target: never)
THRESHOLD = 5  # the profile's lockout threshold
PASSWORD = "Probe-pass-1!"


class Client:
    """Plain HTTP calls to the zoo target (its own API, not the profile's vocabulary)."""

    def __init__(self, zoo: Zoo) -> None:
        # No kept-alive connections: a server that answers 500 may close one under a later call.
        self.http = httpx.Client(
            base_url=zoo.base_url,
            timeout=30.0,
            trust_env=False,
            limits=httpx.Limits(max_keepalive_connections=0),
        )
        self.key = zoo.env["DEFECT_TARGET_JWT_KEY"]

    def email(self) -> str:
        return f"probe-{secrets.token_hex(6)}@example.com"

    def register(self, email: str, password: str = PASSWORD) -> httpx.Response:
        return self.http.post("/users", json={"email": email, "password": password})

    def login(self, email: str, password: str = PASSWORD) -> httpx.Response:
        return self.http.post("/sessions", json={"email": email, "password": password})

    def session(self, password: str = PASSWORD) -> tuple[str, dict[str, str]]:
        email = self.email()
        assert self.register(email, password).status_code == 201
        response = self.login(email, password)
        assert response.status_code == 200, response.text
        return email, response.json()

    def me(self, access: str) -> httpx.Response:
        return self.http.get("/me", headers={"Authorization": f"Bearer {access}"})

    def refresh(self, token: str, access: str | None = None) -> httpx.Response:
        headers = {"Authorization": f"Bearer {access}"} if access else {}
        return self.http.post("/sessions/refresh", json={"refresh_token": token}, headers=headers)

    def logout(self, access: str, token: str | None = None) -> httpx.Response:
        body = {"refresh_token": token} if token else {}
        headers = {"Authorization": f"Bearer {access}"}
        return self.http.post("/sessions/logout", json=body, headers=headers)


def together(count: int, call: Callable[[int], httpx.Response]) -> list[httpx.Response]:
    """``count`` calls released at once by a barrier (one thread and connection each)."""
    start = threading.Barrier(count)

    def run(index: int) -> httpx.Response:
        start.wait(timeout=30)
        return call(index)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))


@pytest.fixture(scope="module")
def zoo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[str], Client]]:
    """``zoo(defect)``: a client of the target with that switch on ("" for the clean one)."""
    started: dict[str, Client] = {}
    with_stop = []
    try:

        def get(defect: str) -> Client:
            if defect not in started:
                workdir = tmp_path_factory.mktemp(defect or "clean")
                context = start_zoo(Path(workdir), [defect] if defect else [])
                with_stop.append(context)
                started[defect] = Client(context.__enter__())
            return started[defect]

        yield get
    finally:
        for client in started.values():
            client.http.close()
        for context in with_stop:
            context.__exit__(None, None, None)


# --- one probe per switch: each returns True when the defect shows --------------------------


def logout_keeps_access(client: Client) -> bool:
    _, pair = client.session()
    assert client.logout(pair["access_token"], pair["refresh_token"]).status_code == 204
    return client.me(pair["access_token"]).status_code == 200


def _wins(attempt: Callable[[], bool]) -> int:
    """Tries until the race is won ``WINS`` times, at most ``TRIES`` (the clean target: all)."""
    wins = 0
    for _ in range(TRIES):
        wins += attempt()
        if wins >= WINS:
            break
    return wins


def _double_redeem(client: Client) -> bool:
    token = client.session()[1]["refresh_token"]
    responses = together(8, lambda _: client.refresh(token))
    return sum(r.status_code == 200 for r in responses) > 1


def refresh_race(client: Client) -> int:
    return _wins(lambda: _double_redeem(client))


def _lock_lost(client: Client) -> bool:
    email = client.session()[0]
    together(2 * THRESHOLD, lambda i: client.login(email, f"Wrong-pass-{i}"))
    return client.login(email).status_code == 200


def lockout_race(client: Client) -> int:
    return _wins(lambda: _lock_lost(client))


def _server_error(client: Client) -> bool:
    email = client.email()
    return any(r.status_code >= 500 for r in together(10, lambda _: client.register(email)))


def register_race(client: Client) -> int:
    return _wins(lambda: _server_error(client))


def logout_any_session(client: Client) -> bool:
    _, mine = client.session()
    _, theirs = client.session()
    client.logout(mine["access_token"], theirs["refresh_token"])
    return client.refresh(theirs["refresh_token"]).status_code == 401


def refresh_any_account(client: Client) -> bool:
    _, mine = client.session()
    victim, theirs = client.session()
    response = client.refresh(mine["refresh_token"], access=theirs["access_token"])
    if response.status_code != 200:
        return False
    return bool(client.me(response.json()["access_token"]).json().get("email") == victim)


def case_sensitive_email(client: Client) -> bool:
    email = client.email()
    client.register(email)
    return client.login(email.upper()).status_code != 200


def client_wide_lockout(client: Client) -> bool:
    for _ in range(THRESHOLD):
        client.login(client.email(), "Wrong-pass-1!")
    email = client.email()
    client.register(email)
    return client.login(email).status_code != 200


def reuse_keeps_family(client: Client) -> bool:
    _, pair = client.session()
    second = client.refresh(pair["refresh_token"]).json()
    assert client.refresh(pair["refresh_token"]).status_code == 401
    return client.refresh(second["refresh_token"]).status_code == 200


def strip_password(client: Client) -> bool:
    email = client.email()
    client.register(email, "  pass word 12  ")
    return client.login(email, "pass word 12").status_code == 200


def success_keeps_failures(client: Client) -> bool:
    email, _ = client.session()
    for _ in range(2):
        for _ in range(THRESHOLD - 1):
            client.login(email, "Wrong-pass-1!")
        if client.login(email).status_code != 200:
            return True
    return False


def timing_oracle(client: Client) -> bool:
    known: list[float] = []
    unknown: list[float] = []
    for _ in range(4):
        email, _ = client.session()
        for _ in range(THRESHOLD - 1):
            known.append(client.login(email, "Wrong-pass-1!").elapsed.total_seconds())
            unknown.append(client.login(client.email()).elapsed.total_seconds())
    return statistics.median(unknown) < 0.5 * statistics.median(known)


def no_store(client: Client) -> bool:
    email, _ = client.session()
    return "no-store" not in client.login(email).headers.get("cache-control", "")


def alg_none(client: Client) -> bool:
    _, pair = client.session()
    payload = jwt.decode(pair["access_token"], options={"verify_signature": False})
    unsigned = jwt.encode(payload, "", algorithm="none")
    return client.me(unsigned).status_code == 200


def malformed_json_500(client: Client) -> bool:
    response = client.http.post(
        "/sessions", content=b'{"', headers={"Content-Type": "application/json"}
    )
    return response.status_code >= 500


RACY = frozenset({"refresh-race", "lockout-race", "register-race"})
#: Each probe returns in how many tries the defect showed (one try, or ``TRIES`` when racy).
PROBES: dict[str, Callable[[Client], int]] = {
    name: globals()[name.replace("-", "_")] for name in DEFECTS
}


@pytest.mark.parametrize("defect", sorted(DEFECTS))
def test_the_switch_makes_the_defect(defect: str, zoo: Callable[[str], Client]) -> None:
    shown = PROBES[defect](zoo(defect))
    needed = WINS if defect in RACY else 1
    assert shown >= needed, f"{defect}: switched on, the defect showed in {shown} tries"


@pytest.mark.parametrize("defect", sorted(DEFECTS))
def test_the_clean_target_has_no_such_defect(defect: str, zoo: Callable[[str], Client]) -> None:
    shown = PROBES[defect](zoo(""))
    assert shown == 0, f"{defect}: the clean target shows it in {shown} tries"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--defect", "no-store,nope"], "unknown defect nope"),
        (["--defect", ""], "set DEFECT_TARGET_JWT_KEY"),
    ],
)
def test_bad_arguments_are_one_line_and_exit_2(
    argv: list[str],
    message: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("DEFECT_TARGET_JWT_KEY", raising=False)
    assert target_main(["--port", "1", "--database", "unused.db", *argv]) == EXIT_USAGE
    errors = capsys.readouterr().err.strip().splitlines()
    assert message in errors[-1]
    assert not any("Traceback" in line for line in errors)


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def test_the_defect_target_modules_never_start_authsvc() -> None:
    """noxfile.py leaves these modules out of the tests an authsvc change runs (they judge the
    suite on this target, not authsvc); that holds only while none of them reaches authsvc."""
    root = Path(__file__).resolve().parents[2]
    noxfile = ast.parse((root / "noxfile.py").read_text(encoding="utf-8"))
    (modules,) = (
        ast.literal_eval(node.value)
        for node in noxfile.body
        if isinstance(node, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == "DEFECT_TARGET_MODULES" for t in node.targets)
    )
    assert "tests/conformance/test_defect_zoo.py" in modules
    for module in modules:
        reaching = {
            name
            for name in _imports(root / module)
            if name.startswith(("authsvc", "tests.integration", "tests.conformance._targets"))
        }
        assert not reaching, f"{module} reaches authsvc through {sorted(reaching)}"
