"""Print, for each resource of a CloudFormation template (JSON on stdin),
whether its type takes tags and under which property, from the resource
provider schemas cfn-lint ships: the judge of which resources house policy
must tag, independent of streamgen's own table.

Output: JSON, {"LogicalId": {"type": ..., "tagProperty": ... or null}}.
"""

import json
import sys

from cfnlint.schema import PROVIDER_SCHEMA_MANAGER as schemas


def tag_property(resource_type):
    try:
        schema = schemas.get_resource_schema("us-east-1", resource_type).schema
    except Exception:
        return None
    tagging = schema.get("tagging", {})
    if not tagging.get("taggable"):
        return None
    return (tagging.get("tagProperty") or "/properties/Tags").split("/")[-1]


template = json.load(sys.stdin)
out = {}
for logical_id, resource in template.get("Resources", {}).items():
    out[logical_id] = {"type": resource["Type"], "tagProperty": tag_property(resource["Type"])}
json.dump(out, sys.stdout, indent=2, sort_keys=True)
