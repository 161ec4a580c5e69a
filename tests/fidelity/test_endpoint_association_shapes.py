"""The EC2 adapter reads recorded real shapes right: a Resource endpoint's DNS names.

Recorded shapes (each names its public source):

- ``DESCRIBE_VPC_ENDPOINT_ASSOCIATIONS``: the output of the AWS CLI example
  ``awscli/examples/ec2/describe-vpc-endpoint-associations.rst``
  (``aws ec2 describe-vpc-endpoint-associations``), verbatim, including its region mismatch between
  the DNS name (us-east-2) and the ARN (us-east-1).
- ``RESOURCE_ENDPOINT``: a ``DescribeVpcEndpoints`` item of a ``Resource`` endpoint. No ``DnsEntries``:
  terraform-provider-aws ``internal/service/ec2/vpc_endpoint_test.go``
  (``TestAccVPCEndpoint_resourceConfiguration`` and its private-DNS variants, run against real AWS)
  asserts ``dns_entry.# = 0``, and the botocore model documents ``DnsEntries`` as "(Interface endpoint)".
  State casing as in the EC2 examples (``Available``).

botocore's Stubber validates each response against the installed service model before the adapter sees it.
"""

from __future__ import annotations

import boto3
from botocore.stub import Stubber

from linkpilot.aws.ec2_endpoints import Ec2Endpoints

DESCRIBE_VPC_ENDPOINT_ASSOCIATIONS = {
    "VpcEndpointAssociations": [
        {
            "Id": "vpce-rsc-asc-0a810ca6ac8866bf9",
            "VpcEndpointId": "vpce-019b90d6f16d4f958",
            "AssociatedResourceAccessibility": "Accessible",
            "DnsEntry": {
                "DnsName": "vpce-019b90d6f16d4f958.rcfg-07129f3acded87625.4232ccc.vpc-lattice-rsc.us-east-2.on.aws",  # noqa: E501
                "HostedZoneId": "Z03265862FOUNWMZOKUF4",
            },
            "AssociatedResourceArn": "arn:aws:vpc-lattice:us-east-1:123456789012:resourceconfiguration/rcfg-07129f3acded87625",  # noqa: E501
        }
    ]
}

RESOURCE_ENDPOINT = {
    "VpcEndpointId": "vpce-019b90d6f16d4f958",
    "VpcEndpointType": "Resource",
    "VpcId": "vpc-0123456789abcdef0",
    "State": "Available",
    "ResourceConfigurationArn": "arn:aws:vpc-lattice:us-east-1:123456789012:resourceconfiguration/rcfg-07129f3acded87625",  # noqa: E501
    "IpAddressType": "IPV4",
    "Tags": [{"Key": "linkpilot:managed", "Value": "true"}],
}


def test_the_adapter_reads_the_dns_name_from_the_recorded_association():
    client = boto3.client("ec2", region_name="us-east-2")
    stub = Stubber(client)
    stub.add_response("describe_vpc_endpoints", {"VpcEndpoints": [RESOURCE_ENDPOINT]})
    stub.add_response("describe_vpc_endpoint_associations", DESCRIBE_VPC_ENDPOINT_ASSOCIATIONS)
    with stub:
        (endpoint,) = Ec2Endpoints(client).managed_endpoints()
    assert "DnsEntries" not in RESOURCE_ENDPOINT
    assert endpoint.state == "available"
    (row,) = endpoint.associations
    assert row.association_id == "vpce-rsc-asc-0a810ca6ac8866bf9"
    assert row.endpoint_id == endpoint.endpoint_id
    assert row.accessible  # "Accessible", compared case-insensitively
    assert row.dns_name == (
        "vpce-019b90d6f16d4f958.rcfg-07129f3acded87625.4232ccc.vpc-lattice-rsc.us-east-2.on.aws"
    )
    assert row.associated_resource_arn.endswith("resourceconfiguration/rcfg-07129f3acded87625")
    assert row.group_arn == "" and row.private_dns_name == ""
    assert endpoint.dns_name == row.dns_name
