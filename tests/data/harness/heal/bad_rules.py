"""A team's rule with a mistake (for the upgrade --verify test): `summed(...)`
is "renamed" `summed_number(...)`, which returns a float, not a tensor."""

from bowler import Query

from torchmigrate.user_rules import user_rule

RULES = [
    user_rule(
        id="X900",
        name="summed-helper",
        summary="Our `summed` helper is now `summed_number`",
        query=Query().select_function("summed").is_call().rename("summed_number"),
        safety="unsafe",
    ),
]
