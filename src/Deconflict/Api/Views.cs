using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Serialization;
using Deconflict.Core.Model;
using Deconflict.Core.Volumes;

namespace Deconflict.Api;

/// <summary>
/// Writes every time as RFC 3339 UTC with 'Z', as the API promises, and reads only RFC 3339 with an
/// offset (<see cref="Rfc3339.Parse"/>, the one parser of times): anything else, a time without an
/// offset included, is an <see cref="InvalidTimeException"/> (<c>invalid-time</c>, with the member's pointer).
/// </summary>
public sealed class UtcTimeConverter : JsonConverter<DateTimeOffset>
{
    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            throw new InvalidTimeException("A time must be a string: RFC 3339 with an offset, such as 2026-11-26T09:00:00Z.");
        }

        var text = reader.GetString();
        return Rfc3339.Parse(text, out var value) switch
        {
            Rfc3339Result.Ok => value,
            Rfc3339Result.Impossible => throw new InvalidTimeException($"\"{text}\" is not a date and time that exists (or it is outside the years 0001 to 9999 in UTC)."),
            _ => throw new InvalidTimeException("A time must be RFC 3339 with an offset ('Z' or +hh:mm), such as 2026-11-26T09:00:00Z."),
        };
    }

    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) =>
        writer.WriteStringValue(Rfc3339.FormatUtc(value));
}

public sealed record KnownRef
{
    public string? Id { get; init; }

    public long? Version { get; init; }
}

/// <summary>The body of POST/PUT for operations and zones.</summary>
public abstract record DeclarationBody
{
    public List<F3548Volume4D>? Volumes { get; init; }

    public int? Priority { get; init; }

    public DeclarationState? State { get; init; }

    public JsonElement? Details { get; init; }

    public List<KnownRef>? Known { get; init; }
}

public sealed record OperationBody : DeclarationBody;

public sealed record ZoneBody : DeclarationBody
{
    public ZoneRule? Rule { get; init; }

    public string? Name { get; init; }
}

/// <summary>An operation or zone as a caller sees it: <see cref="Details"/> only for its owner.</summary>
public sealed record DeclarationView(
    string Id,
    string Party,
    long Version,
    DeclarationState State,
    int Priority,
    ZoneRule? Rule,
    string? Name,
    IReadOnlyList<F3548Volume4D> Volumes,
    JsonElement? Details,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt)
{
    /// <summary>The record index of the entry that made this version (docs/record.md, "Served state"); absent inside an entry's own payload.</summary>
    public long? RecordIndex { get; init; }

    /// <summary>The commitment to the private details (<see cref="Declaration.DetailsSha256"/>), shown to everyone and in the record.</summary>
    public string? DetailsSha256 { get; init; }

    /// <summary>The commitment's salt, for the owner only: with the details it opens the commitment.</summary>
    public string? DetailsSalt { get; init; }

    /// <summary>The declaration as its event's payload gives it to everyone (no details, no salt, no record index).</summary>
    public static DeclarationView ForEntry(Declaration d) => Of(d, null) with { RecordIndex = null };

    public static DeclarationView Of(Declaration d, Caller? viewer) => new(
        d.Id,
        d.Party,
        d.Version,
        d.State,
        d.Priority,
        d.Rule,
        d.Name,
        [.. d.Volumes.Select(VolumeParser.ToF3548)],
        viewer is not null && viewer.PartyId == d.Party && d.DetailsJson is { } json ? JsonDocument.Parse(json).RootElement.Clone() : null,
        d.CreatedAt,
        d.UpdatedAt)
    {
        RecordIndex = d.RecordIndex,
        DetailsSha256 = d.DetailsSha256,
        DetailsSalt = viewer is not null && viewer.PartyId == d.Party ? d.DetailsSalt : null,
    };
}

public sealed record RefView(DeclarationKind Kind, string? Id, string Party, long Version)
{
    public static RefView Of(ConflictRef r) => new(r.Kind, r.Id, r.Party, r.Version);
}

public sealed record OverlapView(DateTimeOffset TimeStart, DateTimeOffset TimeEnd, double AltitudeLowerM, double AltitudeUpperM)
{
    public static OverlapView Of(VolumeOverlap o) => new(o.TimeStart, o.TimeEnd, o.AltitudeLowerM, o.AltitudeUpperM);
}

public sealed record ConflictView(
    string Id,
    long Version,
    ConflictState State,
    RefView A,
    RefView B,
    OverlapView Overlap,
    ImmutableSortedDictionary<string, DateTimeOffset> AcknowledgedBy,
    ImmutableSortedDictionary<string, DateTimeOffset> AcceptedBy,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    DateTimeOffset? ResolvedAt)
{
    /// <summary>The record index of the entry that made this version (docs/record.md, "Served state"); absent inside an entry's own payload.</summary>
    public long? RecordIndex { get; init; }

    /// <summary>The conflict as its event's payload gives it (no record index).</summary>
    public static ConflictView ForEntry(Conflict c) => Of(c) with { RecordIndex = null };

    public static ConflictView Of(Conflict c) => new(
        c.Id, c.Version, c.State, RefView.Of(c.A), RefView.Of(c.B), OverlapView.Of(c.Overlap), c.AcknowledgedBy, c.AcceptedBy, c.CreatedAt, c.UpdatedAt, c.ResolvedAt)
    {
        RecordIndex = c.RecordIndex,
    };
}

/// <summary>A conflict the write would create (trial, or a refusal under the reject policy): nothing stored, so no id or state.</summary>
public sealed record ProspectiveConflictView(RefView A, RefView B, OverlapView Overlap);

public sealed record MissingView(DeclarationKind Kind, string Id, long Version, string Party);

public sealed record PartyView(string Id, string Name, PartyRole Role, string? PublicKey, DateTimeOffset CreatedAt)
{
    /// <summary>The party with its registered Ed25519 witness key (base64), if any.</summary>
    public static PartyView Of(Party p, byte[]? publicKey = null) => new(p.Id, p.Name, p.Role, publicKey is null ? null : Convert.ToBase64String(publicKey), p.CreatedAt);
}

public sealed record ListView<T>(IReadOnlyList<T> Items, string? NextCursor);
