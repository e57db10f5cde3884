"""Extensions, created unbound here and bound to each app in `create_app`."""

from flask_babel import Babel
from flask_limiter import Limiter
from flask_login import LoginManager
from flask_mail import Mail
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import DeclarativeBase

from .htmx import Htmx
from .ratelimit import remote_address_key
from .security import OriginCheckingCSRFProtect


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
csrf = OriginCheckingCSRFProtect()
babel = Babel()
mail = Mail()
htmx = Htmx()
login_manager = LoginManager()
# Keyed by a hash of the visitor's address: no address in clear in the limiter's storage.
limiter = Limiter(key_func=remote_address_key)
