from django.urls import reverse


def test_dump(alice_client, patient):
    page = alice_client.get(reverse("assessment_create", args=[patient.pk])).content.decode()
    open("/tmp/uxscratch/form.html", "w").write(page)


def test_dump_signed(alice_client, patient, alice):
    from tests.functional.test_clinic_words import EVERY_CODE
    from tests.rehab_factories import signed_assessment
    signed = signed_assessment(patient=patient, clinician=alice, findings=EVERY_CODE)
    page = alice_client.get(reverse("assessment_detail", args=[signed.pk])).content.decode()
    open("/tmp/uxscratch/signed.html", "w").write(page)
