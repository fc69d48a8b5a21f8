"""azureml.exceptions' classes. Errors from the server keep its code and HTTP status."""

__all__ = [
    "AzureMLException",
    "UserErrorException",
    "WorkspaceException",
    "ComputeTargetException",
    "ActivityFailedException",
    "ExperimentExecutionException",
]


class AzureMLException(Exception):
    """Base class. ``code``: the server's stable error code (or Cairn's own for local checks);
    ``status``: the HTTP status when the server answered; ``inner_exception``: what caused it."""

    def __init__(self, exception_message, inner_exception=None, code=None, status=None, **kwargs):
        super(AzureMLException, self).__init__(exception_message)
        self.message = exception_message
        self.inner_exception = inner_exception
        self.code = code if code is not None else getattr(inner_exception, "code", None)
        self.status = status if status is not None else getattr(inner_exception, "status", None)

    @classmethod
    def _from(cls, err, prefix=""):
        """One of ours made from a cairn.client error, keeping its code, status and message."""
        message = getattr(err, "message", None) or str(err)
        e = cls(prefix + message, inner_exception=err)
        e.__cause__ = err
        return e


class UserErrorException(AzureMLException):
    """A call Cairn cannot honour as written (Azure-only arguments, bad values)."""


class WorkspaceException(AzureMLException):
    """The workspace could not be found or reached."""


class ComputeTargetException(AzureMLException):
    """A compute target could not be found, created, attached or changed."""


class ActivityFailedException(AzureMLException):
    """A run ended Failed (raised by Run.wait_for_completion(raise_on_error=True))."""

    def __init__(self, error_details, **kwargs):
        super(ActivityFailedException, self).__init__(error_details, **kwargs)
        self.error_details = error_details


class ExperimentExecutionException(AzureMLException):
    """A run could not be submitted."""
