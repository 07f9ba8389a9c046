"""Prints, as JSON, the function's environment and logging configuration as deployed for each
set of parameter values, and the parameters the environment reads; a variable naming a
resource (the table) is {"Ref", "Type"}. tests/e2e/template-env.test.js starts the binary so:

    .venv/bin/python tests/infra/function_env.py '[{}, {"CountCrawlers": "true"}]'
"""

from __future__ import annotations

import json
import sys
from typing import Any

from conftest import load_template, only_resource, transform
from intrinsics import deployed_resources, parameter_values


def resolve(value: Any, cfn: dict[str, Any], params: dict[str, str]) -> Any:
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and set(value) == {"Ref"}:
        name = value["Ref"]
        if name in params:
            return params[name]
        return {"Ref": name, "Type": cfn["Resources"][name]["Type"]}
    raise ValueError(f"cannot tell what the function gets for {value!r}")


def parameters_read(variables: dict[str, Any], cfn: dict[str, Any]) -> dict[str, Any]:
    refs = (v.get("Ref") for v in variables.values() if isinstance(v, dict))
    names = {name for name in refs if name in cfn["Parameters"]}
    return {
        name: {
            "Default": cfn["Parameters"][name].get("Default"),
            "AllowedValues": cfn["Parameters"][name].get("AllowedValues"),
        }
        for name in sorted(names)
    }


def function_for(cfn: dict[str, Any], given: dict[str, str]) -> dict[str, Any]:
    params = parameter_values(cfn, given)
    deployed = {"Resources": deployed_resources(cfn, given)}
    _, function = only_resource(deployed, "AWS::Lambda::Function")
    properties = function["Properties"]
    variables = properties.get("Environment", {}).get("Variables", {})
    return {
        "variables": {name: resolve(value, cfn, params) for name, value in variables.items()},
        "logging": properties.get("LoggingConfig", {}),
    }


def main(argv: list[str]) -> None:
    given_sets = json.loads(argv[1]) if len(argv) > 1 else [{}]
    cfn = transform(load_template())
    _, function = only_resource(cfn, "AWS::Lambda::Function")
    variables = function["Properties"].get("Environment", {}).get("Variables", {})
    print(
        json.dumps(
            {
                "parameters": parameters_read(variables, cfn),
                "functions": [function_for(cfn, given) for given in given_sets],
            }
        )
    )


if __name__ == "__main__":
    main(sys.argv)
