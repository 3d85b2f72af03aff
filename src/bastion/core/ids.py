"""Ids that more than one slice names, as ``NewType``s (``core.principal`` has ``UserID`` and ``OrgID``).

The review slice owns reviews, submissions and findings; the evaluation battery's port names the review a
run is for, and the clearinghouse names the finding a report came from. At run time each is a ``str``."""

from __future__ import annotations

from typing import NewType

ReviewID = NewType("ReviewID", str)
SubmissionID = NewType("SubmissionID", str)
FindingID = NewType("FindingID", str)
EvalRunID = NewType("EvalRunID", str)
