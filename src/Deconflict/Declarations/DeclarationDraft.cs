using System.Collections.Immutable;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Unicode;
using Deconflict.Api;
using Deconflict.Core.Geometry;
using Deconflict.Core.Model;
using Deconflict.Core.Volumes;
using Deconflict.Service;

namespace Deconflict.Declarations;

/// <summary>A validated body for an operation or zone: volumes in SI, ready for the writer.</summary>
public sealed record DeclarationDraft(
    DeclarationKind Kind,
    ImmutableArray<Volume4D> Volumes,
    int Priority,
    DeclarationState State,
    ZoneRule? Rule,
    string? Name,
    string? DetailsJson,
    IReadOnlyList<KnownVersion>? Known)
{
    public const int MinPriority = 0;
    public const int MaxPriority = 1000;
    public const int MaxNameLength = 200;

    /// <summary>
    /// Validates a body off the writer's thread (parsing and densifying volumes is the costly part),
    /// so the writer only detects and stores. The first problem found is reported, with its pointer.
    /// Times must be inside the window around <paramref name="now"/>, the service's clock (TimeWindowOptions).
    /// </summary>
    public static Outcome<DeclarationDraft> Parse(DeclarationKind kind, DeclarationBody? body, DeconflictOptions options, DateTimeOffset now)
    {
        if (body is null)
        {
            return Refusal.Invalid("The body must be a JSON object.");
        }

        if (body.Volumes is not { Count: > 0 } dtos)
        {
            return new Refusal(RefusalReason.InvalidVolume, "At least one volume is required.").With("pointer", "/volumes");
        }

        if (dtos.Count > options.MaxVolumesPerDeclaration)
        {
            // Counted before any volume is parsed.
            return new Refusal(RefusalReason.LimitExceeded, $"At most {options.MaxVolumesPerDeclaration} volumes are allowed; {dtos.Count} were given.")
                .With("pointer", "/volumes").With("limit", options.MaxVolumesPerDeclaration);
        }

        // Every polygon's vertices are counted before any volume's geometry is derived, so a body
        // over the limit costs no geometry work at all (VolumeParser checks each again, for Core callers).
        for (var i = 0; i < dtos.Count; i++)
        {
            if (dtos[i]?.Volume?.OutlinePolygon?.Vertices is { } vertices && vertices.Count > options.Geometry.MaxVertices)
            {
                return new Refusal(RefusalReason.LimitExceeded, $"/volumes/{i}/volume/outline_polygon/vertices: {OutlineFactory.VertexLimitError(vertices.Count, options.Geometry)}")
                    .With("pointer", $"/volumes/{i}/volume/outline_polygon/vertices").With("limit", options.Geometry.MaxVertices);
            }
        }

        var volumes = ImmutableArray.CreateBuilder<Volume4D>(dtos.Count);
        for (var i = 0; i < dtos.Count; i++)
        {
            var parsed = VolumeParser.Parse(dtos[i], options.Geometry);
            if (parsed.Error is { } e)
            {
                // The detail starts with the pointer as well, so that a client showing only the sentence still says where.
                var pointer = $"/volumes/{i}{e.Pointer}";
                var refusal = new Refusal(VolumeRefusal(e.Code), $"{pointer}: {e.Detail}").With("pointer", pointer);
                return e.Limit is { } limit ? refusal.With("limit", limit) : refusal;
            }

            var volume = parsed.Volume!;
            if (options.Times.Check(volume.TimeStart, now, $"/volumes/{i}/time_start/value") is { } early)
            {
                return early;
            }

            if (options.Times.Check(volume.TimeEnd, now, $"/volumes/{i}/time_end/value") is { } late)
            {
                return late;
            }

            volumes.Add(volume);
        }

        var priority = body.Priority ?? 0;
        if (priority is < MinPriority or > MaxPriority)
        {
            return Refusal.Invalid($"priority must be between {MinPriority} and {MaxPriority}; it was {priority}.", "/priority");
        }

        var state = body.State ?? DeclarationState.Planned;
        if (state is not (DeclarationState.Planned or DeclarationState.Active))
        {
            return Refusal.Invalid($"state must be planned or active when writing; to end or cancel, use DELETE (state was {WireName.Of(state)}).", "/state");
        }

        string? details = null;
        if (body.Details is { } d)
        {
            if (d.ValueKind != JsonValueKind.Object)
            {
                return Refusal.Invalid("details must be a JSON object.", "/details");
            }

            // The serialiser keeps details as raw bytes and checks no UTF-8 inside its strings, so
            // invalid bytes surfaced only when the text was taken (an exception, a 500; found by
            // fuzzing, fuzz/README.md): check them here and refuse.
            if (!Utf8.IsValid(JsonMarshal.GetRawUtf8Value(d)))
            {
                return Refusal.Invalid("details must be valid UTF-8 text.", "/details");
            }

            details = d.GetRawText();
            if (details.Length > options.MaxDetailsBytes)
            {
                return new Refusal(RefusalReason.PayloadTooLarge, $"details may be at most {options.MaxDetailsBytes} bytes.").With("pointer", "/details");
            }
        }

        List<KnownVersion>? known = null;
        if (body.Known is { } refs)
        {
            known = new List<KnownVersion>(refs.Count);
            for (var i = 0; i < refs.Count; i++)
            {
                if (refs[i] is not { Id: { Length: > 0 } id, Version: { } v } || v < 1)
                {
                    return Refusal.Invalid("Each known entry needs an id and a version of at least 1.", $"/known/{i}");
                }

                known.Add(new KnownVersion(id, v));
            }
        }

        ZoneRule? rule = null;
        string? name = null;
        if (kind == DeclarationKind.Zone)
        {
            var zone = (ZoneBody)body;
            if (zone.Rule is not { } r)
            {
                return Refusal.Invalid("A zone needs a rule: exclusive, protected or advisory.", "/rule");
            }

            if (string.IsNullOrWhiteSpace(zone.Name) || zone.Name.Length > MaxNameLength)
            {
                return Refusal.Invalid($"A zone needs a name of 1 to {MaxNameLength} characters.", "/name");
            }

            rule = r;
            name = zone.Name.Trim();
        }

        return new DeclarationDraft(kind, volumes.MoveToImmutable(), priority, state, rule, name, details, known);
    }

    /// <summary>Core's volume refusal codes, as the service's reasons.</summary>
    private static RefusalReason VolumeRefusal(string code) => code switch
    {
        VolumeParser.InvalidTime => RefusalReason.InvalidTime,
        VolumeParser.UnknownUnits => RefusalReason.UnknownUnits,
        VolumeParser.LimitExceeded => RefusalReason.LimitExceeded,
        _ => RefusalReason.InvalidVolume,
    };
}
