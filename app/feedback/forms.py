"""The organizer's forms: the feedback form's settings, and a new question in each language."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import Length

from ..forms import Form, OneOf, choices
from ..i18n import language_in_text, language_name, languages

PROMPT_MAX = 300
OPTION_MAX = 200
OPTIONS_MAX = 10


class SettingsForm(Form):
    is_open = BooleanField(_l("Open: registrants see the form on their personal page"))
    anonymous = BooleanField(_l("Anonymous: keep answers without names or addresses"))


def question_form(event, formdata=None):
    """A question's form with a prompt field (and an options box) per offered language."""

    class QuestionForm(Form):
        kind = SelectField(
            _l("Kind of question"),
            choices=choices(
                [
                    ("rating", _l("A rating from 1 to 5")),
                    ("choice", _l("A choice among answers")),
                    ("text", _l("A free text")),
                ]
            ),
            validate_choice=False,
            validators=[OneOf(_l("Choose a kind of question from the list."))],
        )

        def validate(self, extra_validators=None):
            ok = super().validate(extra_validators)
            return self.check_languages() and ok

        def check_languages(self):
            main = event.default_language
            ok = True
            if not (self[f"prompt_{main}"].data or "").strip():
                self[f"prompt_{main}"].errors.append(
                    _l("Write the question in %(language)s.", language=language_in_text(main))
                )
                ok = False
            if self.kind.data != "choice":
                return ok
            counts = {code: len(self.option_lines(code)) for code in languages()}
            if counts.get(main, 0) < 2 or counts[main] > OPTIONS_MAX:
                self[f"options_{main}"].errors.append(
                    _l("Give from 2 to %(max)d answers, one a line.", max=OPTIONS_MAX)
                )
                return False
            for code, count in counts.items():
                field = self[f"options_{code}"]
                if count and count != counts[main]:
                    field.errors.append(
                        _l(
                            "Give as many answers as in %(language)s (%(num)d), one a line, "
                            "or none.",
                            language=language_in_text(main),
                            num=counts[main],
                        )
                    )
                    ok = False
                elif any(len(line) > OPTION_MAX for line in self.option_lines(code)):
                    field.errors.append(
                        _l("An answer can have at most %(max)d characters.", max=OPTION_MAX)
                    )
                    ok = False
            return ok

        def option_lines(self, code):
            raw = self[f"options_{code}"].data or ""
            return [line.strip() for line in raw.splitlines() if line.strip()]

        def prompts(self):
            return {
                code: self[f"prompt_{code}"].data.strip()
                for code in languages()
                if (self[f"prompt_{code}"].data or "").strip()
            }

        def options(self):
            if self.kind.data != "choice":
                return []
            per_lang = {code: self.option_lines(code) for code in languages()}
            main = per_lang[event.default_language]
            return [
                {code: lines[i] for code, lines in per_lang.items() if lines}
                for i in range(len(main))
            ]

    for code in languages():
        setattr(
            QuestionForm,
            f"prompt_{code}",
            StringField(
                _l("Question (%(language)s)", language=language_name(code)),
                validators=[
                    Length(
                        max=PROMPT_MAX,
                        message=_l("The question can have at most %(max)d characters."),
                    )
                ],
                render_kw={"lang": code},
            ),
        )
        setattr(
            QuestionForm,
            f"options_{code}",
            TextAreaField(
                _l(
                    "Answers to choose from (%(language)s), one a line",
                    language=language_name(code),
                ),
                validators=[
                    Length(
                        max=OPTION_MAX * OPTIONS_MAX + OPTIONS_MAX,
                        message=_l("The text can have at most %(max)d characters."),
                    )
                ],
                render_kw={"lang": code, "rows": 4},
            ),
        )
    return QuestionForm(formdata=formdata)
