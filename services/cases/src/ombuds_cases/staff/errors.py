"""Staff errors, each with its HTTP status (rendered by the shared ServiceError handler)."""

from ombuds_shared.http import ConflictError, NotFoundError, ServiceError


class StaffNotFoundError(NotFoundError):
    def __init__(self, staff_id: str) -> None:
        super().__init__(f"No staff account has id {staff_id}.")


class EmailTakenError(ConflictError):
    code = "email_taken"

    def __init__(self, email: str) -> None:
        super().__init__(f"A staff account with email {email} already exists.")


class ForbiddenError(ServiceError):
    status_code = 403
    code = "forbidden"


class SignInRefusedError(ServiceError):
    status_code = 401
    code = "sign_in_refused"

    def __init__(self) -> None:
        # One message for every wrong part, so a guesser learns nothing about which.
        super().__init__("The email, password or code is not right.")


class OidcSignInRefusedError(ServiceError):
    """An OpenID Connect sign-in that opens no session; the message says why, in general terms."""

    status_code = 401
    code = "sign_in_refused"


class AccountBlockedError(ServiceError):
    status_code = 403
    code = "account_blocked"


class StaffRuleError(ServiceError):
    """A field whose value breaks a staff rule; the router renders it like a validation error."""

    status_code = 422
    code = "invalid"

    def __init__(self, field: str, rule: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.rule = rule
