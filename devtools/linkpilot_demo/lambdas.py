"""Running our Lambda handlers in-process, the way Lambda would: the function's own environment (resolved
from the template by the local deployer), its account's credentials, a Lambda context, stdout captured.

No container engine is available here, so ``sam local invoke`` is not an option; what runs is the same
handler module that ``sam build`` packages (``functions/<name>/app.py``) with the shared package.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import logging
import os
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, TextIO

from linkpilot_local.deploy import FunctionSpec


class LogSink(io.TextIOBase):
    """Stands in for the functions' stdout (CloudWatch Logs): keeps every line in a log file and hands out
    the lines written since the last :meth:`take` (for EMF ingestion)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file: TextIO = path.open("w", encoding="utf-8")
        self._pending = ""
        self._lines: list[str] = []

    def writable(self) -> bool:
        return True

    def write(self, s: str) -> int:
        self._file.write(s)
        self._pending += s
        *complete, self._pending = self._pending.split("\n")
        self._lines.extend(complete)
        return len(s)

    def flush(self) -> None:
        if not self._file.closed:
            self._file.flush()

    def take(self) -> list[str]:
        lines, self._lines = self._lines, []
        return lines

    def close(self) -> None:
        if not self.closed:
            self._file.flush()
            super().close()
            self._file.close()


@dataclass
class LambdaContext:
    function_name: str
    invoked_function_arn: str
    memory_limit_in_mb: int = 256
    function_version: str = "$LATEST"
    aws_request_id: str = ""
    log_group_name: str = ""
    log_stream_name: str = "local"

    def get_remaining_time_in_millis(self) -> int:
        return 60_000


def _stdout_handlers() -> list[logging.StreamHandler[Any]]:
    loggers = [logging.getLogger()] + [
        lg for lg in logging.root.manager.loggerDict.values() if isinstance(lg, logging.Logger)
    ]
    return [
        h
        for lg in loggers
        for h in lg.handlers
        if type(h) is logging.StreamHandler and h.stream not in (sys.stderr, sys.__stderr__)
    ]


def _swap(handler: logging.StreamHandler[Any], stream: Any) -> Any:
    """``setStream`` without flushing a stream that is already closed (an earlier test's capture, say)."""
    old = handler.stream
    if getattr(old, "closed", False):
        handler.stream = stream
        return old
    return handler.setStream(stream) or old


class LocalFunction:
    """One deployed function: its handler module, loaded once (a warm container), invoked with its env."""

    def __init__(self, spec: FunctionSpec, session: Any, region: str, sink: LogSink) -> None:
        self.spec = spec
        self.sink = sink
        creds = session.get_credentials().get_frozen_credentials()
        self.env = {
            **spec.environment,
            "AWS_ACCESS_KEY_ID": creds.access_key,
            "AWS_SECRET_ACCESS_KEY": creds.secret_key,
            "AWS_SESSION_TOKEN": creds.token or "",
            "AWS_REGION": region,
            "AWS_DEFAULT_REGION": region,
            "AWS_LAMBDA_FUNCTION_NAME": spec.name,
            "POWERTOOLS_TRACE_DISABLED": "true",  # no X-Ray daemon locally
            "AWS_XRAY_SDK_ENABLED": "false",
        }
        self._module: ModuleType | None = None
        # A new container: no parameter values cached by an earlier function instance in this process.
        from aws_lambda_powertools.utilities.parameters import base

        base.DEFAULT_PROVIDERS.clear()  # type: ignore[attr-defined]

    @contextlib.contextmanager
    def _as_lambda(self) -> Iterator[None]:
        import boto3

        saved = dict(os.environ)
        os.environ.update(self.env)
        os.environ.pop("AWS_PROFILE", None)
        boto3.DEFAULT_SESSION = None  # one account per Lambda process: never reuse another's credentials
        # Loggers bind their stream when first built (perhaps by an earlier import in this process):
        # during the invocation, every plain stdout handler writes to this function's log.
        before = {h: _swap(h, self.sink) for h in _stdout_handlers()}
        try:
            with contextlib.redirect_stdout(self.sink):
                yield
        finally:
            # afterwards, every handler writing here (also those built during the call) writes where it did
            # before, or to the caller's stdout: never to this function's log once it is closed
            for h in _stdout_handlers():
                if h.stream is self.sink:
                    stream = before.get(h)
                    _swap(h, sys.stdout if stream is None or getattr(stream, "closed", False) else stream)
            os.environ.clear()
            os.environ.update(saved)
            boto3.DEFAULT_SESSION = None

    def _load(self) -> ModuleType:
        if self._module is None:
            module_file, _, _ = self.spec.handler.rpartition(".")
            path = self.spec.code_dir / f"{module_file}.py"
            name = f"linkpilot_fn_{self.spec.logical_id}"
            spec = importlib.util.spec_from_file_location(name, path)
            if spec is None or spec.loader is None:
                raise ImportError(f"cannot load {path}")
            module = importlib.util.module_from_spec(spec)
            sys.modules[name] = module
            spec.loader.exec_module(module)
            self._module = module
        return self._module

    def module(self) -> ModuleType:
        """The handler module (loaded once), e.g. to give its wiring the simulated clock."""
        with self._as_lambda():
            return self._load()

    def invoke(self, event: Any, **extra: Any) -> Any:
        """Runs the handler; an exception propagates (as a failed invocation would be retried)."""
        with self._as_lambda():
            module = self._load()
            handler = getattr(module, self.spec.handler.rpartition(".")[2])
            context = LambdaContext(
                function_name=self.spec.name,
                invoked_function_arn=self.spec.arn,
                aws_request_id=str(uuid.uuid4()),
                log_group_name=f"/aws/lambda/{self.spec.name}",
            )
            return handler(event, context, **extra)
