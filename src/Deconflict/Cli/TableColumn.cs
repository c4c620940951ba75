namespace Deconflict.Cli;

/// <summary>One column of a <see cref="TableFormat"/>: its header, how wide it may grow and shrink, and how much it matters.</summary>
/// <param name="Header">The column's header.</param>
/// <param name="Rank">0 is always shown; a higher rank is dropped first when the table is too wide.</param>
/// <param name="MaxWidth">Cells longer than this are cut with "…" (the full value is in `show` and `--json`).</param>
/// <param name="MinWidth">The width a cut column may shrink to before columns are dropped.</param>
internal sealed record TableColumn(string Header, int Rank = 0, int MaxWidth = int.MaxValue, int MinWidth = int.MaxValue);
