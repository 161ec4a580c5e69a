"""``--record DIR``: every AWS answer a run's clients received, written as fixtures in the format of
``tests/fidelity/fixtures`` (see its README), sanitised (``sanitise.Sanitiser``).

The recorder listens on botocore's public event hooks: ``before-parameter-build`` (the request's parameters)
and ``after-call`` (the parsed answer, errors included). ``attach(session)`` records one boto3 session's
clients made afterwards; ``attach_to_new_sessions`` every botocore session created afterwards (the local
target's in-process functions make their own). STS answers (credentials) are never recorded.

A fixture's ``source.kind`` says where it came from: ``linkpilot-acceptance`` for a run on AWS (promotable:
docs/aws-behaviour.md, "Promoting a recording"), ``local-emulation`` for the local AWS, which the fidelity
tests refuse as evidence.
"""

from __future__ import annotations

import contextlib
import copy
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from linkpilot_cli.acceptance.checks import Target
from linkpilot_cli.acceptance.sanitise import Sanitiser

SOURCE_KINDS: Final = {Target.AWS: "linkpilot-acceptance", Target.LOCAL: "local-emulation"}
_PARAMS_KEY: Final = "linkpilot_recorded_params"
NOT_RECORDED: Final = frozenset({"sts"})  # credentials


@dataclass(frozen=True)
class Exchange:
    service: str  # botocore's service name (``vpc-lattice``), as the fixtures name it
    operation: str
    request: dict[str, Any]
    response: dict[str, Any]  # parsed, ResponseMetadata dropped
    status: int
    date: str = ""  # the answer's HTTP Date (AWS's clock; the local AWS's simulated one)


class Recorder:
    def __init__(self, target: Target, run_id: str) -> None:
        self.target, self.run_id = target, run_id
        self.exchanges: list[Exchange] = []

    # -- botocore's hooks ----------------------------------------------------------------------------------

    def _before(self, params: Any = None, context: Any = None, **_: Any) -> None:
        if isinstance(context, dict):
            context[_PARAMS_KEY] = copy.deepcopy(dict(params or {}))

    def _after(
        self, http_response: Any = None, parsed: Any = None, model: Any = None, context: Any = None, **_: Any
    ) -> None:
        if model is None or not isinstance(parsed, dict):
            return
        service = model.service_model.service_name
        if service in NOT_RECORDED:
            return
        response = {k: v for k, v in parsed.items() if k != "ResponseMetadata"}
        request = context.get(_PARAMS_KEY, {}) if isinstance(context, dict) else {}
        status = int(getattr(http_response, "status_code", 0) or 0)
        headers = getattr(http_response, "headers", None) or {}
        date = str(headers.get("Date", "") or headers.get("date", ""))
        self.exchanges.append(Exchange(service, model.name, request, response, status, date))

    def attach(self, session: Any) -> None:
        """Records the answers of the clients this boto3 (or botocore) session makes from now on."""
        core = getattr(session, "_session", session)
        core.register("before-parameter-build", self._before)
        core.register("after-call", self._after)

    @contextlib.contextmanager
    def attach_to_new_sessions(self) -> Iterator[None]:
        """Every botocore session created inside the block records (botocore's ``BUILTIN_HANDLERS``, the
        list each new session registers; removed again on leaving)."""
        from botocore import handlers

        added = [("before-parameter-build", self._before), ("after-call", self._after)]
        handlers.BUILTIN_HANDLERS.extend(added)
        try:
            yield
        finally:
            for item in added:
                with contextlib.suppress(ValueError):
                    handlers.BUILTIN_HANDLERS.remove(item)

    # -- fixtures ----------------------------------------------------------------------------------------

    def fixtures(self, sanitiser: Sanitiser | None = None) -> dict[str, dict[str, Any]]:
        """File name → fixture, sanitised, identical exchanges once. Names are
        ``<service>.<Operation>.rec-<n>[.error.<Code>]`` (n counts per operation)."""
        sanitiser = sanitiser or Sanitiser()
        kind = SOURCE_KINDS[self.target]
        out: dict[str, dict[str, Any]] = {}
        seen: set[str] = set()
        counts: dict[str, int] = {}
        for ex in self.exchanges:
            request, response = sanitiser.tree(ex.request), sanitiser.tree(ex.response)
            error = response.get("Error") if ex.status >= 300 else None
            body: dict[str, Any] = {"request": request}
            if isinstance(error, dict):
                body["error"] = {"Code": str(error.get("Code", ""))}
            else:
                body["response"] = response
            key = json.dumps([ex.service, ex.operation, body], sort_keys=True)
            if key in seen:
                continue
            seen.add(key)
            op = f"{ex.service}.{ex.operation}"
            counts[op] = counts.get(op, 0) + 1
            name = f"{op}.rec-{counts[op]}" + (f".error.{body['error']['Code']}" if "error" in body else "")
            out[name] = {
                "operation": f"{ex.service}:{ex.operation}",
                "source": {
                    "kind": kind,
                    "where": f"linkpilot acceptance ({self.target}), run {self.run_id}",
                    "note": (
                        "recorded by `linkpilot acceptance --record`: the answer as received, sanitised "
                        "(account ids, resource ids, ARNs' ids, addresses replaced by placeholders, "
                        "consistently within the run)"
                    ),
                },
                **body,
                "absent_keys": [],
                "unverified": ["one answer of one run: values other runs may show are not covered"],
            }
        return out

    def write(self, directory: Path, sanitiser: Sanitiser | None = None) -> list[Path]:
        directory.mkdir(parents=True, exist_ok=True)
        written = []
        for name, data in self.fixtures(sanitiser).items():
            path = directory / f"{name}.json"
            path.write_text(json.dumps(data, indent=2, sort_keys=False) + "\n")
            written.append(path)
        return written
