"""`sala demo`: a demonstration session modeled on the public strategic planning session on
Cambodia after the elections of 23 July 2023, dated a few weeks after the day it is loaded,
with registration and ideas open, so that a newcomer can try every step; and, beside it, a
concluded session of the same series (app/demo_concluded.py) to show what comes after."""

import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from . import audit
from .demo_concluded import load_concluded
from .extensions import db
from .mail.outbox import mail_url
from .models import Event, Idea, Theme, User, utcnow
from .plugins import hooks
from .private_files import write_private_file
from .speakers.models import Partner, Speaker

SLUG = "cambodia-after-the-election"

# Only what the session's public announcement states, in our own words; nothing is
# attributed to a named person. The UN's reform plan is never called a "Plan of Action"
# (ផែនការសកម្មភាព, plan d'action): that is the name of the document Sala promises readers.
TEXTS = {
    "en": {
        "title": "Cambodia after the 2023 election: a strategic planning session",
        "convener": (
            "Convened by the Commission of Inquiry for Cambodia with several other "
            "international organizations."
        ),
        "summary": (
            "Cambodia's national elections of 23 July 2023 were judged by the United Nations "
            "and most international observers to be pre-determined and illegitimate. The main "
            "opposition party had been shut out of the election, critics faced mass trials, "
            "and independent media were closed. On 31 May 2023 the UN Secretary-General issued "
            "a statement on Cambodia, and the reform measures the United Nations had set out "
            "for Cambodia were ignored by the government.\n\n"
            "This public online session brings together leading experts on Cambodia and anyone "
            "who cares about its future, to put forward and explore ideas for responding to the "
            "flawed elections and to the abuses of human rights and the rule of law, and for "
            "moving Cambodia toward human rights and democracy. Members of the Khmer community, "
            "in Cambodia and abroad, are especially encouraged to take part.\n\n"
            "Register in advance to receive the Zoom joining details, and send us your ideas and "
            "suggestions before the meeting. When the session ends, every registered participant "
            "receives a Plan of Action that summarizes the ideas presented and discussed."
        ),
        "agenda": (
            "1. Welcome and purpose of the session\n"
            "2. Where Cambodia stands after the election of 23 July 2023\n"
            "3. Ideas sent in advance: presentation and discussion\n"
            "4. Open discussion with participants\n"
            "5. Next steps toward a Plan of Action"
        ),
        "speakers": (
            "Several leading experts on Cambodia take part. In this demonstration, their names "
            "would be listed here."
        ),
    },
    "km": {
        "title": "កម្ពុជាក្រោយការបោះឆ្នោតឆ្នាំ 2023៖ កិច្ចប្រជុំរៀបចំផែនការយុទ្ធសាស្ត្រ",
        "convener": ("រៀបចំដោយគណៈកម្មការស៊ើបអង្កេតសម្រាប់កម្ពុជា រួមជាមួយអង្គការអន្តរជាតិមួយចំនួនទៀត។"),
        "summary": (
            "ការបោះឆ្នោតជាតិនៅកម្ពុជា កាលពីថ្ងៃទី 23 ខែកក្កដា ឆ្នាំ 2023 "
            "ត្រូវបានអង្គការសហប្រជាជាតិ និងអ្នកសង្កេតការណ៍អន្តរជាតិភាគច្រើន "
            "វាយតម្លៃថាជាការបោះឆ្នោតដែលកំណត់លទ្ធផលទុកជាមុន និងគ្មានភាពស្របច្បាប់។ "
            "គណបក្សប្រឆាំងធំជាងគេត្រូវបានរារាំងមិនឱ្យចូលរួមការបោះឆ្នោត "
            "អ្នករិះគន់ត្រូវបាននាំទៅកាត់ទោសជាក្រុមៗ "
            "ហើយប្រព័ន្ធផ្សព្វផ្សាយឯករាជ្យត្រូវបានបិទ។ "
            "កាលពីថ្ងៃទី 31 ខែឧសភា ឆ្នាំ 2023 អគ្គលេខាធិការអង្គការសហប្រជាជាតិ "
            "បានចេញសេចក្តីថ្លែងការណ៍អំពីកម្ពុជា "
            "ហើយវិធានការកំណែទម្រង់ដែលអង្គការសហប្រជាជាតិបានដាក់ចេញសម្រាប់កម្ពុជា "
            "ត្រូវបានរដ្ឋាភិបាលមិនអើពើ។\n\n"
            "កិច្ចប្រជុំសាធារណៈតាមអនឡាញនេះ ប្រមូលផ្តុំអ្នកជំនាញឈានមុខអំពីកម្ពុជា "
            "និងអ្នកទាំងឡាយណាដែលខ្វល់ខ្វាយពីអនាគតប្រទេស ដើម្បីលើកយក និងពិភាក្សាគំនិតនានា "
            "ក្នុងការឆ្លើយតបនឹងការបោះឆ្នោតដែលគ្មានភាពត្រឹមត្រូវ "
            "និងការរំលោភសិទ្ធិមនុស្ស និងនីតិរដ្ឋ ព្រមទាំងជំរុញកម្ពុជាឆ្ពោះទៅរកសិទ្ធិមនុស្ស "
            "និងលទ្ធិប្រជាធិបតេយ្យ។ យើងលើកទឹកចិត្តជាពិសេសដល់សមាជិកសហគមន៍ខ្មែរ "
            "ទាំងនៅក្នុងប្រទេស និងនៅបរទេស ឱ្យចូលរួម។\n\n"
            "សូមចុះឈ្មោះជាមុន ដើម្បីទទួលព័ត៌មានសម្រាប់ចូលរួមតាម Zoom "
            "ហើយផ្ញើគំនិត និងសំណូមពររបស់អ្នកមកយើងមុនកិច្ចប្រជុំ។ "
            "នៅពេលកិច្ចប្រជុំបញ្ចប់ អ្នកចូលរួមដែលបានចុះឈ្មោះទាំងអស់ នឹងទទួលបានផែនការសកម្មភាព "
            "ដែលសង្ខេបគំនិតដែលបានលើកឡើង និងពិភាក្សា។"
        ),
        "agenda": (
            "1. ការស្វាគមន៍ និងគោលបំណងនៃកិច្ចប្រជុំ\n"
            "2. ស្ថានភាពកម្ពុជាក្រោយការបោះឆ្នោតថ្ងៃទី 23 ខែកក្កដា ឆ្នាំ 2023\n"
            "3. គំនិតដែលបានផ្ញើមកជាមុន៖ ការបង្ហាញ និងការពិភាក្សា\n"
            "4. កិច្ចពិភាក្សាបើកចំហជាមួយអ្នកចូលរួម\n"
            "5. ជំហានបន្ទាប់ឆ្ពោះទៅរកផែនការសកម្មភាព"
        ),
        "speakers": (
            "អ្នកជំនាញឈានមុខមួយចំនួនអំពីកម្ពុជានឹងចូលរួម។ ក្នុងកិច្ចប្រជុំសាកល្បងនេះ ឈ្មោះរបស់ពួកគេនឹងបង្ហាញនៅទីនេះ។"
        ),
    },
    "fr": {
        "title": "Le Cambodge après les élections de 2023 : séance de planification stratégique",
        "convener": (
            "Organisée par la Commission d’enquête pour le Cambodge avec plusieurs autres "
            "organisations internationales."
        ),
        "summary": (
            "Les élections nationales cambodgiennes du 23 juillet 2023 ont été jugées jouées "
            "d’avance et illégitimes par les Nations unies et la plupart des observateurs "
            "internationaux. Le principal parti d’opposition avait été écarté du scrutin, des "
            "opposants ont subi des procès de masse et les médias indépendants ont été fermés. "
            "Le 31 mai 2023, le Secrétaire général des Nations unies a publié une déclaration "
            "sur le Cambodge ; les mesures de réforme que les Nations unies avaient proposées "
            "pour le Cambodge ont été ignorées par le gouvernement.\n\n"
            "Cette séance publique en ligne réunit d’éminents spécialistes du Cambodge et toutes "
            "les personnes soucieuses de son avenir, pour présenter et examiner des idées face à "
            "ces élections faussées et aux atteintes aux droits humains et à l’État de droit, et "
            "pour faire avancer le Cambodge vers les droits humains et la démocratie. Les membres "
            "de la communauté khmère, au Cambodge et à l’étranger, sont particulièrement "
            "invités à y participer.\n\n"
            "Inscrivez-vous à l’avance pour recevoir les informations de connexion Zoom, et "
            "envoyez-nous vos idées et suggestions avant la réunion. À la fin de la séance, "
            "chaque personne inscrite reçoit un Plan d’action qui résume les idées présentées "
            "et discutées."
        ),
        "agenda": (
            "1. Accueil et objet de la séance\n"
            "2. La situation du Cambodge après les élections du 23 juillet 2023\n"
            "3. Idées envoyées à l’avance : présentation et discussion\n"
            "4. Discussion ouverte avec les participants\n"
            "5. Prochaines étapes vers un Plan d’action"
        ),
        "speakers": (
            "Plusieurs éminents spécialistes du Cambodge y participent. Dans cette "
            "démonstration, leurs noms figureraient ici."
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
    {"en": "Rule of law and justice", "km": "នីតិរដ្ឋ និងយុត្តិធម៌", "fr": "État de droit et justice"},
    {
        "en": "Free press and civil society",
        "km": "សេរីភាពសារព័ត៌មាន និងសង្គមស៊ីវិល",
        "fr": "Liberté de la presse et société civile",
    },
    {
        "en": "International engagement",
        "km": "ការចូលរួមពីសហគមន៍អន្តរជាតិ",
        "fr": "Engagement international",
    },
]

# A dozen ideas, four in each language, in every state an idea can be in, so a moderator's
# first queue has work in it and the board and the organizer's pages have something to show.
# (lang, status, theme index or None, how the author is shown, author, title, body)
IDEAS = [
    (
        "en",
        "approved",
        1,
        "name",
        "Dara",
        "Release every political prisoner before any talks",
        "Before any dialogue with the government, every person jailed for their opinions or "
        "their party membership should be released, and the charges against them dropped.",
    ),
    (
        "en",
        "pending",
        3,
        "initials",
        "Sophea Lim",
        "Tie aid to the freedom of the press",
        "Donors could link their support to the reopening of the independent newspapers and "
        "radio stations that were closed before the election.",
    ),
    (
        "en",
        "discussed",
        0,
        "anonymous",
        "",
        "An independent review of the 2023 election",
        "Ask international election experts to publish a full, public review of how the "
        "election of 23 July 2023 was prepared and run.",
    ),
    (
        "en",
        "withdrawn",
        4,
        "name",
        "Vanna",
        "A letter to every embassy in Phnom Penh",
        "Send a short joint letter to every embassy explaining the concerns of civil society.",
    ),
    (
        "km",
        "approved",
        0,
        "name",
        "សុខ ដារា",
        "ស្តារគណបក្សប្រឆាំងដែលត្រូវបានរំលាយឡើងវិញ",
        "គណបក្សប្រឆាំងដែលត្រូវបានរំលាយ គួរតែមានសិទ្ធិធ្វើសកម្មភាព "
        "និងចូលរួមការបោះឆ្នោតដោយសេរីម្តងទៀត។ ដៃគូអន្តរជាតិអាចដាក់លក្ខខណ្ឌនេះ "
        "ជាជំហានដំបូងនៃកិច្ចសន្ទនា។",
    ),
    (
        "km",
        "pending",
        1,
        "initials",
        "ចាន់ សុភា",
        "ការពារអ្នកការពារសិទ្ធិមនុស្ស និងក្រុមគ្រួសាររបស់ពួកគេ",
        "បង្កើតបណ្តាញជំនួយផ្នែកច្បាប់ និងកិច្ចការពារបន្ទាន់ សម្រាប់សកម្មជន "
        "អ្នកសារព័ត៌មាន និងក្រុមគ្រួសាររបស់ពួកគេ ដែលកំពុងប្រឈមនឹងការគំរាមកំហែង។",
    ),
    (
        "km",
        "rejected",
        None,
        "anonymous",
        "",
        "លក់ទូរស័ព្ទដៃតម្លៃថោក",
        "ទូរស័ព្ទដៃម៉ូដថ្មីៗ តម្លៃពិសេសសម្រាប់សប្តាហ៍នេះ។ សូមទាក់ទងមកយើង។",
    ),
    (
        "km",
        "merged",
        0,
        "name",
        "កែវ មាលា",
        "អនុញ្ញាតឱ្យគណបក្សប្រឆាំងចូលរួមការបោះឆ្នោតម្តងទៀត",
        "គ្មានការបោះឆ្នោតណាមួយអាចមានភាពយុត្តិធម៌បានទេ ប្រសិនបើគណបក្សប្រឆាំងមិនអាចចូលរួម។",
    ),
    (
        "fr",
        "approved",
        3,
        "name",
        "Claire",
        "Soutenir les médias indépendants en exil",
        "Un fonds commun pourrait aider les journalistes cambodgiens en exil à continuer "
        "d’informer le public, en khmer, depuis l’étranger.",
    ),
    (
        "fr",
        "pending",
        2,
        "anonymous",
        "",
        "Une coalition d’ONG pour suivre les procès",
        "Des observateurs de plusieurs organisations assisteraient aux procès des opposants "
        "et publieraient un compte rendu de chaque audience.",
    ),
    (
        "fr",
        "discussed",
        4,
        "initials",
        "Paul Martin",
        "Inscrire l’État de droit à l’ordre du jour de l’ASEAN",
        "Demander aux États membres de l’ASEAN d’aborder la situation du Cambodge lors de "
        "leur prochain sommet.",
    ),
    (
        "fr",
        "unconfirmed",
        1,
        "name",
        "Léa",
        "Former de jeunes observateurs des droits humains",
        "Des ateliers en ligne pour apprendre à documenter les atteintes aux droits humains "
        "en toute sécurité.",
    ),
]


def build_ideas(event, now):
    """The demo's ideas, set in their states directly: nobody is mailed (the authors are
    made up), and each looks as it would after the moderator's work."""
    ideas = []
    for n, (lang, status, theme, display, author, title, body) in enumerate(IDEAS):
        sent = now - timedelta(days=len(IDEAS) - n, hours=n)
        idea = Idea(
            event=event,
            language=lang,
            status=status,
            theme=event.themes[theme] if theme is not None else None,
            display=display,
            author_name=author,
            author_email=f"idea-{n + 1}@demo.sala.invalid",
            title=title,
            body=body,
            created_at=sent,
            confirmed_at=None if status == "unconfirmed" else sent,
        )
        if status == "pending":  # where a new idea waits: the moderation queue or "received"
            idea.status = hooks().sala_initial_idea_status(idea=idea) or "received"
        if status in ("approved", "rejected", "merged", "discussed"):
            idea.moderated_at = sent + timedelta(hours=2)
        if status == "rejected":
            idea.moderation_note = REJECT_NOTE
        if status == "discussed":
            idea.discussed_at = sent + timedelta(hours=3)
        ideas.append(idea)
    merged = next(i for i, row in zip(ideas, IDEAS, strict=True) if row[1] == "merged")
    merged.merged_into = ideas[4]  # the same idea, said first
    return ideas


# The moderator's note to the author of the rejected idea (an advertisement), in Khmer.
REJECT_NOTE = "សូមអរគុណ។ សារនេះមិនទាក់ទងនឹងខ្លឹមសារនៃកិច្ចប្រជុំនេះទេ។"

# The announcement names no expert and no partner organization: the demo shows where they
# go with roles in their place, never a real person's name.
SPEAKERS = [
    {
        "is_moderator": True,
        "texts": {
            "en": {
                "name": "Session moderator",
                "affiliation": "Commission of Inquiry for Cambodia",
                "bio": "In this demonstration, the moderator's name and a short biography "
                "would appear here.",
            },
            "km": {
                "name": "អ្នកសម្របសម្រួលកិច្ចប្រជុំ",
                "affiliation": "គណៈកម្មការស៊ើបអង្កេតសម្រាប់កម្ពុជា",
                "bio": "ក្នុងកិច្ចប្រជុំសាកល្បងនេះ ឈ្មោះ និងជីវប្រវត្តិសង្ខេបរបស់អ្នកសម្របសម្រួលនឹងបង្ហាញនៅទីនេះ។",
            },
            "fr": {
                "name": "Modération de la séance",
                "affiliation": "Commission d’enquête pour le Cambodge",
                "bio": "Dans cette démonstration, le nom et une courte biographie de la "
                "personne qui modère figureraient ici.",
            },
        },
    },
    {
        "texts": {
            "en": {"name": "Expert on elections", "role": "Election observer"},
            "km": {"name": "អ្នកជំនាញផ្នែកការបោះឆ្នោត", "role": "អ្នកសង្កេតការណ៍ការបោះឆ្នោត"},
            "fr": {"name": "Spécialiste des élections", "role": "Observation électorale"},
        },
    },
    {
        "texts": {
            "en": {"name": "Expert on human rights", "role": "Human rights lawyer"},
            "km": {"name": "អ្នកជំនាញផ្នែកសិទ្ធិមនុស្ស", "role": "មេធាវីការពារសិទ្ធិមនុស្ស"},
            "fr": {"name": "Spécialiste des droits humains", "role": "Avocat des droits humains"},
        },
    },
    {
        "texts": {
            "en": {"name": "Expert on the rule of law", "role": "Legal scholar"},
            "km": {"name": "អ្នកជំនាញផ្នែកនីតិរដ្ឋ", "role": "អ្នកសិក្សាស្រាវជ្រាវផ្នែកច្បាប់"},
            "fr": {"name": "Spécialiste de l’État de droit", "role": "Juriste universitaire"},
        },
    },
]
PARTNERS = [
    {
        "en": {"name": "An international human rights organization"},
        "km": {"name": "អង្គការសិទ្ធិមនុស្សអន្តរជាតិមួយ"},
        "fr": {"name": "Une organisation internationale de défense des droits humains"},
    },
    {
        "en": {"name": "An international democracy network"},
        "km": {"name": "បណ្តាញប្រជាធិបតេយ្យអន្តរជាតិមួយ"},
        "fr": {"name": "Un réseau international pour la démocratie"},
    },
]

ACCOUNTS = [("admin", "organizer@demo.sala.invalid"), ("moderator", "moderator@demo.sala.invalid")]


@dataclass
class DemoAccount:
    role: str
    email: str
    password: str


@dataclass
class DemoResult:
    created: bool
    url: str
    accounts: list[DemoAccount] = field(default_factory=list)


def build_event(now):
    # A few weeks ahead, at 20:00 in Phnom Penh (13:00 UTC): morning in the Americas,
    # afternoon in Europe, evening in Asia and Australia.
    start = (now + timedelta(weeks=3)).replace(hour=13, minute=0, second=0, microsecond=0)
    event = Event(
        slug=SLUG,
        state="published",
        is_demo=True,
        default_language="en",
        texts=TEXTS,
        starts_at=start,
        duration_minutes=150,
        timezone="Asia/Phnom_Penh",
        extra_timezones=["Europe/Paris", "America/New_York", "Australia/Sydney"],
        registration_opens_at=now,
        registration_closes_at=start,
        capacity=500,
        waitlist_enabled=True,
        ideas_open_at=now,
        ideas_close_at=start,
        join_release="before_start",
        join_release_hours=48,
        join_url="https://zoom.example.invalid/j/0000000000",
        join_passcode="demo-0000",
    )
    event.themes = [Theme(position=i, labels=labels) for i, labels in enumerate(THEMES)]
    event.speaker_rows = [
        Speaker(position=i, texts=row["texts"], is_moderator=row.get("is_moderator", False))
        for i, row in enumerate(SPEAKERS)
    ]
    event.partner_rows = [Partner(position=i, texts=texts) for i, texts in enumerate(PARTNERS)]
    return event


def demo_accounts():
    """The demo accounts, with passwords kept in instance/ so every run prints the same."""
    credentials = Path(current_app.instance_path) / "demo-accounts.txt"
    known = {}
    if credentials.exists():
        for line in credentials.read_text().splitlines():
            email, _, password = line.partition(" ")
            known[email] = password
    accounts = []
    for role, email in ACCOUNTS:
        user = db.session.scalar(sa.select(User).where(User.email == email))
        password = known.get(email)
        # A password kept in the file but not matching the account (another database was
        # used with this instance directory) is replaced, so the printed login always works.
        if user is None or password is None or not user.check_password(password):
            password = secrets.token_urlsafe(12)
            if user is None:
                user = User(email=email, role=role, name=f"Demo {role}")
                db.session.add(user)
            user.set_password(password)
            db.session.flush()
            audit.record("user.create", user, role=role, via="demo")
        accounts.append(DemoAccount(role, email, password))
    write_private_file(credentials, "".join(f"{a.email} {a.password}\n" for a in accounts).encode())
    return accounts


def load_demo():
    event = db.session.scalar(sa.select(Event).where(Event.slug == SLUG))
    created = event is None
    if created:
        event = build_event(utcnow())
        db.session.add(event)
        db.session.flush()
    if not db.session.scalar(sa.select(sa.func.count()).where(Idea.event_id == event.id)):
        db.session.add_all(build_ideas(event, utcnow()))
    load_concluded(utcnow())
    accounts = demo_accounts()
    db.session.commit()
    return DemoResult(created, mail_url("public.event", slug=SLUG), accounts)
