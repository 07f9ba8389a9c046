"""Just enough of CloudFormation's deploy-time evaluation for the tests: Conditions, Fn::If
and Fn::Sub, on the translator's output. Anything else it meets is an error, not a guess."""

from __future__ import annotations

import re
from typing import Any

NO_VALUE = object()


def parameter_values(cfn: dict[str, Any], given: dict[str, str]) -> dict[str, str]:
    values = {name: str(p.get("Default", "")) for name, p in cfn.get("Parameters", {}).items()}
    unknown = set(given) - set(values)
    assert not unknown, f"not parameters of the template: {sorted(unknown)}"
    values.update(given)
    return values


def evaluate(node: Any, cfn: dict[str, Any], params: dict[str, str]) -> Any:
    """A condition expression -> bool, or a Ref to a parameter -> its value."""
    if isinstance(node, str):
        return node
    (fn, arg), = node.items()
    if fn == "Ref":
        return params[arg]
    if fn == "Condition":
        return condition_holds(cfn, arg, params)
    if fn == "Fn::Equals":
        left, right = (evaluate(a, cfn, params) for a in arg)
        return left == right
    if fn == "Fn::Not":
        (inner,) = arg
        return not evaluate(inner, cfn, params)
    if fn == "Fn::And":
        return all(evaluate(a, cfn, params) for a in arg)
    raise ValueError(f"cannot evaluate {fn} in a condition")


def condition_holds(cfn: dict[str, Any], name: str, params: dict[str, str]) -> bool:
    return bool(evaluate(cfn["Conditions"][name], cfn, params))


def resolve_ifs(node: Any, cfn: dict[str, Any], params: dict[str, str]) -> Any:
    """Every Fn::If replaced by its chosen branch; Ref AWS::NoValue drops the key or item."""
    if isinstance(node, dict):
        if set(node) == {"Fn::If"}:
            name, when_true, when_false = node["Fn::If"]
            chosen = when_true if condition_holds(cfn, name, params) else when_false
            return resolve_ifs(chosen, cfn, params)
        if node == {"Ref": "AWS::NoValue"}:
            return NO_VALUE
        resolved = {k: resolve_ifs(v, cfn, params) for k, v in node.items()}
        return {k: v for k, v in resolved.items() if v is not NO_VALUE}
    if isinstance(node, list):
        return [v for v in (resolve_ifs(v, cfn, params) for v in node) if v is not NO_VALUE]
    return node


def deployed_resources(cfn: dict[str, Any], given: dict[str, str]) -> dict[str, dict[str, Any]]:
    """The resources CloudFormation would create for these parameter values, Fn::If resolved."""
    params = parameter_values(cfn, given)
    return {
        name: resolve_ifs(resource, cfn, params)
        for name, resource in cfn["Resources"].items()
        if "Condition" not in resource or condition_holds(cfn, resource["Condition"], params)
    }


SUB_VARIABLE = re.compile(r"\$\{(!?)([^}]*)\}")


def sub_variables(value: Any) -> set[str]:
    """The ${...} names a Fn::Sub string refers to (${!Literal} escapes excluded)."""
    text = sub_text(value)
    return {name for bang, name in SUB_VARIABLE.findall(text) if not bang}


def sub_text(value: Any) -> str:
    assert isinstance(value, dict) and set(value) == {"Fn::Sub"}, f"not a Fn::Sub: {value!r}"
    sub = value["Fn::Sub"]
    assert isinstance(sub, str), "only the one-string form of Fn::Sub is expected here"
    return sub


def resolve_sub(value: Any, substitutions: dict[str, str]) -> str:
    """A Fn::Sub string with each ${Name} / ${Resource.Attribute} replaced from substitutions;
    an unknown name raises KeyError, so a typo cannot pass as a placeholder."""

    def replace(match: re.Match[str]) -> str:
        bang, name = match.groups()
        return "${" + name + "}" if bang else substitutions[name]

    return SUB_VARIABLE.sub(replace, sub_text(value))
