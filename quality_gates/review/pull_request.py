"""The pull request under review, from the code host's JSON or from files.

Sources, first wins for the body: ``--body-file PATH`` (``-`` reads standard input), then the
event JSON (``--event PATH``, else ``$GITHUB_EVENT_PATH``). The event file may be a workflow
event payload (``{"pull_request": {...}}``) or the pull request object itself as the REST API
returns it (``gh api repos/OWNER/REPO/pulls/N``): re-runs of a workflow reuse a stale payload,
so a workflow that wants the live body fetches it that way and passes it with ``--event``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from quality_gates.errors import InputError

# Review states that set a reviewer's verdict; COMMENTED and PENDING leave the previous one.
_VERDICT_STATES = frozenset({"APPROVED", "CHANGES_REQUESTED", "DISMISSED"})


@dataclass(frozen=True)
class PullRequest:
    """What the checklist gate reads from a pull request."""

    body: str  # "" when the code host sent null
    source: str  # where the body came from, for messages
    labels: tuple[str, ...] = ()
    author: str | None = None
    number: int | None = None
    title: str = ""


def _read_json(path: Path, what: str) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{what} {path}: cannot read: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise InputError(f"{what} {path}: not UTF-8 text") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{what} {path}: invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from None


def _pr_object(event: Any, where: str) -> Mapping[str, Any] | None:
    """The pull request inside an event payload, or the payload when it is one; else None."""
    if not isinstance(event, dict):
        raise InputError(f"{where}: expected a JSON object, got {type(event).__name__}")
    pr = event.get("pull_request", event if "head" in event and "body" in event else None)
    if pr is not None and not isinstance(pr, dict):
        raise InputError(f"{where}: pull_request is not an object")
    return pr


def _labels(pr: Mapping[str, Any], where: str) -> tuple[str, ...]:
    raw = pr.get("labels") or []
    if not isinstance(raw, list):
        raise InputError(f"{where}: pull_request.labels is not a list")
    names: list[str] = []
    for label in raw:
        name = label.get("name") if isinstance(label, dict) else label
        if not isinstance(name, str):
            raise InputError(f"{where}: pull_request.labels has an entry without a name")
        names.append(name)
    return tuple(names)


def load_pull_request(
    *,
    body_file: str | None,
    event_file: str | None,
    environ: Mapping[str, str],
    stdin: TextIO,
    extra_labels: tuple[str, ...] = (),
    author: str | None = None,
) -> PullRequest | None:
    """Gather the pull request; None when there is none to judge (not a PR context).

    Raises ``InputError`` for unreadable files, invalid JSON, a wrong shape, or an explicit
    ``--event`` that is not a pull request.
    """
    pr: Mapping[str, Any] | None = None
    where = ""
    if event_file or environ.get("GITHUB_EVENT_PATH"):
        path = Path(event_file or environ["GITHUB_EVENT_PATH"])
        where = f"--event {path}" if event_file else f"GITHUB_EVENT_PATH ({path})"
        pr = _pr_object(_read_json(path, where.split(" (")[0]), where)
        if pr is None and event_file:
            raise InputError(f"{where}: not a pull_request event (no pull_request object)")
        if pr is None and body_file is None:
            return None  # a push or schedule run: no pull request to judge
    labels = (_labels(pr, where) if pr else ()) + extra_labels
    user = pr.get("user") if pr else None
    if author is None and isinstance(user, dict) and isinstance(user.get("login"), str):
        author = user["login"]
    number = pr.get("number") if pr else None
    number = number if isinstance(number, int) else None
    if body_file is not None:
        body, source = _read_body(body_file, stdin), f"--body-file {body_file}"
    elif pr is not None:
        raw = pr.get("body")
        if raw is not None and not isinstance(raw, str):
            raise InputError(f"{where}: pull_request.body is not a string")
        body, source = raw or "", where
    else:
        return None
    title = pr.get("title") if pr else None
    return PullRequest(
        body, source, labels, author, number, title if isinstance(title, str) else ""
    )


def _read_body(body_file: str, stdin: TextIO) -> str:
    if body_file == "-":
        return stdin.read()
    try:
        return Path(body_file).read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"--body-file {body_file}: cannot read: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise InputError(f"--body-file {body_file}: not UTF-8 text") from None


@dataclass(frozen=True)
class Approvals:
    """Reviewers whose latest verdict is an approval, and those requesting changes."""

    approved: tuple[str, ...]
    changes_requested: tuple[str, ...]


def load_approvals(path: str, author: str | None) -> Approvals:
    """Latest verdict per reviewer from a reviews JSON (``GET .../pulls/N/reviews``).

    Reviews are taken in ``submitted_at`` order (the API's order when absent); the author's own
    reviews never count.
    """
    reviews = _read_json(Path(path), "--reviews")
    if not isinstance(reviews, list):
        raise InputError(f"--reviews {path}: expected a JSON list of reviews")
    problems: list[str] = []
    entries: list[tuple[str, int, str, str]] = []
    for index, review in enumerate(reviews):
        user = review.get("user") if isinstance(review, dict) else None
        state = review.get("state") if isinstance(review, dict) else None
        if not isinstance(state, str) or not (user is None or isinstance(user, dict)):
            problems.append(f"--reviews {path}: [{index}]: expected an object with state and user")
            continue
        login = user.get("login") if user else None
        if isinstance(login, str):  # a deleted account has user null: it cannot approve
            submitted = review.get("submitted_at")
            entries.append((submitted if isinstance(submitted, str) else "", index, login, state))
    if problems:
        raise InputError(problems)
    latest: dict[str, str] = {}
    for _, _, login, state in sorted(entries):
        if state.upper() in _VERDICT_STATES and login.lower() != (author or "").lower():
            latest[login] = state.upper()
    return Approvals(
        tuple(sorted(name for name, state in latest.items() if state == "APPROVED")),
        tuple(sorted(name for name, state in latest.items() if state == "CHANGES_REQUESTED")),
    )
