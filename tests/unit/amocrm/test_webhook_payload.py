"""The bracket-form webhook parser: real amoCRM shapes, and fuzzing that never crashes."""

from urllib.parse import parse_qsl, urlencode

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backend.amocrm.webhook_payload import PayloadError, changes, parse_form

STATUS_HOOK = (
    "account[subdomain]=acme&account[id]=32427762&account[_links][self]=https://acme.amocrm.ru"
    "&leads[status][0][id]=15318175&leads[status][0][name]=Row 17&leads[status][0][status_id]=142"
    "&leads[status][0][old_status_id]=67548607&leads[status][0][pipeline_id]=8572511"
    "&leads[status][0][price]=1000&leads[status][0][custom_fields][0][id]=1118164"
    "&leads[status][0][custom_fields][0][values][0][value]=17"
    "&leads[status][1][id]=15318176&leads[status][1][status_id]=143"
)


def pairs(body: str):
    return parse_qsl(body, keep_blank_values=True)


def test_status_hook_as_amocrm_sends_it():
    data = parse_form(pairs(STATUS_HOOK))
    assert data["account"] == {
        "subdomain": "acme",
        "id": "32427762",
        "_links": {"self": "https://acme.amocrm.ru"},
    }
    lead = data["leads"]["status"][0]
    assert lead["custom_fields"][0]["values"][0]["value"] == "17"
    c = changes(data)
    assert (c.account_id, c.subdomain) == (32427762, "acme")
    assert c.leads == {"status": [15318175, 15318176]}


def test_contacts_and_companies_arrive_under_contacts():
    body = urlencode(
        [
            ("account[id]", "1"),
            ("contacts[update][0][id]", "5"),
            ("contacts[update][0][type]", "contact"),
            ("contacts[update][0][custom_fields][0][code]", "PHONE"),
            ("contacts[update][0][custom_fields][0][values][0][value]", "+79121234567"),
            ("contacts[update][1][id]", "6"),
            ("contacts[update][1][type]", "company"),
            ("leads[delete][0][id]", "9"),
            ("leads[delete][0][status_id]", "143"),
        ]
    )
    c = changes(parse_form(pairs(body)))
    assert c.contacts == {"update": [5]} and c.leads == {"delete": [9]}
    assert c.lead_ids == {9} and c.contact_ids == {5}


def test_php_append_syntax():
    assert parse_form([("a[]", "x"), ("a[]", "y")]) == {"a": ["x", "y"]}


@pytest.mark.parametrize(
    "body",
    [
        "leads[status][0][id]=1",  # no account
        "account[id]=abc&leads[add][0][id]=1",
        "account[id]=1&leads[add][0][id]=x1",
        "account[id]=1&leads=flat",
        "account[id]=1&leads[add][0]=1&leads[add][0][id]=2",  # value and group at once
        "account[id=1",
        "account]id[=1",
    ],
)
def test_malformed_bodies_raise_payload_error(body):
    with pytest.raises(PayloadError):
        changes(parse_form(pairs(body)))


def test_too_deep_and_too_many_fields_are_refused():
    with pytest.raises(PayloadError, match="deeper"):
        parse_form([("a" + "[x]" * 20, "1")])
    with pytest.raises(PayloadError, match="more than"):
        parse_form((f"f{i}", "1") for i in range(20_001))


KEYS = st.text(alphabet="ab01[]_", min_size=1, max_size=30)


@settings(max_examples=500, deadline=None)
@given(st.lists(st.tuples(KEYS, st.text(max_size=12)), max_size=30))
def test_fuzz_parse_never_raises_anything_but_payload_error(form):
    try:
        changes(parse_form(form))
    except PayloadError:
        pass


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["leads", "contacts"]),
            st.sampled_from(["add", "update", "status", "delete", "restore", "bogus"]),
            st.integers(0, 5),
            st.sampled_from(["id", "name", "status_id", "type"]),
            st.text(alphabet="0123456789xcontacompany", max_size=8),
        ),
        max_size=25,
    )
)
def test_fuzz_structured_hooks(items):
    form = [("account[id]", "42")] + [(f"{e}[{a}][{i}][{f}]", v) for e, a, i, f, v in items]
    try:
        c = changes(parse_form(form))
    except PayloadError:
        return
    assert c.account_id == 42
    assert all(isinstance(x, int) for x in c.lead_ids | c.contact_ids)


# --- round trip: any nested structure amoCRM could send, written as PHP bracket keys, reads back whole --

NAMES = st.from_regex(r"[a-z_][a-z_0-9]{0,8}", fullmatch=True).filter(lambda k: not k.isdigit())
LEAF = st.text(max_size=12)
TREE = st.recursive(
    LEAF,
    lambda inner: st.one_of(
        st.lists(inner, min_size=1, max_size=4), st.dictionaries(NAMES, inner, min_size=1, max_size=4)
    ),
    max_leaves=25,
)


def depth(node) -> int:
    if isinstance(node, str):
        return 0
    return 1 + max(depth(v) for v in (node if isinstance(node, list) else node.values()))


def php_pairs(prefix: str, node) -> list[tuple[str, str]]:
    if isinstance(node, str):
        return [(prefix, node)]
    items = enumerate(node) if isinstance(node, list) else node.items()
    return [pair for k, v in items for pair in php_pairs(f"{prefix}[{k}]", v)]


@settings(max_examples=500, deadline=None)
@given(st.dictionaries(NAMES, TREE, min_size=1, max_size=4).filter(lambda d: depth(d) < 12))
def test_bracket_form_round_trips(data):
    form = [pair for name, value in data.items() for pair in php_pairs(name, value)]
    assert parse_form(pairs(urlencode(form))) == data


def _lines_run(n: int) -> int:
    """Python lines executed in the parser's module while parsing n `a[]=1` fields (deterministic, unlike
    a clock: a count of the work done)."""
    import sys

    from backend.amocrm import webhook_payload

    pairs = [("a[]", "1")] * n + [("account[id]", "1")]
    count = 0

    def trace(frame, event, _arg):
        nonlocal count
        if frame.f_code.co_filename != webhook_payload.__file__:
            return None
        if event == "line":
            count += 1
        return trace

    sys.settrace(trace)
    try:
        parsed = parse_form(pairs)
    finally:
        sys.settrace(None)
    assert parsed["a"] == ["1"] * n
    return count


def test_appending_fields_costs_the_same_per_field_however_many_came_before():
    """20,000 `a[]=1` fields (120 KB, within the body limit) used to recount the group's keys for each
    append: quadratic, seconds of CPU per webhook. Twice the fields must be about twice the work."""
    small, large = _lines_run(1_000), _lines_run(2_000)
    assert large / small < 2.2, (small, large)


def test_bracket_appends_mixed_with_explicit_indices_read_as_php_does():
    parsed = parse_form([("a[]", "x"), ("a[5]", "y"), ("a[]", "z"), ("a[k]", "w"), ("a[]", "v")])
    assert parsed["a"] == {"0": "x", "5": "y", "2": "z", "k": "w", "3": "v"}
