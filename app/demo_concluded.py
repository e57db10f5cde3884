"""The demo's concluded session: an earlier session of the same series, over, so a newcomer
sees what Sala shows afterwards: ideas sent in advance beside ideas raised live (by a speaker,
by attendees), the published Plan of Action saying where each item came from, and the
feedback form with a few anonymous answers. Everything is set directly, as the upcoming
session's ideas are: nobody is mailed (there is nobody to mail), the plan's version is
frozen without its mail-out, and no audit entry claims that someone did any of it."""

from datetime import timedelta

import sqlalchemy as sa

from .extensions import db
from .feedback.models import FeedbackAnswer, FeedbackQuestion, FeedbackResponse, FeedbackSurvey
from .models import Event, Idea, Plan, PlanItem, PlanSection, PlanVersion, Theme
from .plan import service as plan_service

SLUG = "cambodia-after-the-election-first-session"

TEXTS = {
    "en": {
        "title": "Cambodia after the 2023 election: the first planning session",
        "convener": "Convened by the Commission of Inquiry for Cambodia.",
        "summary": (
            "The first public online session of this series. Experts on Cambodia and "
            "participants put forward ideas, sent in advance and raised during the "
            "discussion; the Plan of Action summarizes them.\n\n"
            "In this demonstration the session is over: its ideas, its Plan of Action and "
            "its feedback form show what a session looks like afterwards."
        ),
    },
    "km": {
        "title": "កម្ពុជាក្រោយការបោះឆ្នោតឆ្នាំ 2023៖ កិច្ចប្រជុំរៀបចំផែនការលើកទីមួយ",
        "convener": "រៀបចំដោយគណៈកម្មការស៊ើបអង្កេតសម្រាប់កម្ពុជា។",
        "summary": (
            "កិច្ចប្រជុំសាធារណៈតាមអនឡាញលើកទីមួយនៃស៊េរីនេះ។ អ្នកជំនាញអំពីកម្ពុជា "
            "និងអ្នកចូលរួម បានលើកឡើងគំនិតនានា ទាំងគំនិតដែលបានផ្ញើមកជាមុន "
            "និងគំនិតដែលបានលើកឡើងក្នុងពេលពិភាក្សា ហើយផែនការសកម្មភាពបានសង្ខេបគំនិតទាំងនោះ។\n\n"
            "ក្នុងកិច្ចប្រជុំសាកល្បងនេះ កិច្ចប្រជុំបានបញ្ចប់ហើយ៖ គំនិត ផែនការសកម្មភាព "
            "និងទម្រង់មតិយោបល់របស់វា បង្ហាញពីអ្វីដែលកិច្ចប្រជុំមួយមាន បន្ទាប់ពីបញ្ចប់។"
        ),
    },
    "fr": {
        "title": "Le Cambodge après les élections de 2023 : première séance de planification",
        "convener": "Organisée par la Commission d’enquête pour le Cambodge.",
        "summary": (
            "La première séance publique en ligne de cette série. Des spécialistes du Cambodge "
            "et les participants ont présenté des idées, envoyées à l’avance ou lancées pendant "
            "la discussion ; le Plan d’action les résume.\n\n"
            "Dans cette démonstration, la séance est terminée : ses idées, son Plan d’action et "
            "son formulaire d’avis montrent à quoi ressemble une séance une fois passée."
        ),
    },
}

THEMES = [
    {
        "en": "Elections and democracy",
        "km": "ការបោះឆ្នោត និងលទ្ធិប្រជាធិបតេយ្យ",
        "fr": "Élections et démocratie",
    },
    {
        "en": "Human rights and political prisoners",
        "km": "សិទ្ធិមនុស្ស និងអ្នកទោសនយោបាយ",
        "fr": "Droits humains et prisonniers politiques",
    },
]

