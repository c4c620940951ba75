using System.Text.RegularExpressions;
using Deconflict.Core.Model;
using Deconflict.Service;

namespace Deconflict.Parties;

/// <summary>A validated body for a new party: its id, its trimmed name and its role.</summary>
public sealed partial record PartyDraft(string Id, string Name, PartyRole Role)
{
    public const int MaxNameLength = 200;

    /// <summary>Validates a body off the writer's thread; the first problem found is reported, with its pointer.</summary>
    public static Outcome<PartyDraft> Parse(PartyBody body)
    {
        if (body.Id is null || !PartyId().IsMatch(body.Id))
        {
            return Refusal.Invalid("id must be 1 to 32 lowercase letters, digits or '-', starting with a letter or digit.", "/id");
        }

        if (string.IsNullOrWhiteSpace(body.Name) || body.Name.Length > MaxNameLength)
        {
            return Refusal.Invalid($"name must be 1 to {MaxNameLength} characters.", "/name");
        }

        return new PartyDraft(body.Id, body.Name.Trim(), body.Role ?? PartyRole.Party);
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,31}$")]
    private static partial Regex PartyId();
}
