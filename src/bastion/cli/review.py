"""``bastion review ...``: every operation of the pre-release review, acting as the principal behind
``BASTION_TOKEN`` (except ``review tick``, the scheduler job, and ``demo``, which seeds a fresh programme).

Single records print as JSON; lists print as tables (``--json`` for JSON). Request bodies with many fields
(submissions) are read from a JSON file shaped like the API body (``-`` reads standard input).
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from pydantic import BaseModel, ValidationError
from rich.table import Table
from rich.text import Text

from bastion.cli import context
from bastion.cli.auth import current_principal
from bastion.core.ids import ExtensionID, ReviewID, SubmissionID
from bastion.core.principal import Principal, UserID
from bastion.review import (
    AssignmentCreate,
    ExtensionAnswer,
    ExtensionCreate,
    FocusArea,
    NominationCreate,
    ReleaseRecord,
    ReviewCreate,
    ReviewProgramme,
    SelectionOverride,
    SubmissionCreate,
    SubmissionStatus,
    SubmissionUpdate,
    WindowStatus,
    invalid,
    load_policy,
)

review = typer.Typer(
    help="The voluntary pre-release review: submissions, selection, reviews, findings.", no_args_is_help=True
)
T = TypeVar("T", bound=BaseModel)
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
SubmissionId = Annotated[str, typer.Argument(help="The submission's id (see `bastion review submissions`).")]
ReviewId = Annotated[str, typer.Argument(help="The review's id (see `bastion review list`).")]
ExtensionId = Annotated[str, typer.Argument(help="The extension's id (see `bastion review extensions`).")]
UserId = Annotated[str, typer.Argument(help="The evaluator's user id (see `bastion users list`).")]


def programme_and_actor() -> tuple[ReviewProgramme, Principal]:
    actor = current_principal()
    return context.container().review, actor


def emit(record: BaseModel) -> None:
    context.print_json(record.model_dump_json())


# Body fields whose CLI option is not simply --field-name.
OPTION_NAMES = {
    "focus_area": "--focus",
    "focus_areas": "--focus",
    "released_at": "--at",
    "selected": "--select/--reject",
    "description": "--description (or --description-file)",
    "body": "--body (or --body-file)",
    "user_id": "USER_ID",
    "submission_id": "SUBMISSION_ID",
}


def body_of(model: type[T], source: Path | str | dict[str, Any]) -> T:
    """Validate a request body from a JSON file (``-``: standard input) or from options.

    Errors speak the command line's language: an option's name for a body built from options, the file's
    own field names for a file; never a model's name or the API's documentation.
    """
    try:
        if isinstance(source, dict):
            return model.model_validate(source)
        text = sys.stdin.read() if str(source) == "-" else Path(source).read_text("utf-8")
        return model.model_validate_json(text)
    except OSError as e:
        raise invalid(f"cannot read {source}: {e.strerror}") from e
    except ValidationError as e:
        if isinstance(source, dict):
            problems = "; ".join(_option_problem(err) for err in e.errors(include_url=False))
            raise invalid(problems, hint="see the command's --help for its options") from None
        where = "standard input" if str(source) == "-" else str(source)
        problems = "; ".join(
            f"{'.'.join(map(str, err['loc'])) or 'the document'}: {err['msg']}" for err in e.errors(include_url=False)
        )
        raise invalid(f"{where}: {problems}", hint="see the command's --help for the fields the file holds") from None


def _option_problem(error: Any) -> str:
    field = str(error["loc"][0]) if error["loc"] else ""
    option = OPTION_NAMES.get(field, "--" + field.replace("_", "-"))
    given = error["type"] != "missing" and error.get("input") is not None
    return f"{option}: {error['msg']}" if given else f"{option} is required"


def table(title: str, columns: list[str], rows: list[list[str]]) -> None:
    out = Table(title=Text(title))
    for column in columns:
        out.add_column(column, no_wrap=column in ("id", "review"))
    for row in rows:
        out.add_row(*(Text(cell) for cell in row))  # titles and names are user data, never markup
    context.console.print(out)


# --- submissions and selection -----------------------------------------------------------------------------


@review.command("submit")
def submit(
    body: Annotated[
        str, typer.Argument(help="A JSON file with the submission's fields (as the API takes them), or - for stdin.")
    ],
) -> None:
    """Submit a model for voluntary review (lab submitters)."""
    programme, actor = programme_and_actor()
    emit(programme.submissions.create(actor, body_of(SubmissionCreate, body)))


@review.command("submissions")
def submissions(
    status: Annotated[SubmissionStatus | None, typer.Option(help="Only submissions in this state.")] = None,
    as_json: AsJson = False,
) -> None:
    """List the submissions you may see."""
    programme, actor = programme_and_actor()
    result = programme.submissions.list_visible(actor, status=status)
    if as_json:
        emit(result)
        return
    rows = [
        [s.id, f"{s.model_name} {s.model_version}", s.developer, s.status, s.selection, s.review_id or "-"]
        for s in result.data
    ]
    table(f"{result.count} submissions", ["id", "model", "developer", "status", "selection", "review"], rows)


@review.command("submission")
def submission(submission_id: SubmissionId) -> None:
    """Show one submission (never the credential)."""
    programme, actor = programme_and_actor()
    emit(programme.submissions.get(actor, SubmissionID(submission_id)))


@review.command("update-submission")
def update_submission(
    submission_id: SubmissionId,
    body: Annotated[str, typer.Argument(help="A JSON file with the fields to change, or - for stdin.")],
) -> None:
    """Update a submission (the lab)."""
    programme, actor = programme_and_actor()
    emit(programme.submissions.update(actor, SubmissionID(submission_id), body_of(SubmissionUpdate, body)))


@review.command("withdraw")
def withdraw(submission_id: SubmissionId) -> None:
    """Withdraw a submission (the lab). Its review, if any, closes; findings are kept."""
    programme, actor = programme_and_actor()
    emit(programme.submissions.withdraw(actor, SubmissionID(submission_id)))


@review.command("access")
def access(submission_id: SubmissionId) -> None:
    """Show the decrypted model-access credential (assigned evaluators, programme administrators)."""
    programme, actor = programme_and_actor()
    emit(programme.submissions.read_access(actor, SubmissionID(submission_id)))


@review.command("selection")
def selection(submission_id: SubmissionId) -> None:
    """Show the selection decision (rationale for programme and agency staff only)."""
    programme, actor = programme_and_actor()
    emit(programme.selection.get(actor, SubmissionID(submission_id)))


@review.command("evaluate")
def evaluate(submission_id: SubmissionId) -> None:
    """Re-run the selection policy on a submission."""
    programme, actor = programme_and_actor()
    emit(programme.selection.evaluate(actor, SubmissionID(submission_id)))


@review.command("override")
def override(
    submission_id: SubmissionId,
    reason: Annotated[str, typer.Option(help="Mandatory written reason (audited).")],
    select: Annotated[bool, typer.Option("--select/--reject", help="Select or reject.")] = True,
) -> None:
    """Manually override the selection decision."""
    programme, actor = programme_and_actor()
    emit(
        programme.selection.override(
            actor, SubmissionID(submission_id), body_of(SelectionOverride, {"selected": select, "reason": reason})
        )
    )


@review.command("nominate")
def nominate(
    submission_id: SubmissionId, reason: Annotated[str, typer.Option(help="Why this model warrants scrutiny.")]
) -> None:
    """Nominate a submission for review (agency reviewers)."""
    programme, actor = programme_and_actor()
    emit(
        programme.submissions.nominate(
            actor, SubmissionID(submission_id), body_of(NominationCreate, {"reason": reason})
        )
    )


@review.command("policy")
def policy(
    check: Annotated[Path | None, typer.Option(help="Validate this policy file instead.")] = None,
) -> None:
    """Show the selection policy in force (or validate a policy file with --check)."""
    if check is not None:
        loaded = load_policy(check)
        context.console.print(
            f"{check}: version {loaded.version}, {len(loaded.rules)} rules, combinator {loaded.combinator.value}"
        )
        return
    programme = context.container().review
    context.print_json(json.dumps(programme.selection.policy_description()))


# --- reviews ----------------------------------------------------------------------------------------------


@review.command("open")
def open_review(
    submission_id: SubmissionId,
    window_days: Annotated[int | None, typer.Option(help="Length of the window in days (default 30).")] = None,
    close_at_release: Annotated[
        bool | None,
        typer.Option(
            "--close-at-release/--ignore-release-date",
            help="Close the window at the intended release date if that comes first (the default).",
        ),
    ] = None,
) -> None:
    """Open the review window for a selected submission (programme administrators)."""
    programme, actor = programme_and_actor()
    body = body_of(
        ReviewCreate,
        {"submission_id": submission_id, "window_days": window_days, "close_at_release": close_at_release},
    )
    emit(programme.reviews.open(actor, body))


@review.command("list")
def list_reviews(
    status: Annotated[WindowStatus | None, typer.Option(help="Only reviews in this state.")] = None,
    as_json: AsJson = False,
) -> None:
    """List the reviews you may see."""
    programme, actor = programme_and_actor()
    result = programme.reviews.list_visible(actor, status=status)
    if as_json:
        emit(result)
        return
    rows = [
        [
            r.id,
            f"{r.model_name} {r.model_version}",
            r.status,
            f"{r.closes_at:%Y-%m-%d %H:%M}",
            r.close_reason or "-",
        ]
        for r in result.data
    ]
    table(f"{result.count} reviews", ["id", "model", "status", "closes (UTC)", "close reason"], rows)


@review.command("show")
def show(review_id: ReviewId) -> None:
    """Show a review: window state, deadline, reminders."""
    programme, actor = programme_and_actor()
    emit(programme.reviews.get(actor, ReviewID(review_id)))


@review.command("release")
def release(
    review_id: ReviewId,
    at: Annotated[datetime | None, typer.Option(help="When (ISO 8601 with offset); default now.")] = None,
) -> None:
    """Record the model's public release (the lab). Never refused; the review closes with what it has."""
    programme, actor = programme_and_actor()
    emit(programme.reviews.release(actor, ReviewID(review_id), body_of(ReleaseRecord, {"released_at": at})))


