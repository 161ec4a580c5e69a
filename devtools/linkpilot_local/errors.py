"""Errors the emulation returns, serialized by moto's protocol serializers with AWS's error codes."""

from __future__ import annotations

from typing import Any

from .moto_compat import ServiceException


class AwsError(ServiceException):
    """An AWS error response: ``code`` as AWS names it, optional HTTP status override and extra fields.

    The status comes from the service model's error shape when the code is modelled (RAM, VPC
    Lattice); EC2 models no errors, so EC2 errors carry their status explicitly.
    """

    def __init__(self, code: str, message: str, *, status: int | None = None, **fields: Any) -> None:
        super().__init__(code, message)
        self.status = status
        for key, value in fields.items():
            setattr(self, key, value)


def ram_error(code: str, message: str) -> AwsError:
    return AwsError(code, message)


def lattice_validation(message: str, reason: str = "other") -> AwsError:
    return AwsError("ValidationException", message, reason=reason)


def lattice_not_found(resource_id: str, resource_type: str) -> AwsError:
    return AwsError(
        "ResourceNotFoundException",
        f"{resource_type} {resource_id} not found",
        resourceId=resource_id,
        resourceType=resource_type,
    )


def lattice_conflict(message: str, resource_id: str, resource_type: str) -> AwsError:
    return AwsError("ConflictException", message, resourceId=resource_id, resourceType=resource_type)


def ec2_error(code: str, message: str, status: int = 400) -> AwsError:
    return AwsError(code, message, status=status)
