import datetime

import factory
from django.contrib.auth import get_user_model

from assessments.models import Assessment
from clinic.models import Clinic, Membership, Patient

# Signing needs a reason while red-flag questions are unasked; tests that are not about the
# screen give this one.
NOT_SCREENED = "Not screened: this test is not about the red-flag screen."


class ClinicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Clinic

    name = factory.Sequence(lambda n: f"Clinic {n}")
    phone = "+44 20 7946 0001"
    email = factory.Sequence(lambda n: f"clinic{n}@example.com")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    # Not Faker's names: the logged-in clinician's name is on every page, and a random "Stone"
    # or "Rosa" there failed tests that check a patient's name is absent.
    first_name = "Clinician"
    last_name = factory.Sequence(lambda n: f"Number{n}")
    password = factory.PostGenerationMethodCall("set_password", "pw")

    @factory.post_generation
    def clinic(self, create, extracted, **kwargs):
        """UserFactory(clinic=c) makes the user a clinician of c."""
        if create and extracted is not None:
            role = kwargs.get("role", "clinician")
            Membership.objects.create(user=self, clinic=extracted, role=role)
        if create:
            self.save()


class PatientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Patient

    clinic = factory.SubFactory(ClinicFactory)
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    date_of_birth = datetime.date(1988, 4, 2)
    sex = "female"
    record_number = factory.Sequence(lambda n: f"R{n:05d}")


class AssessmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Assessment

    patient = factory.SubFactory(PatientFactory)
    clinician = factory.SubFactory(UserFactory)
    assessed_on = datetime.date(2026, 11, 20)
    side = "right"


def verified_login(client, user):
    """Log ``user`` in past the second factor, as a superuser must be for any page."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client.force_login(user)
    device = TOTPDevice.objects.create(user=user, name="test phone", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client
