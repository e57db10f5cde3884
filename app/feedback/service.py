"""The feedback form's rules: who may answer (once), the answers checked, the results."""

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from .. import audit
from ..extensions import db
from ..models import Registration
from .models import (
    KINDS,
    RATING_SCALE,
    TEXT_MAX,
    FeedbackAnswer,
    FeedbackQuestion,
    FeedbackResponse,
    FeedbackSubmission,
    FeedbackSurvey,
)

# Who is asked: everyone who registered and did not cancel (the waitlisted may have
# followed the session too).
ASKED = ("confirmed", "waitlisted")


def survey_for(event, create=False):
    survey = db.session.scalar(sa.select(FeedbackSurvey).where(FeedbackSurvey.event_id == event.id))
    if survey is None and create:
        survey = FeedbackSurvey(event=event, is_open=False, anonymous=True)
        db.session.add(survey)
    return survey


def questions_of(event):
    return db.session.scalars(
        sa.select(FeedbackQuestion)
        .where(FeedbackQuestion.event_id == event.id)
        .order_by(FeedbackQuestion.position, FeedbackQuestion.id)
    ).all()


# ---------------------------------------------------------------- the organizer's side


def add_question(event, kind, prompt, options, actor=None):
    """A new question at the end. `prompt` is {lang: text}; `options` (a choice's) a list of
    {lang: label}."""
    if kind not in KINDS:
        raise ValueError(kind)
    position = len(questions_of(event))
    question = FeedbackQuestion(
        event=event,
        kind=kind,
        prompt=prompt,
        options=options if kind == "choice" else [],
        position=position,
    )
    db.session.add(question)
    db.session.flush()
    audit.record("feedback.question_add", question, actor=actor, event_id=event.id, kind=kind)
    return question


def delete_question(question, actor=None):
    """The question goes, and its answers with it."""
    audit.record("feedback.question_delete", question, actor=actor, event_id=question.event_id)
    db.session.delete(question)


def set_survey(event, *, is_open, anonymous, actor=None):
    survey = survey_for(event, create=True)
    if survey.anonymous and not anonymous and response_count(event):
        # Earlier answers were given as anonymous: they stay so, and so do later ones.
        raise FeedbackError(
            _l("People have answered anonymously already: the form stays anonymous.")
        )
    survey.is_open, survey.anonymous = is_open, anonymous
    db.session.flush()
    audit.record(
        "feedback.settings",
        survey,
        actor=actor,
        event_id=event.id,
        open=is_open,
        anonymous=anonymous,
    )
    return survey


class FeedbackError(Exception):
    """Something that cannot be done; the message is for the person who tried."""


# ---------------------------------------------------------------- the participant's side


def is_open(event):
    """Whether the session's feedback form takes answers now (open, with questions)."""
    survey = survey_for(event)
    return survey is not None and survey.is_open and bool(questions_of(event))


def open_for(registration):
    """(survey, questions) when this registrant may answer now, else None."""
    if registration.status not in ASKED or registration.erased_at is not None:
        return None
    survey = survey_for(registration.event)
    if survey is None or not survey.is_open:
        return None
    questions = questions_of(registration.event)
    return (survey, questions) if questions else None


def has_answered(registration):
    return (
        db.session.scalar(
            sa.select(FeedbackSubmission.id).where(
                FeedbackSubmission.registration_id == registration.id
            )
        )
        is not None
    )


def check_answers(questions, form):
    """({question id: value}, {question id: error}) from the posted form. Every question
    may be skipped; a value that is not one the question offers is an error."""
    values, errors = {}, {}
    for question in questions:
        raw = (form.get(f"q{question.id}") or "").strip()
        if not raw:
            continue
        if question.kind == "rating":
            if raw not in [str(n) for n in RATING_SCALE]:
                errors[question.id] = _l("Choose a number from 1 to 5.")
                continue
            values[question.id] = int(raw)
        elif question.kind == "choice":
            if not raw.isdigit() or int(raw) >= len(question.options or []):
                errors[question.id] = _l("Choose one of the answers offered.")
                continue
            values[question.id] = int(raw)
        else:
            if len(raw) > TEXT_MAX:
                errors[question.id] = _l(
                    "Your answer can have at most %(max)d characters. Please shorten it; "
                    "what you wrote is kept below.",
                    max=TEXT_MAX,
                )
                continue
            values[question.id] = raw
    return values, errors


