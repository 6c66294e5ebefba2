"""Forms of campaign administration. Every POST and every query string that carries a number
is read through one of these: a wrong value is a form error, never an exception."""
from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, DateTimeLocalField, PasswordField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from ...models import CHANNELS
from ...services.box_keeper import passphrase_problem
from ...services.review import FLAGS, STATE_LABELS
from ...services.succession import KIND_NAMES
from ..common import LOCAL_FORMAT, AsciiIntegerField, IdListField, QueryForm, uploaded

NUMBER = "Phải là một số nguyên không âm."


class NewCampaignForm(FlaskForm):
    name = StringField("Tên đợt khảo sát", validators=[
        DataRequired("Xin nhập tên đợt khảo sát (tối đa 200 ký tự)."),
        Length(max=200, message="Xin nhập tên đợt khảo sát (tối đa 200 ký tự).")])
    year = AsciiIntegerField("Năm đánh giá", max_digits=4, validators=[
        DataRequired("Năm phải là một số từ 2000 đến 2100."),
        NumberRange(2000, 2100, "Năm phải là một số từ 2000 đến 2100.")])
    province = StringField("Tỉnh", validators=[Length(max=200, message="Tên tỉnh tối đa 200 ký tự.")])
    source = SelectField("Bắt đầu từ", choices=[], validate_choice=False)
    workbook = FileField("Tệp Excel bộ tiêu chí")
    succession = FileField("Bảng kế thừa đơn vị")  # only with a copy: last year's units across a reform
    new_set = SelectField("Bộ tiêu chí của đợt mới", choices=[], validate_choice=False)  # a bundled set's folder

    def validate_new_set(self, field):
        if field.data and f"bo:{field.data}" not in self.sources:
            raise ValidationError("Xin chọn một bộ tiêu chí có trong danh sách.")

    def __init__(self, sources, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.sources = set(sources)

    def validate_source(self, field):
        if field.data not in self.sources:
            raise ValidationError("Xin chọn một đợt trước để sao chép, hoặc một bộ tiêu chí.")


class ScheduleForm(FlaskForm):
    status = SelectField(choices=["draft", "open"])
    province = StringField(validators=[Optional(), Length(max=200)])
    opens_at = DateTimeLocalField(format=LOCAL_FORMAT, validators=[Optional()])
    closes_at = DateTimeLocalField(format=LOCAL_FORMAT, validators=[Optional()])
    double_entry = SelectField(choices=["1", "0"], validators=[Optional()])
    cross_district_check = SelectField(choices=["0", "1"], validators=[Optional()])
    min_web_seconds = AsciiIntegerField(max_digits=4, validators=[Optional(), NumberRange(0, 3600, NUMBER)])


class ArchiveForm(FlaskForm):
    archived = SelectField(choices=["1", "0"])


PASSPHRASE_MAX = 200  # typed when it is set and again at close: one bound for both forms


class CloseForm(FlaskForm):
    """Closing a campaign: the box must be ticked; the box's passphrase typed when it is kept under one."""

    confirm = BooleanField()
    confirm_coverage = BooleanField()  # asked when units are known to fall under the set's min_ballots
    passphrase = PasswordField(validators=[Optional(), Length(max=PASSPHRASE_MAX)])


class BoxPassphraseForm(FlaskForm):
    """The Department's passphrase for a campaign's ballot box, typed twice, its loss acknowledged. Its
    strength is checked by the rules of account passwords (services.box_keeper.passphrase_problem)."""

    passphrase = PasswordField("Mật khẩu hòm phiếu", validators=[
        DataRequired("Xin nhập mật khẩu hòm phiếu."),
        Length(max=PASSPHRASE_MAX, message=f"Mật khẩu hòm phiếu tối đa {PASSPHRASE_MAX} ký tự.")])
    passphrase2 = PasswordField("Nhập lại mật khẩu hòm phiếu", validators=[Length(max=PASSPHRASE_MAX)])
    understood = BooleanField(validators=[DataRequired(
        "Xin đánh dấu ô xác nhận: mất mật khẩu là mất toàn bộ phiếu trực tuyến của đợt.")])

    def validate_passphrase(self, field):
        problem = passphrase_problem(field.data or "")
        if problem:
            raise ValidationError(problem)

    def validate_passphrase2(self, field):
        if field.data != self.passphrase.data:
            raise ValidationError("Hai lần nhập mật khẩu hòm phiếu không khớp.")


class UnitForm(FlaskForm):
    """One unit typed in; checked like a row of the units CSV."""

    code = StringField(validators=[Length(max=200)])
    name = StringField(validators=[Length(max=400)])
    level = StringField(validators=[Length(max=64)])
    parent = StringField(validators=[Length(max=200)])


class UploadForm(FlaskForm):
    """A CSV (or XLSX) file to import."""

    file = FileField()

    def read(self) -> bytes | None:
        """The uploaded bytes, or None once the person has been told why not (no file, too large)."""
        return uploaded(self.file.data) if self.validate() else None


class SuccessionUploadForm(UploadForm):
    """A unit-succession file (XLSX or CSV, the template's Vietnamese headings) for the units page."""

    file = FileField("Tệp kế thừa đơn vị: Excel (.xlsx) hoặc CSV (UTF-8)")


class SuccessionEditForm(FlaskForm):
    """One row of the succession table: the new unit (a code of the campaign, empty when abolished) and
    the kind; the table is checked by services.succession.edit_entry."""

    new_code = SelectField("Đơn vị mới", choices=[], validate_choice=False, validators=[Length(max=64)])
    kind = SelectField("Loại thay đổi", choices=list(KIND_NAMES), validate_choice=False)


def _target() -> AsciiIntegerField:
    return AsciiIntegerField(max_digits=6, validators=[Optional(), NumberRange(0, 100_000, NUMBER)])


def plan_form(cells: list[tuple[int, int]], columns: list[tuple[str, int]]) -> type[FlaskForm]:
    """A form class with a target ``t_<unit id>_<group id>`` for each cell of the plan grid, and a
    ``c_<level>_<group id>`` for each column ("the whole column": when given, it fills every cell)."""
    fields = {f"t_{u}_{g}": _target() for u, g in cells}
    fields.update({f"c_{level}_{g}": _target() for level, g in columns})
    return type("PlanForm", (FlaskForm,), fields)


class RemoveForm(FlaskForm):
    """A button that removes something (CSRF only)."""


class CountForm(FlaskForm):
    """A unit × group and how many (QR cards, paper ballots). The pages send ``pair`` (``unit|group``,
    from a list of the pairs that exist); ``unit`` and ``group`` apart are accepted too."""

    pair = StringField(validators=[Length(max=130)])
    unit = StringField(validators=[Length(max=64)])
    group = StringField(validators=[Length(max=64)])
    count = AsciiIntegerField(max_digits=4, validators=[DataRequired(), NumberRange(1, 1000)])

    def codes(self) -> tuple[str, str]:
        """(unit code, group code)."""
        if self.pair.data:
            unit, _, group = self.pair.data.partition("|")
            return unit, group
        return self.unit.data or "", self.group.data or ""


class InvitationUploadForm(UploadForm):
    """The people to invite, and what to do with those already invited."""

    duplicates = SelectField(choices=["hoi", "bo-qua", "van-tao"], default="hoi")


class RevokeForm(FlaskForm):
    invitation = IdListField()


class SendForm(FlaskForm):
    """E-mail the links: ``dau`` (first time) or ``nhac`` (reminder)."""

    lan = SelectField(choices=["dau", "nhac"], default="dau", validators=[Optional()])


class CardsQuery(QueryForm):
    don_vi = StringField(validators=[Length(max=64)])
    doi_tuong = StringField(validators=[Length(max=64)])


class SerialRangeQuery(QueryForm):
    tu = StringField(validators=[Length(max=40)])
    den = StringField(validators=[Length(max=40)])


def reconcile_form(questions: list[str]) -> type[FlaskForm]:
    """A form class with the supervisor's choice ``q_<question>`` for each differing question."""
    return type("ReconcileForm", (FlaskForm,), {f"q_{q}": StringField(validators=[Length(max=64)]) for q in questions})


class ReviewFilter(QueryForm):
    trang_thai = SelectField(choices=["", *STATE_LABELS], validators=[Optional()])
    kenh = SelectField(choices=["", *CHANNELS], validators=[Optional()])
    co = SelectField(choices=["", *FLAGS], validators=[Optional()])
    doi_tuong = AsciiIntegerField(max_digits=10, validators=[Optional()])

    def filters(self) -> dict[str, str]:
        """The chosen filters, for links and redirects that keep them."""
        return {k: str(v) for k, v in self.data.items() if v not in (None, "")}


class ReviewChangeForm(FlaskForm):
    ballot = IdListField()
    state = SelectField(choices=list(STATE_LABELS))
    reason = StringField(validators=[Length(max=500)])


class AuditFilter(QueryForm):
    doi_tuong = StringField(validators=[Length(max=64)])
    nguoi = StringField(validators=[Length(max=64)])
    thao_tac = StringField(validators=[Length(max=64)])
    ma = StringField(validators=[Length(max=64)])
    trang = AsciiIntegerField(max_digits=9, validators=[Optional()])

    def filters(self) -> dict[str, str]:
        """The chosen filters (page left out), for links that keep them."""
        return {k: v for k, v in self.data.items() if k != "trang" and v}


class CompareQuery(QueryForm):
    so_sanh = AsciiIntegerField(max_digits=10, validators=[Optional()])


class DashboardFilter(QueryForm):
    cap = StringField(validators=[Length(max=64)])
    doi_tuong = StringField(validators=[Length(max=64)])


ROLE_LABELS = {"admin": "Quản trị viên", "staff": "Nhân viên nhập liệu", "analyst": "Phân tích (chỉ xem)"}


def _password_fields():
    return (PasswordField("Mật khẩu", validators=[DataRequired("Xin nhập mật khẩu."), Length(max=256)]),
            PasswordField("Nhập lại mật khẩu", validators=[Length(max=256)]))


class PasswordPair:
    """The two password fields must match (the rules themselves are services.users.password_problem's)."""

    def validate_password2(self, field):
        if field.data != self.password.data:
            raise ValidationError("Hai lần nhập mật khẩu không khớp.")


class NewUserForm(PasswordPair, FlaskForm):
    username = StringField("Tên đăng nhập", validators=[DataRequired("Xin nhập tên đăng nhập."), Length(max=64)])
    full_name = StringField("Họ tên", validators=[Length(max=200)])
    role = SelectField("Vai trò", choices=list(ROLE_LABELS))
    units = SelectMultipleField("Đơn vị", choices=[], validate_choice=False)
    password, password2 = _password_fields()


class RoleForm(FlaskForm):
    role = SelectField("Vai trò", choices=list(ROLE_LABELS))
    units = SelectMultipleField("Đơn vị", choices=[], validate_choice=False)


class PasswordForm(PasswordPair, FlaskForm):
    password, password2 = _password_fields()


class ActiveForm(FlaskForm):
    active = SelectField(choices=["1", "0"])


class TokenForm(FlaskForm):
    name = StringField("Tên mã (máy hay việc dùng mã)", validators=[DataRequired("Xin đặt tên cho mã."),
                                                                   Length(max=100)])


class RevokeTokenForm(FlaskForm):
    token = AsciiIntegerField(max_digits=10, validators=[DataRequired()])


# --- issue 30 item 2: nothing final by one click (confirmation pages) ----------------------------------------


class ConfirmForm(FlaskForm):
    """A confirmation page's form: the box ``xac_nhan`` must be ticked before the action is done."""

    xac_nhan = BooleanField()


class RevokeConfirmForm(ConfirmForm):
    """Revoking the chosen links, confirmed (and restoring them: the same ids, no box needed); ``trang_xac_nhan``
    says the post came from the confirmation page (so an unticked box is an error there, not on the list)."""

    invitation = IdListField()
    trang_xac_nhan = BooleanField()


class PendingFileForm(ConfirmForm):
    """Replacing something by an uploaded file already checked: the name the file was kept under (a random
    hex token; see :mod:`.pending`)."""

    tep = StringField(validators=[DataRequired(), Length(max=64)])


# --- issue 30 item 5: lists that scale (search, filters, paging, select-all) ------------------------------------

LINK_STATES = {"chua-dung": "Chưa dùng", "da-dung": "Đã dùng", "thu-hoi": "Đã thu hồi"}


class LinksQuery(QueryForm):
    """The links list's filters (GET): words to find, a unit (its id, or ``khong`` for links of no unit), a
    group's code, a state, the page; ``chon=tat-ca`` selects every link the filters give, on every page."""

    q = StringField("Tìm", validators=[Length(max=200)])
    don_vi = StringField("Đơn vị", validators=[Length(max=20)])
    doi_tuong = StringField("Đối tượng", validators=[Length(max=64)])
    tinh_trang = SelectField("Tình trạng", choices=["", *LINK_STATES], validators=[Optional()])
    trang = AsciiIntegerField(max_digits=9, validators=[Optional()])
    chon = SelectField(choices=["", "tat-ca"], validators=[Optional()])

    def filters(self) -> dict[str, str]:
        """The chosen filters (page and selection left out), for links that keep them."""
        return {k: str(v) for k, v in self.data.items() if k not in ("trang", "chon") and v not in (None, "")}


class PageQuery(QueryForm):
    """A list's page number (the review list's filters are :class:`ReviewFilter`)."""

    trang = AsciiIntegerField(max_digits=9, validators=[Optional()])


# --- Issue 30 item 1: accounts in a few interactions (no role preselected; several staff at once) ---------
from wtforms import FieldList, Form, FormField, TextAreaField  # noqa: E402 (this block's own imports)
from wtforms.validators import AnyOf  # noqa: E402

ROLE_PROMPT = "— chọn vai trò —"
ADMIN_CONFIRM = "Tôi hiểu tài khoản này quản trị toàn bộ hệ thống"
BULK_ROWS = 5  # empty rows shown, and added by "Thêm dòng"
MAX_BULK_ROWS = 200


class ChosenRoleUserForm(NewUserForm):
    """The single-user form with no role preselected; an administrator needs the confirmation box."""

    role = SelectField("Vai trò", choices=["", *ROLE_LABELS], validate_choice=False,
                       validators=[DataRequired("Xin chọn vai trò cho tài khoản."),
                                   AnyOf(list(ROLE_LABELS), "Vai trò này không có trong danh sách.")])
    confirm_admin = BooleanField(ADMIN_CONFIRM)

    def validate_confirm_admin(self, field):
        if self.role.data == "admin" and not field.data:
            raise ValidationError("Quản trị viên làm được mọi việc: đánh dấu ô xác nhận, hoặc chọn vai trò khác.")


class BulkRowForm(Form):
    """One row of the table of new accounts (a unit is a code from the list, or a pasted name)."""

    full_name = StringField(validators=[Length(max=200)])
    username = StringField(validators=[Length(max=64)])
    unit = StringField(validators=[Length(max=200)])
    role = SelectField(choices=["staff", "analyst"], default="staff", validate_choice=False)  # checked by the service


class BulkUsersForm(FlaskForm):
    rows = FieldList(FormField(BulkRowForm), min_entries=0, max_entries=MAX_BULK_ROWS)
    pasted = TextAreaField(validators=[Length(max=20000, message="Khối dán quá dài (tối đa 20 000 ký tự).")])
    action = StringField(validators=[Length(max=16)])


# --- Issue 30 item 6: issue once (reasons for going past the plan, reprints) ---------------------------

class IssueCountForm(CountForm):
    """How many cards or ballots to issue for a unit × group, and why, when more than the plan lacks."""

    ly_do = StringField("Lý do phát hành vượt kế hoạch", validators=[
        Length(max=300, message="Lý do dài tối đa 300 ký tự.")])


class PaperReprintForm(FlaskForm):
    """A reprint of paper ballots already issued: a unit × group (``o``) or serials typed (``so``)."""

    chon = SelectField(choices=["o", "so"], default="o")
    pair = StringField(validators=[Length(max=130)])
    so = StringField(validators=[Length(max=4000, message="Danh sách mã phiếu dài tối đa 4000 ký tự.")])


class CardsPrintQuery(QueryForm):
    """Which QR cards of a unit × group the print page shows: the new ones (card ids ``tu``..``den``),
    every card not used (``chon=tat-ca``, a reprint) or the codes typed (``ma``)."""

    don_vi = StringField(validators=[Length(max=64)])
    doi_tuong = StringField(validators=[Length(max=64)])
    tu = AsciiIntegerField(max_digits=12, validators=[Optional()])
    den = AsciiIntegerField(max_digits=12, validators=[Optional()])
    chon = SelectField(choices=["", "moi", "tat-ca", "ma"], default="", validators=[Optional()])
    ma = StringField(validators=[Length(max=4000)])
