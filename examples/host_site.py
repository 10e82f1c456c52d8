"""A small Flask site with its own database, users, sign-in and migrations, and the LMS at /academy.

    export SECRET_KEY=... DATABASE_URL=sqlite:////srv/site/site.db
    flask --app host_site db upgrade        # the site's own tables (its own migrations/ folder)
    flask --app host_site lms db upgrade    # the LMS's tables, from the history inside the lms package
    flask --app host_site lms create-admin
    flask --app host_site run

tests/test_package.py installs the lms wheel in a fresh virtualenv and runs this very file.
"""
import os

from flask import Flask, redirect, render_template_string, request, url_for
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import String, select
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.security import check_password_hash

import lms

db = SQLAlchemy()
migrate = Migrate()
login_manager = LoginManager()
login_manager.login_view = "login"


class User(UserMixin, db.Model):
    """The site's own people; the LMS never writes to this table."""

    __tablename__ = "site_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))


@login_manager.user_loader
def load_user(user_id):
    return db.session.get(User, int(user_id))


def signed_in_person():
    """Tells the LMS who is signed in on this site (None: nobody)."""
    if not current_user.is_authenticated:
        return None
    return lms.HostPerson(id=str(current_user.id), email=current_user.email, full_name=current_user.name)


LOGIN_PAGE = """<form method="post">
  <label>Email <input name="email" type="email" value="{{ email }}"></label>
  <label>Password <input name="password" type="password"></label>
  <button>Sign in</button> {{ problem }}
</form>"""


def create_app():
    app = Flask(__name__)
    app.config.update(SECRET_KEY=os.environ["SECRET_KEY"], LMS_DATA_KEY=os.environ["LMS_DATA_KEY"],
                      SQLALCHEMY_DATABASE_URI=os.environ["DATABASE_URL"])
    db.init_app(app)
    migrate.init_app(app, db)  # before the LMS, so the site's migrations leave the LMS's tables alone
    login_manager.init_app(app)
    lms.LMS(app, url_prefix="/academy", identity=signed_in_person)

    @app.route("/")
    def home():
        return f'The site. <a href="{url_for("lms.accounts.index")}">Go to the academy</a>'

    @app.route("/login", methods=["GET", "POST"])
    def login():
        email = request.form.get("email", "")
        if request.method == "POST":
            user = db.session.scalar(select(User).where(User.email == email))
            if user and check_password_hash(user.password_hash, request.form.get("password", "")):
                login_user(user)
                target = request.args.get("next", "")
                return redirect(target if target.startswith("/") and not target.startswith("//") else "/")
            return render_template_string(LOGIN_PAGE, email=email, problem="Wrong email or password."), 401
        return render_template_string(LOGIN_PAGE, email=email, problem="")

    @app.route("/logout", methods=["POST"])
    def logout():
        logout_user()
        return redirect("/")

    return app


app = create_app()
