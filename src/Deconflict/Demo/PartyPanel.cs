namespace Deconflict.Demo;

/// <summary>One party's panel of the live view: its heading and its sections.</summary>
internal sealed record PartyPanel(FrameLine Heading, IReadOnlyList<FrameSection> Sections);
