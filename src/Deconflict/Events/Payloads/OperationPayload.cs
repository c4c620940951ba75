using Deconflict.Api;

namespace Deconflict.Events.Payloads;

/// <summary>An <c>operation</c> event: the action (created, updated, ended, cancelled...) and the operation as everyone sees it.</summary>
public sealed record OperationPayload(string Action, DeclarationView Operation);
