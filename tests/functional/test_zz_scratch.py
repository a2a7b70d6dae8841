from django.urls import reverse


def test_dump(alice_client, patient):
    page = alice_client.get(reverse("assessment_create", args=[patient.pk])).content.decode()
    open("/tmp/uxscratch/form.html", "w").write(page)
