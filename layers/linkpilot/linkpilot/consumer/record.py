"""Recording a run: its audit records and notification (``record_run``), and a run whose reads failed
(``record_read_failure``). Best effort, never hiding the run: what fails here is reported and retried.
"""

from __future__ import annotations

from dataclasses import replace

from linkpilot.consumer.audit import audit_records, notification, read_failure_record
from linkpilot.consumer.ports import Controller
from linkpilot.consumer.report import ReconcileReport, new_run_id
from linkpilot.errors import AwsError


def record_read_failure(controller: Controller, trigger: str, exc: AwsError) -> list[str]:
    """Audit and notify a run whose reads failed (it raises afterwards, so the platform retries).

    Best effort: the same permission or outage may refuse these writes too; what failed is returned for the
    log, and the error metric, its alarm and the DLQ still show the failure.
    """
    started = controller.clock.own()
    run_id = new_run_id(started)
    code, detail = exc.code, exc.message
    problems: list[str] = []
    if controller.ports.audit is not None:
        record = read_failure_record(
            run_id,
            trigger,
            started,
            error_code=code,
            detail=detail,
            retention_days=controller.options.audit_retention_days,
        )
        try:
            controller.ports.audit.write([record])
        except Exception as audit_exc:  # noqa: BLE001 - reported to the caller, which raises the read error
            problems.append(f"audit: {audit_exc}")
    if controller.ports.notifier is not None:
        try:
            controller.ports.notifier.publish(
                "Linkpilot: reconcile failed reading AWS",
                ["error"],
                {
                    "run_id": run_id,
                    "trigger": trigger,
                    "at": started.isoformat(),
                    "errors": [f"{code}: {detail}"],
                },
            )
        except AwsError as notify_exc:
            problems.append(f"notification: {notify_exc}")
    return problems


def record_run(report: ReconcileReport, controller: Controller) -> ReconcileReport:
    """Audit and notify. Failures here are reported (and retried), never allowed to hide the run."""
    errors: list[str] = []
    if controller.ports.audit is not None:
        records, standing = audit_records(report, controller.options.audit_retention_days)
        # Standing conditions (ignored invitations, orphans, refused resources) are written once per TTL.
        fresh = controller.ports.memory.unseen(standing)
        to_write = [r for r in records if r.get("dedupe", "") == "" or r["dedupe"] in fresh]
        try:
            if to_write:
                controller.ports.audit.write(to_write)
        except Exception as exc:  # noqa: BLE001 - any audit failure is reported and retried, never swallowed
            controller.ports.memory.forget_audited(fresh)
            errors.append(f"audit: {exc}")
    if controller.ports.notifier is not None:
        message = notification(report)
        if message is not None:
            subject, kinds, body = message
            try:
                controller.ports.notifier.publish(subject, kinds, body)
            except AwsError as exc:
                errors.append(f"notification: {exc}")
    if not errors:
        return report
    return replace(report, side_errors=(*report.side_errors, *errors))
