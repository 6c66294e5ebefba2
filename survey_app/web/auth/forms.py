"""Forms of the sign-in pages."""
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length, ValidationError


class LoginForm(FlaskForm):
    username = StringField("Tên đăng nhập", validators=[DataRequired("Xin nhập tên đăng nhập."), Length(max=64)])
    password = PasswordField("Mật khẩu", validators=[DataRequired("Xin nhập mật khẩu."), Length(max=256)])


class LogoutForm(FlaskForm):
    """Sign-out: a POST with its CSRF token only."""


class SetupForm(FlaskForm):
    """The first administrator's account (the setup page, on a new instance only)."""

    setup_code = StringField("Mã thiết lập", validators=[DataRequired("Xin nhập mã thiết lập."), Length(max=32)])
    username = StringField("Tên đăng nhập", validators=[DataRequired("Xin nhập tên đăng nhập."), Length(max=64)])
    full_name = StringField("Họ tên", validators=[Length(max=200)])
    password = PasswordField("Mật khẩu", validators=[DataRequired("Xin nhập mật khẩu."), Length(max=256)])
    password2 = PasswordField("Nhập lại mật khẩu", validators=[Length(max=256)])

    def validate_password2(self, field):
        if field.data != self.password.data:
            raise ValidationError("Hai lần nhập mật khẩu không khớp.")
