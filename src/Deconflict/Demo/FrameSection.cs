namespace Deconflict.Demo;

/// <summary>One section of a party's panel in the live view: a title and its rows, most important first.</summary>
/// <param name="Priority">Lower is more important: the layout gives rows to sections in this order, across parties.</param>
internal sealed record FrameSection(string Title, int Priority, IReadOnlyList<FrameLine> Rows);
