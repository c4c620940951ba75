using System.Collections.Immutable;
using System.Globalization;
using System.Text.RegularExpressions;
using Deconflict.Core.Line;
using Deconflict.Core.Model;
using Deconflict.Service;
using Deconflict.Storage;

namespace Deconflict.Line;

/// <summary>A validated line message, ready for the writer: recipients resolved, refs checked, the acknowledgement clock in seconds.</summary>
public sealed partial record LineMessageDraft(
    ImmutableArray<string> To,
    MessageKind Kind,
    string Subject,
    string Body,
    string Language,
    ImmutableArray<LineRef> Refs,
    LinePlace? Place,
    TimeSpan? AckWithin)
{
    public const int MaxSubjectLength = 200;
    public const int MaxBodyLength = 8000;
    public const int MaxRefs = 20;
    public const int MaxIdempotencyKeyLength = 200;

    /// <summary>The refusal of an Idempotency-Key header (empty: none given), checked before the body is read.</summary>
    public static Refusal? IdempotencyKeyRefusal(string key)
    {
        if (key.Length > MaxIdempotencyKeyLength)
        {
            return Refusal.Invalid($"Idempotency-Key may be at most {MaxIdempotencyKeyLength} characters.");
        }

        if (ControlText.IndexOfUnsafe(key) >= 0)
        {
            return new Refusal(RefusalReason.ControlCharacter, "Idempotency-Key may not hold a control character.").With("parameter", "Idempotency-Key");
        }

        return null;
    }

    /// <summary>
    /// Validates a message body off the writer, on the store's last committed snapshot (the
    /// recipients and the refs the sender may see). The first problem found is reported, with its
    /// pointer; a place's time must be inside the window around <paramref name="now"/>.
    /// </summary>
    public static Outcome<LineMessageDraft> Parse(LineMessageBody b, string sender, IStoreReader store, DeconflictOptions options, DateTimeOffset now)
    {
        if (b.To is not { Count: > 0 })
        {
            return Refusal.Invalid("to must list at least one party, or [\"all\"].", "/to");
        }

        ImmutableArray<string> to;
        var parties = store.ListParties().Where(p => p.Role == PartyRole.Party).ToDictionary(p => p.Id, StringComparer.Ordinal);
        if (b.To.Count == 1 && b.To[0] == "all")
        {
            to = [.. parties.Keys.Where(p => p != sender).Order(StringComparer.Ordinal)];
            if (to.IsEmpty)
            {
                return Refusal.Invalid("There is no other party to send to.", "/to");
            }
        }
        else
        {
            for (var i = 0; i < b.To.Count; i++)
            {
                var recipient = b.To[i];
                if (recipient == sender)
                {
                    return Refusal.Invalid("A party does not send line messages to itself.", $"/to/{i}");
                }

                if (recipient is null || !parties.ContainsKey(recipient))
                {
                    return Refusal.Invalid($"There is no party '{recipient}' to send to.", $"/to/{i}");
                }
            }

            to = [.. b.To.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];
        }

        var kind = MessageKind.FreeText;
        if (b.Kind is { } k && !WireName.TryParse(k, out kind))
        {
            return Refusal.Invalid($"kind must be free-text, operation-notice, deconflict-request or unsafe-conduct, not '{k}'.", "/kind");
        }

        if (string.IsNullOrWhiteSpace(b.Subject) || b.Subject.Length > MaxSubjectLength)
        {
            return Refusal.Invalid($"subject is required, at most {MaxSubjectLength} characters.", "/subject");
        }

        if (b.Body is null || b.Body.Length > MaxBodyLength)
        {
            return new Refusal(b.Body is null ? RefusalReason.InvalidRequest : RefusalReason.PayloadTooLarge, $"body is required, plain text of at most {MaxBodyLength} characters.").With("pointer", "/body");
        }

        var language = b.Language ?? "en";
        if (!LanguageTag().IsMatch(language))
        {
            return Refusal.Invalid($"language must be a language tag such as 'en' or 'ru', not '{language}'.", "/language");
        }

        TimeSpan? ackWithin = null;
        if (b.RequiresAck == true || (b.RequiresAck is null && b.AckWithinS is not null))
        {
            var seconds = b.AckWithinS ?? options.Line.AckWithinS;
            if (!double.IsFinite(seconds) || seconds < options.Line.MinAckWithinS || seconds > options.Line.MaxAckWithinS)
            {
                return Refusal.Invalid(string.Create(CultureInfo.InvariantCulture,
                    $"ack_within_s must be between {options.Line.MinAckWithinS} and {options.Line.MaxAckWithinS} seconds (the agreed bounds), not {seconds}."), "/ack_within_s");
            }

            ackWithin = TimeSpan.FromSeconds(seconds);
        }

        var refs = ImmutableArray.CreateBuilder<LineRef>();
        var given = b.Refs ?? [];
        if (given.Count > MaxRefs)
        {
            return Refusal.Invalid($"At most {MaxRefs} refs.", "/refs");
        }

        for (var i = 0; i < given.Count; i++)
        {
            var r = given[i];
            if (r?.Id is null || r.Kind is null)
            {
                return Refusal.Invalid("A ref needs a kind and an id.", $"/refs/{i}");
            }

            var visible = r.Kind switch
            {
                "operation" => store.GetDeclaration(DeclarationKind.Operation, r.Id) is not null,
                "zone" => store.GetDeclaration(DeclarationKind.Zone, r.Id) is not null,
                "conflict" => store.GetConflict(r.Id) is { } c && c.Concerns(sender),
                "alert" => store.GetAlert(r.Id) is { } a && a.Concerns(sender),
                _ => (bool?)null,
            };
            if (visible is null)
            {
                return Refusal.Invalid($"A ref's kind is operation, zone, conflict or alert, not '{r.Kind}'.", $"/refs/{i}/kind");
            }

            if (visible == false)
            {
                return new Refusal(RefusalReason.InvalidReference, $"There is no {r.Kind} '{r.Id}' that you may see.").With("pointer", $"/refs/{i}");
            }

            refs.Add(new LineRef(r.Kind, r.Id));
        }

        LinePlace? place = null;
        if (b.Place is { } p)
        {
            if (p.Lat is not (>= -90 and <= 90) || p.Lng is not (>= -180 and <= 180) || p.Time is null)
            {
                return Refusal.Invalid("place needs lat (-90 to 90), lng (-180 to 180) and an RFC 3339 time.", "/place");
            }

            if (options.Times.Check(p.Time.Value, now, "/place/time") is { } outside)
            {
                return outside;
            }

            place = new LinePlace(p.Lat.Value, p.Lng.Value, p.Time.Value);
        }

        string? missing = kind switch
        {
            MessageKind.OperationNotice when !refs.Any(r => r.Kind == "operation") => "A notice of operation must reference an operation.",
            MessageKind.DeconflictRequest when !refs.Any(r => r.Kind == "conflict") => "A request to deconflict must reference a conflict.",
            MessageKind.UnsafeConduct when place is null && !refs.Any(r => r.Kind == "alert") => "A report of unsafe conduct must reference an alert or give a place (lat, lng, time).",
            _ => null,
        };
        if (missing is not null)
        {
            return Refusal.Invalid(missing, "/refs");
        }

        return new LineMessageDraft(to, kind, b.Subject, b.Body, language, refs.ToImmutable(), place, ackWithin);
    }

    [GeneratedRegex("^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")]
    private static partial Regex LanguageTag();
}