# (key, lang, theme, raised live by ("" when sent in advance), name, title, body)
IDEAS = [
    (
        "prisoners",
        "en",
        1,
        "",
        "Dara",
        "Name every political prisoner, one by one",
        "Keep a public list of everyone jailed for their opinions, with their case, so that "
        "no one is forgotten when governments meet.",
    ),
    (
        "observers",
        "km",
        0,
        "",
        "សុខ ដារា",
        "អ្នកសង្កេតការណ៍ឯករាជ្យសម្រាប់ការបោះឆ្នោតលើកក្រោយ",
        "គួរអញ្ជើញអ្នកសង្កេតការណ៍ឯករាជ្យ ទាំងក្នុងស្រុក និងអន្តរជាតិ "
        "ឱ្យតាមដានការបោះឆ្នោតលើកក្រោយ តាំងពីការចុះឈ្មោះបោះឆ្នោត។",
    ),
    (
        "local-elections",
        "en",
        0,
        "speaker",
        "Expert on elections",
        "Start watching the next local elections now",
        "The next commune elections are prepared years ahead: voter lists, party registration "
        "and the media rules should be watched and reported from now on.",
    ),
    (
        "families",
        "km",
        1,
        "attendee",
        "",
        "ជួយក្រុមគ្រួសាររបស់អ្នកទោសនយោបាយ",
        "ក្រុមគ្រួសាររបស់អ្នកទោសនយោបាយ ត្រូវការជំនួយផ្នែកច្បាប់ "
        "និងជំនួយសម្រាប់ការរស់នៅប្រចាំថ្ងៃ ខណៈពេលដែលសមាជិកគ្រួសាររបស់ពួកគេជាប់ឃុំ។",
    ),
    (
        "follow-up",
        "fr",
        0,
        "attendee",
        "",
        "Un suivi public des engagements pris aujourd’hui",
        "Publier tous les trois mois ce qui a été fait de chaque action du Plan d’action, "
        "pour que les participants puissent suivre.",
    ),
]

# Each section: title, and its items: what, who, status, the ideas it grew from.
PLAN_INTRO = {
    "en": "What the participants of the first session proposed, and who takes each step.",
    "km": "អ្វីដែលអ្នកចូលរួមក្នុងកិច្ចប្រជុំលើកទីមួយបានស្នើឡើង និងអ្នកទទួលខុសត្រូវលើជំហាននីមួយៗ។",
    "fr": "Ce que les participants de la première séance ont proposé, et qui mène chaque étape.",
}
PLAN = [
    (
        0,
        THEMES[0],
        [
            (
                {
                    "en": "Watch the next elections from the voter lists on, with independent "
                    "observers.",
                    "km": "តាមដានការបោះឆ្នោតលើកក្រោយ តាំងពីបញ្ជីឈ្មោះអ្នកបោះឆ្នោត ជាមួយអ្នកសង្កេតការណ៍ឯករាជ្យ។",
                    "fr": "Suivre les prochaines élections dès les listes électorales, avec des "
                    "observateurs indépendants.",
                },
                {
                    "en": "The election observers' network",
                    "km": "បណ្តាញអ្នកសង្កេតការណ៍ការបោះឆ្នោត",
                    "fr": "Le réseau d’observation électorale",
                },
                "agreed",
                ["observers", "local-elections"],
            ),
            (
                {
                    "en": "Report every three months on what became of each action.",
                    "km": "រាយការណ៍រៀងរាល់បីខែម្តង អំពីវឌ្ឍនភាពនៃចំណុចសកម្មភាពនីមួយៗ។",
                    "fr": "Rendre compte tous les trois mois de ce qu’est devenue chaque action.",
                },
                {"en": "The organizers", "km": "អ្នករៀបចំ", "fr": "Les organisateurs"},
                "under_way",
                ["follow-up"],
            ),
        ],
    ),
    (
        1,
        THEMES[1],
        [
            (
                {
                    "en": "Keep a public list of political prisoners and their cases.",
                    "km": "រក្សាបញ្ជីសាធារណៈនៃអ្នកទោសនយោបាយ និងរឿងក្តីរបស់ពួកគេ។",
                    "fr": "Tenir une liste publique des prisonniers politiques et de leurs "
                    "affaires.",
                },
                {},
                "proposed",
                ["prisoners"],
            ),
            (
                {
                    "en": "Set up legal and daily help for the families of political prisoners.",
                    "km": "រៀបចំជំនួយផ្នែកច្បាប់ និងជំនួយប្រចាំថ្ងៃ សម្រាប់ក្រុមគ្រួសាររបស់អ្នកទោសនយោបាយ។",
                    "fr": "Organiser une aide juridique et quotidienne pour les familles des "
                    "prisonniers politiques.",
                },
                {},
                "proposed",
                ["families"],
            ),
        ],
    ),
]

# (kind, prompt, options)
QUESTIONS = [
    (
        "rating",
        {
            "en": "How useful was the session for you?",
            "km": "តើកិច្ចប្រជុំនេះមានប្រយោជន៍សម្រាប់អ្នកកម្រិតណា?",
            "fr": "La séance vous a-t-elle été utile ?",
        },
        [],
    ),
    (
        "choice",
        {
            "en": "Would you take part in the next session?",
            "km": "តើអ្នកនឹងចូលរួមកិច្ចប្រជុំលើកក្រោយដែរឬទេ?",
            "fr": "Participerez-vous à la prochaine séance ?",
        },
        [
            {"en": "Yes", "km": "ចូលរួម", "fr": "Oui"},
            {"en": "Perhaps", "km": "ប្រហែលជាចូលរួម", "fr": "Peut-être"},
            {"en": "No", "km": "មិនចូលរួមទេ", "fr": "Non"},
        ],
    ),
    (
        "text",
        {
            "en": "What should the next session do better?",
            "km": "តើកិច្ចប្រជុំលើកក្រោយគួរធ្វើអ្វីឱ្យបានប្រសើរជាងនេះ?",
            "fr": "Qu’est-ce que la prochaine séance devrait mieux faire ?",
        },
        [],
    ),
]

