using System.Globalization;

namespace Deconflict.Tracks;

/// <summary>Where a report is in its body (/tracks/3, /events/0), formatted only when a refusal needs it.</summary>
public readonly record struct ReportPointer(string Collection, int Index)
{
    public static string operator +(ReportPointer p, string field) => p.ToString() + field;

    public static implicit operator string(ReportPointer p) => p.ToString();

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Collection}/{Index}");
}
