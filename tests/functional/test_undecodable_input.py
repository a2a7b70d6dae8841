"""NUL bytes and broken UTF-8 in an address get the same answer on SQLite and PostgreSQL.

PostgreSQL refuses text holding NUL, so without ``RefuseNulMiddleware`` a search or a link
token with one was a 500 there and a 404 or an empty list on SQLite.
"""

import pytest

from rehab.models import PatientLink
from tests.rehab_factories import plan_for


@pytest.fixture
def token(patient, alice):
    plan = plan_for(patient=patient, clinician=alice)
    return PatientLink.objects.get(plan=plan).token


NUL_ADDRESSES = [
    "/?q=%00",
    "/?q=smith%00",
    "/?page=%00",
    "/?%00=1",
    "/p/%00/",
    "/patients/1%00/",
    "/assessments/%00/",
    "/admin/clinic/patient/?q=%00",
    "/admin/rehab/plan/%00/change/",
]


@pytest.mark.parametrize("address", NUL_ADDRESSES)
def test_a_nul_byte_in_the_address_is_a_404(alice_client, address):
    assert alice_client.get(address).status_code == 404


def test_a_nul_byte_after_a_real_link_token_is_a_404(client, token):
    assert client.get(f"/p/{token}/").status_code == 200
    assert client.get(f"/p/{token}%00/").status_code == 404
    assert client.post(f"/p/{token}%00/", {"notes": "x"}).status_code == 404


@pytest.mark.parametrize("address", ["/?q=%ff", "/?q=%c0%80", "/p/%ff/", "/patients/%ff/"])
def test_broken_utf8_in_the_address_never_fails(alice_client, address):
    assert alice_client.get(address).status_code in (200, 404)
