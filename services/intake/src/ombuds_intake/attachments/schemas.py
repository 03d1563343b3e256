"""What the upload endpoint answers."""

from pydantic import BaseModel, Field


class AttachmentUploaded(BaseModel):
    id: str = Field(
        description="Quote this id in the submission's `attachments` to attach the file."
    )
    content_type: str = Field(description="Detected from the file's content, not its name.")
    size_bytes: int
    sha256: str
    filename: str = Field(description="The file's name as we recorded it (sanitised).")
