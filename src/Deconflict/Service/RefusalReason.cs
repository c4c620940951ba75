namespace Deconflict.Service;

/// <summary>
/// Why the service refused a command or a request, in the domain's words. The API layer alone
/// (<see cref="Api.Problems"/>) turns each into an HTTP status and the stable problem code of the
/// contract; commands and the store never see either.
/// </summary>
public enum RefusalReason
{
    InvalidRequest,
    InvalidVolume,
    UnknownUnits,
    InvalidParameter,
    VersionMismatch,
    PreconditionRequired,
    MissingAwareness,
    Conflict,
    AlreadyExists,
    InvalidState,
    NotFound,
    Forbidden,
    Unauthorized,
    PayloadTooLarge,
    UnsupportedMediaType,
    MethodNotAllowed,
    Internal,
    UnknownHead,
    InvalidSignature,
    SplitView,
    InvalidReference,
    LimitExceeded,
    RateLimited,
    QuotaExceeded,
    StorageUnavailable,
    InvalidTime,
    DuplicateMember,
    ControlCharacter,
    InvalidWebhook,
    UriTooLong,
    HeadersTooLarge,
}
