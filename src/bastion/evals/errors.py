"""Errors of the evaluation slice: one base; concrete errors are also a kind (HTTP status, exit code)."""

from __future__ import annotations

from bastion.core.errors import BastionError, Conflict, InvalidInput, OperationalError


class EvalError(BastionError):
    """Base of every error raised by ``bastion.evals``."""

    default_code = "eval_error"


class DatasetUnavailable(EvalError, OperationalError):  # noqa: N818 - names a kind, like the core errors
    """Neither a local copy nor the public upstream of a dataset file could be read."""

    default_code = "eval_dataset_unavailable"


class DatasetIntegrityError(EvalError, OperationalError):
    """A dataset file did not match its pinned SHA-256 (tampered, truncated or a different upstream)."""

    default_code = "eval_dataset_integrity"


class InvalidEvalRequest(EvalError, InvalidInput):  # noqa: N818 - names a kind, like the core errors
    """An evaluation was asked for with bad parameters (unknown task or suite, bad limit, bad model name)."""

    default_code = "invalid_eval_request"


class InvalidReferenceFile(EvalError, InvalidInput):  # noqa: N818 - names a kind, like the core errors
    """A reference-model figures file is not in the documented format."""

    default_code = "invalid_reference_file"


class EvalRunConflict(EvalError, Conflict):  # noqa: N818 - names a kind, like the core errors
    """The run is in a state that does not allow this (e.g. profiling a run that has not finished)."""

    default_code = "eval_run_conflict"


class EvalExecutionFailed(EvalError, OperationalError):  # noqa: N818 - names a kind, like the core errors
    """Inspect could not complete the evaluation (model unreachable, provider error, sandbox failure)."""

    default_code = "eval_execution_failed"


class ReviewIntegrationUnavailable(EvalError, OperationalError):  # noqa: N818 - names a kind, like the core errors
    """``--review`` was given but the review slice does not offer eval-result attachment yet."""

    default_code = "review_integration_unavailable"
