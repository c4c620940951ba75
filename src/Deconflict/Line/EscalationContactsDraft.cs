using Deconflict.Service;

namespace Deconflict.Line;

/// <summary>A party's escalation contacts, checked: their shape, levels and counts, and each URL allowed as a webhook target.</summary>
public sealed record EscalationContactsDraft(IReadOnlyList<EscalationContactBody> Contacts)
{
    /// <summary>
    /// Checks the contacts of <paramref name="body"/>: first all that needs no network, then each
    /// URL's host (<see cref="WebhookTargets.CheckAsync"/>), so a body of thousands of contacts
    /// costs no DNS lookup. The first problem found is reported, with its pointer.
    /// </summary>
    public static async Task<Outcome<EscalationContactsDraft>> ParseAsync(EscalationContactsBody body, DeconflictOptions options, WebhookTargets targets, CancellationToken ct)
    {
        var contacts = body.Contacts ?? [];
        if (OfflineRefusal(contacts, options) is { } refusal)
        {
            return refusal;
        }

        // Only now, with the number of contacts bounded, is any host name resolved.
        for (var i = 0; i < contacts.Count; i++)
        {
            var c = contacts[i];
            if (await targets.CheckAsync(c.Url, $"/contacts/{i}/url", ct) is { } notAllowed)
            {
                return notAllowed;
            }
        }

        return new EscalationContactsDraft(contacts);
    }

    /// <summary>
    /// The checks that need no network: each contact's shape, level and URL length, then the counts
    /// (<see cref="WebhookOptions.MaxContacts"/>, <see cref="WebhookOptions.MaxContactsPerLevel"/>).
    /// </summary>
    private static Refusal? OfflineRefusal(IReadOnlyList<EscalationContactBody> contacts, DeconflictOptions options)
    {
        var limits = options.Webhooks;
        if (contacts.Count > limits.MaxContacts)
        {
            return new Refusal(RefusalReason.LimitExceeded, $"At most {limits.MaxContacts} escalation contacts are allowed; {contacts.Count} were given.")
                .With("pointer", "/contacts").With("limit", limits.MaxContacts);
        }

        var perLevel = new Dictionary<int, int>();
        for (var i = 0; i < contacts.Count; i++)
        {
            var c = contacts[i];
            if (c is null)
            {
                return Refusal.Invalid("A contact is an object with a level and a url, not null.", $"/contacts/{i}");
            }

            if (c.Level < 1 || c.Level > options.Line.MaxEscalationLevel)
            {
                return Refusal.Invalid($"level must be 1 to {options.Line.MaxEscalationLevel} (the agreed highest level).", $"/contacts/{i}/level");
            }

            if (c.Url is { } url && url.Length > limits.MaxUrlLength)
            {
                return new Refusal(RefusalReason.LimitExceeded, $"url is {url.Length} characters long; at most {limits.MaxUrlLength} are allowed.")
                    .With("pointer", $"/contacts/{i}/url").With("limit", limits.MaxUrlLength);
            }

            perLevel[c.Level] = perLevel.GetValueOrDefault(c.Level) + 1;
            if (perLevel[c.Level] > limits.MaxContactsPerLevel)
            {
                return new Refusal(RefusalReason.LimitExceeded, $"At most {limits.MaxContactsPerLevel} escalation contacts per level are allowed; level {c.Level} has more.")
                    .With("pointer", "/contacts").With("limit", limits.MaxContactsPerLevel);
            }
        }

        return null;
    }
}
