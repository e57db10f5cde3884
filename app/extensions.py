"""Extensions, created unbound here and bound to each app in `create_app`."""

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_mail import Mail
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from htmx_flask import Htmx
from sqlalchemy.orm import DeclarativeBase

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
limiter = Limiter(key_func=get_remote_address)