def submit(registration, survey, questions, values, language):
    """Keep one registrant's answers (once: a second time raises FeedbackError)."""
    if has_answered(registration):
        raise FeedbackError(_l("You have already answered. Thank you!"))
    db.session.add(
        FeedbackSubmission(event_id=registration.event_id, registration_id=registration.id)
    )
    response = FeedbackResponse(
        event_id=registration.event_id,
        language=language,
        registration_id=None if survey.anonymous else registration.id,
    )
    by_id = {q.id: q for q in questions}
    for question_id, value in values.items():
        kind = by_id[question_id].kind
        response.answers.append(
            FeedbackAnswer(
                question_id=question_id,
                rating=value if kind == "rating" else None,
                choice=value if kind == "choice" else None,
                text=value if kind == "text" else "",
            )
        )
    db.session.add(response)
    db.session.flush()
    return response


# ---------------------------------------------------------------- results


def response_count(event):
    return db.session.scalar(
        sa.select(sa.func.count(FeedbackResponse.id)).where(FeedbackResponse.event_id == event.id)
    )


def results(event, lang):
    """Per question: its counts (rating: per number, choice: per option) with the number
    of answers and, for a rating, the mean; for a free text, the texts."""
    answers = db.session.scalars(
        sa.select(FeedbackAnswer)
        .join(FeedbackResponse, FeedbackResponse.id == FeedbackAnswer.response_id)
        .where(FeedbackResponse.event_id == event.id)
        .order_by(FeedbackAnswer.id)
    ).all()
    by_question = {}
    for answer in answers:
        by_question.setdefault(answer.question_id, []).append(answer)
    out = []
    for question in questions_of(event):
        given = by_question.get(question.id, [])
        item = {"question": question, "answered": len(given), "counts": [], "texts": []}
        if question.kind == "rating":
            ratings = [a.rating for a in given if a.rating is not None]
            item["counts"] = [(str(n), ratings.count(n)) for n in RATING_SCALE]
            item["mean"] = sum(ratings) / len(ratings) if ratings else None
        elif question.kind == "choice":
            labels = question.option_labels(lang)
            chosen = [a.choice for a in given if a.choice is not None]
            item["counts"] = [(label, chosen.count(i)) for i, label in enumerate(labels)]
        else:
            item["texts"] = [a.text for a in given if a.text]
        out.append(item)
    return out


def export_rows(event, lang):
    """(header, rows) for the CSV: one row per response, one column per question; the name
    and address only when the survey was not anonymous."""
    survey = survey_for(event)
    named = survey is not None and not survey.anonymous
    questions = questions_of(event)
    header = ["response", "language"] + (["name", "email"] if named else [])
    header += [q.text(lang) for q in questions]
    responses = db.session.scalars(
        sa.select(FeedbackResponse)
        .where(FeedbackResponse.event_id == event.id)
        .order_by(FeedbackResponse.id)
    ).all()
    registrations = {}
    if named:
        ids = [r.registration_id for r in responses if r.registration_id]
        registrations = {
            r.id: r
            for r in db.session.scalars(sa.select(Registration).where(Registration.id.in_(ids)))
        }
    rows = []
    for number, response in enumerate(responses, start=1):
        given = {a.question_id: a for a in response.answers}
        row = [str(number), response.language]
        if named:
            who = registrations.get(response.registration_id)
            row += [who.name, who.email] if who is not None else ["", ""]
        for question in questions:
            answer = given.get(question.id)
            row.append(cell(question, answer, lang))
        rows.append(row)
    return header, rows


def cell(question, answer, lang):
    if answer is None:
        return ""
    if question.kind == "rating":
        return "" if answer.rating is None else str(answer.rating)
    if question.kind == "choice":
        labels = question.option_labels(lang)
        return (
            labels[answer.choice]
            if answer.choice is not None and answer.choice < len(labels)
            else ""
        )
    return answer.text
