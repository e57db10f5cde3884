"""The feedback form's data: a session's survey, its questions, and the answers.

Answers are anonymous by default: a response then holds no link to the registration, and
`FeedbackSubmission` keeps apart only *that* a registrant answered (one response each)."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models import Event, localized, utcnow

KINDS = ("rating", "choice", "text")
RATING_SCALE = (1, 2, 3, 4, 5)
TEXT_MAX = 2000


class FeedbackSurvey(db.Model):
    """One session's feedback form: open for answers or not, and anonymous or not."""

    __tablename__ = "feedback_survey"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(
        sa.ForeignKey("event.id", ondelete="CASCADE"), unique=True
    )
    event: Mapped[Event] = relationship()
    is_open: Mapped[bool] = mapped_column(default=False)
    anonymous: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class FeedbackQuestion(db.Model):
    """A question in each language: a rating (1–5), a choice among options, or free text.
    `options` is a list of {language: label}, one per option, in order."""

    __tablename__ = "feedback_question"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("event.id", ondelete="CASCADE"), index=True)
    event: Mapped[Event] = relationship()
    position: Mapped[int] = mapped_column(default=0)
    kind: Mapped[str] = mapped_column(sa.String(10))
    prompt: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    options: Mapped[list] = mapped_column(sa.JSON, default=list)

    def text(self, lang):
        return localized(self.prompt, lang, self.event.default_language)[0]

    def option_labels(self, lang):
        return [localized(o, lang, self.event.default_language)[0] for o in self.options or []]


class FeedbackResponse(db.Model):
    """One person's answers. `registration_id` is set only when the survey is not anonymous.
    No time is kept: with so few answers, a time would tell who wrote which."""

    __tablename__ = "feedback_response"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("event.id", ondelete="CASCADE"), index=True)
    language: Mapped[str] = mapped_column(sa.String(10), default="en")
    registration_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("registration.id", ondelete="SET NULL")
    )
    answers: Mapped[list["FeedbackAnswer"]] = relationship(
        back_populates="response", cascade="all, delete-orphan"
    )


class FeedbackAnswer(db.Model):
    __tablename__ = "feedback_answer"

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(
        sa.ForeignKey("feedback_response.id", ondelete="CASCADE"), index=True
    )
    response: Mapped[FeedbackResponse] = relationship(back_populates="answers")
    question_id: Mapped[int] = mapped_column(
        sa.ForeignKey("feedback_question.id", ondelete="CASCADE"), index=True
    )
    rating: Mapped[int | None]
    choice: Mapped[int | None]  # the option's index in the question's `options`
    text: Mapped[str] = mapped_column(sa.Text, default="")


class FeedbackSubmission(db.Model):
    """That a registrant answered the session's feedback form, and nothing of what."""

    __tablename__ = "feedback_submission"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("event.id", ondelete="CASCADE"), index=True)
    registration_id: Mapped[int] = mapped_column(
        sa.ForeignKey("registration.id", ondelete="CASCADE"), unique=True
    )
