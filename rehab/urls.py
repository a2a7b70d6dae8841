from django.urls import path

from rehab import composer_views, outcome_views, questionnaire_views, referral_views, views

urlpatterns = [
    path("assessments/<int:assessment_pk>/plan/", views.plan_create_view, name="plan_create"),
    path(
        "assessments/<int:pk>/refer/runner.pdf",
        referral_views.refer_runner_pdf,
        name="refer_runner_pdf",
    ),
    path(
        "assessments/<int:pk>/refer/letter.pdf",
        referral_views.refer_letter_pdf,
        name="refer_letter_pdf",
    ),
    path(
        "assessments/<int:pk>/clinical-note.pdf",
        referral_views.clinical_note_pdf,
        name="clinical_note_pdf",
    ),
    path("plans/<int:pk>/", views.plan_detail, name="plan_detail"),
    path("plans/<int:pk>/log/", views.session_log_create_view, name="session_log_create"),
    path("plans/<int:pk>/issue/", views.plan_issue_view, name="plan_issue"),
    path("plans/<int:pk>/issue/status/", views.plan_issue_status, name="plan_issue_status"),
    path("plans/<int:pk>/preview.pdf", views.plan_pdf_preview, name="plan_pdf_preview"),
    path("plans/<int:pk>/next-phase/", views.plan_advance_phase_view, name="plan_advance_phase"),
    path("plans/<int:pk>/end/", views.plan_end_view, name="plan_end"),
    path(
        "plans/<int:pk>/cleared-to-run/",
        views.plan_cleared_to_run_view,
        name="plan_cleared_to_run",
    ),
    path(
        "plans/<int:pk>/link/<str:action>/",
        views.patient_link_action,
        name="patient_link_action",
    ),
    path("plans/<int:pk>/library/", composer_views.plan_library_view, name="plan_library"),
    path("plans/<int:pk>/items/add/", composer_views.plan_item_add_view, name="plan_item_add"),
    path(
        "plans/<int:pk>/template/",
        composer_views.plan_template_save_view,
        name="plan_template_save",
    ),
    path(
        "plans/<int:pk>/start-from/",
        composer_views.plan_start_from_view,
        name="plan_start_from",
    ),
    path(
        "prescriptions/<int:pk>/move/",
        composer_views.plan_item_move_view,
        name="plan_item_move",
    ),
    path(
        "prescriptions/<int:pk>/remove/",
        composer_views.plan_item_remove_view,
        name="plan_item_remove",
    ),
    path("sessions/<int:pk>/", views.session_log_edit, name="session_log_edit"),
    path("prescriptions/<int:pk>/", views.prescription_edit, name="prescription_edit"),
    path(
        "prescriptions/<int:pk>/decide/",
        views.progression_decide_view,
        name="progression_decide",
    ),
    path("documents/<int:pk>/", views.document_download, name="document_download"),
    path("p/<str:token>/", views.patient_plan_page, name="patient_plan_page"),
    path("p/<str:token>/plan.pdf", views.patient_plan_pdf, name="patient_plan_pdf"),
    path("p/<str:token>/morning/", views.patient_next_morning, name="patient_next_morning"),
    path(
        "p/<str:token>/sessions/<int:pk>/",
        views.patient_session_edit,
        name="patient_session_edit",
    ),
    path(
        "p/<str:token>/questionnaire/<int:pk>/",
        questionnaire_views.patient_questionnaire,
        name="patient_questionnaire",
    ),
    path(
        "plans/<int:pk>/questionnaires/",
        questionnaire_views.questionnaire_request_view,
        name="questionnaire_request",
    ),
    path(
        "patients/<int:patient_pk>/outcomes/",
        outcome_views.outcome_list,
        name="outcome_list",
    ),
    path(
        "patients/<int:patient_pk>/outcomes/<str:measure>/new/",
        outcome_views.outcome_record,
        name="outcome_record",
    ),
]
