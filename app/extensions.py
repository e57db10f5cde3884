"""Extensions, created unbound here and bound to each app in `create_app`."""

from flask_babel import Babel
from flask_mail import Mail
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import DeclarativeBase

from .every_request import AnonymousAtOnceLoginManager
from .htmx import Htmx
from .ratelimit import Limiter, remote_address_key
from .security import OriginCheckingCSRFProtect


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
csrf = OriginCheckingCSRFProtect()
babel = Babel()
mail = Mail()
htmx = Htmx()
login_manager = AnonymousAtOnceLoginManager()
# Keyed by a hash of the visitor's address: no address in clear in the limiter's storage.
limiter = Limiter(key_func=remote_address_key)
