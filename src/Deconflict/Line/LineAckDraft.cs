using Deconflict.Service;

namespace Deconflict.Line;

/// <summary>A validated acknowledgement: the officer who acknowledges (trimmed) and an optional note.</summary>
public sealed record LineAckDraft(string By, string? Note)
{
    public const int MaxNameLength = 100;
    public const int MaxNoteLength = 2000;

    public static Outcome<LineAckDraft> Parse(LineAckBody body)
    {
        var (by, note) = (body.By, body.Note);
        if (string.IsNullOrWhiteSpace(by) || by.Length > MaxNameLength)
        {
            return Refusal.Invalid($"by must name the officer who acknowledges, at most {MaxNameLength} characters.", "/by");
        }

        if (note is { Length: > MaxNoteLength })
        {
            return Refusal.Invalid($"note may be at most {MaxNoteLength} characters.", "/note");
        }

        return new LineAckDraft(by.Trim(), note);
    }
}
