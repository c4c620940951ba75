using Deconflict.Api;

namespace Deconflict.Events.Payloads;

/// <summary>A <c>party</c> event stating a party whole: <c>created</c>, or <c>stated</c> (migration 10).</summary>
public sealed record PartyPayload(string Action, PartyView Party);
