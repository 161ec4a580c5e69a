"""``linkpilot stackset deploy``: roll the consumer stack out to every account of one or more OUs.

Creates or updates a SERVICE_MANAGED CloudFormation StackSet with automatic deployment (accounts that join a
target OU later get the stack too), then makes sure stack instances exist for every requested OU and Region,
waiting for each StackSet operation in turn (StackSets run one operation at a time).

Input is the consumer stack as plain CloudFormation JSON: ``sam build`` + ``sam package`` give a template
that still declares ``Transform: AWS::Serverless-2016-10-31``, and service-managed StackSets cannot run that
macro with the default execution role, so ``scripts/stackset_translate.py`` expands it offline first
(see docs/deploy.md#roll-the-consumer-stack-out-with-a-stackset). OUs that are no longer requested are
reported, never deleted: removing stacks from accounts is a deliberate, separate step.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from botocore.exceptions import ClientError

from linkpilot.aws.errors import error_code
from linkpilot_cli.output import EXIT_FAILED, EXIT_INVALID, EXIT_OK, EXIT_READ_FAILED, Output, Table

if TYPE_CHECKING:
    from mypy_boto3_cloudformation import CloudFormationClient
    from mypy_boto3_cloudformation.literals import CallAsType, CapabilityType
    from mypy_boto3_cloudformation.type_defs import ParameterTypeDef, StackSetOperationPreferencesTypeDef

AWS_ID = re.compile(r"^[a-z]+-[0-9a-f]{8,17}$")  # vpc-..., subnet-..., sg-...: an id, not an SSM name
TEMPLATE_BODY_MAX = 51_200  # bytes; larger templates must be passed by URL (S3)
DONE_STATUSES = frozenset({"SUCCEEDED", "FAILED", "STOPPED"})
NAMED_IAM_PROPERTIES = {
    "AWS::IAM::Role": "RoleName",
    "AWS::IAM::User": "UserName",
    "AWS::IAM::Group": "GroupName",
    "AWS::IAM::ManagedPolicy": "ManagedPolicyName",
    "AWS::IAM::InstanceProfile": "InstanceProfileName",
}


class RolloutError(ValueError):
    """The rollout's input is unusable; no StackSet call that changes anything was made."""


@dataclass(frozen=True)
class RolloutRequest:
    stack_set_name: str
    template_body: str
    ou_ids: tuple[str, ...]
    regions: tuple[str, ...]
    parameters: tuple[tuple[str, str], ...] = ()
    capabilities: tuple[str, ...] = ()
    description: str = ""
    retain_stacks_on_account_removal: bool = False
    call_as: str = "SELF"
    max_concurrent_percentage: int = 25
    failure_tolerance_percentage: int = 0
    template_url: str = ""  # set when the body was uploaded to S3 instead of sent inline


@dataclass
class RolloutReport:
    stack_set_name: str
    action: str = ""  # created | updated | planned-create | planned-update
    stack_set_id: str = ""
    operations: list[dict[str, Any]] = field(default_factory=list)
    untargeted_ous: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(op["status"] == "SUCCEEDED" for op in self.operations)

    def as_dict(self) -> dict[str, Any]:
        return {
            "stack_set_name": self.stack_set_name,
            "action": self.action,
            "stack_set_id": self.stack_set_id,
            "ok": self.ok,
            "operations": self.operations,
            "ous_no_longer_requested": self.untargeted_ous,
        }


# ------------------------------------------------------------------------------------------- pure helpers
def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise RolloutError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise RolloutError(f"{path}: cannot read it: {exc.strerror or exc}") from None


def load_template(path: Path) -> dict[str, Any]:
    text = _read_text(path)
    try:
        template = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RolloutError(
            f"{path}: not JSON ({exc.msg}); pass the output of scripts/stackset_translate.py"
        ) from None
    if not isinstance(template, dict) or not isinstance(template.get("Resources"), dict):
        raise RolloutError(f"{path}: not a CloudFormation template (no Resources)")
    if template.get("Transform"):
        raise RolloutError(
            f"{path} declares Transform {template['Transform']!r}: service-managed StackSets cannot run "
            "macros (AWS::Serverless included) with the default execution role. Expand it first: "
            ".venv-sam/bin/python scripts/stackset_translate.py PACKAGED.yaml --output TEMPLATE.json"
        )
    for name, resource in template["Resources"].items():
        code = resource.get("Properties", {}).get("Code") or resource.get("Properties", {}).get("Content")
        if resource.get("Type") in {"AWS::Lambda::Function", "AWS::Lambda::LayerVersion"} and (
            not isinstance(code, dict) or not ({"S3Bucket", "ZipFile", "ImageUri"} & set(code))
        ):
            raise RolloutError(
                f"{path}: {name} has no S3 code location; package the SAM app with `sam package` first"
            )
    return template


