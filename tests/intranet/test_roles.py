import pytest
from werkzeug.exceptions import Forbidden, NotFound

from intranet.models import Department, User
from intranet.roles import Role, is_lead_of, require, roles_of


def test_require_passes_when_allowed():
    assert require(True) is None


def test_require_refuses_with_403():
    with pytest.raises(Forbidden):
        require(False)


def test_require_hides_with_404():
    with pytest.raises(NotFound):
        require(False, hide=True)


def test_roles_of_each_kind():
    sales = Department(name="Sales", slug="sales")
    it = Department(name="IT", slug="it")
    user = User(username="x", display_name="X", is_admin=False, is_management=False)
    assert roles_of(user) == [Role.EMPLOYEE]
    user.led_departments = [sales]
    user.is_management = True
    user.is_admin = True
    assert roles_of(user) == [Role.EMPLOYEE, Role.LEAD, Role.MANAGEMENT, Role.ADMIN]
    assert is_lead_of(user, sales) and not is_lead_of(user, it) and not is_lead_of(user, None)