# Anonymous answers: (language, rating, choice, text).
ANSWERS = [
    ("km", 5, 0, "សូមទុកពេលឱ្យបានច្រើនជាងនេះ សម្រាប់សំណួររបស់អ្នកចូលរួម។"),
    ("en", 4, 0, "More time for questions from the participants, please."),
    ("fr", 4, 1, ""),
    ("km", 5, 0, ""),
    ("en", 3, 1, "The slides were hard to read on a phone."),
]


def build_event(now):
    """Five weeks before the demo is loaded, at the same hour as the upcoming session."""
    start = (now - timedelta(weeks=5)).replace(hour=13, minute=0, second=0, microsecond=0)
    event = Event(
        slug=SLUG,
        state="concluded",  # until its plan is published
        is_demo=True,
        default_language="en",
        texts=TEXTS,
        starts_at=start,
        duration_minutes=150,
        timezone="Asia/Phnom_Penh",
        registration_opens_at=start - timedelta(weeks=3),
        registration_closes_at=start,
        ideas_open_at=start - timedelta(weeks=3),
        ideas_close_at=start,
    )
    event.themes = [Theme(position=i, labels=labels) for i, labels in enumerate(THEMES)]
    return event


def build_ideas(event):
    """{key: idea}: those sent in advance, approved the day before; those raised live,
    written down by a moderator during the session."""
    ideas = {}
    for n, (key, lang, theme, raised_by, name, title, body) in enumerate(IDEAS):
        live = bool(raised_by)
        when = (
            event.starts_at + timedelta(minutes=40 + 10 * n)
            if live
            else event.starts_at - timedelta(days=len(IDEAS) - n)
        )
        ideas[key] = Idea(
            event=event,
            language=lang,
            status="approved",
            theme=event.themes[theme],
            raised_live=live,
            raised_by=raised_by,
            display="name" if name else "anonymous",
            author_name=name,
            author_email="" if live else f"past-idea-{n + 1}@demo.sala.invalid",
            title=title,
            body=body,
            created_at=when,
            confirmed_at=when,
            moderated_at=when if live else when + timedelta(hours=2),
        )
    return ideas


def build_plan(event, ideas):
    plan = Plan(event=event, intro=PLAN_INTRO, status="draft")
    for s_index, (theme, title, items) in enumerate(PLAN):
        section = PlanSection(position=s_index, theme_id=event.themes[theme].id, title=title)
        for i_index, (what, who, status, keys) in enumerate(items):
            section.items.append(
                PlanItem(
                    position=i_index,
                    what=what,
                    who=who,
                    status=status,
                    ideas=[ideas[key] for key in keys],
                )
            )
        plan.sections.append(section)
    return plan


def publish_quietly(plan, when):
    """The plan's first version, as `plan.service.publish` would freeze it, set directly
    like the ideas: no mail-out, no audit entry, no hook (nothing happened; it is shown)."""
    plan.status = "published"
    plan.versions.append(
        PlanVersion(number=1, published_at=when, snapshot=plan_service.snapshot(plan))
    )
    plan.event.state = "plan_published"


def build_feedback(event):
    db.session.add(FeedbackSurvey(event=event, is_open=True, anonymous=True))
    questions = [
        FeedbackQuestion(event=event, position=n, kind=kind, prompt=prompt, options=options)
        for n, (kind, prompt, options) in enumerate(QUESTIONS)
    ]
    db.session.add_all(questions)
    db.session.flush()
    rating, choice, text = questions
    for lang, stars, chosen, words in ANSWERS:
        response = FeedbackResponse(event_id=event.id, language=lang)
        response.answers = [
            FeedbackAnswer(question_id=rating.id, rating=stars),
            FeedbackAnswer(question_id=choice.id, choice=chosen),
        ]
        if words:
            response.answers.append(FeedbackAnswer(question_id=text.id, text=words))
        db.session.add(response)


def load_concluded(now):
    """Add the concluded session once; a second run finds it and adds nothing."""
    if db.session.scalar(sa.select(Event.id).where(Event.slug == SLUG)) is not None:
        return
    event = build_event(now)
    db.session.add(event)
    db.session.flush()
    ideas = build_ideas(event)
    db.session.add_all(ideas.values())
    plan = build_plan(event, ideas)
    db.session.add(plan)
    db.session.flush()
    publish_quietly(plan, event.starts_at + timedelta(days=6))
    build_feedback(event)
    db.session.flush()
