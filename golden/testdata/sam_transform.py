"""Print a SAM template expanded to plain CloudFormation, as JSON.

Usage: python3 sam_transform.py template.yaml

It runs the same aws-sam-translator expansion cfn-lint validates with, so the
Go tests can check what SAM will actually create (the Function URL, its
permissions) rather than what the template source says.
"""

import json
import sys

from cfnlint.decode import decode
from cfnlint.template.transforms._sam import Transform


def main(path):
    template, problems = decode(path)
    if problems:
        for p in problems:
            print(p, file=sys.stderr)
        return 1
    transform = Transform(path, template, "us-east-1")
    problems = transform.transform_template()
    if problems:
        for p in problems:
            print(p, file=sys.stderr)
        return 1
    json.dump(transform.template(), sys.stdout, indent=2, sort_keys=True, default=str)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
