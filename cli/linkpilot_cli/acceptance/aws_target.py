"""``linkpilot acceptance --aws``: the run on two real accounts, and its teardown.

``run_aws`` opens the two profiles' sessions (``linkpilot_cli.aws``), runs the story (``aws_story.AwsStory``)
and always tears down: after the last step, on a failed step, on an error and on Ctrl-C. The teardown undoes
what was made in the reverse order (each undo registered the moment its thing exists), then asks the
Resource Groups Tagging API of both accounts for anything still tagged ``linkpilot:acceptance=<run id>``
and reports it.

Stacks are deployed with ``sam build`` and ``sam deploy`` (``.venv-sam/bin/sam``, else ``LINKPILOT_SAM``, else
``sam`` on PATH) under unique names, with the run's tag as a stack tag (CloudFormation copies it to every
resource that takes tags).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any, TextIO

from linkpilot_cli.acceptance.plan import TAG_KEY, AcceptanceOptions, Plan
from linkpilot_cli.acceptance.report import RunResult
from linkpilot_cli.acceptance.run_steps import StepFailed, Steps, Teardown
from linkpilot_cli.adapters.recorder import Recorder

REPO = Path(__file__).resolve().parents[3]
SAM_TIMEOUT_S = 1800


def sam_binary(env: dict[str, str] | None = None) -> str:
    env = dict(os.environ) if env is None else env
    local = REPO / ".venv-sam" / "bin" / "sam"
    found = env.get("LINKPILOT_SAM") or (str(local) if local.exists() else shutil.which("sam"))
    if not found:
        raise StepFailed("the SAM CLI was not found (make samvenv, or set LINKPILOT_SAM)")
    return found


def sam_commands(
    sam: str,
    template: Path,
    build_dir: Path,
    *,
    stack: str,
    profile: str,
    region: str,
    run_id: str,
    parameters: dict[str, str],
) -> list[list[str]]:
    """The ``sam build`` and ``sam deploy`` command lines of one stack."""
    # sam splits an override's value at a space unless it is quoted ("rate(1 minute)", "Hello, World!")
    overrides = [f'{k}="{v}"' if " " in v else f"{k}={v}" for k, v in parameters.items()]
    common = ["--profile", profile, "--region", region]
    return [
        [sam, "build", "--template-file", str(template), "--build-dir", str(build_dir), *common],
        [
            sam,
            "deploy",
            "--template-file",
            str(build_dir / "template.yaml"),
            "--stack-name",
            stack,
            *common,
            "--resolve-s3",
            "--capabilities",
            "CAPABILITY_IAM",
            "CAPABILITY_NAMED_IAM",
            "CAPABILITY_AUTO_EXPAND",
            "--no-confirm-changeset",
            "--no-fail-on-empty-changeset",
            "--tags",
            f"{TAG_KEY}={run_id}",
            "--parameter-overrides",
            *overrides,
        ],
    ]


def run_commands(commands: Sequence[Sequence[str]], out: TextIO) -> None:
    for command in commands:
        print(f"  $ {' '.join(command[:4])} …", file=out, flush=True)
        done = subprocess.run(  # noqa: S603 - the SAM CLI with arguments built here, no shell
            list(command), cwd=REPO, capture_output=True, text=True, timeout=SAM_TIMEOUT_S, check=False
        )
        if done.returncode != 0:
            tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
            raise StepFailed(f"{command[1]} failed ({done.returncode}): {' | '.join(tail)}")


def run_aws(
    options: AcceptanceOptions,
    plan: Plan,
    out: TextIO,
    recorder: Recorder,
    *,
    accounts: Callable[[], tuple[Any, Any]] | None = None,
    deploy: Deploy | None = None,
    sleep: Callable[[float], None] | None = None,
) -> RunResult:
    """The run; ``accounts``, ``deploy`` and ``sleep`` stand in for the two profiles' accounts, the SAM CLI
    and the waits in tests."""
    from linkpilot_cli.acceptance.aws_story import AwsStory

    steps, teardown = Steps(out), Teardown()
    result = RunResult()
    story: AwsStory | None = None
    try:
        provider, consumer = (accounts or _accounts(options, plan, recorder))()
        if provider.id == consumer.id:
            raise StepFailed("both profiles name the same account")
        deploy = deploy or _deployer(options, plan, out)
        extra = {"sleep": sleep} if sleep else {}
        story = AwsStory(plan, provider, consumer, steps, teardown, deploy=deploy, **extra)
        story.run()
    except StepFailed as exc:
        result.error = result.error or str(exc)
    except KeyboardInterrupt:
        result.interrupted = True
        print("interrupted: tearing down (Ctrl-C again leaves what is not yet deleted)", file=out, flush=True)
    except Exception as exc:  # noqa: BLE001 - whatever stopped the run, the teardown runs and it is reported
        result.error = f"the run stopped on an error: {exc!r}"
    finally:
        teardown.run(out)
        result.leftovers = list(teardown.failed)
        if story is not None:
            result.leftovers += _still_tagged(story, sleep or time.sleep, out)
    result.steps = steps.results
    result.observations = story.observations if story is not None else []
    return result


Deploy = Callable[[str, str, str, dict[str, str]], None]  # (provider|consumer, template, stack, parameters)
TAG_SEARCH_TRIES, TAG_SEARCH_EVERY_S = 20, 30.0


def _still_tagged(story: Any, sleep: Callable[[float], None], out: TextIO) -> list[str]:
    """What both accounts still list with the run's tag, asked again for up to ten minutes: the Resource
    Groups Tagging API lists a deleted resource for a while. Ctrl-C stops the asking: what was listed last
    is reported."""
    from linkpilot_cli.acceptance.aws_story import left_tagged

    left = left_tagged(story.p, story.c)
    try:
        for _ in range(TAG_SEARCH_TRIES):
            if not left:
                break
            print(
                f"  {len(left)} resource(s) still listed with the run's tag: asking again",
                file=out,
                flush=True,
            )
            sleep(TAG_SEARCH_EVERY_S)
            left = left_tagged(story.p, story.c)
    except KeyboardInterrupt:
        pass
    return left


def _accounts(options: AcceptanceOptions, plan: Plan, recorder: Recorder) -> Callable[[], tuple[Any, Any]]:
    def make() -> tuple[Any, Any]:
        from linkpilot_cli.adapters.acceptance_aws import Account
        from linkpilot_cli.aws import session_from

        made = []
        for profile in (options.provider_profile, options.consumer_profile):
            session = session_from(SimpleNamespace(profile=profile, region=plan.region))
            recorder.attach(session)
            made.append(Account(session, plan.run_id))
        return made[0], made[1]

    return make


def _deployer(options: AcceptanceOptions, plan: Plan, out: TextIO) -> Deploy:
    sam = sam_binary()

    def deploy(which: str, template: str, stack: str, parameters: dict[str, str]) -> None:
        profile = options.provider_profile if which == "provider" else options.consumer_profile
        build = REPO / ".aws-sam" / "acceptance" / plan.run_id / which
        run_commands(
            sam_commands(
                sam,
                REPO / template,
                build,
                stack=stack,
                profile=profile,
                region=plan.region,
                run_id=plan.run_id,
                parameters=parameters,
            ),
            out,
        )

    return deploy
