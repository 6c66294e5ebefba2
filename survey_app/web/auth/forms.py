"""Forms of the sign-in pages."""
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length


class LoginForm(FlaskForm):
    username = StringField("Tên đăng nhập", validators=[DataRequired("Xin nhập tên đăng nhập."), Length(max=64)])
    password = PasswordField("Mật khẩu", validators=[DataRequired("Xin nhập mật khẩu."), Length(max=256)])


class LogoutForm(FlaskForm):
    """Sign-out: a POST with its CSRF token only."""
