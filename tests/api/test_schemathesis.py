"""Schemathesis fuzzing of the REST API against a live small demo: no operation answers with a 5xx.

The small demo is built in a scratch directory and served by `bilim serve` (as for the browser
tests); requests carry an API token of the demo administrator, so they reach the endpoints' logic
rather than stopping at 401. Every operation of the OpenAPI document is its own test item and is
exercised, writes included (approval steps and imports only touch the throwaway demo), in
Schemathesis' coverage phase (boundary and invalid values of each parameter, malformed bodies and
content types) and its fuzzing phase (Hypothesis-generated requests, valid and invalid).
Parameters that name things (org units, forms, periods, indicators...) take the demo's real codes
part of the time, so requests get past the 404s into the code behind them.

Checks: no server error, and a response whose status is documented matches its documented schema.

Schemathesis 4.32 and pytest 9.2: the operations are collected from the in-process document
(Schemathesis parametrizes at collection time, before the server is up; its lazy `from_fixture`
loader uses a pytest attribute 9.2 removed), and `test_served_schema_is_the_one_fuzzed` checks the
running server serves exactly that document at /api/v1/openapi.json. Without a pytest parameter of
their own, the per-operation items would all get the same node id (the operation is only in the
name), hence the `role` parameter.

Reproducible: a fixed seed, derandomized Hypothesis, no example database. About 2 minutes on two
busy cores, 45 s of it building the demo.
"""

from __future__ import annotations

import json
import urllib.request

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.livedemo import ADMIN, LiveDemo

pytestmark = pytest.mark.slow

SEED = 20260101
MAX_EXAMPLES = 20  # per operation, in the fuzzing phase; the coverage phase adds its own cases

# Real codes of the small demo (some deliberately wrong: periods without data, an unknown split...).
UNITS = ["KZ", "KZ-10", "KZ-19", "KZ-19-001", "KZ-19-001-EDU", "KZ-10-AKIMAT", "000440100733"]
DICTIONARIES = {
    "code": UNITS + ["SCHOOL_NETWORK", "DIRECTOR_APPOINT", "MES-2019-09-05", "MES-2019-09-05-1", "ALA-HOUSE-1"],
    "unit": UNITS,
    "ou": UNITS + ["LEVEL-region", "LEVEL-district", "LEVEL-organization", "KZ;LEVEL-region",
                   "KZ-19;LEVEL-district", "CHILDREN-KZ", "CHILDREN-KZ-19", "KZ;KZ-10", "KZ-19;LEVEL-organization"],
    "dx": ["GER_ISCED1", "PTR_ISCED1", "GER_ISCED1;PTR_ISCED1", "NER_ISCED2;OOSR_ISCED1", "CLASS_SIZE", "REPR_G01",
           "TRAINED_PCT", "SURV_ISCED1"],
    "pe": ["2024S", "2023S", "2020S", "2024", "2022S;2024S", "2019S", "2030S", "2024Q1"],
    "data_set": ["SCHOOL_CENSUS", "PRESCHOOL_CENSUS", "HE_CENSUS", "TVET_CENSUS", "ADDITIONAL_CENSUS",
                 "SCHOOL_FINANCE", "MACRO", "POPULATION"],
    "by": ["SEX", "AREA", "LOCATION", "SEX,LOCATION", "none"],
    "date": ["2019-01-01", "2021-01-01", "2023-06-01", "2026-01-01", "1900-01-01", "2099-12-31"],
    "competence": ["SCHOOL_NETWORK", "ORG_OPEN_CLOSE", "DIRECTOR_APPOINT", "PER_CAPITA_FIN", "CONSTRUCTION_REPAIR"],
    "mode": ["current", "historical"],
    "de": ["ENROL", "TEACH", "ENROL;TEACH", "CAPACITY", "POP", "EXPEND", "NOPE"],
}
PARAMETERS = {
    "path.code": "code", "path.org_unit": "unit", "query.org_unit": "unit", "query.parent": "unit",
    "query.region": "unit", "query.responsible": "unit", "query.ou": "ou", "query.dx": "dx", "query.pe": "pe",
    "path.period": "pe", "path.data_set": "data_set", "query.data_set": "data_set", "query.by": "by",
    "query.date": "date", "query.competence": "competence", "query.mode": "mode",
    # GET /exchange/values takes DHIS2's camelCase names
    "query.orgUnit": "ou", "query.dataElement": "de", "query.dataSet": "data_set",
}
CONFIG = SchemathesisConfig.from_dict({
    "seed": SEED,
    "cache": {"enabled": False},  # no .schemathesis/ directory in the working tree
    "request-timeout": 60,
    "dictionaries": {name: {"values": values} for name, values in DICTIONARIES.items()},
    "parameters": {key: {"dictionary": name, "probability": 0.6} for key, name in PARAMETERS.items()},
    # every request carries the admin token (below); no generated cookies or Authorization headers
    "generation": {"with-security-parameters": False},
    "phases": {"stateful": {"enabled": False}},
})


def _openapi() -> dict:
    from bilim.api.api import api

    return json.loads(json.dumps(api.get_openapi_schema(), default=str))


OPENAPI = _openapi()
schema = schemathesis.openapi.from_dict(OPENAPI, config=CONFIG)


@pytest.fixture(scope="module")
def api_demo(tmp_path_factory):
    demo = LiveDemo(tmp_path_factory.mktemp("apidemo"))
    demo.build()
    demo.start()
    try:
        yield demo
    finally:
        demo.stop()


@pytest.fixture(scope="module")
def tokens(api_demo) -> dict[str, str]:
    """API tokens by role: the demo administrator (who may call every operation)."""
    out = api_demo.run("shell", "-c", (
        "from bilim.accounts.models import User\n"
        "from bilim.accounts.services import issue_token\n"
        f"print('TOKEN=' + issue_token(User.objects.get(username={ADMIN[0]!r}), name='schemathesis'))\n"))
    return {"admin": next(line.removeprefix("TOKEN=") for line in out.splitlines() if line.startswith("TOKEN="))}


def test_served_schema_is_the_one_fuzzed(api_demo):
    with urllib.request.urlopen(f"{api_demo.url}/api/v1/openapi.json", timeout=30) as resp:
        assert json.load(resp) == OPENAPI


@schema.parametrize()
@pytest.mark.parametrize("role", ["admin"])  # also gives each operation its own node id (see above)
@settings(max_examples=MAX_EXAMPLES, derandomize=True, database=None, deadline=None, print_blob=True,
          suppress_health_check=list(HealthCheck))
def test_api_has_no_server_errors(case, role, api_demo, tokens):
    case.call_and_validate(base_url=api_demo.url, headers={"Authorization": f"Bearer {tokens[role]}"},
                           checks=[not_a_server_error, response_schema_conformance])