@review.command("extensions")
def extensions(review_id: ReviewId) -> None:
    """List extensions of a review."""
    programme, actor = programme_and_actor()
    emit(programme.extensions.list_for_review(actor, ReviewID(review_id)))


@review.command("extend")
def extend(
    review_id: ReviewId,
    days: Annotated[int, typer.Option(help="How many days to add to the window.")],
    reason: Annotated[str, typer.Option(help="Why the review needs more time (the lab sees it).")],
) -> None:
    """Propose an extension (programme) or grant one (the lab: consented at once)."""
    programme, actor = programme_and_actor()
    emit(
        programme.extensions.propose(
            actor, ReviewID(review_id), body_of(ExtensionCreate, {"days": days, "reason": reason})
        )
    )


@review.command("answer-extension")
def answer_extension(
    extension_id: ExtensionId,
    consent: Annotated[bool, typer.Option("--consent/--decline", help="The lab's answer.")],
) -> None:
    """Record the lab's consent to (or refusal of) a proposed extension."""
    programme, actor = programme_and_actor()
    emit(programme.extensions.answer(actor, ExtensionID(extension_id), ExtensionAnswer(consent=consent)))


@review.command("assign")
def assign(
    review_id: ReviewId, user_id: UserId, focus: Annotated[list[FocusArea], typer.Option(help="Repeat for several.")]
) -> None:
    """Assign a trusted evaluator to focus areas (programme administrators)."""
    programme, actor = programme_and_actor()
    emit(
        programme.assignments.assign(
            actor, ReviewID(review_id), body_of(AssignmentCreate, {"user_id": user_id, "focus_areas": focus})
        )
    )


@review.command("unassign")
def unassign(review_id: ReviewId, user_id: UserId) -> None:
    """Remove an evaluator from a review."""
    programme, actor = programme_and_actor()
    programme.assignments.unassign(actor, ReviewID(review_id), UserID(user_id))
    context.console.print(f"unassigned {user_id} from {review_id}")


@review.command("assignments")
def assignments(review_id: ReviewId) -> None:
    """List the evaluators assigned to a review (staff only)."""
    programme, actor = programme_and_actor()
    emit(programme.assignments.list_for_review(actor, ReviewID(review_id)))


def register(app: typer.Typer) -> None:
    """Add ``bastion review``; ``cli.review_work`` adds the rest of the group's commands to ``review``."""
    app.add_typer(review, name="review")
