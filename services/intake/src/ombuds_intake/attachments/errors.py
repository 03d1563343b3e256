"""What can go wrong with an attachment; each error carries its HTTP status."""

from ombuds_shared.http import ServiceError, UnavailableError


class AttachmentError(ServiceError):
    status_code = 422
    code = "attachment_invalid"


class EmptyFileError(AttachmentError):
    code = "attachment_empty"


class AttachmentTooLargeError(AttachmentError):
    status_code = 413
    code = "attachment_too_large"


class UnsupportedTypeError(AttachmentError):
    code = "attachment_type_not_accepted"


class TruncatedFileError(AttachmentError):
    code = "attachment_incomplete"


class AttachmentReferenceError(AttachmentError):
    """A submission named an attachment it cannot have; `attachment_id` says which."""

    def __init__(self, message: str, attachment_id: str) -> None:
        super().__init__(message)
        self.attachment_id = attachment_id


class UnknownAttachmentError(AttachmentReferenceError):
    code = "attachment_not_found"


class AttachmentAlreadyClaimedError(AttachmentReferenceError):
    code = "attachment_already_used"


class DuplicateAttachmentError(AttachmentReferenceError):
    code = "attachment_listed_twice"


class TooManyAttachmentsError(AttachmentError):
    code = "too_many_attachments"


class StoreUnavailableError(UnavailableError):
    code = "attachment_store_unavailable"