def required_capabilities(template: Mapping[str, Any]) -> tuple[str, ...]:
    capabilities: set[str] = set()
    for resource in template["Resources"].values():
        kind = str(resource.get("Type", ""))
        if kind.startswith("AWS::IAM::"):
            capabilities.add("CAPABILITY_IAM")
            if NAMED_IAM_PROPERTIES.get(kind, "") in resource.get("Properties", {}):
                capabilities.add("CAPABILITY_NAMED_IAM")
    return tuple(sorted(capabilities))


def load_parameters(path: Path | None, template: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    """Parameter values from a JSON file: ``{"Key": "value"}`` or CloudFormation's list of
    ``{"ParameterKey", "ParameterValue"}``. Lists become comma-separated strings. Unknown keys, missing
    required parameters (no Default) and a resource id (or list) given for an SSM-typed parameter are
    errors."""
    try:
        raw: Any = {} if path is None else json.loads(_read_text(path))
    except json.JSONDecodeError as exc:
        raise RolloutError(f"{path}: not JSON ({exc.msg}, line {exc.lineno})") from None
    if isinstance(raw, list):
        try:
            raw = {item["ParameterKey"]: item["ParameterValue"] for item in raw}
        except (KeyError, TypeError):
            raise RolloutError(f"{path}: list entries need ParameterKey and ParameterValue") from None
    if not isinstance(raw, dict):
        raise RolloutError(f"{path}: expected a JSON object or a list of ParameterKey/ParameterValue")
    declared: Mapping[str, Any] = template.get("Parameters", {})
    problems = [f"unknown parameter {key!r}" for key in raw if key not in declared]
    problems += [
        f"parameter {key!r} has no default and needs a value"
        for key, spec in declared.items()
        if key not in raw and "Default" not in spec
    ]
    # An SSM-typed parameter's value is the NAME of an SSM parameter read in each target account; a VPC,
    # subnet or group id here would be looked up as a name and fail in every account.
    problems += [
        f"parameter {key!r} takes the name of an SSM parameter (default "
        f"{declared[key].get('Default', 'none')!r}), not {given!r}: per-account values belong in each "
        "account's baseline (docs/deploy.md#account-baseline-the-per-account-values)"
        for key, given in raw.items()
        if str(declared.get(key, {}).get("Type", "")).startswith("AWS::SSM::Parameter::Value<")
        and (isinstance(given, list) or AWS_ID.match(str(given)) or "," in str(given))
    ]
    if problems:
        raise RolloutError(f"{path}: " + "; ".join(problems))
    values: list[tuple[str, str]] = []
    for key, given in sorted(raw.items()):
        if isinstance(given, list):
            text = ",".join(str(v) for v in given)
        elif isinstance(given, bool):
            text = "true" if given else "false"
        else:
            text = str(given)
        values.append((key, text))
    return tuple(values)


# ------------------------------------------------------------------------------------------- AWS side
class StackSetRollout:
    """The CloudFormation (and optional S3 upload) calls of a rollout."""

    def __init__(
        self,
        cfn: CloudFormationClient,
        *,
        s3: Any = None,  # an S3 client (no S3 stubs in the dev venv)
        poll_seconds: float = 15.0,
        timeout_seconds: float = 3600.0,
        sleep: Callable[[float], None] = time.sleep,
        progress: Callable[[str], None] | None = None,
    ) -> None:
        self._cfn = cfn
        self._progress = progress
        self.changed = False  # set once a call that changes something has been made
        self._s3 = s3
        self._poll = poll_seconds
        self._timeout = timeout_seconds
        self._sleep = sleep

    def upload_template(self, request: RolloutRequest, bucket: str) -> RolloutRequest:
        if self._s3 is None:
            raise RolloutError("an S3 client is needed to upload the template")
        digest = hashlib.sha256(request.template_body.encode()).hexdigest()[:16]
        key = f"linkpilot-stacksets/{request.stack_set_name}/{digest}.json"
        self.changed = True
        self._s3.put_object(Bucket=bucket, Key=key, Body=request.template_body.encode())
        region = self._s3.meta.region_name
        url = f"https://{bucket}.s3.{region}.amazonaws.com/{key}"
        return RolloutRequest(**{**request.__dict__, "template_url": url})

    def _template_args(self, request: RolloutRequest) -> dict[str, Any]:
        if request.template_url:
            return {"TemplateURL": request.template_url}
        if len(request.template_body.encode()) > TEMPLATE_BODY_MAX:
            raise RolloutError(
                f"template is {len(request.template_body.encode())} bytes, over the {TEMPLATE_BODY_MAX}-byte "
                "inline limit: pass --template-bucket to upload it to S3"
            )
        return {"TemplateBody": request.template_body}

    def _existing(self, request: RolloutRequest) -> dict[str, Any] | None:
        try:
            found = self._cfn.describe_stack_set(
                StackSetName=request.stack_set_name, CallAs=cast("CallAsType", request.call_as)
            )
        except ClientError as exc:
            if error_code(exc) == "StackSetNotFoundException":
                return None
            raise
        return cast(dict[str, Any], found["StackSet"])

    def _targeted_ous(self, request: RolloutRequest, stack_set: Mapping[str, Any]) -> set[str]:
        ous = set(stack_set.get("OrganizationalUnitIds", []))
        paginator = self._cfn.get_paginator("list_stack_instances")
        for page in paginator.paginate(
            StackSetName=request.stack_set_name, CallAs=cast("CallAsType", request.call_as)
        ):
            ous.update(
                s["OrganizationalUnitId"] for s in page.get("Summaries", []) if s.get("OrganizationalUnitId")
            )
        return ous

    def instance_results(self, request: RolloutRequest, operation_id: str) -> list[dict[str, Any]]:
        """Every stack instance result of an operation: ALL pages of ListStackSetOperationResults."""
        paginator = self._cfn.get_paginator("list_stack_set_operation_results")
        pages = paginator.paginate(
            StackSetName=request.stack_set_name,
            OperationId=operation_id,
            CallAs=cast("CallAsType", request.call_as),
        )
        return [dict(summary) for page in pages for summary in page.get("Summaries", [])]

    def _report_progress(
        self, request: RolloutRequest, operation_id: str, action: str, status: str, started: float
    ) -> None:
        if self._progress is None:
            return
        counts: dict[str, int] = {}
        for summary in self.instance_results(request, operation_id):
            key = str(summary.get("Status", "")).lower() or "unknown"
            counts[key] = counts.get(key, 0) + 1
        done = counts.get("succeeded", 0)
        failed = counts.get("failed", 0) + counts.get("cancelled", 0)
        waiting = sum(counts.values()) - done - failed
        self._progress(
            f"{action} {operation_id}: {status}, instances {done} succeeded, {failed} failed, "
            f"{waiting} in progress ({time.monotonic() - started:.0f}s)"
        )

    def wait(self, request: RolloutRequest, operation_id: str, action: str) -> dict[str, Any]:
        started = time.monotonic()
        deadline = started + self._timeout
        while True:
            operation = self._cfn.describe_stack_set_operation(
                StackSetName=request.stack_set_name,
                OperationId=operation_id,
                CallAs=cast("CallAsType", request.call_as),
            )["StackSetOperation"]
            status = str(operation.get("Status", ""))
            self._report_progress(request, operation_id, action, status, started)
            if status in DONE_STATUSES:
                break
            if time.monotonic() > deadline:
                return {"action": action, "operation_id": operation_id, "status": f"TIMED_OUT ({status})"}
            self._sleep(self._poll)
        result: dict[str, Any] = {"action": action, "operation_id": operation_id, "status": status}
        if status != "SUCCEEDED":
            result["failures"] = [
                {
                    "account": f.get("Account", ""),
                    "region": f.get("Region", ""),
                    "status": f.get("Status", ""),
                    "reason": f.get("StatusReason", ""),
                }
                for f in self.instance_results(request, operation_id)
                if f.get("Status") != "SUCCEEDED"
            ]
        return result

    def deploy(self, request: RolloutRequest, *, dry_run: bool = False) -> RolloutReport:
        report = RolloutReport(stack_set_name=request.stack_set_name)
        call_as = cast("CallAsType", request.call_as)
        common: dict[str, Any] = {
            "StackSetName": request.stack_set_name,
            "Parameters": cast(
                "list[ParameterTypeDef]",
                [{"ParameterKey": k, "ParameterValue": v} for k, v in request.parameters],
            ),
            "Capabilities": cast("list[CapabilityType]", list(request.capabilities)),
            "PermissionModel": "SERVICE_MANAGED",
            "AutoDeployment": {
                "Enabled": True,
                "RetainStacksOnAccountRemoval": request.retain_stacks_on_account_removal,
            },
            "CallAs": call_as,
            **({"Description": request.description} if request.description else {}),
        }
        preferences: StackSetOperationPreferencesTypeDef = {
            "RegionConcurrencyType": "PARALLEL",
            "MaxConcurrentPercentage": request.max_concurrent_percentage,
            "FailureTolerancePercentage": request.failure_tolerance_percentage,
        }
        existing = self._existing(request)
        if existing is not None:
            report.stack_set_id = str(existing.get("StackSetId", ""))
            report.untargeted_ous = sorted(self._targeted_ous(request, existing) - set(request.ou_ids))
        if dry_run:
            report.action = "planned-update" if existing else "planned-create"
            return report
        template = self._template_args(request)
        self.changed = True
        if existing is None:
            created = self._cfn.create_stack_set(**common, **template)
            report.action, report.stack_set_id = "created", created["StackSetId"]
        else:
            # No DeploymentTargets/Regions: the update reaches every existing stack instance.
            updated = self._cfn.update_stack_set(**common, **template, OperationPreferences=preferences)
            report.action = "updated"
            report.operations.append(self.wait(request, updated["OperationId"], "update-stack-set"))
            if not report.ok:
                return report
        # Creating instances that already exist is a no-op, so this also covers new OUs and Regions.
        instances = self._cfn.create_stack_instances(
            StackSetName=request.stack_set_name,
            DeploymentTargets={"OrganizationalUnitIds": list(request.ou_ids)},
            Regions=list(request.regions),
            OperationPreferences=preferences,
            CallAs=call_as,
        )
        report.operations.append(self.wait(request, instances["OperationId"], "create-stack-instances"))
        return report


# ------------------------------------------------------------------------------------------- CLI
def _csv(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


DESCRIPTION = """\
Roll the consumer stack out to every account of one or more organizational units (OUs) with a
service-managed CloudFormation StackSet (automatic deployment: accounts that join a target OU later get the
stack too). Run from the organization's management account or a delegated administrator
(--call-as DELEGATED_ADMIN)."""

DEPLOY_DESCRIPTION = """\
Create the StackSet, or update it (the update reaches every existing stack instance), then create stack
instances for every requested OU and Region, waiting for each StackSet operation in turn; progress
(operation status, instances succeeded/failed) goes to stderr while it waits. The template is plain
CloudFormation JSON: expand the SAM transform first with scripts/stackset_translate.py (see
docs/deploy.md#package-expand-deploy). OUs no longer requested are reported, never deleted. The result
(stdout) lists each operation and, for a failed one, every failed stack instance with its reason."""


def register(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    deploy = sub.add_parser(
        "deploy",
        help="create or update the StackSet and its instances for OUs",
        description=DEPLOY_DESCRIPTION,
    )
    deploy.add_argument(
        "--template", type=Path, required=True, help="plain CloudFormation JSON (translated), FILE"
    )
    deploy.add_argument("--name", required=True, help="StackSet name (letters, digits, hyphens)")
    deploy.add_argument(
        "--ou-ids", type=_csv, required=True, help="target OU ids (or root id), comma separated"
    )
    deploy.add_argument("--regions", type=_csv, required=True, help="Regions, comma separated")
    deploy.add_argument("--parameters", type=Path, help="JSON file of stack parameter values")
    deploy.add_argument("--template-bucket", default="", help="upload the template to this S3 bucket")
    deploy.add_argument(
        "--retain-stacks-on-account-removal",
        action="store_true",
        help="keep an account's stack when it leaves a target OU (default: delete it)",
    )
    deploy.add_argument(
        "--call-as",
        choices=["SELF", "DELEGATED_ADMIN"],
        default="SELF",
        help="SELF in the management account, DELEGATED_ADMIN in a delegated administrator (SELF)",
    )
    deploy.add_argument(
        "--max-concurrent-percentage",
        type=int,
        default=25,
        metavar="PCT",
        help="share of accounts per Region deployed at the same time (25)",
    )
    deploy.add_argument(
        "--failure-tolerance-percentage",
        type=int,
        default=0,
        metavar="PCT",
        help="share of accounts per Region that may fail before the operation stops (0)",
    )
    deploy.add_argument(
        "--poll-seconds",
        type=float,
        default=15.0,
        metavar="S",
        help="seconds between two reads of a running operation's status (15)",
    )
    deploy.add_argument(
        "--timeout-seconds",
        type=float,
        default=3600.0,
        metavar="S",
        help="stop waiting for one operation after this long; it goes on in AWS (3600)",
    )
    deploy.add_argument("--dry-run", action="store_true", help="print what would be done; change nothing")


def build_request(args: argparse.Namespace) -> RolloutRequest:
    template = load_template(args.template)
    if not args.ou_ids or not args.regions:
        raise RolloutError("--ou-ids and --regions need at least one value each")
    return RolloutRequest(
        stack_set_name=args.name,
        template_body=json.dumps(template, separators=(",", ":"), sort_keys=True),
        ou_ids=tuple(args.ou_ids),
        regions=tuple(args.regions),
        parameters=load_parameters(args.parameters, template),
        capabilities=required_capabilities(template),
        description=str(template.get("Description", ""))[:1024],
        retain_stacks_on_account_removal=args.retain_stacks_on_account_removal,
        call_as=args.call_as,
        max_concurrent_percentage=args.max_concurrent_percentage,
        failure_tolerance_percentage=args.failure_tolerance_percentage,
    )


def report_tables(report: RolloutReport) -> list[Table]:
    summary = Table(
        "stackset",
        "StackSet",
        ("NAME", "ACTION", "STACK SET ID", "OK"),
        ((report.stack_set_name, report.action, report.stack_set_id, "ok" if report.ok else "failed"),),
    )
    operations = Table(
        "operation",
        "Operations",
        ("ACTION", "OPERATION", "STATUS", "FAILED INSTANCES"),
        tuple(
            (op["action"], op["operation_id"], op["status"], str(len(op.get("failures", []))))
            for op in report.operations
        ),
    )
    failures = Table(
        "failure",
        "Failed stack instances",
        ("OPERATION", "ACCOUNT", "REGION", "STATUS", "REASON"),
        tuple(
            (op["operation_id"], f["account"], f["region"], f["status"], f["reason"])
            for op in report.operations
            for f in op.get("failures", [])
        ),
    )
    untargeted = Table(
        "untargeted-ou",
        "OUs no longer requested (kept)",
        ("OU",),
        tuple((ou,) for ou in report.untargeted_ous),
    )
    return [summary, operations, failures, untargeted]


def run(args: argparse.Namespace, *, session: Any = None) -> int:
    from linkpilot.aws.errors import AWS_FAILURES

    out: Output = getattr(args, "out", None) or Output("stackset", getattr(args, "output", None))
    try:
        request = build_request(args)
    except RolloutError as exc:
        out.error(str(exc))
        return EXIT_INVALID
    if session is None:
        from linkpilot_cli.aws import session_from

        session = session_from(args)
    rollout = StackSetRollout(
        session.client("cloudformation"),
        s3=session.client("s3") if args.template_bucket else None,
        poll_seconds=args.poll_seconds,
        timeout_seconds=args.timeout_seconds,
        progress=out.progress,
    )
    try:
        if args.template_bucket and not args.dry_run:
            request = rollout.upload_template(request, args.template_bucket)
        report = rollout.deploy(request, dry_run=args.dry_run)
    except RolloutError as exc:
        out.error(str(exc))
        return EXIT_INVALID
    except AWS_FAILURES as exc:  # an unparseable answer too
        if rollout.changed:
            out.error(f"a StackSet change failed: {exc}")
            return EXIT_FAILED
        out.error(f"reading the StackSet failed, nothing changed: {exc}")
        return EXIT_READ_FAILED
    out.document(report.as_dict(), report_tables(report))
    return EXIT_OK if report.ok else EXIT_FAILED
