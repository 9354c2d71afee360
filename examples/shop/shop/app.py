from flask import Flask
from flask_login import LoginManager

from .account import account
from .auth import auth
from .models import User, db
from .orders import orders


def create_app():
    app = Flask(__name__)
    app.config["SECRET_KEY"] = "f3a9c1e7b2d84c6a9e0f5b7d1c3a8e2f"
    app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///shop.db"
    app.config["SESSION_COOKIE_SECURE"] = False
    db.init_app(app)

    login_manager = LoginManager(app)
    login_manager.login_view = "auth.login"

    @login_manager.user_loader
    def load_user(user_id):
        return db.session.get(User, int(user_id))

    app.register_blueprint(auth)
    app.register_blueprint(account)
    app.register_blueprint(orders)
    return app


if __name__ == "__main__":
    create_app().run(host="0.0.0.0", port=5000, debug=True)
